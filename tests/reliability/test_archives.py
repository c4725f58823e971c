"""Hostile packages at LINK time (extraction-time hostility is covered by test_package_streaming.py).

Every package here is a real archive served from a real channel, fetched, verified and extracted by
the package cache, then handed to a transaction. Each hostile one must be refused with a one-line
``NajaError`` naming the package, with nothing written outside the prefix, and the prefix exactly as
it was (files and conda-meta).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from naja import _zstd
from naja.errors import NajaError, PackageError
from naja.install.journal import JOURNAL
from naja.install.prefix import Prefix
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from tests.support.packages import make_channel
from tests.support.txn import channel_records, tree


def _paths_json(entries: list[dict]) -> str:
    return json.dumps({"paths": entries, "paths_version": 1})


def _hl(path: str, data: bytes = b"x") -> dict:
    import hashlib

    return {"_path": path, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data)}


PYTHON = dict(name="python", version="3.11.0", files={"bin/python3.11": "#!/bin/sh\n"})

# name -> (make_package kwargs of the hostile package, text the error must contain)
HOSTILE: dict[str, tuple[dict, str]] = {
    "dotdot": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl("../x")])}),
               "outside the prefix"),
    "deep-dotdot": (dict(files={"share/x": "x"},
                         info_files={"paths.json": _paths_json([_hl("share/../../../x")])}), "outside the prefix"),
    "absolute": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl("/tmp/naja-abs-x")])}),
                 "outside the prefix"),
    "prefix-itself": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl("share/..")])}),
                      "refusing path"),
    "dot": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl(".")])}), "refusing path"),
    "empty": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl("")])}), "refusing path"),
    "conda-meta-record": (dict(files={"conda-meta/base-1-0.json": "{}"}), "conda-meta"),
    "journal": (dict(files={"share/x": "x"},
                     info_files={"paths.json": _paths_json([_hl(f"share/../conda-meta/{JOURNAL}")])}),
                "conda-meta"),
    "noarch-site-escape": (dict(noarch="python", depends=["python"], files={"site-packages/ok.py": "x=1\n"},
                                info_files={"paths.json": _paths_json([_hl("site-packages/../../../../x")])}),
                           "outside the prefix"),
    "noarch-scripts-meta": (dict(noarch="python", depends=["python"], files={"site-packages/ok.py": "x=1\n"},
                                 info_files={"paths.json": _paths_json([_hl("python-scripts/../conda-meta/h")])}),
                            "conda-meta"),
    "entry-point-slash": (dict(noarch="python", depends=["python"], files={"site-packages/m.py": "def f(): 0\n"},
                               entry_points=["../../evil = m:f"]), "invalid entry point"),
    "entry-point-abs": (dict(noarch="python", depends=["python"], files={"site-packages/m.py": "def f(): 0\n"},
                             entry_points=["/tmp/naja-evil = m:f"]), "invalid entry point"),
    "entry-point-code": (dict(noarch="python", depends=["python"], files={"site-packages/m.py": "def f(): 0\n"},
                              entry_points=["ok = os;import os:system"]), "invalid entry point"),
    # info/paths.json replaced inside the archive after it was built (create_conda would refuse them)
    "paths-json-not-object": (dict(files={"share/x": "x"}, raw_paths_json=b"[1, 2]"), "paths.json"),
    "paths-entry-not-object": (dict(files={"share/x": "x"}, raw_paths_json=b'{"paths": ["a"]}'), "paths.json"),
    "paths-entry-no-path": (dict(files={"share/x": "x"}, raw_paths_json=b'{"paths": [{"path_type": "hardlink"}]}'),
                            "paths.json"),
    "paths-entry-int-path": (dict(files={"share/x": "x"}, raw_paths_json=b'{"paths": [{"_path": 7}]}'), "paths.json"),
    "paths-not-utf8": (dict(files={"share/x": "x"}, raw_paths_json=b'{"paths": [{"_path": "\xff"}]}'),
                       "paths.json"),
    "paths-not-json": (dict(files={"share/x": "x"}, raw_paths_json=b'{"paths": [{"_path'), "paths.json"),
    "missing-file": (dict(files={"share/x": "x"}, info_files={"paths.json": _paths_json([_hl("share/nothere")])}),
                     "missing"),
}


def _setup(tmp_path: Path, hostile: dict) -> tuple[Path, Path, dict, list]:
    """A channel with ``base`` (installed first) and the hostile package ``evil``; returns the prefix,
    the package cache dir, the records and the hostile install's solution."""
    hostile = dict(hostile)
    raw = hostile.pop("raw_paths_json", None)
    packages = [dict(name="base", version="1", files={"share/base.txt": "base"}), PYTHON,
                dict(name="evil", version="1", **hostile)]
    root = make_channel(tmp_path / "channel", packages)
    if raw is not None:
        _replace_info_member(root / hostile.get("subdir", "linux-64") / "evil-1-0.conda", "info/paths.json", raw)
        _index_channel(root)
    recs = {r.name: r for r in channel_records(root, root.as_uri()).values()}
    prefix = tmp_path / "work" / "env"
    pkgs = tmp_path / "work" / "pkgs"
    Transaction.from_solution(prefix, [recs["base"], recs["python"]], ["base"]).execute(PackageCache([pkgs]))
    return prefix, pkgs, recs, [recs["base"], recs["python"], recs["evil"]]


