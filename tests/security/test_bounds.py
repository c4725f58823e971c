"""Class 5, unbounded inputs: what a server sends is bounded as sent and as decoded (gzip with one
member or a thousand, zstd files), refused with one line naming the URL, kept out of the cache, and
naja's memory stays small meanwhile. Bodies are generated on the fly by a loopback server (never
held in the test's memory); naja runs in a subprocess whose peak RSS is read with ``wait4``."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdCompressor
else:
    from backports.zstd import ZstdCompressor

import pytest

from naja import _zstd
from naja.repodata.cache import cache_key
from tests.support.cli import Result, assert_one_line_error, subprocess_env

MB = 1 << 20
CAP = 16 * MB  # repodata_max_bytes for these runs
BOMB = 256 * MB  # what the hostile bodies decode to (the old code held all of it, twice)
RSS_LIMIT_KB = 160 * 1024


_MEASURED = """
import atexit, runpy, sys
peak = sys.argv[1]
def report():
    with open('/proc/self/status') as status, open(peak, 'w') as out:
        out.write(next(line for line in status if line.startswith('VmHWM:')).split()[1])
atexit.register(report)
sys.argv = ['naja', *sys.argv[2:]]
runpy.run_module('naja', run_name='__main__')
"""


def run_measured(*args: str | os.PathLike[str], env: dict[str, str], timeout: float = 60) -> tuple[Result, int]:
    """``python -m naja ARGS`` and its peak RSS in KiB (``VmHWM`` of its own address space: ``wait4``'s
    ``ru_maxrss`` would carry the forking test process's RSS over ``exec``)."""
    peak = Path(env["HOME"]) / "naja.peak"
    proc = subprocess.run([sys.executable, "-c", _MEASURED, peak, *map(os.fspath, args)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env=subprocess_env(env), timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr), int(peak.read_text())


def streamed(server, path: str, chunks, headers: dict[str, str]):
    """Route ``path`` to a body made chunk by chunk as the client reads (the connection closes at
    the end, so no length is needed); records how many bytes went out."""
    sent = server.sent = {path: 0}

    def handler(h) -> None:
        h.send_response(200)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        try:
            for chunk in chunks():
                h.wfile.write(chunk)
                sent[path] += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    server.routes[path] = handler


def junk_json(total: int):
    def chunks():
        yield b'{"packages": {"a-1-0.tar.bz2": {"name": "'
        block = b"x" * MB
        for _ in range(total // MB):
            yield block
    return chunks


def gzip_one_member(total: int):
    def chunks():
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * MB
        for _ in range(total // MB):
            if out := comp.compress(block):
                yield out
        yield comp.flush()
    return chunks


def gzip_many_members(total: int):
    member = gzip.compress(b"\0" * MB)

    def chunks():
        for _ in range(total // MB):
            yield member
    return chunks


def zstd_bomb(total: int):
    def chunks():
        comp = ZstdCompressor()
        block = b"\0" * MB
        for _ in range(total // MB):
            if out := comp.compress(block):
                yield out
        yield comp.flush()
    return chunks


@pytest.fixture
def channel(tmp_path, serve):
    """A channel whose ``noarch`` is fine and whose ``linux-64`` a test makes hostile."""
    root = tmp_path / "chan"
    for sub in ("linux-64", "noarch"):
        (root / sub).mkdir(parents=True)
        (root / sub / "repodata.json").write_text(json.dumps({"info": {"subdir": sub}, "packages": {}}))
    return serve(root)


def create(tmp_path: Path, server, **extra_env: str) -> tuple[Result, int]:
    env = {"HOME": os.environ["HOME"], "NAJA_REPODATA_MAX_BYTES": str(CAP), **extra_env}
    return run_measured("create", "-p", tmp_path / "env", "--dry-run", "-c", server.url, "--override-channels",
                        "a", env=env)


def cached_files(subdir_url: str) -> list[Path]:
    """The repodata cache's files for one subdir (and any shard or temporary file), lock excepted."""
    root = Path(os.environ["NAJA_ROOT_PREFIX"]) / "pkgs" / "cache"
    key = cache_key(subdir_url)
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".lock")
                  and (p.name.startswith(key) or not p.name[:8].isalnum() or p.parent != root))


def assert_refused(result: Result, rss_kb: int, server, url: str, word: str) -> None:
    assert_one_line_error(result, url, word)
    assert rss_kb < RSS_LIMIT_KB, f"peak RSS {rss_kb // 1024} MiB"
    kept = [p for p in cached_files(f"{server.url}/linux-64") if not p.name.endswith(".state.json")]
    assert kept == [], kept  # nothing of the hostile body entered the cache


def test_repodata_body_over_the_cap_is_refused_early(tmp_path, channel):
    streamed(channel, "/linux-64/repodata.json", junk_json(BOMB), {"Content-Type": "application/json"})
    result, rss = create(tmp_path, channel)
    assert_refused(result, rss, channel, f"{channel.url}/linux-64/repodata.json", "refused")
    assert channel.sent["/linux-64/repodata.json"] < BOMB // 2  # naja stopped reading


def test_declared_length_over_the_cap_is_refused_before_reading(tmp_path, channel):
    def huge(h) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(3 << 30))
        h.end_headers()
        h.close_connection = True
        try:
            h.wfile.write(b"{" * MB)
        except (BrokenPipeError, ConnectionResetError):
            pass

    channel.routes["/linux-64/repodata.json"] = huge
    result, rss = create(tmp_path, channel)
    assert_refused(result, rss, channel, f"{channel.url}/linux-64/repodata.json", "refused")


@pytest.mark.parametrize("bomb", [gzip_one_member, gzip_many_members], ids=["one-member", "many-members"])
def test_gzip_content_encoding_is_bounded_when_decoded(tmp_path, channel, bomb):
    streamed(channel, "/linux-64/repodata.json", bomb(BOMB), {"Content-Encoding": "gzip"})
    result, rss = create(tmp_path, channel)
    assert_refused(result, rss, channel, f"{channel.url}/linux-64/repodata.json", "decoded")


def test_zstd_repodata_is_bounded_when_decompressed(tmp_path, channel):
    streamed(channel, "/linux-64/repodata.json.zst", zstd_bomb(BOMB), {})
    result, rss = create(tmp_path, channel)
    assert_refused(result, rss, channel, f"{channel.url}/linux-64/repodata.json.zst", "decompresses")


def test_zstd_shard_index_is_bounded_when_decompressed(tmp_path, channel):
    streamed(channel, "/linux-64/repodata_shards.msgpack.zst", zstd_bomb(BOMB), {})
    result, rss = create(tmp_path, channel)
    assert_refused(result, rss, channel, f"{channel.url}/linux-64/repodata_shards.msgpack.zst", "decompresses")


def test_a_body_within_the_cap_still_works(tmp_path, channel):
    """The bounds refuse only what is over them: a gzip-encoded repodata.json is used."""
    doc = {"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {
        "name": "a", "version": "1", "build": "0", "build_number": 0, "depends": [], "subdir": "linux-64"}}}
    body = gzip.compress(json.dumps(doc).encode())
    streamed(channel, "/linux-64/repodata.json", lambda: iter([body]), {"Content-Encoding": "gzip"})
    result, _ = create(tmp_path, channel)
    assert result.returncode == 0, result.stderr
    assert "a" in result.stdout and "1" in result.stdout


# ------------------------------------------------------------------ the bounded reader, in-process


def test_decoder_yields_small_chunks_and_counts_what_is_decoded():
    from naja.bounded import CHUNK, decode_body, decompress_zstd
    from naja.errors import LimitError

    member = gzip.compress(b"\0" * MB)
    chunks = list(decode_body(iter([member * 8]), "gzip", 8 * MB, "x"))
    assert sum(map(len, chunks)) == 8 * MB and max(map(len, chunks)) <= CHUNK  # every member, a chunk at a time
    with pytest.raises(LimitError, match="x: more than 7 MiB decoded"):
        sum(map(len, decode_body(iter([member * 8]), "gzip", 7 * MB, "x")))
    raw = zlib.compressobj(wbits=-15)
    assert b"".join(decode_body(iter([raw.compress(b"abc") + raw.flush()]), "deflate", 10, "x")) == b"abc"
    with pytest.raises(LimitError, match="more than 10 bytes sent"):
        list(decode_body(iter([b"a" * 11]), "", 10, "x"))
    with pytest.raises(LimitError, match="decompresses to more than"):
        decompress_zstd(_zstd.compress(b"\0" * (4 * MB)), MB, "x")


# --------------------------------------------------------------------------- nesting depth, in-process

DEEP_MSGPACK = b"\x91" * 100_000 + b"\x90"


def _deep_shard_index() -> bytes:
    import msgspec

    pack = msgspec.msgpack.encode
    doc = b"\x83" + pack("info") + b"\x81" + pack("x") + DEEP_MSGPACK + pack("shards") + b"\x80" + pack("version") + b"\x01"
    return _zstd.compress(doc)


@pytest.mark.parametrize("path, body", [
    ("/linux-64/repodata.json", b'{"info": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b'}, "packages": {}}'),
    ("/linux-64/repodata_shards.msgpack.zst", _deep_shard_index()),
], ids=["json", "msgpack-shard-index"])
def test_deeply_nested_repodata_is_an_error_naming_the_url(tmp_path, channel, path, body):
    from naja.errors import ChannelError
    from naja.repodata import load_records
    from tests.unit.repodata.test_fetch import cfg

    channel.routes[path] = lambda h: h.send_bytes(200, body, {})
    with pytest.raises(ChannelError) as info:
        load_records([channel.url], "linux-64", ["a"], options=cfg(tmp_path))
    assert f"{channel.url}{path}" in str(info.value) and "nested too deeply" in str(info.value)


# ------------------------------------------------------------------------------------ package bodies


def test_package_without_declared_size_is_bounded_and_leaves_nothing(tmp_path, channel, monkeypatch):
    """A record without a size (an ``@EXPLICIT`` URL) still has a bound (``download.UNDECLARED_MAX``,
    lowered here): a server streaming without end is cut off, and no partial file stays in the cache."""
    from naja.errors import DownloadError
    from naja.package import download

    monkeypatch.setattr(download, "UNDECLARED_MAX", 8 * MB, raising=False)
    streamed(channel, "/linux-64/a-1-0.conda", junk_json(BOMB), {})
    dest = tmp_path / "pkgs" / "a-1-0.conda"
    req = download.DownloadRequest(url=f"{channel.url}/linux-64/a-1-0.conda", dest=dest, label="a-1-0")
    with pytest.raises(DownloadError, match=r"a-1-0: .*a-1-0.conda: more than 8 MiB sent; refused"):
        download.Downloader(retries=0).fetch(req)
    assert not dest.exists() and list(dest.parent.iterdir()) == []
    assert channel.sent["/linux-64/a-1-0.conda"] < BOMB // 2
