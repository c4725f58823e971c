"""`naja.repodata.channel_index`: repodata.json, .zst and CEP-16 shards, compared with rattler's indexer."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import msgspec
import pytest

from naja import _zstd
from naja.errors import PackageError
from naja.package.info import read_index_json
from naja.repodata.channel_index import CACHE_FILE, index_channel
from tests.support.packages import make_channel, make_package

rattler = pytest.importorskip("rattler")


def _zstd_load(path: Path) -> bytes:
    return _zstd.decompress(path.read_bytes())


def _real_channel(shared_data: Path, root: Path) -> Path:
    """Every real archive naja can read, placed in the subdir its index.json names."""
    for archive in sorted((shared_data / "packages").rglob("*")):
        if not archive.name.endswith((".conda", ".tar.bz2")) or archive.name.startswith("ca-certificates"):
            continue
        subdir = read_index_json(archive).get("subdir") or "noarch"
        (root / subdir).mkdir(parents=True, exist_ok=True)
        shutil.copy2(archive, root / subdir / archive.name)
    return root


def test_index_matches_rattler_on_real_packages(shared_data, tmp_path):
    ours = _real_channel(shared_data, tmp_path / "ours")
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs)
    written = index_channel(ours)
    asyncio.run(rattler.index.index_fs(theirs))
    assert sorted(p.parent.name for p in written) == ["linux-64", "noarch", "osx-64", "win-64"]
    compared = 0
    for subdir in ("linux-64", "noarch", "osx-64", "win-64"):
        mine = json.loads((ours / subdir / "repodata.json").read_bytes())
        ref = json.loads((theirs / subdir / "repodata.json").read_bytes())
        assert mine["info"]["subdir"] == subdir
        assert mine["repodata_version"] == 1
        for key in ("packages", "packages.conda"):
            assert sorted(mine[key]) == sorted(ref[key]), (subdir, key)
            for fn, record in mine[key].items():
                expected = dict(ref[key][fn])
                expected.pop("indexed_timestamp", None)
                got = dict(record)
                if key == "packages":  # rattler does not read run_exports.json from .tar.bz2
                    got.pop("run_exports", None)
                # rattler re-renders match specs ("a>=2" → "a >=2"); naja keeps index.json's text
                for field in ("depends", "constrains"):
                    if field in got:
                        assert [s.replace(" ", "") for s in got.pop(field)] == [
                            s.replace(" ", "") for s in expected.pop(field)
                        ], (fn, field)
                if expected.get("subdir") == "unknown":  # index.json without subdir: naja uses the directory
                    assert got["subdir"] == subdir
                    expected["subdir"] = subdir
                assert got == expected, fn
                compared += 1
    assert compared >= 65


def test_repodata_zst_and_shards_are_consistent(tmp_path):
    channel = make_channel(
        tmp_path / "ch",
        [
            {"name": "a", "version": "1.0", "depends": ["b >=2"]},
            {"name": "a", "version": "1.0", "fmt": ".tar.bz2"},
            {"name": "b", "version": "2.0", "build": "h1_0"},
            {"name": "c", "version": "0.1", "noarch": "generic"},
        ],
    )
    for subdir, names in (("linux-64", {"a", "b"}), ("noarch", {"c"})):
        path = channel / subdir
        raw = (path / "repodata.json").read_bytes()
        assert _zstd_load(path / "repodata.json.zst") == raw
        repodata = json.loads(raw)
        index = msgspec.msgpack.decode(_zstd_load(path / "repodata_shards.msgpack.zst"))
        assert index["version"] == 1
        assert index["info"]["subdir"] == subdir
        assert index["info"]["shards_base_url"] == "./shards/"
        assert set(index["shards"]) == names
        on_disk = {p.name for p in (path / "shards").iterdir()}
        assert on_disk == {f"{d.hex()}.msgpack.zst" for d in index["shards"].values()}
        for name, digest in index["shards"].items():
            blob = (path / "shards" / f"{digest.hex()}.msgpack.zst").read_bytes()
            assert hashlib.sha256(blob).digest() == digest
            shard = msgspec.msgpack.decode(_zstd.decompress(blob))
            assert shard["removed"] == []
            for key in ("packages", "packages.conda"):
                expected = {fn: r for fn, r in repodata[key].items() if r["name"] == name}
                assert set(shard[key]) == set(expected)
                for fn, record in shard[key].items():
                    assert isinstance(record["sha256"], bytes) and isinstance(record["md5"], bytes)
                    assert record["sha256"].hex() == expected[fn]["sha256"]
                    assert record["md5"].hex() == expected[fn]["md5"]
                    assert {k: v for k, v in record.items() if k not in ("md5", "sha256")} == {
                        k: v for k, v in expected[fn].items() if k not in ("md5", "sha256")
                    }


def test_records_carry_checksums_of_the_archive(tmp_path):
    pkg = make_package(tmp_path / "ch" / "linux-64", "x", "1", files={"share/x": "hello"})
    index_channel(tmp_path / "ch")
    record = json.loads((tmp_path / "ch" / "linux-64" / "repodata.json").read_bytes())["packages.conda"][pkg.name]
    data = pkg.read_bytes()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["md5"] == hashlib.md5(data).hexdigest()
    assert record["size"] == len(data)
    assert record["name"] == "x" and record["subdir"] == "linux-64"


def test_noarch_always_written(tmp_path):
    (tmp_path / "ch" / "linux-64").mkdir(parents=True)
    make_package(tmp_path / "ch" / "linux-64", "only", "1")
    index_channel(tmp_path / "ch", shards=False, zst=False)
    noarch = json.loads((tmp_path / "ch" / "noarch" / "repodata.json").read_bytes())
    assert noarch["packages"] == {} and noarch["packages.conda"] == {}
    assert noarch["info"]["subdir"] == "noarch"
    assert not (tmp_path / "ch" / "linux-64" / "repodata.json.zst").exists()
    assert not (tmp_path / "ch" / "linux-64" / "repodata_shards.msgpack.zst").exists()


def test_subdirs_argument_limits_indexing(tmp_path):
    make_package(tmp_path / "ch" / "linux-64", "l", "1")
    make_package(tmp_path / "ch" / "osx-64", "o", "1", subdir="osx-64")
    written = index_channel(tmp_path / "ch", subdirs=["osx-64"])
    assert sorted(p.parent.name for p in written) == ["noarch", "osx-64"]
    assert not (tmp_path / "ch" / "linux-64" / "repodata.json").exists()


def test_incremental_reuses_unchanged_and_drops_removed(tmp_path):
    root = tmp_path / "ch"
    a = make_package(root / "linux-64", "a", "1")
    b = make_package(root / "linux-64", "b", "1")
    index_channel(root)
    cache_path = root / "linux-64" / CACHE_FILE
    cache = json.loads(cache_path.read_bytes())
    # Mark a's cached record: an incremental run must reuse it rather than re-read the archive.
    cache["entries"][a.name]["record"]["marker"] = "from-cache"
    cache_path.write_text(json.dumps(cache))
    index_channel(root)
    records = json.loads((root / "linux-64" / "repodata.json").read_bytes())["packages.conda"]
    assert records[a.name]["marker"] == "from-cache"
    # A changed archive (new mtime) is re-read; a removed one disappears with its shard.
    st = a.stat()
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    b.unlink()
    index_channel(root)
    repodata = json.loads((root / "linux-64" / "repodata.json").read_bytes())
    assert "marker" not in repodata["packages.conda"][a.name]
    assert b.name not in repodata["packages.conda"]
    index = msgspec.msgpack.decode(_zstd_load(root / "linux-64" / "repodata_shards.msgpack.zst"))
    assert set(index["shards"]) == {"a"}
    assert len(list((root / "linux-64" / "shards").iterdir())) == 1
    # force ignores the cache entirely
    cache = json.loads(cache_path.read_bytes())
    cache["entries"][a.name]["record"]["marker"] = "stale"
    cache_path.write_text(json.dumps(cache))
    index_channel(root, force=True)
    assert "marker" not in json.loads((root / "linux-64" / "repodata.json").read_bytes())["packages.conda"][a.name]


def test_corrupt_archive_is_skipped_or_raised(tmp_path, caplog):
    root = tmp_path / "ch"
    make_package(root / "linux-64", "good", "1")
    (root / "linux-64" / "broken-1-0.conda").write_bytes(b"PK\x03\x04garbage")
    with caplog.at_level(logging.WARNING, logger="naja.repodata.channel_index"):
        index_channel(root)
    assert "broken-1-0.conda" in caplog.text
    records = json.loads((root / "linux-64" / "repodata.json").read_bytes())["packages.conda"]
    assert list(records) == ["good-1-0.conda"]
    with pytest.raises(PackageError, match=r"broken-1-0\.conda"):
        index_channel(root, on_error="raise", force=True)
    with pytest.raises(PackageError, match="does not exist"):
        index_channel(tmp_path / "nope")


def test_make_channel_is_solvable_by_rattler(tmp_path):
    root = make_channel(
        tmp_path / "ch",
        [
            {"name": "app", "version": "1.0", "depends": ["lib >=2", "helper"]},
            {"name": "app", "version": "2.0", "depends": ["lib >=3"], "constrains": ["helper <0"]},
            {"name": "lib", "version": "2.5"},
            {"name": "lib", "version": "3.1", "fmt": ".tar.bz2"},
            {"name": "helper", "version": "0.3", "noarch": "generic"},
            {"name": "feat", "version": "1", "track_features": "special"},
        ],
    )
    channel = rattler.Channel(str(root))
    sparse = [
        rattler.SparseRepoData(channel, subdir, root / subdir / "repodata.json") for subdir in ("linux-64", "noarch")
    ]
    solved = asyncio.run(rattler.solve_with_sparse_repodata(["app", "helper"], sparse_repodata=sparse))
    got = {r.name.normalized: str(r.version) for r in solved}
    assert got == {"app": "1.0", "lib": "3.1", "helper": "0.3"}
    solved = asyncio.run(rattler.solve_with_sparse_repodata(["app"], sparse_repodata=sparse))
    assert {r.name.normalized: str(r.version) for r in solved} == {"app": "2.0", "lib": "3.1"}
    lib = next(r for r in solved if r.name.normalized == "lib")
    assert lib.file_name == "lib-3.1-0.tar.bz2"
    feat = json.loads((root / "linux-64" / "repodata.json").read_bytes())["packages.conda"]["feat-1-0.conda"]
    assert feat["track_features"] == "special"


def test_rattler_reads_our_shards_over_http(tmp_path, serve):
    """With the monolithic repodata removed, rattler's sharded client must find everything via shards."""
    root = make_channel(
        tmp_path / "ch",
        [
            {"name": "app", "version": "1", "depends": ["lib"]},
            {"name": "lib", "version": "2"},
            {"name": "lib", "version": "3", "noarch": "generic"},
            {"name": "unrelated", "version": "1"},
        ],
    )
    for subdir in ("linux-64", "noarch"):
        for name in ("repodata.json", "repodata.json.zst"):
            (root / subdir / name).unlink()
    server = serve(root)
    gateway = rattler.Gateway(
        cache_dir=tmp_path / "rattler-cache", default_config=rattler.SourceConfig(sharded_enabled=True)
    )
    result = asyncio.run(gateway.query([rattler.Channel(server.url)], ["linux-64", "noarch"], ["app"]))
    names = sorted(str(r.file_name) for sub in result for r in sub)
    assert names == ["app-1-0.conda", "lib-2-0.conda", "lib-3-0.conda"]
    fetched = [path for _, path, _ in server.requests]
    assert "/linux-64/repodata_shards.msgpack.zst" in fetched
    assert any(p.startswith("/linux-64/shards/") for p in fetched)