def _replace_info_member(archive: Path, name: str, data: bytes) -> None:
    """Rewrite one member of a .conda's info tar (a hostile channel can serve anything)."""
    with zipfile.ZipFile(archive) as zf:
        members = {zi.filename: zf.read(zi) for zi in zf.infolist()}
    info_name = next(n for n in members if n.startswith("info-"))
    raw = _zstd.decompress(members[info_name])
    with tarfile.open(fileobj=io.BytesIO(raw)) as src:
        out = [(ti.name, data if ti.name == name else src.extractfile(ti).read()) for ti in src.getmembers()]
    members[info_name] = _zstd.compress(_tar(out))
    with zipfile.ZipFile(archive, "w") as zf:
        for n, blob in members.items():
            zf.writestr(n, blob)


def _snapshot(prefix: Path) -> dict:
    snap = tree(prefix, skip=())
    snap.pop("conda-meta/naja.lock", None)
    return snap


def _outside(tmp_path: Path) -> set[str]:
    """Everything under tmp_path except the prefix and the package cache (which may gain entries)."""
    out = set()
    for p in tmp_path.rglob("*"):
        rel = p.relative_to(tmp_path).as_posix()
        if rel.startswith(("work/env", "work/pkgs", "channel")):
            continue
        out.add(rel)
    return out


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_paths_are_refused_at_link_time(case, tmp_path):
    kwargs, why = HOSTILE[case]
    prefix, pkgs, _recs, solution = _setup(tmp_path, kwargs)
    before, outside_before = _snapshot(prefix), _outside(tmp_path)
    with pytest.raises(NajaError) as info:
        Transaction.from_solution(prefix, solution, ["evil"]).execute(PackageCache([pkgs]))
    message = str(info.value)
    assert why.lower() in message.lower(), message
    assert "evil-1-0" in message and "\n" not in message
    assert _snapshot(prefix) == before, "the prefix changed"
    assert _outside(tmp_path) == outside_before, "something was written outside the prefix"
    assert not Path("/tmp/naja-abs-x").exists() and not Path("/tmp/naja-evil").exists()
    assert sorted(r.name for r in Prefix(prefix).installed()) == ["base", "python"]


def test_symlink_chain_escaping_the_prefix_at_link_time(tmp_path):
    """Two packages whose symlinks are each harmless in their own extraction directory but combine in
    the prefix into a path outside it; writing through that path must be refused."""
    packages = [
        # a/b/d -> ../.. resolves to the package root: fine on its own
        dict(name="up", version="1", files={"share/up.txt": "u"}, symlinks={"a/b/d": "../.."}),
        # a/b/d/e/l -> ../../.. is 'a' lexically; but once a/b/d is the prefix root, l sits at <prefix>/e
        # and points two levels above the prefix; a/b/d/e/l/f/pwned then lands outside.
        dict(name="mid", version="1", depends=["up"], files={"share/mid.txt": "m"},
             symlinks={"a/b/d/e/l": "../../.."}),
        dict(name="evil", version="1", depends=["mid"], files={"a/b/d/e/l/f/pwned": "pwned"}),
    ]
    root = make_channel(tmp_path / "channel", packages)
    recs = {r.name: r for r in channel_records(root, root.as_uri()).values()}
    prefix = tmp_path / "x" / "y" / "env"
    pkgs = tmp_path / "pkgs"
    outside_before = {p for p in tmp_path.rglob("*") if "env" not in p.parts and "pkgs" not in p.parts}
    outside_before |= {tmp_path / "x", tmp_path / "x" / "y"}  # the prefix's parents are made for it
    with pytest.raises(NajaError, match="outside the prefix") as info:
        Transaction.from_solution(prefix, list(recs.values()), ["evil"]).execute(PackageCache([pkgs]))
    assert "\n" not in str(info.value)
    outside_after = {p for p in tmp_path.rglob("*") if "env" not in p.parts and "pkgs" not in p.parts}
    assert outside_after == outside_before, sorted(map(str, outside_after - outside_before))
    assert not list(tmp_path.rglob("pwned")) or all("pkgs" in p.parts for p in tmp_path.rglob("pwned"))
    assert not (prefix / "conda-meta").exists() or Prefix(prefix).installed() == []


