"""Fuzzing the parsers that read untrusted text: versions, version specs, match specs (from users,
environment files and repodata ``depends``) and the repodata decoder (from any server). Any input
gives a value or the documented ``NajaError``; never another exception. Parsed values round-trip:
``str`` of a parsed value parses back to the same ``str``.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naja.errors import ChannelError, InvalidSpec, RepodataError
from naja.types.match_spec import MatchSpec
from naja.types.version import Version
from naja.types.version_spec import VersionSpec

# derandomized so CI is stable for everyone; NAJA_FUZZ_RANDOM=1 explores new examples on each run
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=not os.environ.get("NAJA_FUZZ_RANDOM"))

SPEC_CHARS = "abcxyz019._-*<>=!|,~^[]()'\" @:/$+#\\\t"
spec_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=SPEC_CHARS, max_size=40),
    st.builds(lambda n, op, v, rest: f"{n}{op}{v}{rest}",
              st.sampled_from(["numpy", "a", "conda-forge::x", "ch/linux-64::y", "*", "_b.c-d"]),
              st.sampled_from(["", " ", "=", "==", ">=", "<", "!=", "~=", " >=1,<", "[version='", "[build="]),
              st.text(alphabet="0123456789.*abrc_+!", max_size=12),
              st.text(alphabet=SPEC_CHARS, max_size=12)),
)
version_text = st.one_of(st.text(max_size=30), st.text(alphabet="0123456789.abrcdevpost_-+!*", max_size=24))


def _outcome(fn, *args):
    """The result, or the documented error (conda too fails lazily, e.g. ``~=0`` when matching)."""
    try:
        return fn(*args)
    except InvalidSpec:
        return "InvalidSpec"


def _parse(cls, text):
    try:
        return cls(text)
    except InvalidSpec:
        return None


@FUZZ
@given(version_text)
def test_version_parser_total_and_stable(text):
    v = _parse(Version, text)
    if v is None:
        return
    again = Version(str(v))
    assert str(again) == str(v)
    assert again == v and hash(again) == hash(v)
    assert not (v < again) and not (again < v)


@FUZZ
@given(version_text, version_text)
def test_version_ordering_never_raises(a, b):
    va, vb = _parse(Version, a), _parse(Version, b)
    if va is None or vb is None:
        return
    assert (va < vb) + (vb < va) + (va == vb) == 1


@FUZZ
@given(spec_text)
def test_version_spec_parser_total_and_stable(text):
    spec = _parse(VersionSpec, text)
    if spec is None:
        return
    again = VersionSpec(str(spec))
    assert str(again) == str(spec)
    for probe in ("0", "1.0", "1.2.3", "2.0a1", "1!3.0", "1.0.post1"):
        assert _outcome(spec.match, probe) == _outcome(again.match, probe)


@FUZZ
@given(spec_text)
def test_match_spec_parser_total_and_stable(text):
    spec = _parse(MatchSpec, text)
    if spec is None:
        return
    canonical = str(spec)
    again = MatchSpec(canonical)  # the canonical form always parses back...
    assert str(MatchSpec(str(again))) == str(again)  # ...and is a fixed point from there on
    assert again.name == spec.name
    record = {"name": spec.name if spec.name != "*" else "x", "version": "1.0", "build": "0", "build_number": 0}
    assert _outcome(spec.match, record) == _outcome(again.match, record)


# ------------------------------------------------------------------------------------------ repodata

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
record_fields = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["a", "b"]), json_values),
        "version": st.one_of(st.sampled_from(["1.0", "2"]), json_values),
        "build": st.one_of(st.just("0"), json_values),
        "build_number": st.one_of(st.integers(-5, 5), json_values),
        "depends": st.one_of(st.lists(st.sampled_from(["b", "b >=1", "c 1.*"]), max_size=3), json_values),
        "constrains": json_values,
        "subdir": st.one_of(st.just("linux-64"), json_values),
        "size": json_values,
        "md5": json_values,
        "sha256": json_values,
        "timestamp": json_values,
        "track_features": json_values,
        "noarch": json_values,
        "license": json_values,
    },
)
repodata_docs = st.fixed_dictionaries(
    {},
    optional={
        "info": st.one_of(st.fixed_dictionaries({"subdir": st.just("linux-64")}), json_values),
        "packages": st.one_of(st.dictionaries(st.sampled_from(["a-1.0-0.tar.bz2", "b-2-0.tar.bz2", "x", "a-1-0"]),
                                              st.one_of(record_fields, json_values), max_size=4), json_values),
        "packages.conda": st.one_of(st.dictionaries(st.sampled_from(["a-1.0-0.conda", "b-2-0.conda"]),
                                                    record_fields, max_size=3), json_values),
        "removed": json_values,
        "repodata_version": json_values,
    },
)

VALID = json.dumps({
    "info": {"subdir": "linux-64"},
    "packages": {"a-1.0-0.tar.bz2": {"name": "a", "version": "1.0", "build": "0", "build_number": 0,
                                     "depends": ["b >=1"], "subdir": "linux-64"},
                 "b-1.0-0.tar.bz2": {"name": "b", "version": "1.0", "build": "0", "build_number": 0,
                                     "depends": [], "subdir": "linux-64"}},
    "packages.conda": {"a-2.0-0.conda": {"name": "a", "version": "2.0", "build": "0", "build_number": 0,
                                         "depends": [], "subdir": "linux-64"}},
}, indent=1).encode()


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=6))
        elif data:
            del data[pos:pos + draw(st.integers(1, 20))]
    return bytes(data)


def _decode_all(data: bytes) -> list:
    from naja.repodata import local_index

    header = local_index.build(data, [len(data), 0, ""])
    index = local_index.LocalIndex(header, data)
    out = []
    for name in index.names():
        assert name in index
        out.extend(index.records(name))
    return out


def _decode_or_refuse(data: bytes) -> None:
    try:
        records = _decode_all(data)
    except (RepodataError, ChannelError) as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for fn, rec in records:
        assert isinstance(fn, str) and isinstance(rec.name, str) and isinstance(rec.version, str)


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated()))
def test_repodata_decoder_on_random_and_mutated_bytes(data):
    _decode_or_refuse(data)


@FUZZ
@given(repodata_docs)
def test_repodata_decoder_on_wrong_shapes(doc):
    _decode_or_refuse(json.dumps(doc).encode())


def test_valid_repodata_decodes():
    records = _decode_all(VALID)
    assert sorted((r.name, r.version) for _, r in records) == [("a", "1.0"), ("a", "2.0"), ("b", "1.0")]
