"""Fetching and caching repodata over real HTTP on loopback (and file://)."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from naja import _zstd
from naja.errors import ChannelError
from naja.repodata import fetch, list_cache_entries, load_records
from naja.repodata.cache import cache_key, read_state
from naja.repodata.subdir import FetchOptions
from tests.support.options import fetch_options, http_options


def rec(name: str, version: str = "1.0", build: str = "0", depends=(), constrains=(), **extra) -> dict:
    out = {"name": name, "version": version, "build": build, "build_number": 0, "depends": list(depends),
           "md5": "0" * 32, "sha256": "1" * 64, "size": 10, "subdir": extra.pop("subdir", "linux-64")}
    if constrains:
        out["constrains"] = list(constrains)
    out.update(extra)
    return out


def fn_of(r: dict, ext: str = ".tar.bz2") -> str:
    return f"{r['name']}-{r['version']}-{r['build']}{ext}"


def write_subdir(root: Path, subdir: str, records=(), conda_records=(), *, zst: bool = False, removed=(),
                 info: dict | None = None, indent: int | None = None, sort: bool = True, **top) -> Path:
    """Write ``root/subdir/repodata.json`` (and ``.zst``) from record dicts."""
    d = root / subdir
    d.mkdir(parents=True, exist_ok=True)
    body = {"info": {"subdir": subdir, **(info or {})},
            "packages": {fn_of(r): r for r in records},
            "packages.conda": {fn_of(r, ".conda"): r for r in conda_records},
            "removed": list(removed), "repodata_version": 1, **top}
    data = json.dumps(body, indent=indent, sort_keys=sort, separators=None if indent else (",", ":")).encode()
    (d / "repodata.json").write_bytes(data)
    if zst:
        (d / "repodata.json.zst").write_bytes(_zstd.compress(data))
    return d / "repodata.json"


def simple_channel(root: Path, *, zst: bool = False) -> Path:
    write_subdir(root, "linux-64", [rec("a", depends=["b >=1", "__glibc >=2.17"]), rec("b"), rec("c")], zst=zst)
    write_subdir(root, "noarch", [rec("d", subdir="noarch")], zst=zst)
    return root


def cfg(tmp_path: Path, **kw: Any) -> FetchOptions:
    """Fetch options caching under ``tmp_path / "cache"`` (``tests.support.options.fetch_options``)."""
    return fetch_options(tmp_path / "cache", **kw)


def names(records) -> list[str]:
    return sorted({r.name for r in records})


def repodata_paths(server) -> list[str]:
    return [p for p in server.paths_requested() if "repodata" in p]


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF_S", 0.01)


def test_http_200_then_304_with_etag(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path)
    first = load_records([f"{server.url}/"], "linux-64", ["a"], options=config)
    assert names(first) == ["a", "b"]
    rec_a = next(r for r in first if r.name == "a")
    assert rec_a.url == f"{server.url}/linux-64/a-1.0-0.tar.bz2"
    assert rec_a.channel == server.url and rec_a.fn == "a-1.0-0.tar.bz2" and rec_a.subdir == "linux-64"
    cache_file = tmp_path / "cache" / f"{cache_key(server.url + '/linux-64')}.json"
    mtime = cache_file.stat().st_mtime_ns
    server.requests.clear()
    second = load_records([server.url], "linux-64", ["a"], options=config)
    assert names(second) == ["a", "b"]
    gets = [(p, h) for _, p, h in server.requests if p.endswith("/linux-64/repodata.json")]
    assert gets and gets[0][1].get("If-None-Match", "").startswith('"')
    assert cache_file.stat().st_mtime_ns == mtime  # 304: not rewritten
    state = read_state(cache_file.with_name(cache_file.stem + ".state.json"))
    assert state.etag and state.url == f"{server.url}/linux-64" and state.size == cache_file.stat().st_size


def test_zst_preferred_when_present(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan", zst=True))
    records = load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path))
    assert names(records) == ["a", "b"]
    assert "/linux-64/repodata.json.zst" in server.paths_requested()
    assert "/linux-64/repodata.json" not in server.paths_requested()
    state = read_state(tmp_path / "cache" / f"{cache_key(server.url + '/linux-64')}.state.json")
    assert state.has_zst.value is True
    # the cache holds the decompressed JSON
    cached = tmp_path / "cache" / f"{cache_key(server.url + '/linux-64')}.json"
    assert json.loads(cached.read_bytes())["info"]["subdir"] == "linux-64"


def test_zst_absent_is_remembered(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path)
    load_records([server.url], "linux-64", ["a"], options=config)
    assert repodata_paths(server).count("/linux-64/repodata.json.zst") == 1
    server.requests.clear()
    load_records([server.url], "linux-64", ["a"], options=config)
    assert "/linux-64/repodata.json.zst" not in server.paths_requested()
    assert "/linux-64/repodata.json" in server.paths_requested()


def test_gzip_transfer_encoding(tmp_path, serve):
    root = simple_channel(tmp_path / "chan")
    server = serve(root)
    body = gzip.compress((root / "linux-64" / "repodata.json").read_bytes())

    def gz(handler):
        handler.send_bytes(200, body, {"Content-Encoding": "gzip", "Content-Type": "application/json"})

    server.routes["/linux-64/repodata.json"] = gz
    records = load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path))
    assert names(records) == ["a", "b"]
    sent = [h for _, p, h in server.requests if p == "/linux-64/repodata.json"]
    assert "gzip" in sent[0].get("Accept-Encoding", "")


def test_max_age_means_no_request(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    for sub in ("linux-64", "noarch"):
        server.extra_headers[f"/{sub}/repodata.json"] = {"Cache-Control": "public, max-age=600"}
    config = cfg(tmp_path, ttl=1)
    load_records([server.url], "linux-64", ["a"], options=config)
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert server.paths_requested() == []
    # ttl 0: always revalidate
    load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path, ttl=0))
    assert "/linux-64/repodata.json" in server.paths_requested()


def test_server_error_is_retried(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    server.faults["/linux-64/repodata.json"] = [500, 503]
    records = load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path, use_zst=False))
    assert names(records) == ["a", "b"]
    assert server.paths_requested().count("/linux-64/repodata.json") == 3


def test_server_error_gives_up_after_bounded_tries(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    server.faults["/linux-64/repodata.json"] = [500] * 10
    with pytest.raises(ChannelError, match=r"HTTP 500.*3 attempts"):
        load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path, use_zst=False))
    assert server.paths_requested().count("/linux-64/repodata.json") == 3


def test_missing_channel_is_a_clear_error(tmp_path, serve):
    (tmp_path / "empty").mkdir()
    server = serve(tmp_path / "empty")
    with pytest.raises(ChannelError) as info:
        load_records([f"{server.url}/nope"], "linux-64", ["a"], options=cfg(tmp_path))
    message = str(info.value)
    assert "\n" not in message and f"{server.url}/nope" in message and "not found" in message


def test_unauthorized_never_shows_token_or_password(tmp_path, serve):
    root = tmp_path / "srv"
    simple_channel(root / "t" / "s3cr3t-tok" / "chan")
    server = serve(root)
    for sub in ("linux-64", "noarch"):
        for fn in ("repodata.json", "repodata.json.zst", "repodata_shards.msgpack.zst"):
            server.faults[f"/t/s3cr3t-tok/chan/{sub}/{fn}"] = [401] * 5
    host = server.url.split("://", 1)[1]
    for url in (f"{server.url}/t/s3cr3t-tok/chan", f"http://alice:pa55word@{host}/t/s3cr3t-tok/chan"):
        with pytest.raises(ChannelError) as info:
            load_records([url], "linux-64", ["a"], options=cfg(tmp_path))
        message = str(info.value)
        assert "401" in message and "chan" in message
        assert "s3cr3t-tok" not in message and "pa55word" not in message
        assert "s3cr3t-tok" not in repr(info.value.__cause__) and info.value.__cause__ is None
    for path in (tmp_path / "cache").iterdir():
        assert b"s3cr3t-tok" not in path.read_bytes() and "s3cr3t" not in path.name


def test_token_and_basic_auth_are_sent_and_kept_out_of_records(tmp_path, serve):
    root = tmp_path / "srv"
    simple_channel(root / "t" / "tok123" / "chan")
    server = serve(root)
    host = server.url.split("://", 1)[1]
    records = load_records([f"http://bob:hunter2@{host}/t/tok123/chan"], "linux-64", ["a"], options=cfg(tmp_path))
    assert names(records) == ["a", "b"]
    assert all("tok123" not in r.url and "hunter2" not in r.url and "tok123" not in r.channel for r in records)
    sent = [h for _, p, h in server.requests if p.endswith("linux-64/repodata.json")]
    assert sent[0]["Authorization"].startswith("Basic ")
    for path in (tmp_path / "cache").iterdir():
        assert b"tok123" not in path.read_bytes() and b"hunter2" not in path.read_bytes()


def test_offline_uses_cache_only(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    with pytest.raises(ChannelError, match="offline"):
        load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path), offline=True)
    assert server.paths_requested() == []
    load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path))
    server.requests.clear()
    records = load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path), offline=True)
    assert names(records) == ["a", "b"]
    assert server.paths_requested() == []


def test_offline_remembers_a_missing_platform_subdir(tmp_path, serve):
    """A channel with only noarch: the 404 for linux-64 is remembered, so --offline sees it as empty."""
    root = tmp_path / "chan"
    write_subdir(root, "noarch", [rec("d", subdir="noarch")])
    server = serve(root)
    assert names(load_records([server.url], "linux-64", ["d"], options=cfg(tmp_path))) == ["d"]
    server.requests.clear()
    records = load_records([server.url], "linux-64", ["d"], options=cfg(tmp_path), offline=True)
    assert names(records) == ["d"]
    assert server.paths_requested() == []


def test_corrupt_cache_is_detected_and_refetched(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    config = cfg(tmp_path, ttl=3600)
    load_records([server.url], "linux-64", ["a"], options=config)
    cached = tmp_path / "cache" / f"{cache_key(server.url + '/linux-64')}.json"
    good = cached.read_bytes()
    # 1. truncated: size no longer matches the state, so validators are dropped and it is refetched
    cached.write_bytes(good[:20])
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert "/linux-64/repodata.json" in server.paths_requested()
    assert cached.read_bytes() == good
    # 2. same size and mtime, garbage content: undecodable, so refetched
    st = cached.stat()
    cached.write_bytes(b"{" + b"x" * (len(good) - 1))
    os.utime(cached, ns=(st.st_atime_ns, st.st_mtime_ns))
    (cached.with_suffix(".naja-index")).unlink()
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert "/linux-64/repodata.json" in server.paths_requested()
    assert cached.read_bytes() == good
    # 3. same again but the index is still there and current: the damage shows when reading records
    st = cached.stat()
    cached.write_bytes(b"[" * len(good))
    os.utime(cached, ns=(st.st_atime_ns, st.st_mtime_ns))
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    assert "/linux-64/repodata.json" in server.paths_requested()
    assert cached.read_bytes() == good


def test_channels_fetched_in_parallel_in_priority_order_with_progress(tmp_path, serve):
    one = tmp_path / "one"
    write_subdir(one, "linux-64", [rec("a", "1.0", depends=["b"])])
    write_subdir(one, "noarch", [])
    two = tmp_path / "two"
    write_subdir(two, "linux-64", [rec("a", "2.0"), rec("b", "2.0")])
    write_subdir(two, "noarch", [])
    s1, s2 = serve(one), serve(two)
    calls: list[tuple[str, int, int | None]] = []
    records = load_records([s1.url, s2.url], "linux-64", ["a"], options=cfg(tmp_path),
                           progress=lambda label, done, total: calls.append((label, done, total)))
    assert [(r.name, r.version, r.channel) for r in records] == [
        ("a", "1.0", s1.url), ("a", "2.0", s2.url), ("b", "2.0", s2.url)]
    finished = {label for label, done, total in calls if done == total}
    assert any(label.endswith("/linux-64") for label in finished) and len(finished) >= 2


def test_subdir_records_limited_to_name_patterns(tmp_path, serve):
    """``search 'py*'``: only the records of matching names are decoded, not the whole subdir."""
    from naja.repodata import load_subdir_records

    root = tmp_path / "chan"
    write_subdir(root, "linux-64", [rec("pya"), rec("pyb", "2.0"), rec("numpy"), rec("c")])
    server = serve(root)
    for channel in (root.as_uri(), server.url):
        found = load_subdir_records(channel, "linux-64", options=cfg(tmp_path), patterns=["py*", "c"])
        assert names(found) == ["c", "pya", "pyb"]
        assert names(load_subdir_records(channel, "linux-64", options=cfg(tmp_path))) == ["c", "numpy", "pya", "pyb"]


def test_file_channel_and_cache_listing(tmp_path):
    root = simple_channel(tmp_path / "chan")
    config = cfg(tmp_path)
    records = load_records([root.as_uri()], "linux-64", ["a", "d"], options=config)
    assert names(records) == ["a", "b", "d"]
    d = next(r for r in records if r.name == "d")
    assert d.url == f"{root.as_uri()}/noarch/d-1.0-0.tar.bz2" and d.subdir == "noarch"
    entries = list_cache_entries(tmp_path / "cache")
    assert entries and all(e.files for e in entries)
    # repodata.json is read in place: the cache holds only the index
    assert not any(p.name.endswith(".json") and not p.name.endswith("state.json")
                   for e in entries for p in e.files)


def test_state_is_fresh_logic():
    from naja.repodata.cache import RepodataState

    now = time.time_ns()
    s = RepodataState(cache_control="max-age=60", refresh_ns=now - 10 * 10**9)
    assert s.is_fresh(1, now) and not s.is_fresh(0, now)
    assert not RepodataState(cache_control="max-age=5", refresh_ns=now - 10 * 10**9).is_fresh(1, now)
    assert RepodataState(refresh_ns=now - 10 * 10**9).is_fresh(100, now)
    assert not RepodataState(refresh_ns=now - 10 * 10**9).is_fresh(1, now)


def test_tls_failure_is_one_clear_line(tmp_path, serve):
    server = serve(simple_channel(tmp_path / "chan"))
    https = server.url.replace("http://", "https://") + "/t/tls-tok/chan"
    with pytest.raises(ChannelError) as info:
        load_records([https], "linux-64", ["a"], options=cfg(tmp_path))
    message = str(info.value)
    assert "TLS/SSL" in message and "\n" not in message and "tls-tok" not in message and "chan" in message


def test_proxy_servers_are_used(tmp_path, serve):
    """A proxy from ``proxy_servers`` receives the request (absolute-form URL)."""
    root = simple_channel(tmp_path / "chan")
    origin = serve(root)
    proxy = serve(tmp_path)  # any server: it records the absolute URL it is asked for

    def forward(path: str):
        body = (root / path).read_bytes()
        return lambda handler: handler.send_bytes(200, body, {})

    host = origin.url.split("://", 1)[1]
    for sub in ("linux-64", "noarch"):
        proxy.routes[f"http://{host}/{sub}/repodata.json"] = forward(f"{sub}/repodata.json")
    config = cfg(tmp_path, http=http_options(proxy_servers={f"http://{origin._httpd.server_address[0]}": proxy.url}),
                 use_zst=False, use_shards=False)
    records = load_records([origin.url], "linux-64", ["a"], options=config)
    assert names(records) == ["a", "b"]
    assert f"http://{host}/linux-64/repodata.json" in proxy.paths_requested()
    assert origin.paths_requested() == []


def test_file_channel_with_only_zst(tmp_path):
    root = simple_channel(tmp_path / "chan", zst=True)
    for sub in ("linux-64", "noarch"):
        (root / sub / "repodata.json").unlink()
    records = load_records([root.as_uri()], "linux-64", ["a", "d"], options=cfg(tmp_path))
    assert names(records) == ["a", "b", "d"]
    assert all(r.url.startswith(root.as_uri()) for r in records)


def test_invalid_repodata_is_a_clear_error(tmp_path, serve):
    root = tmp_path / "chan"
    for sub in ("linux-64", "noarch"):
        (root / sub).mkdir(parents=True)
        (root / sub / "repodata.json").write_bytes(b'{"packages": {"a-1-0.tar.bz2": ')
    server = serve(root)
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["a"], options=cfg(tmp_path))
    assert "invalid repodata.json" in str(info.value) and "/linux-64" in str(info.value)
    assert not list((tmp_path / "cache").glob("*.json"))  # nothing bad left behind


def test_last_modified_alone_revalidates(tmp_path, serve):
    root = simple_channel(tmp_path / "chan")
    server = serve(root)
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def only_last_modified(sub: str):
        body = (root / sub / "repodata.json").read_bytes()

        def handler(h):
            if h.headers.get("If-Modified-Since") == stamp:
                h.send_bytes(304, b"", {"Last-Modified": stamp}, head=True)
            else:
                h.send_bytes(200, body, {"Last-Modified": stamp})
        return handler

    for sub in ("linux-64", "noarch"):
        server.routes[f"/{sub}/repodata.json"] = only_last_modified(sub)
    config = cfg(tmp_path, use_zst=False)
    load_records([server.url], "linux-64", ["a"], options=config)
    server.requests.clear()
    assert names(load_records([server.url], "linux-64", ["a"], options=config)) == ["a", "b"]
    sent = [h for _, p, h in server.requests if p == "/linux-64/repodata.json"]
    assert sent[0].get("If-Modified-Since") == stamp and "If-None-Match" not in sent[0]


def test_repodata_cache_lock_held_elsewhere_waits_at_most_lock_timeout(tmp_path, serve):
    """Another process refreshing the same cache entry holds its lock (an flock on its own open file,
    as a second lock object here holds it): ``lock_timeout`` bounds the wait with a clear error naming
    the lock (0, the default, waits as long as it takes)."""
    import filelock

    from naja.errors import CacheLockTimeout

    server = serve(simple_channel(tmp_path / "chan"))
    config = msgspec.structs.replace(cfg(tmp_path), lock_timeout=0.3)
    config.cache_dir.mkdir(parents=True)
    key = cache_key(f"{server.url}/linux-64")
    with filelock.FileLock(str(config.cache_dir / f"{key}.lock")):
        start = time.monotonic()
        with pytest.raises(CacheLockTimeout, match=f"{key}.lock"):
            load_records([f"{server.url}/"], "linux-64", ["a"], options=config)
        assert time.monotonic() - start < 10
    assert names(load_records([f"{server.url}/"], "linux-64", ["a"], options=config)) == ["a", "b"]
