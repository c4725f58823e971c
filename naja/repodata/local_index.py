"""A per-package-name index over a cached ``repodata.json``, so a solve decodes only what it can reach.

The index does not copy any record: it maps each package name to the byte spans of the cached
``repodata.json`` that hold that name's records. Channels write ``packages`` sorted by file name
(``<name>-<version>-<build>.<ext>``), so a name's records are almost always one contiguous run of
``"fn": {...}`` pairs; a span is ``(start, end, first_fn)`` and ``{"<first_fn>": <bytes start:end>}``
is a JSON object of exactly those records. Loading a name therefore means slicing a memory map and
one ``msgspec`` decode into ``PackageRecord`` structs.

Building it costs one ``msgspec`` pass over the file with ``msgspec.Raw`` values (no record is
decoded), then work per *name*, not per record: run boundaries come from bisecting the sorted file
names, and byte offsets from the lengths of the raw values (verified, with a search as fallback).

The index file is a small msgpack header (``<key>.naja-index``) tied to the size, mtime and ETag of
the ``repodata.json`` it describes; any change makes it stale and it is rebuilt. It is written
atomically, so concurrent builders are harmless.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import mmap
import operator
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from naja.errors import RepodataError
from naja.records import PackageRecord
from naja.repodata.cache import atomic_write

FORMAT = 3
_MAGIC = b"NAJAIX\x00\x03"


class _Sections(msgspec.Struct):
    """The top level of ``repodata.json`` with record values left undecoded."""

    info: dict[str, Any] = msgspec.field(default_factory=dict)
    packages: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict)
    packages_conda: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict, name="packages.conda")
    removed: list[str] = msgspec.field(default_factory=list)
    repodata_version: int | None = None


class Header(msgspec.Struct, array_like=True):
    """What the index file holds. ``spans[name]`` is a flat list ``[start, end, first_fn, ...]``."""

    format: int
    source: list[Any]  # [size, mtime_ns, etag] of the repodata.json
    info: dict[str, Any]
    repodata_version: int
    removed: list[str]
    spans: dict[str, list[Any]]


_sections_decoder = msgspec.json.Decoder(_Sections)
_header_decoder = msgspec.msgpack.Decoder(Header)
_span_decoder = msgspec.json.Decoder(dict[str, PackageRecord])
_loose_decoder = msgspec.json.Decoder(dict[str, Any])


def source_key(path: Path, etag: str = "") -> list[Any]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, etag]


# ----------------------------------------------------------------------------------------- build


def build(data: bytes | mmap.mmap, key: list[Any]) -> Header:
    """Index the ``repodata.json`` bytes ``data`` (the exact bytes of the file ``key`` describes)."""
    try:
        sections = _sections_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RepodataError(f"invalid repodata.json: {exc}") from None
    spans: dict[str, list[Any]] = {}
    cursor = 0
    for records in (sections.packages, sections.packages_conda):
        if records:
            cursor = _index_section(data, records, spans, cursor)
    version = sections.repodata_version or int(sections.info.get("repodata_version") or 1)
    info = {k: v for k, v in sections.info.items() if isinstance(v, str | int | float | bool)}
    return Header(FORMAT, list(key), info, version, sections.removed, spans)


def build_from_file(json_path: Path, key: list[Any]) -> Header:
    """``build`` over a memory map of ``json_path`` (pre-faulted: it is read from end to end)."""
    with open(json_path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return build(b"", key)
        if hasattr(mmap, "MAP_POPULATE"):
            flags = mmap.MAP_SHARED | mmap.MAP_POPULATE
            data = mmap.mmap(fh.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
        else:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return build(data, key)


def _index_section(data: Any, records: dict[str, msgspec.Raw], spans: dict[str, list[Any]], hint: int) -> int:
    """Add the spans of one section (``packages`` or ``packages.conda``); returns its end offset.

    Record offsets are predicted from the lengths of the raw values and keys (uniform layout: a
    constant separator such as ``,"<key>":``) and each prediction is verified where a run starts;
    a miss (escaped keys, irregular whitespace) falls back to a search and re-bases the prediction.
    """
    keys = list(records)
    raws = list(records.values())
    runs = _runs(keys)
    # Where the first record starts: search from where the previous section ended, then from 0.
    first = data.find(raws[0], hint)
    if first < 0:
        first = data.find(raws[0])
    if first < 0:
        raise RepodataError("invalid repodata.json: cannot locate records")
    overhead = _separator_overhead(data, keys, raws, first)
    step = max(overhead, 0)
    # predicted[m] = first + sum over t < m of (len(raw_t) + len(key_{t+1}) + overhead)
    next_key_lens = map(len, itertools.islice(keys, 1, None))
    predicted = list(itertools.accumulate(
        map(operator.add, map(len, raws), map(operator.add, next_key_lens, itertools.repeat(step))), initial=first))
    starts: list[int] = []
    delta = 0
    pos = first
    for _name, i, _j in runs:
        if i:
            raw = raws[i]
            guess = predicted[i] + delta
            if data.find(raw, guess, guess + len(raw)) != guess:
                guess = data.find(raw, pos + 1)
                if guess < 0:
                    raise RepodataError("invalid repodata.json: cannot locate records")
                delta = guess - predicted[i]
            pos = guess
        starts.append(pos)
    # A run's span reaches the next run's start; the reader trims the trailing ``,"<key>":``.
    last_j = runs[-1][2]
    last_start = data.find(raws[last_j - 1], starts[-1])
    section_end = last_start + len(raws[last_j - 1])
    starts.append(section_end)
    for n, (name, i, _j) in enumerate(runs):
        entry = spans.get(name)
        if entry is None:
            spans[name] = [starts[n], starts[n + 1], keys[i]]
        else:
            entry.extend((starts[n], starts[n + 1], keys[i]))
    return section_end


def _separator_overhead(data: Any, keys: list[str], raws: list[msgspec.Raw], first: int) -> int:
    """Bytes between two records besides the key itself (``,"":`` = 4 in compact JSON)."""
    if len(raws) < 2:
        return 0
    second = data.find(raws[1], first + len(raws[0]))
    return second - first - len(raws[0]) - len(keys[1]) if second >= 0 else 0


def _runs(keys: list[str]) -> list[tuple[str, int, int]]:
    """``(name, i, j)``: maximal runs of consecutive file names with the same package name.

    A conda file name is ``<name>-<version>-<build>.<ext>`` (versions and builds hold no ``-``), so a
    key starting with ``"<name>-"`` belongs to ``name`` exactly when it has two more dashes than
    ``name``. For sorted keys, the candidates ``"<name>-<digit>..."`` follow each other (bisection);
    the run is their longest prefix whose dash count is exact (prefix sums of dashes; galloping when
    a longer name such as ``<name>-2d`` interleaves). The Python work is per run, not per record.
    """
    n = len(keys)
    if n < 16 or sorted(keys) != keys:
        return _runs_generic(keys, 0)
    dash_sums = list(itertools.accumulate(map(str.count, keys, itertools.repeat("-")), initial=0))
    runs: list[tuple[str, int, int]] = []
    bisect_left = bisect.bisect_left
    i = 0
    while i < n:
        name = keys[i].rsplit("-", 2)[0]
        dashes = name.count("-") + 2
        bound = name + "-:"  # ":" sorts right after the digits
        hi = min(n, i + 64)
        j = bisect_left(keys, bound, i + 1, hi)
        if j == hi and hi < n:
            j = bisect_left(keys, bound, hi, n)
        base = dash_sums[i]
        if dash_sums[j] - base != (j - i) * dashes:
            lo, stride = i + 1, 1
            while lo + stride < j and dash_sums[lo + stride] - base == (lo + stride - i) * dashes:
                lo += stride
                stride *= 2
            hi = min(lo + stride, j)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if dash_sums[mid] - base == (mid - i) * dashes:
                    lo = mid
                else:
                    hi = mid
            j = lo
        runs.append((name, i, j))
        i = j
    return runs


def _runs_generic(keys: list[str], offset: int) -> list[tuple[str, int, int]]:
    runs = []
    pos = offset
    for name, group in itertools.groupby(k.rsplit("-", 2)[0] for k in keys):
        size = len(list(group))
        runs.append((name, pos, pos + size))
        pos += size
    return runs


def write(header: Header, path: Path) -> None:
    atomic_write(path, _MAGIC + msgspec.msgpack.encode(header))


# ------------------------------------------------------------------------------------------ read


def read_header(path: Path, key: list[Any]) -> Header | None:
    """The index at ``path`` if it describes the file identified by ``key``, else None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if not raw.startswith(_MAGIC):
        return None
    try:
        header = _header_decoder.decode(memoryview(raw)[len(_MAGIC) :])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if header.format != FORMAT or list(header.source) != list(key):
        return None
    return header


