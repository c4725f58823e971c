"""Version ordering against conda's own expectations (../shared/data/vectors/version_order.json
and the 28k-string parse corpus)."""

from __future__ import annotations

import itertools
import json
import pickle
from functools import cache
from pathlib import Path

import pytest

from naja.errors import InvalidVersion, NajaError
from naja.types.version import Version

INF = float("inf")


@cache
def _load(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def order(shared_data: Path) -> dict:
    return _load(shared_data / "vectors" / "version_order.json")


def _conda_form(parsed: list) -> list:
    """The vectors spell post as 'INF'; naja uses float inf like conda."""
    return [[INF if c == "INF" else c for c in seg] for seg in parsed]


def test_parse_forms(order):
    for case in order["parse"]:
        v = Version(case["version"])
        assert v.parts == _conda_form(case["conda_parsed"]), case
        assert str(v) == case["normalized_str"], case


def test_sorted_lists(order):
    for case in order["sorted_lists"]:
        versions = [Version(s) for s in case["versions"]]
        # a stable sort reproduces the list (equal neighbours keep their order)
        assert sorted(versions) == versions, case["name"]
        if case["strictly_increasing"]:
            assert sorted(reversed(versions)) == versions, case["name"]
        for a, b in itertools.pairwise(versions):
            if case["strictly_increasing"]:
                assert a < b and not b < a and a != b, (case["name"], str(a), str(b))
            else:
                assert a <= b, (case["name"], str(a), str(b))
        for a, b in case.get("adjacent_equal_pairs", []):
            assert Version(a) == Version(b)


def test_pairs(order):
    for case in order["pairs"]:
        a, b = Version(case["a"]), Version(case["b"])
        if case["relation"] == "equal":
            assert a == b and hash(a) == hash(b) and not a < b and not b < a, case
        elif case["relation"] == "less":
            assert a < b and b > a and a != b and not b <= a, case
        else:
            assert a != b, case


def test_invalid(order):
    for case in order["invalid"]:
        with pytest.raises(InvalidVersion) as info:
            Version(case["version"])
        assert repr(case["version"]) in str(info.value)
        assert isinstance(info.value, NajaError)


def test_rattler_parse_snapshot(order):
    for case in order["rattler_parse_snapshot"]:
        if case["valid"]:
            v = Version(case["version"])
            assert v.parts == _conda_form(case["rattler_parsed"]), case
            if "rattler_local" in case:
                assert v.local_parts == case["rattler_local"]
        else:
            with pytest.raises(InvalidVersion):
                Version(case["version"])


def test_startswith(order):
    for case in order["startswith"]:
        assert Version(case["version"]).startswith(case["prefix"]) is case["expected"], case


def test_compatible_with(order):
    for case in order["libmamba_compatible_with"]["cases"]:
        got = Version(case["newer"]).compatible_with(case["older"], case["level"])
        assert got is case["expected"], case


def test_to_string(order):
    for case in order["to_string"]:
        assert str(Version(case["version"])) == case["conda_str"], case


def test_star_versions_parse(order):
    for text in order["libmamba_star_versions"]["valid"]:
        assert any("*" in seg for seg in Version(text).parts), text
    assert Version("*") < Version("0dev") < Version("0")


def test_parse_corpus(shared_data):
    corpus = _load(shared_data / "vectors" / "version_parse_corpus.json")
    cases = corpus["cases"]
    assert len(cases) == 28530
    mismatches = [(s, want) for s, want in cases if str(Version(s).parts) != want]
    assert mismatches == []


def test_caching_hashing_pickling():
    a = Version("1.2.3")
    assert Version("1.2.3") is a and Version(a) is a
    assert {Version("1.0"), Version("1.0.0"), Version("1")} == {a.__class__("1")}
    assert pickle.loads(pickle.dumps(Version("1!2.0+abc"))) == Version("1!2.0+abc")
    assert sorted(["1.10", "1.9", "1.9.1", "1.10a"], key=Version) == ["1.9", "1.9.1", "1.10a", "1.10"]
    assert Version(" 1.0-1 ").parts == [[0], [1], [0], [1]] and str(Version("1.0-1")) == "1.0_1"


def test_non_string_rejected():
    with pytest.raises(InvalidVersion):
        Version(1.2)  # type: ignore[arg-type]
