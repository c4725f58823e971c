"""A per-package-name index over a cached ``repodata.json``, so a solve decodes only what it can reach.

The index copies no record: it maps each package name to byte spans of the ``repodata.json`` itself.
Channels write ``packages`` sorted by file name (``<name>-<version>-<build>.<ext>``), so a name's
records are almost always one contiguous run of ``"fn": {...}`` pairs. A span is
``(start, stop, first_fn)``: ``start`` is where the run's first record value begins, ``stop`` where
the next run's first value begins (the reader trims the ``,"<key>":`` in between), so
``{"<first_fn>": <bytes start:stop, trimmed>}`` is a JSON object of exactly that run. Loading a name
means slicing a memory map and one ``msgspec`` decode into ``PackageRecord`` structs.

Building it costs one ``msgspec`` pass over the file with ``msgspec.Raw`` values (no record is
decoded), then work per *name*, not per record: run boundaries come from bisecting the sorted file
names, byte offsets from the lengths of the raw values (each verified, with a search as fallback).
Unsorted files still work (a name may then have several spans).

The index file is a small msgpack header (``<key>.naja-index``) tied to the size, mtime and ETag of
the ``repodata.json`` it describes; any change makes it stale and it is rebuilt. It is written
atomically, so concurrent builders are harmless.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import mmap
import operator
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

import msgspec

from naja.errors import RepodataError
from naja.repodata.cache import atomic_write
from naja.types.archive import CONDA_EXT, TAR_BZ2_EXT
from naja.types.records import PackageRecord

FORMAT = 3
RepodataBytes: TypeAlias = "bytes | mmap.mmap"
_MAGIC = b"NAJAIX\x00\x03"


# The scalar ``info`` entries of a ``repodata.json`` (``subdir``, ``base_url``, ...), kept in the index.
InfoValue: TypeAlias = "str | int | float | bool"
# A ``repodata.json`` as the index knows it: [size, mtime_ns, etag].
SourceKey: TypeAlias = "list[int | str]"


class _Sections(msgspec.Struct):
    """The top level of ``repodata.json`` with record values left undecoded."""

    info: dict[str, Any] = msgspec.field(default_factory=dict)  # raw JSON, as the channel wrote it
    packages: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict)
    packages_conda: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict, name="packages.conda")
    removed: list[str] = msgspec.field(default_factory=list)
    repodata_version: int | None = None


class Header(msgspec.Struct, array_like=True):
    """What the index file holds. ``spans[name]`` is a flat list ``[start, stop, first_fn, ...]``."""

    format: int
    source: list[int | str]  # [size, mtime_ns, etag] of the repodata.json
    info: dict[str, InfoValue]
    repodata_version: int
    removed: list[str]
    spans: dict[str, list[int | str]]


_sections_decoder = msgspec.json.Decoder(_Sections)
_header_decoder = msgspec.msgpack.Decoder(Header)
_span_decoder = msgspec.json.Decoder(dict[str, PackageRecord])
_loose_decoder = msgspec.json.Decoder(dict[str, object])


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while decoding many records: every record's ``depends`` list is a tracked
    container, and collections triggered by hundreds of thousands of survivors cost more than the
    decoding itself. Records hold no cycles; the previous GC state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def source_key(path: Path, etag: str = "") -> SourceKey:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, etag]


# ----------------------------------------------------------------------------------------- build


def build(data: bytes | mmap.mmap, key: SourceKey) -> Header:
    """Index the ``repodata.json`` bytes ``data`` (the exact bytes of the file ``key`` describes)."""
    with gc_paused():
        return _build(data, key)


def _build(data: bytes | mmap.mmap, key: SourceKey) -> Header:
    try:
        sections = _sections_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:  # bad UTF-8 too
        raise RepodataError(f"invalid repodata.json: {exc}") from None
    except RecursionError:
        raise RepodataError("invalid repodata.json: nested too deeply") from None
    spans: dict[str, list[int | str]] = {}
    cursor = 0
    for records in (sections.packages, sections.packages_conda):
        if records:
            cursor = _index_section(data, records, spans, cursor)
    version = sections.repodata_version or int(sections.info.get("repodata_version") or 1)
    info = {k: v for k, v in sections.info.items() if isinstance(v, str | int | float | bool)}
    return Header(FORMAT, list(key), info, version, sections.removed, spans)


def build_from_file(json_path: Path, key: SourceKey) -> Header:
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


def _index_section(data: RepodataBytes, records: dict[str, msgspec.Raw], spans: dict[str, list[int | str]], hint: int) -> int:
    """Add the spans of one section (``packages`` or ``packages.conda``); returns its end offset.

    A run's span starts at its first record's value and reaches the next run's first value (the
    reader trims the trailing ``,"<key>":``). Offsets are predicted from the lengths of the raw
    values and keys (a uniform layout has a constant separator such as ``,"<key>":``); every
    prediction is verified, and a miss (escaped keys, irregular whitespace) falls back to a search.

    Runs (maximal ``keys[i:j]`` of one package name): a conda file name is
    ``<name>-<version>-<build>.<ext>`` and versions and builds hold no ``-``, so a key starting with
    ``"<name>-"`` belongs to ``name`` exactly when it has two more dashes than ``name``. For sorted
    keys the candidates ``"<name>-<digit>..."`` follow each other (bisection) and the run is their
    longest prefix with exactly that many dashes (galloping when e.g. ``<name>-2d`` interleaves).
    The Python work is per run (name), not per record; unsorted keys take a per-record path.
    """
    keys = list(records)
    raws = list(records.values())
    n = len(keys)
    # Where the first record starts: search from where the previous section ended, then from 0;
    # the same bytes may occur in the other section, so each candidate is checked against the
    # zero-copy addresses of other values when those are available.
    pos, base = -1, None
    for candidate in _occurrences(data, raws[0], hint):
        if pos < 0:
            pos = candidate
        base = _zero_copy_base(data, raws, candidate)
        if base is not None:
            pos = candidate
            break
        if not _zero_copy_works():
            break
    if pos < 0:
        raise RepodataError("invalid repodata.json: cannot locate records")
    overhead = _separator_overhead(data, keys, raws, pos)
    find = data.find
    get = spans.get
    bisect_left = bisect.bisect_left
    if base is not None:
        import ctypes

        address = ctypes.c_void_p.from_address
    ordered = n > 1 and all(map(operator.le, keys, itertools.islice(keys, 1, None)))
    generic = None if ordered else iter(_runs_generic(keys, raws))
    i = 0
    while i < n:
        key = keys[i]
        if generic is not None:
            name, _, j = next(generic)
            joined = "".join(keys[i:j])
        else:
            name = key.rsplit("-", 2)[0]
            bound = name + "-:"  # ":" sorts right after the digits
            hi = i + 64
            if hi > n:
                hi = n
            j = bisect_left(keys, bound, i + 1, hi)
            if j == hi and hi < n:
                j = bisect_left(keys, bound, hi, n)
            if j - i == 1:  # a single key: its name is ``name`` by construction, if it is well-formed
                joined = key
                if key.count("-") < 2:
                    name = _record_name(raws[i], key)
            else:
                joined = "".join(keys[i:j])
                dashes = name.count("-") + 2
                if joined.count("-") != (j - i) * dashes:
                    j = _exact_end(keys, i, j, dashes)
                    joined = "".join(keys[i:j])
        if j < n:
            nxt = raws[j]
            if base is not None:  # the value's own address (checked layout: exact)
                stop = (address(id(nxt) + _RAW_BUF_OFFSET).value or 0) - base
            else:  # value j starts after values i..j-1, keys i+1..j and one separator per record
                stop = pos + sum(map(len, raws[i:j])) + len(joined) - len(key) + len(keys[j]) + (j - i) * overhead
                if find(nxt, stop, stop + len(nxt)) != stop:
                    stop = find(nxt, pos + 1)
                    if stop < 0:
                        raise RepodataError("invalid repodata.json: cannot locate records")
        else:
            stop = find(raws[j - 1], pos) + len(raws[j - 1])
        entry = get(name)
        if entry is None:
            spans[name] = [pos, stop, key]
        else:
            entry += (pos, stop, key)
        pos = stop
        i = j
    return pos


def _occurrences(data: RepodataBytes, needle: msgspec.Raw, hint: int, limit: int = 4) -> Iterator[int]:
    """Where ``needle`` occurs: from ``hint`` on, then from the start; lazily (each further one is
    only searched for when the caller asks), at most ``limit`` from each start."""
    seen: set[int] = set()
    for start in (hint, 0):
        pos = data.find(needle, start)
        count = 0
        while pos >= 0 and count < limit:
            if pos not in seen:
                seen.add(pos)
                yield pos
            count += 1
            pos = data.find(needle, pos + 1)


_RAW_BUF_OFFSET = 24  # msgspec's Raw: PyObject_HEAD (16 bytes), then ``base``, then ``buf``
_zero_copy_checked: list[bool] = []


def _zero_copy_works() -> bool:
    """Whether ``_zero_copy_base`` works at all here (checked once on a tiny document)."""
    if not _zero_copy_checked:
        doc = b'{"a":{"x":1},"b":{"y":2},"c":{"z":3}}'
        raws = list(msgspec.json.decode(doc, type=dict[str, msgspec.Raw]).values())
        _zero_copy_checked.append(_zero_copy_base(doc, raws, 5) is not None)
    return _zero_copy_checked[0]


def _zero_copy_base(data: RepodataBytes, raws: list[msgspec.Raw], first: int) -> int | None:
    """The address of ``data[0]`` as seen through decoded ``msgspec.Raw`` values, so that a value's
    offset is its buffer pointer minus this base (msgspec decodes ``Raw`` zero-copy). That layout is
    msgspec's, not a public API, so it is checked on several records (a wrong layout cannot pass);
    None when the check fails (another msgspec or interpreter): offsets then come from lengths.
    """
    if sys.implementation.name != "cpython" or len(raws) < 2:
        return None
    try:
        import ctypes

        address = ctypes.c_void_p.from_address
        base = (address(id(raws[0]) + _RAW_BUF_OFFSET).value or 0) - first
        for raw in (raws[1], raws[len(raws) // 3], raws[len(raws) // 2], raws[-1]):
            offset = (address(id(raw) + _RAW_BUF_OFFSET).value or 0) - base
            if not 0 < offset < len(data) or data.find(raw, offset, offset + len(raw)) != offset:
                return None
    except (ImportError, ValueError, OverflowError, TypeError):
        return None
    return base


def _exact_end(keys: list[str], i: int, j: int, dashes: int) -> int:
    """The largest ``k <= j`` such that every key in ``keys[i:k]`` has exactly ``dashes`` dashes."""
    lo, stride = i + 1, 1
    while lo + stride < j and "".join(keys[i : lo + stride]).count("-") == (lo + stride - i) * dashes:
        lo += stride
        stride *= 2
    hi = min(lo + stride, j)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if "".join(keys[i:mid]).count("-") == (mid - i) * dashes:
            lo = mid
        else:
            hi = mid
    return lo


def _separator_overhead(data: RepodataBytes, keys: list[str], raws: list[msgspec.Raw], first: int) -> int:
    """Bytes between two records besides the key itself (``,"":`` = 4 in compact JSON)."""
    if len(raws) < 2:
        return 0
    second = data.find(raws[1], first + len(raws[0]))
    return second - first - len(raws[0]) - len(keys[1]) if second >= 0 else 0


def _record_name(raw: msgspec.Raw, key: str) -> str:
    """The name of a record whose key is not ``name-version-build.ext`` (micromamba takes the key
    as the file name only): read from the record itself."""
    try:
        return _name_decoder.decode(raw).name
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise RepodataError(f"invalid repodata.json: record {key!r} has no name") from None


class _Named(msgspec.Struct):
    name: str


_name_decoder = msgspec.json.Decoder(_Named)


def _runs_generic(keys: list[str], raws: list[msgspec.Raw]) -> Iterable[tuple[str, int, int]]:
    """Runs for keys in any order (a name may then have several runs)."""
    pos = 0
    names = (k.rsplit("-", 2)[0] if k.count("-") >= 2 else _record_name(r, k) for k, r in zip(keys, raws))
    for name, group in itertools.groupby(names):
        size = len(list(group))
        yield name, pos, pos + size
        pos += size


def write(header: Header, path: Path) -> None:
    atomic_write(path, _MAGIC + msgspec.msgpack.encode(header))


# ------------------------------------------------------------------------------------------ read


# Decoded headers by index path, with the (mtime, size, inode) they were read at: a process that
# solves several times (the API, a benchmark, ``env update`` of many specs) decodes each once.
_HEADERS: dict[Path, tuple[tuple[int, int, int], Header]] = {}


def read_header(path: Path, key: SourceKey) -> Header | None:
    """The index at ``path`` if it describes the file identified by ``key``, else None."""
    try:
        st = path.stat()
    except OSError:
        return None
    sig = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _HEADERS.get(path)
    if hit is not None and hit[0] == sig:
        header = hit[1]
    else:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if not raw.startswith(_MAGIC):
            return None
        try:
            header = _header_decoder.decode(memoryview(raw)[len(_MAGIC) :])
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        _HEADERS[path] = (sig, header)
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
    def info(self) -> dict[str, InfoValue]:
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
            found.update(self._decode_span(int(spans[k]), int(spans[k + 1]), str(spans[k + 2])))
        if self._removed:
            for fn in self._removed.intersection(found):
                del found[fn]
        out = []
        for fn, rec in found.items():
            if fn.endswith(TAR_BZ2_EXT) and fn[: -len(TAR_BZ2_EXT)] + CONDA_EXT in found:
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
            try:
                return _span_decoder.decode(blob)
            except msgspec.ValidationError:
                return _decode_leniently(blob)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise RepodataError(f"corrupt repodata cache ({exc})") from None
        except RecursionError:
            raise RepodataError("corrupt repodata cache (nested too deeply)") from None

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