class LocalIndex:
    """A ``repodata.json`` (memory-mapped) and its name index: ``records(name)`` decodes one name."""

    def __init__(self, header: Header, data: bytes | mmap.mmap) -> None:
        self.header = header
        self._data = data
        self._removed = frozenset(header.removed)

    @classmethod
    def open(cls, json_path: Path, header: Header) -> LocalIndex:
        with open(json_path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data: bytes | mmap.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        return cls(header, data)

    @property
    def info(self) -> dict[str, Any]:
        return self.header.info

    @property
    def repodata_version(self) -> int:
        return self.header.repodata_version

    def names(self) -> list[str]:
        return list(self.header.spans)

    def __contains__(self, name: str) -> bool:
        return name in self.header.spans

    def records(self, name: str) -> list[tuple[str, PackageRecord]]:
        """``(fn, record)`` for ``name``: ``removed`` dropped, ``.conda`` preferred over ``.tar.bz2``."""
        spans = self.header.spans.get(name)
        if not spans:
            return []
        found: dict[str, PackageRecord] = {}
        for k in range(0, len(spans), 3):
            found.update(self._decode_span(spans[k], spans[k + 1], spans[k + 2]))
        if self._removed:
            for fn in self._removed.intersection(found):
                del found[fn]
        out = []
        for fn, rec in found.items():
            if fn.endswith(".tar.bz2") and fn[:-8] + ".conda" in found:
                continue
            out.append((fn, rec))
        return out

    def all_records(self) -> Iterable[tuple[str, PackageRecord]]:
        for name in self.header.spans:
            yield from self.records(name)

    def _decode_span(self, start: int, end: int, first_fn: str) -> dict[str, PackageRecord]:
        chunk = self._data[start:end]
        chunk = chunk[: chunk.rfind(b"}") + 1]  # drop the next run's key that follows the span
        blob = b"".join((b"{", msgspec.json.encode(first_fn), b":", chunk, b"}"))
        try:
            return _span_decoder.decode(blob)
        except msgspec.ValidationError:
            return _decode_leniently(blob)
        except msgspec.DecodeError as exc:
            raise RepodataError(f"corrupt repodata cache ({exc})") from None

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            with contextlib.suppress(BufferError):
                self._data.close()


def _decode_leniently(blob: bytes) -> dict[str, PackageRecord]:
    """Records one by one, skipping any that do not fit the schema (one bad record must not hide a
    whole package name)."""
    out: dict[str, PackageRecord] = {}
    for fn, value in _loose_decoder.decode(blob).items():
        with contextlib.suppress(msgspec.ValidationError, TypeError):
            out[fn] = msgspec.convert(value, PackageRecord, strict=False)
    return out