def test_write_through_a_symlink_that_later_points_outside(tmp_path):
    """``e/l -> x/../..`` is inside when created (x does not exist yet); a later package adds
    ``e/x -> ..`` (inside too), after which e/l leaves the prefix: writing e/l/f/pwned is refused."""
    packages = [
        dict(name="one", version="1", files={"share/1": "1"}, symlinks={"e/l": "x/../.."}),
        dict(name="two", version="1", depends=["one"], files={"share/2": "2"}, symlinks={"e/x": ".."}),
        dict(name="three", version="1", depends=["two"], files={"e/l/f/pwned": "pwned"}),
    ]
    root = make_channel(tmp_path / "channel", packages)
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "x" / "env"
    with pytest.raises(NajaError, match="outside the prefix"):
        Transaction.from_solution(prefix, list(recs.values()), ["three"]).execute(PackageCache([tmp_path / "pkgs"]))
    assert [p for p in tmp_path.rglob("pwned") if "pkgs" not in p.parts] == []
    assert not (tmp_path / "f").exists() and not (tmp_path / "x" / "f").exists()


def test_symlink_target_outside_the_prefix_at_link_time(tmp_path):
    """A symlink whose target is lexically inside but leaves the prefix through an earlier symlink."""
    packages = [
        dict(name="up", version="1", files={"share/up.txt": "u"}, symlinks={"a/b/d": "../.."}),
        dict(name="evil", version="1", depends=["up"], files={"share/evil.txt": "k"},
             symlinks={"a/b/d/e/l": "../../.."}),
    ]
    root = make_channel(tmp_path / "channel", packages)
    recs = {r.name: r for r in channel_records(root, root.as_uri()).values()}
    prefix = tmp_path / "x" / "y" / "env"
    with pytest.raises(NajaError, match="outside the prefix"):
        Transaction.from_solution(prefix, [recs["up"], recs["evil"]], ["evil"]).execute(
            PackageCache([tmp_path / "pkgs"]))
    for dirpath, dirnames, filenames in os.walk(tmp_path / "x"):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                real = os.path.realpath(full)
                assert real.startswith(str(prefix.resolve())), f"{full} -> {real}"


# -------------------------------------------------------------------------- archive-level hostility


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _index_channel(root: Path) -> None:
    from naja.repodata.channel_index import index_channel

    index_channel(root, shards=False)


def test_conda_with_mismatched_inner_names_installs_only_what_the_record_verifies(tmp_path):
    """Inner tar names need not match the file name (as rattler/conda-package-streaming): identity is
    the verified sha256, so a swapped-in archive under the same name is refused and nothing lands."""
    root = make_channel(tmp_path / "channel", [dict(name="good", version="1", files={"share/g": "good"})])
    rec = next(iter(channel_records(root, root.as_uri()).values()))
    archive = root / "linux-64" / "good-1-0.conda"
    # replace the archive by one whose members are named for another package and carry other files
    index = json.dumps({"name": "good", "version": "1", "build": "0", "subdir": "linux-64"}).encode()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-other-9-9.tar.zst", _zstd.compress(_tar([("info/index.json", index)])))
        zf.writestr("pkg-other-9-9.tar.zst", _zstd.compress(_tar([("share/g", b"evil")])))
    prefix, pkgs = tmp_path / "env", tmp_path / "pkgs"
    with pytest.raises(NajaError, match="does not match the record") as info:
        Transaction.from_solution(prefix, [rec], ["good"]).execute(PackageCache([pkgs]))
    assert "good" in str(info.value) and "\n" not in str(info.value)
    assert not prefix.exists()
    assert not (pkgs / "good-1-0").exists() and not (pkgs / "good-1-0.conda").exists()
    assert not [p for p in pkgs.iterdir() if p.name.endswith(".partial") or "naja-extract" in p.name]


