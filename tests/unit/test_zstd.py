"""``naja._zstd``: the one zstd layer (standard library on 3.14+, ``backports.zstd`` below)."""

from __future__ import annotations

import io
import os
import sys
import tracemalloc

import pytest

from naja import _zstd


def test_stream_reader_is_bounded_and_reads_every_frame():
    """A 64 MB member streams through with memory bounded by the chunk sizes, not by its length;
    two concatenated frames read as one stream (zstandard's reader stopped after the first)."""
    block = os.urandom(1 << 16) * 16  # 1 MiB, compressible across blocks
    big = _zstd.compress(block * 64, 3)
    tail = _zstd.compress(b"second frame", 3)
    tracemalloc.start()
    try:
        n = 0
        with _zstd.reader(io.BytesIO(big + tail)) as stream:
            while chunk := stream.read(32 * 1024):
                n += len(chunk)
                last = chunk
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == 64 * len(block) + len(b"second frame") and last.endswith(b"second frame")
    assert peak < 8 << 20, peak  # the input itself (compressed) is small; 64 MB never held


def test_truncated_and_garbage_input_raise_zstd_error():
    data = _zstd.compress(b"x" * 100_000, 3)
    with pytest.raises(_zstd.ZstdError), _zstd.reader(io.BytesIO(data[: len(data) // 2])) as stream:
        stream.read()
    with pytest.raises(_zstd.ZstdError):
        _zstd.decompress(b"not zstd at all")
    with pytest.raises(_zstd.ZstdError), _zstd.reader(io.BytesIO(data + b"trailing junk")) as stream:
        stream.read()


def test_writer_leaves_its_target_open_and_round_trips():
    target = io.BytesIO()
    with _zstd.writer(target, level=19) as w:
        w.write(b"abc" * 1000)
    assert not target.closed
    assert _zstd.decompress(target.getvalue()) == b"abc" * 1000


def test_zstandard_is_not_needed():
    """The implementation comes from the standard library or its backport, never from zstandard."""
    expected = "compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"
    assert _zstd.ZstdError.__module__.startswith(expected.split(".")[0])


def test_decompress_whole_frames_checks_what_the_header_states():
    one, two = _zstd.compress(b"a" * 300_000, 3), _zstd.compress(b"b" * 1000, 3)
    assert bytes(_zstd.decompress(one + two)) == b"a" * 300_000 + b"b" * 1000
    with pytest.raises(_zstd.ZstdError):
        _zstd.decompress(one[:-8])  # the stated size never arrives
