"""CEP 16 sharded repodata served over loopback HTTP (shards written here with msgspec + zstd)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import pytest

from naja import _zstd
from naja.errors import ChannelError
from naja.repodata import load_records
from tests.unit.repodata.test_fetch import cfg, fn_of, names, rec


def write_sharded(root: Path, subdir: str, records: list[dict], *, base_url: str = "",
                  shards_base_url: str = "./shards/", conda: bool = True) -> dict[str, str]:
    """Write ``root/subdir`` as CEP 16 shards; returns name -> shard file name."""
    d = root / subdir
    (d / "shards").mkdir(parents=True, exist_ok=True)
    by_name: dict[str, dict] = {}
    for r in records:
        packed = dict(r, md5=bytes.fromhex(r["md5"]), sha256=bytes.fromhex(r["sha256"]))
        shard = by_name.setdefault(r["name"], {"packages": {}, "packages.conda": {}, "removed": []})
        shard["packages.conda" if conda else "packages"][fn_of(r, ".conda" if conda else ".tar.bz2")] = packed
    index: dict[str, bytes] = {}
    files: dict[str, str] = {}
    for name, shard in by_name.items():
        blob = _zstd.compress(msgspec.msgpack.encode(shard))
        digest = hashlib.sha256(blob).digest()
        index[name] = digest
        files[name] = f"{digest.hex()}.msgpack.zst"
        (d / "shards" / files[name]).write_bytes(blob)
    doc = {"version": 1, "info": {"base_url": base_url, "shards_base_url": shards_base_url,
                                  "created_at": "2024-01-01T00:00:00Z", "subdir": subdir}, "shards": index}
    (d / "repodata_shards.msgpack.zst").write_bytes(_zstd.compress(msgspec.msgpack.encode(doc)))
    return files


def sharded_channel(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    arch = write_sharded(root, "linux-64", [
        rec("app", "1.0", depends=["lib >=1", "pyish", "__glibc"]),
        rec("app", "2.0", depends=["lib >=2"], constrains=["extra <3"]),
        rec("lib", "1.0"), rec("lib", "2.0", depends=["deep"]), rec("deep"), rec("extra"),
        rec("unrelated", depends=["lib"]),
    ])
    noarch = write_sharded(root, "noarch", [rec("pyish", subdir="noarch", depends=["deep"]),
                                            rec("other", subdir="noarch")])
    return arch, noarch


def test_sharded_channel_fetches_only_reachable_shards(tmp_path, serve):
    arch, noarch = sharded_channel(tmp_path / "chan")
    server = serve(tmp_path / "chan")
    records = load_records([server.url], "linux-64", ["app"], options=cfg(tmp_path))
    assert names(records) == ["app", "deep", "extra", "lib", "pyish"]
    paths = server.paths_requested()
    assert not any(p.endswith(("repodata.json", "repodata.json.zst")) for p in paths)
    fetched = {p.rsplit("/", 1)[1] for p in paths if "/shards/" in p}
    assert fetched == {arch[n] for n in ("app", "lib", "deep", "extra")} | {noarch["pyish"]}
    assert arch["unrelated"] not in fetched and noarch["other"] not in fetched
    app2 = next(r for r in records if r.name == "app" and r.version == "2.0")
    assert app2.md5 == "0" * 32 and app2.sha256 == "1" * 64
    assert app2.url == f"{server.url}/linux-64/app-2.0-0.conda" and app2.fn == "app-2.0-0.conda"
    assert app2.channel == server.url and app2.constrains == ["extra <3"]
    pyish = next(r for r in records if r.name == "pyish")
    assert pyish.subdir == "noarch" and pyish.url == f"{server.url}/noarch/pyish-1.0-0.conda"


def test_shards_are_cached_by_hash_and_index_revalidated(tmp_path, serve):
    sharded_channel(tmp_path / "chan")
    server = serve(tmp_path / "chan")
    config = cfg(tmp_path)
    first = load_records([server.url], "linux-64", ["app"], options=config)
    server.requests.clear()
    second = load_records([server.url], "linux-64", ["app"], options=config)
    assert sorted(r.fn for r in first) == sorted(r.fn for r in second)
    paths = server.paths_requested()
    assert sorted(paths) == ["/linux-64/repodata_shards.msgpack.zst", "/noarch/repodata_shards.msgpack.zst"]
    assert all(h.get("If-None-Match") for _, p, h in server.requests)
    # offline: nothing requested at all
    server.requests.clear()
    third = load_records([server.url], "linux-64", ["app"], options=config, offline=True)
    assert sorted(r.fn for r in third) == sorted(r.fn for r in first) and server.paths_requested() == []


def test_sharded_base_urls_are_relative_to_the_subdir(tmp_path, serve):
    write_sharded(tmp_path / "chan", "linux-64", [rec("a")], base_url="../../pkgs/", shards_base_url="../shardstore/")
    root = tmp_path / "chan" / "linux-64"
    (tmp_path / "chan" / "shardstore").mkdir()
    for f in (root / "shards").iterdir():
        f.rename(tmp_path / "chan" / "shardstore" / f.name)
    write_sharded(tmp_path / "chan", "noarch", [])
    server = serve(tmp_path / "chan")
    (r,) = load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path))
    assert r.url == f"{server.url}/pkgs/a-1.0-0.conda"
    assert any(p.startswith("/shardstore/") for p in server.paths_requested())


def test_shard_with_wrong_hash_is_rejected(tmp_path, serve):
    files, _ = sharded_channel(tmp_path / "chan")
    shard = tmp_path / "chan" / "linux-64" / "shards" / files["app"]
    shard.write_bytes(_zstd.compress(msgspec.msgpack.encode({"packages": {}})))
    server = serve(tmp_path / "chan")
    with pytest.raises(ChannelError, match="does not match its hash"):
        load_records([server.url], "linux-64", ["app"], options=cfg(tmp_path))


def test_file_channel_with_only_shards(tmp_path):
    sharded_channel(tmp_path / "chan")
    records = load_records([(tmp_path / "chan").as_uri()], "linux-64", ["app"], options=cfg(tmp_path))
    assert names(records) == ["app", "deep", "extra", "lib", "pyish"]


def test_channel_without_shards_falls_back_and_remembers(tmp_path, serve):
    from tests.unit.repodata.test_fetch import simple_channel

    server = serve(simple_channel(tmp_path / "plain"))
    config = cfg(tmp_path)
    load_records([server.url], "linux-64", ["a"], options=config)
    assert "/linux-64/repodata_shards.msgpack.zst" in server.paths_requested()
    server.requests.clear()
    load_records([server.url], "linux-64", ["a"], options=config)
    assert "/linux-64/repodata_shards.msgpack.zst" not in server.paths_requested()


def test_prune_shard_cache_keeps_only_referenced_shards(tmp_path, serve):
    from naja.repodata import prune_shard_cache

    sharded_channel(tmp_path / "chan")
    server = serve(tmp_path / "chan")
    load_records([server.url], "linux-64", ["app"], options=cfg(tmp_path))
    store = tmp_path / "cache" / "shards-v1"
    kept = sorted(p.name for p in store.iterdir())
    stale = store / ("ab" * 32 + ".msgpack.zst")
    stale.write_bytes(b"old")
    assert prune_shard_cache(tmp_path / "cache") == [stale]
    assert sorted(p.name for p in store.iterdir()) == kept