def test_hostile_archive_with_valid_checksum_leaves_no_cache_entry(tmp_path):
    """The record's checksum matches (the channel itself is hostile): extraction refuses the archive,
    the cache holds no entry for it, the prefix is untouched, nothing escapes."""
    root = tmp_path / "channel"
    (root / "linux-64").mkdir(parents=True)
    (root / "noarch").mkdir()
    index = json.dumps({"name": "bomb", "version": "1", "build": "0", "subdir": "linux-64"}).encode()
    paths = _paths_json([_hl("lib/big", b"x" * 10)]).encode()
    with zipfile.ZipFile(root / "linux-64" / "bomb-1-0.conda", "w") as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-bomb-1-0.tar.zst", _zstd.compress(_tar([("info/index.json", index),
                                                                  ("info/paths.json", paths)])))
        zf.writestr("pkg-bomb-1-0.tar.zst", _zstd.compress(_tar([("lib/big", b"\0" * (24 << 20))])))
    _index_channel(root)
    rec = next(iter(channel_records(root, root.as_uri()).values()))
    prefix, pkgs = tmp_path / "env", tmp_path / "pkgs"
    with pytest.raises(PackageError, match="expands beyond") as info:
        Transaction.from_solution(prefix, [rec], ["bomb"]).execute(PackageCache([pkgs]))
    assert "\n" not in str(info.value)
    assert not prefix.exists()
    assert not (pkgs / "bomb-1-0").exists()
    assert not [p for p in pkgs.iterdir() if "naja-extract" in p.name]


WEIRD_FIELDS = {
    "size-string": {"size_in_bytes": "12"},
    "size-huge": {"size_in_bytes": 2**62},
    "size-negative": {"size_in_bytes": -5},
    "size-float": {"size_in_bytes": 1.5},
    "sha-int": {"sha256": 1234},
    "path-type-unknown": {"path_type": "weird"},
    "path-type-int": {"path_type": 7},
    "file-mode-bogus": {"file_mode": "bogus", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3"},
    "placeholder-int": {"prefix_placeholder": 5},
    "no-link-string": {"no_link": "yes"},
}


@pytest.mark.parametrize("case", sorted(WEIRD_FIELDS))
def test_odd_field_types_in_paths_json(case, tmp_path):
    """Odd values in paths.json are either installed with a prefix that stays readable, or refused with
    one line; never a crash, never a conda-meta record naja (or conda) cannot read back."""
    entry = {**_hl("share/x", b"x"), **WEIRD_FIELDS[case]}
    prefix, pkgs, _recs, solution = _setup(tmp_path, dict(files={"share/x": "x"},
                                                          raw_paths_json=_paths_json([entry]).encode()))
    before = _snapshot(prefix)
    try:
        Transaction.from_solution(prefix, solution, ["evil"]).execute(PackageCache([pkgs]))
    except NajaError as exc:
        assert "\n" not in str(exc) and "evil" in str(exc)
        assert _snapshot(prefix) == before
        return
    records = {r.name: r for r in Prefix(prefix).installed()}  # every record still decodes
    assert set(records) == {"base", "python", "evil"}
    assert (prefix / "share" / "x").read_bytes() == b"x"
    for pd in records["evil"].paths_data.paths:
        assert pd.size_in_bytes is None or isinstance(pd.size_in_bytes, int)
        assert pd.sha256 is None or isinstance(pd.sha256, str)


@pytest.mark.parametrize("field,value", [("fn", "../../escape-1-0.conda"), ("fn", "sub/a-1-0.conda"),
                                         ("build", "0/../../../../ESCAPE"), ("version", "1/.."),
                                         ("name", "../a")])
def test_records_naming_paths_are_refused(field, value, tmp_path):
    """A hostile channel's record whose file name, name, version or build holds a path: the cache
    entry, the download and conda-meta/<dist>.json must not be written through it."""
    import msgspec

    root = make_channel(tmp_path / "channel", [dict(name="a", version="1", files={"share/a": "a"})])
    rec = next(iter(channel_records(root, root.as_uri()).values()))
    if field == "fn":
        (root / "linux-64" / value).parent.mkdir(parents=True, exist_ok=True)
        bad = msgspec.structs.replace(rec, fn=value, url=f"{root.as_uri()}/linux-64/a-1-0.conda")
    else:
        bad = msgspec.structs.replace(rec, **{field: value})
    work = tmp_path / "d1" / "d2" / "d3"
    with pytest.raises(NajaError) as info:
        Transaction.from_solution(work / "env", [bad], ["a"]).execute(PackageCache([work / "pkgs"]))
    assert "\n" not in str(info.value)
    assert [p for p in tmp_path.rglob("*") if "ESCAPE" in p.name or p.name.startswith("escape")] == []
    assert not (tmp_path / "d1" / "a-1-0.conda").exists() and not (work / "a-1-0.conda").exists()
    assert not (work / "env" / "conda-meta").exists() or not list((work / "env" / "conda-meta").glob("*.json"))
