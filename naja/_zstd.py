"""zstd for naja: Python 3.14's standard ``compression.zstd``, or its backport ``backports.zstd`` (the same
API, about 2 MB) below 3.14, in place of ``zstandard`` (24 MB: its wheel ships two compiled backends).

Every zstd use goes through here: ``.conda`` members (streamed, never whole), ``repodata.json.zst``,
shards and the channel index writer.
"""

from __future__ import annotations

import io
import sys
from typing import IO

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdDecompressor, ZstdError, ZstdFile, get_frame_info
    from compression.zstd import compress as _compress
    from compression.zstd import decompress as _decompress
else:
    from backports.zstd import ZstdDecompressor, ZstdError, ZstdFile, get_frame_info
    from backports.zstd import compress as _compress
    from backports.zstd import decompress as _decompress

__all__ = ["ZstdError", "compress", "decompress", "reader", "writer"]

_INPUT_CHUNK = 256 * 1024  # compressed bytes per read: fewer Python-level rounds than ZstdFile's 8 KiB
_OUTPUT_CHUNK = 256 * 1024
_MAX_RATIO = 256


def compress(data: bytes, level: int | None = None) -> bytes:
    """One zstd frame holding ``data``."""
    return _compress(data, level=level)


def decompress(data: bytes) -> bytes | bytearray:
    """Every frame of ``data``, decompressed (``ZstdError`` when it is not zstd or is truncated).

    A frame that states its size (zstd writes it by default) is decompressed straight into a buffer of
    that size: the one-shot ``decompress`` grows its output in blocks and joins them at the end, which
    is half as fast on a 200 MB ``repodata.json``. A stated size beyond ``_MAX_RATIO`` times the input
    is not trusted with an allocation (a hostile header), the generic path decodes it instead.
    """
    try:
        size = get_frame_info(data).decompressed_size
    except ZstdError:
        size = None
    if size is None or size > max(len(data) * _MAX_RATIO, 1 << 20):
        return _decompress(data)
    dec: ZstdDecompressor = ZstdDecompressor()
    out = bytearray(size)
    pos = 0
    src = data
    while not dec.eof:
        chunk = dec.decompress(src, _OUTPUT_CHUNK)
        src = b""
        if not chunk and dec.needs_input:
            raise ZstdError("zstd data ends before the end of its frame")
        if pos + len(chunk) > size:
            raise ZstdError("zstd frame holds more than its header states")
        out[pos : pos + len(chunk)] = chunk
        pos += len(chunk)
    if pos != size:
        raise ZstdError("zstd frame holds less than its header states")
    rest = dec.unused_data
    return out + decompress(rest) if rest else out


class _Reader(io.RawIOBase):
    """Streaming decompression of a file object: memory stays bounded by the chunk sizes and zstd's
    window limit (128 MiB by default, so a hostile frame cannot ask for more)."""

    def __init__(self, raw: IO[bytes], chunk: int) -> None:
        self._raw = raw
        self._chunk = chunk
        # annotated: the stubs' ``__new__ -> typing.Self`` reads as Any under mypy's Python 3.10
        self._dec: ZstdDecompressor = ZstdDecompressor()
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        while size and not self._eof:
            if self._dec.eof:  # another frame follows, or the end
                rest = self._dec.unused_data or self._raw.read(self._chunk)
                if not rest:
                    self._eof = True
                    break
                self._dec = ZstdDecompressor()
            else:
                rest = b"" if not self._dec.needs_input else self._raw.read(self._chunk)
                if not rest and self._dec.needs_input:
                    raise ZstdError("zstd stream ends before the end of its frame")
            data = self._dec.decompress(rest, size)
            if data:
                return data
        return b""

    def readall(self) -> bytes:
        parts = []
        while data := self.read(1 << 20):
            parts.append(data)
        return b"".join(parts)


def reader(raw: IO[bytes], chunk: int = _INPUT_CHUNK) -> IO[bytes]:
    """A readable stream of the decompressed bytes of ``raw`` (closing it leaves ``raw`` open)."""
    return _Reader(raw, chunk)  # type: ignore[return-value]


def writer(raw: IO[bytes], level: int | None = None) -> IO[bytes]:
    """A writable stream compressing into ``raw``; closing it ends the frame and leaves ``raw`` open."""
    return ZstdFile(raw, mode="wb", level=level)  # type: ignore[return-value]

