"""Class 6, poisoned caches: a repodata cache entry, shard index or shard that fails to parse or
verify is deleted and fetched again once (whatever its ``max-age``); junk a server sends is checked
before it is cached, and a second failure is one clear error naming the URL. A loopback server
serves junk with a long ``max-age`` first, then good data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from naja.errors import ChannelError
from naja.repodata import load_records
from naja.repodata.cache import SHARD_INDEX_SUFFIX, SHARDS_DIR, cache_key
from tests.unit.repodata.test_fetch import cfg, names, simple_channel
from tests.unit.repodata.test_shards import sharded_channel

INDEX = "/linux-64/repodata_shards.msgpack.zst"
LONG = {"Cache-Control": "public, max-age=86400"}


def junk(h) -> None:
    """A 200 with a long max-age and a body that is neither JSON nor zstd."""
    h.send_bytes(200, b"<html>captive portal</html>", LONG)


def corrupt_in_place(path: Path) -> None:
    """Overwrite ``path`` with junk of the same size and mtime: the cache state still matches it."""
    st = path.stat()
    path.write_bytes(b"\x00" * st.st_size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.fixture
def sharded(tmp_path, serve):
    arch, _ = sharded_channel(tmp_path / "chan")
    server = serve(tmp_path / "chan")
    server.extra_headers[INDEX] = LONG
    return server, arch, cfg(tmp_path, ttl=1)


def cache_dir(config) -> Path:
    return config.cache_dir


def test_corrupt_cached_shard_index_is_refetched_despite_max_age(sharded):
    server, _, config = sharded
    assert names(load_records([server.url], "linux-64", ["app"], options=config)) == \
        ["app", "deep", "extra", "lib", "pyish"]
    index = cache_dir(config) / f"{cache_key(server.url + '/linux-64')}{SHARD_INDEX_SUFFIX}"
    corrupt_in_place(index)
    server.requests.clear()
    assert "app" in names(load_records([server.url], "linux-64", ["app"], options=config))
    assert server.paths_requested().count(INDEX) == 1  # fresh by max-age, yet fetched again once
    server.requests.clear()
    load_records([server.url], "linux-64", ["app"], options=config)
    assert INDEX not in server.paths_requested()  # healed: the good index is trusted again


def test_junk_shard_index_with_long_max_age_then_good_data(sharded):
    server, _, config = sharded
    server.faults[INDEX] = [junk]
    assert "app" in names(load_records([server.url], "linux-64", ["app"], options=config))
    assert server.paths_requested().count(INDEX) == 2
    server.requests.clear()
    load_records([server.url], "linux-64", ["app"], options=config)  # a later run: the cache is good
    assert INDEX not in server.paths_requested()


def test_junk_shard_index_twice_is_an_error_naming_the_url_and_nothing_is_cached(sharded):
    server, _, config = sharded
    server.faults[INDEX] = [junk, junk]
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["app"], options=config)
    assert f"{server.url}{INDEX}" in str(info.value)
    assert "\n" not in str(info.value)
    key = cache_key(server.url + "/linux-64")
    assert not (cache_dir(config) / f"{key}{SHARD_INDEX_SUFFIX}").exists()
    assert "app" in names(load_records([server.url], "linux-64", ["app"], options=config))


def test_corrupt_cached_shard_is_fetched_again(sharded):
    server, arch, config = sharded
    load_records([server.url], "linux-64", ["app"], options=config)
    shard = cache_dir(config) / SHARDS_DIR / arch["lib"]
    shard.write_bytes(b"junk")
    server.requests.clear()
    records = load_records([server.url], "linux-64", ["app"], options=config)
    assert {r.version for r in records if r.name == "lib"} == {"1.0", "2.0"}
    assert server.paths_requested().count(f"/linux-64/shards/{arch['lib']}") == 1
    assert shard.read_bytes() != b"junk"


def test_junk_shard_once_then_good_is_fetched_again_and_only_good_is_cached(sharded):
    server, arch, config = sharded
    path = f"/linux-64/shards/{arch['deep']}"
    server.faults[path] = [junk]
    records = load_records([server.url], "linux-64", ["app"], options=config)
    assert "deep" in names(records)
    assert server.paths_requested().count(path) == 2
    assert (cache_dir(config) / SHARDS_DIR / arch["deep"]).read_bytes() == \
        (Path(server.root) / path.lstrip("/")).read_bytes()


def test_junk_shard_twice_is_an_error_naming_the_url(sharded):
    server, arch, config = sharded
    path = f"/linux-64/shards/{arch['lib']}"
    server.faults[path] = [junk, junk]
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["app"], options=config)
    assert f"{server.url}{path}" in str(info.value)
    assert not (cache_dir(config) / SHARDS_DIR / arch["lib"]).exists()


def test_junk_repodata_twice_is_an_error_naming_the_url_and_nothing_is_cached(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path, ttl=1)
    server.faults["/linux-64/repodata.json"] = [junk, junk]
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["a"], options=config)
    assert f"{server.url}/linux-64/repodata.json" in str(info.value)
    key = cache_key(server.url + "/linux-64")
    assert not [p for p in cache_dir(config).iterdir() if p.name.startswith(key) and not p.name.endswith(".lock")]
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]


def test_junk_repodata_with_long_max_age_then_good_data(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path, ttl=1)
    server.faults["/linux-64/repodata.json"] = [junk]
    server.extra_headers["/linux-64/repodata.json"] = LONG
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert "/linux-64/repodata.json" not in server.paths_requested()  # the good copy is what was cached


def test_a_killed_download_leaves_nothing_the_next_run_keeps(tmp_path, serve):
    """A download streams into ``<key>.<pid>.<thread>.download.tmp``; one a killed process left
    behind (gigabytes, possibly) is removed by the next run that holds the entry's lock."""
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path, ttl=1)
    cache_dir(config).mkdir(parents=True)
    key = cache_key(server.url + "/linux-64")
    stale = [cache_dir(config) / f"{key}.999999.1.download.tmp", cache_dir(config) / f"{key}.999999.1.json.tmp"]
    for path in stale:
        path.write_bytes(b"x" * 1000)
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert not any(path.exists() for path in stale)
