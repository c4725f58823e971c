"""Network faults injected by the loopback server the test controls, for package downloads
(``naja.package.download`` / the package cache) and repodata fetching (``naja.repodata``): resets, stalls,
truncated bodies, lying Content-Length, checksum mismatches, 5xx bursts, redirects (bounded, never
https → http) and TLS with a self-signed CA (refused unless ``ssl_verify`` trusts it or is false).

Every failure must be one line naming what failed, with no partial file promoted into place.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from naja.api.context import Context
from naja.api.options import Options
from naja.errors import ChannelError, DownloadError, NajaError
from naja.package.cache import PackageCache
from naja.package.download import Downloader, DownloadRequest
from naja.repodata import fetch, load_records
from naja.repodata.subdir import FetchOptions
from tests.support import faults
from tests.support.options import fetch_options, http_options
from tests.support.packages import make_channel
from tests.support.txn import channel_records

PKG = "/linux-64/blob-1.0-0.conda"


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF_S", 0.01)
    import naja.package.download

    real_sleep = time.sleep
    monkeypatch.setattr(naja.package.download.time, "sleep", lambda s: real_sleep(min(s, 0.01)))


@pytest.fixture
def blob(tmp_path) -> tuple[Path, bytes]:
    root = tmp_path / "srv"
    (root / "linux-64").mkdir(parents=True)
    data = bytes((i * 31 + 7) % 253 for i in range(400_000))
    (root / PKG.lstrip("/")).write_bytes(data)
    return root, data


def _req(url: str, tmp_path: Path, data: bytes) -> DownloadRequest:
    return DownloadRequest(url=url, dest=tmp_path / "pkgs" / "blob-1.0-0.conda", size=len(data),
                           sha256=hashlib.sha256(data).hexdigest(), label="blob")


def _assert_clean_failure(exc: BaseException, dest: Path) -> None:
    message = str(exc)
    assert isinstance(exc, NajaError) and "\n" not in message and message
    assert not dest.exists(), "an unverified file was promoted into place"


# ------------------------------------------------------------------------------------------ downloads

RECOVERABLE = {
    "reset": [faults.reset_after(0.5)],
    "reset-twice": [faults.reset_after(0.1), faults.reset_after(0.9)],
    "truncated": [faults.truncated(0.3)],
    "long-content-length": [faults.content_length(+5000)],
    "short-content-length": [faults.content_length(-5000)],
    "5xx-burst": [500, 502, 503],
    "429": [429],
    "stall": [faults.stall(10)],
    "mismatch-once": [faults.body(b"\0" * 400_000)],
}


@pytest.mark.parametrize("case", sorted(RECOVERABLE))
def test_download_recovers_from_transient_faults(case, tmp_path, blob, serve):
    root, data = blob
    server = serve(root)
    server.faults[PKG] = list(RECOVERABLE[case])
    req = _req(server.url + PKG, tmp_path, data)
    t0 = time.monotonic()
    path = Downloader(retries=3, timeout=0.5).fetch(req)
    assert path.read_bytes() == data
    assert time.monotonic() - t0 < 8, "a stalled server must be given up on after the (short) timeout"
    assert not list((tmp_path / "pkgs").glob("*.partial"))
    assert server.paths_requested().count(PKG) >= 2


PERSISTENT = {
    "reset": (faults.reset_after(0.5), "cannot download"),
    "truncated": (faults.truncated(0.5), "cannot download"),
    "long-content-length": (faults.content_length(+5000), "cannot download"),
    "short-content-length": (faults.content_length(-5000), "does not match"),
    "mismatch": (faults.body(b"\0" * 400_000), "does not match"),
    "wrong-size": (faults.body(b"\0" * 10), "does not match"),
    "500": (500, "HTTP 500"),
    "stall": (faults.stall(10), "cannot download"),
}


@pytest.mark.parametrize("case", sorted(PERSISTENT))
def test_download_gives_up_cleanly_on_persistent_faults(case, tmp_path, blob, serve):
    root, data = blob
    server = serve(root)
    fault, why = PERSISTENT[case]
    server.faults[PKG] = [fault] * 20
    req = _req(server.url + PKG, tmp_path, data)
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match=why) as info:
        Downloader(retries=2, timeout=0.3).fetch(req)
    assert time.monotonic() - t0 < 10
    _assert_clean_failure(info.value, req.dest)
    assert "blob" in str(info.value)
    assert 2 <= server.paths_requested().count(PKG) <= 4, "retries are bounded"


def test_package_cache_timeouts_and_retries_come_from_config(tmp_path, serve):
    """``remote_read_timeout_secs`` and ``remote_max_retries`` reach package downloads."""
    root = make_channel(tmp_path / "ch", [dict(name="a", version="1", files={"share/a": "a" * 1000})])
    server = serve(root)
    rec = next(iter(channel_records(root, server.url).values()))
    path = "/linux-64/a-1-0.conda"
    server.faults[path] = [faults.stall(10)] * 10
    rc = tmp_path / "condarc"
    rc.write_text(f"pkgs_dirs: [{tmp_path / 'pkgs'}]\nremote_read_timeout_secs: 0.3\n"
                  "remote_connect_timeout_secs: 0.3\nremote_max_retries: 1\n")
    context = Context.from_options(Options(rc_files=(str(rc),), no_env=True))
    cache = PackageCache.from_options(context.cache_options)
    t0 = time.monotonic()
    with pytest.raises(DownloadError):
        cache.fetch_and_extract([rec])
    assert time.monotonic() - t0 < 5
    assert server.paths_requested().count(path) == 2  # one try and one retry
    assert not (tmp_path / "pkgs" / "a-1-0").exists()


def test_download_redirects_are_followed_but_bounded(tmp_path, blob, serve):
    root, data = blob
    server = serve(root)
    server.faults["/moved.conda"] = [faults.redirect(PKG, 301)]
    req = _req(server.url + "/moved.conda", tmp_path, data)
    assert Downloader().fetch(req).read_bytes() == data
    req.dest.unlink()
    server.routes["/loop.conda"] = faults.redirect_loop
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match="redirect") as info:
        Downloader(retries=1).fetch(_req(server.url + "/loop.conda", tmp_path, data))
    _assert_clean_failure(info.value, req.dest)
    assert time.monotonic() - t0 < 5
    assert len(server.paths_requested()) < 60


# ------------------------------------------------------------------------------------------- repodata


def _channel(tmp_path: Path) -> Path:
    return make_channel(tmp_path / "ch", [dict(name="a", version="1", depends=["b"]), dict(name="b", version="1")])


def _cfg(tmp_path: Path, *, use_shards: bool = False, **net: Any) -> FetchOptions:
    return fetch_options(tmp_path / "cache", use_zst=False, use_shards=use_shards, http=http_options(**net))


REPODATA = "/linux-64/repodata.json"

REPODATA_RECOVERABLE = {
    "reset": [faults.reset_after(0.5)],
    "truncated": [faults.truncated(0.5)],
    "long-content-length": [faults.content_length(+100)],
    "5xx-burst": [502, 504],
    "stall": [faults.stall(10)],
}


@pytest.mark.parametrize("case", sorted(REPODATA_RECOVERABLE))
def test_repodata_recovers_from_transient_faults(case, tmp_path, serve):
    server = serve(_channel(tmp_path))
    server.faults[REPODATA] = list(REPODATA_RECOVERABLE[case])
    t0 = time.monotonic()
    records = load_records([server.url], "linux-64", ["a"], options=_cfg(tmp_path, read_timeout=0.5))
    assert sorted(r.name for r in records) == ["a", "b"]
    assert time.monotonic() - t0 < 8
    assert server.paths_requested().count(REPODATA) >= 2


@pytest.mark.parametrize("case", ["reset", "truncated", "stall", "503"])
def test_repodata_gives_up_cleanly_and_keeps_no_partial_cache(case, tmp_path, serve):
    server = serve(_channel(tmp_path))
    fault = {"reset": faults.reset_after(0.5), "truncated": faults.truncated(0.5), "stall": faults.stall(10),
             "503": 503}[case]
    server.faults[REPODATA] = [fault] * 20
    t0 = time.monotonic()
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["a"],
                     options=_cfg(tmp_path, read_timeout=0.3, retries=1))
    assert time.monotonic() - t0 < 8
    message = str(info.value)
    assert "\n" not in message and "linux-64" in message
    assert server.paths_requested().count(REPODATA) == 2, "remote_max_retries=1: one try, one retry"
    import json

    for cached in (tmp_path / "cache").glob("*.json"):  # noarch was fetched fine; nothing partial kept
        assert isinstance(json.loads(cached.read_bytes()), dict), cached


def test_short_content_length_gives_a_repodata_error_not_a_crash(tmp_path, serve):
    server = serve(_channel(tmp_path))
    server.faults[REPODATA] = [faults.content_length(-50)] * 5
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["a"], options=_cfg(tmp_path))
    assert "\n" not in str(info.value)


def test_repodata_redirects(tmp_path, serve):
    root = _channel(tmp_path)
    server = serve(root)
    server.faults["/old/linux-64/repodata.json"] = [faults.redirect(REPODATA, 301)]
    server.faults["/old/noarch/repodata.json"] = [faults.redirect("/noarch/repodata.json", 307)]
    records = load_records([server.url + "/old"], "linux-64", ["a"], options=_cfg(tmp_path))
    assert sorted(r.name for r in records) == ["a", "b"]
    server.routes["/loop/linux-64/repodata.json"] = faults.redirect_loop
    server.routes["/loop/noarch/repodata.json"] = faults.redirect_loop
    t0 = time.monotonic()
    with pytest.raises(ChannelError, match="redirect") as info:
        load_records([server.url + "/loop"], "linux-64", ["a"], options=_cfg(tmp_path))
    assert "\n" not in str(info.value)
    assert time.monotonic() - t0 < 5
    assert len(server.paths_requested()) < 100


# ------------------------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> tuple[Path, Path, Path]:
    return faults.make_ca_and_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certs, tmp_path):
    _ca, cert, key = certs
    root = _channel(tmp_path)
    (root / PKG.lstrip("/")).write_bytes(b"tls-blob" * 1000)
    server = faults.TlsLoopbackServer(root, cert, key).__enter__()
    yield server
    server.__exit__(None, None, None)


def test_tls_self_signed_refused_unless_trusted(certs, tmp_path, tls_server):
    ca, _cert, _key = certs
    data = b"tls-blob" * 1000
    url = tls_server.url
    with pytest.raises(ChannelError, match=r"(?i)ssl|tls|certificate") as info:
        load_records([url], "linux-64", ["a"], options=_cfg(tmp_path / "c1"))
    assert "\n" not in str(info.value)
    with pytest.raises(DownloadError, match=r"(?i)ssl|tls|certificate") as dinfo:
        Downloader(retries=0).fetch(_req(url + PKG, tmp_path / "d1", data))
    _assert_clean_failure(dinfo.value, tmp_path / "d1" / "pkgs" / "blob-1.0-0.conda")

    for verify in (str(ca), False):
        records = load_records([url], "linux-64", ["a"], options=_cfg(tmp_path / f"c-{verify}", ssl_verify=verify))
        assert sorted(r.name for r in records) == ["a", "b"]
        assert Downloader(ssl_verify=verify).fetch(_req(url + PKG, tmp_path / f"d-{verify}", data)).read_bytes() == data


def test_https_to_http_redirect_is_refused(certs, tmp_path, tls_server, serve):
    ca, _cert, _key = certs
    plain = serve(tls_server.root)
    data = b"tls-blob" * 1000
    for path in (REPODATA, "/noarch/repodata.json", PKG):
        tls_server.faults[path] = [faults.redirect(plain.url + path)] * 10
    with pytest.raises(ChannelError, match=r"(?i)https.*http|insecure|downgrade") as info:
        load_records([tls_server.url], "linux-64", ["a"], options=_cfg(tmp_path, ssl_verify=str(ca)))
    assert "\n" not in str(info.value)
    with pytest.raises(DownloadError, match=r"(?i)https.*http|insecure|downgrade") as dinfo:
        Downloader(ssl_verify=str(ca), retries=1).fetch(_req(tls_server.url + PKG, tmp_path, data))
    _assert_clean_failure(dinfo.value, tmp_path / "pkgs" / "blob-1.0-0.conda")
    assert plain.paths_requested() == [], "nothing may be fetched over the downgraded connection"


def test_tls_through_the_cli(certs, tmp_path):
    """``--ssl-verify`` reaches both repodata and package downloads; without it, one clean line."""
    from tests.support.cli import assert_one_line_error, naja

    ca, cert, key = certs
    root = make_channel(tmp_path / "ch", [dict(name="a", version="1", files={"share/a": "a"})])
    server = faults.TlsLoopbackServer(root, cert, key).__enter__()
    try:
        env = {"CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
        refused = naja("create", "-y", "-p", tmp_path / "e1", "-c", server.url, "a", ok=None, env=env)
        assert_one_line_error(refused)
        assert any(w in refused.error_lines[0].lower() for w in ("ssl", "tls", "certificate")), refused.stderr
        assert not (tmp_path / "e1" / "conda-meta").exists()
        naja("create", "-y", "-p", tmp_path / "e2", "-c", server.url, "--ssl-verify", ca, "a", env=env)
        assert (tmp_path / "e2" / "share" / "a").read_text() == "a"
        assert any(p.endswith("a-1-0.conda") for p in server.paths_requested())
    finally:
        server.__exit__(None, None, None)


def _shard_paths(root: Path) -> list[str]:
    return ["/" + p.relative_to(root).as_posix() for p in root.rglob("*.msgpack.zst")]


@pytest.mark.parametrize("fault", ["reset", "truncated", "garbage-once"])
def test_sharded_repodata_recovers_from_transient_faults(fault, tmp_path, serve):
    root = _channel(tmp_path)
    server = serve(root)
    make = {"reset": lambda: faults.reset_after(0.5), "truncated": lambda: faults.truncated(0.5),
            "garbage-once": lambda: faults.body(b"\x28\xb5\x2f\xfd garbage")}[fault]
    paths = _shard_paths(root)
    assert any("shards/" in p for p in paths)
    for path in paths:
        server.faults[path] = [make()]
    config = _cfg(tmp_path, use_shards=True)
    records: list = []
    for _attempt in range(len(paths) + 1):  # a corrupt answer is refused, not retried: each run meets one
        try:
            records = load_records([server.url], "linux-64", ["a"], options=config)
            break
        except ChannelError as exc:
            assert fault == "garbage-once" and "\n" not in str(exc), exc
    assert sorted(r.name for r in records) == ["a", "b"]  # nothing corrupt was cached along the way


def test_sharded_repodata_persistent_garbage_is_a_clean_error(tmp_path, serve):
    root = _channel(tmp_path)
    server = serve(root)
    for path in _shard_paths(root):
        server.faults[path] = [faults.body(b"\x28\xb5\x2f\xfd garbage")] * 10
    with pytest.raises(ChannelError) as info:
        load_records([server.url], "linux-64", ["a"], options=_cfg(tmp_path, use_shards=True))
    message = str(info.value)
    assert "\n" not in message and ("linux-64" in message or "noarch" in message), message
