"""Untrusted bytes read within a bound: HTTP bodies decoded from their ``Content-Encoding`` and zstd
data, as chunks of at most ``CHUNK`` bytes, never more than ``limit`` bytes in total.

A server (or a cache file) can send a body of any length, and a few kilobytes of gzip or zstd can
decode to gigabytes (one member with a huge output, or a thousand concatenated members). Everything
that reads such bytes goes through here, so memory stays at one chunk and a body over its bound is
refused with ``LimitError`` naming it, before any of it is kept.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator

from naja.errors import ChannelError, LimitError

CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 2 << 30
"""Default bound of a repodata body (``repodata_max_bytes``): conda-forge's largest subdir is a few
hundred MB, and repodata is streamed to disk, so this bounds disk use, not memory."""
MAX_IN_MEMORY = 64 << 20
"""Bound of what is decoded in memory (shard indexes, shards): the smaller of this and the config's.
conda-forge's largest shard index is a few MB, its largest shards far smaller."""


def decode_body(raw: Iterable[bytes], encoding: str, limit: int, what: str) -> Iterator[bytes]:
    """``raw`` (the bytes as sent) decoded per ``Content-Encoding`` (identity, gzip, deflate);
    ``LimitError`` once more than ``limit`` bytes were sent or decoded."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        chunks: Iterable[bytes] = _counted(raw, limit, what, "sent")
    elif name in ("gzip", "x-gzip", "deflate"):
        chunks = _inflate(_counted(raw, limit, what, "sent"), gzip=name != "deflate", what=what)
    else:
        raise ChannelError(f"{what}: unsupported Content-Encoding {encoding!r}")
    return _counted(chunks, limit, what, "decoded")


def zstd_chunks(raw: Iterable[bytes], limit: int, what: str) -> Iterator[bytes]:
    """The decompressed content of the zstd frames in ``raw``, within ``limit`` bytes."""
    from naja import _zstd

    reader = _zstd.reader(_IterReader(raw))  # type: ignore[arg-type]
    total = 0
    try:
        while chunk := reader.read(CHUNK):
            total += len(chunk)
            if total > limit:
                raise LimitError(f"{what}: decompresses to more than {_size(limit)}; refused")
            yield chunk
    except _zstd.ZstdError as exc:
        raise ChannelError(f"{what}: not valid zstd data ({exc})") from None


def decompress_zstd(data: bytes, limit: int, what: str) -> bytes:
    """``zstd_chunks`` of one in-memory blob, joined (into one growing buffer: no second copy)."""
    out = bytearray()
    for chunk in zstd_chunks((data,), limit, what):
        out += chunk
    return bytes(out)


def _counted(chunks: Iterable[bytes], limit: int, what: str, verb: str) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise LimitError(f"{what}: more than {_size(limit)} {verb}; refused")
        yield chunk


def _inflate(raw: Iterable[bytes], *, gzip: bool, what: str) -> Iterator[bytes]:
    """gzip (every member, as concatenated gzip is) or deflate (zlib or raw), ``CHUNK`` at a time."""
    wbits = 47 if gzip else 15  # 47: gzip or zlib header, detected
    decoder = zlib.decompressobj(wbits)
    started = False
    for data in raw:
        while True:
            try:
                out = decoder.decompress(data, CHUNK)
            except zlib.error as exc:
                if gzip or started:
                    raise ChannelError(f"{what}: corrupt {'gzip' if gzip else 'deflate'} body ({exc})") from None
                wbits, decoder = -15, zlib.decompressobj(-15)  # a raw deflate stream (no zlib header)
                continue
            started = True
            if out:
                yield out
            if decoder.eof:
                data = decoder.unused_data
                decoder = zlib.decompressobj(wbits)  # the next gzip member
            else:
                data = decoder.unconsumed_tail
            if not data and len(out) < CHUNK:
                break  # input used up and no output left pending


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.4g} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class _IterReader(io.RawIOBase):
    """A file-like view of an iterator of chunks (for the streaming zstd reader)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
