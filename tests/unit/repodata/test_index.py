"""The per-name local index: exactly the records a full decode gives, in any JSON layout."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import msgspec
import pytest

from naja.repodata import load_records, load_subdir_records
from naja.repodata import local_index as li
from tests.unit.repodata.test_fetch import cfg, fn_of, names, rec, write_subdir


def reference(data: dict) -> dict[str, set[str]]:
    """name -> file names, by brute force: removed dropped, .conda preferred."""
    removed = set(data.get("removed", []))
    conda = data.get("packages.conda", {})
    out: dict[str, set[str]] = {}
    for section in ("packages", "packages.conda"):
        for fn, r in data.get(section, {}).items():
            if fn in removed or (fn.endswith(".tar.bz2") and fn[:-8] + ".conda" in conda):
                continue
            out.setdefault(r["name"], set()).add(fn)
    return out


def index_of(raw: bytes, tmp_path: Path) -> li.LocalIndex:
    path = tmp_path / "repodata.json"
    path.write_bytes(raw)
    header = li.build(raw, li.source_key(path))
    li.write(header, tmp_path / "x.naja-index")
    again = li.read_header(tmp_path / "x.naja-index", li.source_key(path))
    assert again is not None and again.spans == header.spans
    return li.LocalIndex.open(path, again)


def check_against_reference(data: dict, raw: bytes, tmp_path: Path) -> None:
    idx = index_of(raw, tmp_path)
    expected = reference(data)
    assert set(idx.names()) == set(expected)
    for name, fns in expected.items():
        got = idx.records(name)
        assert {fn for fn, _ in got} == fns, name
        assert all(r.name == name for _, r in got)
    sample = next(iter(data.get("packages") or data.get("packages.conda")))
    got = dict(p for n in idx.names() for p in idx.records(n))
    section = "packages" if sample in data.get("packages", {}) else "packages.conda"
    original = data[section][sample]
    if sample in got:
        assert got[sample].version == original["version"] and got[sample].depends == original.get("depends", [])


@pytest.mark.parametrize("zero_copy", [True, False])
@pytest.mark.parametrize("layout", ["compact-sorted", "indented", "shuffled"])
def test_index_matches_full_decode_on_real_repodata(shared_data, tmp_path, monkeypatch, layout, zero_copy):
    if not zero_copy:  # the portable path: offsets from value and key lengths
        monkeypatch.setattr(li, "_zero_copy_base", lambda *a: None)
        monkeypatch.setattr(li, "_zero_copy_works", lambda: False)
    else:
        raws = list(msgspec.json.decode(b'{"a":{"x":1},"b":{"y":2}}', type=dict[str, msgspec.Raw]).values())
        assert li._zero_copy_base(b'{"a":{"x":1},"b":{"y":2}}', raws, 5) is not None
    data = json.loads((shared_data / "repodata" / "r" / "linux-64" / "repodata.json").read_bytes())
    pkgs = list(data["packages"].items())
    # exercise .conda preference and removed on real records
    data["packages.conda"] = {fn[:-8] + ".conda": r for fn, r in pkgs[::7]}
    data["removed"] = [fn for fn, _ in pkgs[3::50]]
    if layout == "shuffled":
        random.Random(1).shuffle(pkgs)
        data["packages"] = dict(pkgs)
        raw = json.dumps(data).encode()
    elif layout == "indented":
        raw = json.dumps(data, indent=2, sort_keys=True).encode()
    else:
        raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    check_against_reference(data, raw, tmp_path)


def test_index_handles_tricky_names(tmp_path):
    recs = [rec("foo", "1.0"), rec("foo", "2.0"), rec("foo-bar", "1.0"), rec("foo", "abc"),
            rec("foo-bar-baz", "0.1"), rec("x", "1"), rec("foo", "zz9"), rec("ünï", "1.0"),
            rec("foo", "3.0", build="py_0")]
    data = {"info": {"subdir": "linux-64"}, "packages": {fn_of(r): r for r in recs},
            "packages.conda": {fn_of(r, ".conda"): r for r in recs[:3]}}
    for raw in (json.dumps(data, sort_keys=True).encode(), json.dumps(data, sort_keys=True, ensure_ascii=False).encode(),
                json.dumps(data, indent=1).encode()):
        check_against_reference(data, raw, tmp_path)


def test_identical_records_in_both_sections_in_any_order(tmp_path):
    recs = [rec("a", "1.0"), rec("a", "2.0"), rec("b", "1.0"), rec("c", "1.0")]
    tars = {fn_of(r): r for r in recs}
    condas = {fn_of(r, ".conda"): r for r in recs[:2]}
    for order in (("packages", "packages.conda"), ("packages.conda", "packages")):
        sections = {"packages": tars, "packages.conda": condas}
        data = {"info": {"subdir": "linux-64"}, **{k: sections[k] for k in order}}
        check_against_reference(data, json.dumps(data, separators=(",", ":")).encode(), tmp_path)
        idx = index_of(json.dumps(data).encode(), tmp_path)
        assert sorted(fn for n in idx.names() for fn, _ in idx.records(n)) == [
            "a-1.0-0.conda", "a-2.0-0.conda", "b-1.0-0.tar.bz2", "c-1.0-0.tar.bz2"]


def test_index_is_rebuilt_when_repodata_changes(tmp_path):
    root = tmp_path / "chan"
    write_subdir(root, "linux-64", [rec("a", "1.0")])
    config = cfg(tmp_path)
    assert [r.version for r in load_records([root.as_uri()], "linux-64", ["a"], options=config)] == ["1.0"]
    write_subdir(root, "linux-64", [rec("a", "1.0"), rec("a", "2.0"), rec("a", "3.0")])
    assert sorted(r.version for r in load_records([root.as_uri()], "linux-64", ["a"], options=config)) == [
        "1.0", "2.0", "3.0"]


def test_records_are_complete_and_follow_cep15_base_url(tmp_path):
    root = tmp_path / "chan"
    write_subdir(root, "linux-64", [rec("a", "1.0", depends=["b"])], conda_records=[rec("a", "1.0", depends=["b"]), rec("b", "1.0")],
                 info={"base_url": "https://mirror.example/pkgs/linux-64/"}, repodata_version=2)
    records = load_records([root.as_uri()], "linux-64", ["a"], options=cfg(tmp_path))
    by_fn = {r.fn: r for r in records}
    # a-1.0-0 is in both sections: only the .conda is kept
    assert set(by_fn) == {"a-1.0-0.conda", "b-1.0-0.conda"}
    assert by_fn["a-1.0-0.conda"].url == "https://mirror.example/pkgs/linux-64/a-1.0-0.conda"
    assert by_fn["a-1.0-0.conda"].channel == root.as_uri() and by_fn["a-1.0-0.conda"].subdir == "linux-64"
    # relative base_url is relative to the subdir
    write_subdir(root, "linux-64", [rec("a")], info={"base_url": "../../files/"}, repodata_version=2)
    (r,) = load_records([root.as_uri()], "linux-64", ["a"], options=cfg(tmp_path))
    assert r.url == f"{(tmp_path / 'files').as_uri()}/a-1.0-0.tar.bz2"
    # without repodata_version 2, base_url is not applied (CEP 15)
    write_subdir(root, "linux-64", [rec("a", "2.0")], info={"base_url": "https://elsewhere.example/"})
    (r,) = load_records([root.as_uri()], "linux-64", ["a"], options=cfg(tmp_path))
    assert r.url == f"{root.as_uri()}/linux-64/a-2.0-0.tar.bz2"


def test_reachability_depends_constrains_virtual_and_priority(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write_subdir(one, "linux-64", [
        rec("top", depends=["mid >=1", "__glibc >=2.17", "py[version='>=3']"], constrains=["opt <2"]),
        rec("mid", depends=["conda-forge::leaf>1", "low=1.0"]),
        rec("unrelated"), rec("leaf"), rec("opt"), rec("low"), rec("py")])
    write_subdir(one, "noarch", [rec("nx", subdir="noarch", depends=["leaf"])])
    write_subdir(two, "linux-64", [rec("top", "9.9"), rec("leaf", "9.9")])
    write_subdir(two, "noarch", [])
    config = cfg(tmp_path)
    records = load_records([one.as_uri(), two.as_uri()], "linux-64", ["top", "nx"], options=config)
    assert names(records) == ["leaf", "low", "mid", "nx", "opt", "py", "top"]
    channels = [r.channel for r in records]
    assert channels == sorted(channels, key=[one.as_uri(), two.as_uri()].index)  # priority order kept
    assert {(r.name, r.version) for r in records if r.channel == two.as_uri()} == {("top", "9.9"), ("leaf", "9.9")}
    flat = load_records([one.as_uri()], "linux-64", ["top"], options=config, recursive=False)
    assert names(flat) == ["top"]
    globbed = load_records([one.as_uri()], "linux-64", ["l*"], options=config, recursive=False)
    assert names(globbed) == ["leaf", "low"]


def test_subdir_listing_and_concurrent_builds(tmp_path):
    root = tmp_path / "chan"
    write_subdir(root, "linux-64", [rec(f"p{i}", f"1.{j}") for i in range(30) for j in range(3)])
    config = cfg(tmp_path)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(len(load_subdir_records(root.as_uri(), "linux-64", options=config)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [90] * 4
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")]


def test_index_header_is_decoded_once_per_process(tmp_path, monkeypatch):
    root = tmp_path / "chan"
    write_subdir(root, "linux-64", [rec("a", "1.0"), rec("b", "1.0")])
    config = cfg(tmp_path)
    load_records([root.as_uri()], "linux-64", ["a"], options=config)  # builds the index
    decodes = []
    real = li._header_decoder

    class Counting:
        def decode(self, buf):
            decodes.append(1)
            return real.decode(buf)

    monkeypatch.setattr(li, "_header_decoder", Counting())
    li._HEADERS.clear()
    for name in ("a", "b", "a"):
        assert [r.name for r in load_records([root.as_uri()], "linux-64", [name], options=config)] == [name]
    assert len(decodes) == 1
    # a changed repodata is never answered from the remembered header
    write_subdir(root, "linux-64", [rec("a", "1.0"), rec("a", "2.0")])
    assert sorted(r.version for r in load_records([root.as_uri()], "linux-64", ["a"], options=config)) == ["1.0", "2.0"]
