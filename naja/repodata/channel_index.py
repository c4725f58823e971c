"""`naja index`: turn a directory of package archives into a conda channel.

For every subdir directory (``linux-64``, ``noarch``, …) holding `.conda`/`.tar.bz2` archives this
writes ``repodata.json`` (CEP 36: ``info.subdir``, ``packages``, ``packages.conda``, ``removed``,
``repodata_version: 1``), ``repodata.json.zst``, and CEP-16 sharded repodata
(``repodata_shards.msgpack.zst`` mapping each package name to the sha256 of its shard
``shards/<sha256>.msgpack.zst``, with md5/sha256 stored as bytes). ``noarch/`` is always written, as
conda-index does, because clients always fetch it. Records come from ``info/index.json`` plus the
archive's ``md5``, ``sha256`` and ``size`` (and ``run_exports`` when the package ships
``info/run_exports.json``, as rattler's indexer does). A per-subdir cache keyed on file size and mtime
makes re-indexing a channel after adding one package cheap.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeAlias, TypedDict

from naja import safe_json
from naja.errors import PackageError
from naja.fs import atomic_write
from naja.package.download import file_digests
from naja.package.info import index_json, read_info_json
from naja.types.archive import CONDA_EXT, PACKAGE_EXTENSIONS, TAR_BZ2_EXT

log = logging.getLogger(__name__)

REPODATA_JSON = "repodata.json"
SHARDS_INDEX = "repodata_shards.msgpack.zst"
SHARDS_DIR = "shards"
CACHE_FILE = ".naja-index-cache.json"
_CACHE_VERSION = 1
_ZST_LEVEL = 12
_SHARD_ZST_LEVEL = 10
# keys whose absence or emptiness means the same thing as a missing value; dropped like rattler does
_DROP_IF_EMPTY = ("constrains", "track_features", "features")

Record: TypeAlias = dict[str, Any]
"""One repodata record as JSON: ``info/index.json`` of the archive plus its checksums and size."""
Section = Literal["packages", "packages.conda"]
_SECTIONS: tuple[Section, ...] = ("packages", "packages.conda")


class RepodataInfo(TypedDict):
    subdir: str


# "packages.conda" is not an identifier: the functional syntax
Repodata = TypedDict("Repodata", {
    "info": RepodataInfo,
    "packages": dict[str, Record],
    "packages.conda": dict[str, Record],
    "removed": list[str],
    "repodata_version": int,
})
"""``repodata.json`` as this indexer writes it (CEP 36)."""

_ShardRecords = TypedDict("_ShardRecords", {
    "packages": dict[str, Record],
    "packages.conda": dict[str, Record],
    "removed": list[str],
})
"""One CEP 16 shard: the records of one package name (checksums as bytes)."""


class _FileKey(TypedDict):
    """What makes a cached record current: the archive's size and mtime."""

    size: int
    mtime_ns: int


class _CacheEntry(TypedDict):
    """One archive in the per-subdir index cache (``.naja-index-cache.json``)."""

    key: _FileKey
    record: Record


def index_channel(
    root: str | os.PathLike[str],
    *,
    subdirs: Iterable[str] | None = None,
    zst: bool = True,
    shards: bool = True,
    threads: int | None = None,
    force: bool = False,
    on_error: str = "warn",
) -> list[Path]:
    """Index the channel at ``root``; returns the ``repodata.json`` paths written.

    ``subdirs`` limits indexing to those subdirs (``noarch`` is always included). ``force`` ignores
    the cache. A corrupt archive is skipped with a warning (``on_error="warn"``) or raises
    `PackageError` (``on_error="raise"``).
    """
    root = Path(root)
    if not root.is_dir():
        raise PackageError(f"{root}: channel directory does not exist")
    if on_error not in ("warn", "raise"):
        raise ValueError("on_error must be 'warn' or 'raise'")
    names = set(subdirs) if subdirs is not None else _discover_subdirs(root)
    names.add("noarch")
    written = []
    with ThreadPoolExecutor(max_workers=threads or min(8, (os.cpu_count() or 2) + 2)) as pool:
        for subdir in sorted(names):
            written.append(
                _index_subdir(root / subdir, subdir, pool, zst=zst, shards=shards, force=force, on_error=on_error)
            )
    return written


def subdirs_to_index(root: str | os.PathLike[str]) -> list[str]:
    """The subdirs ``index_channel`` would write (those holding packages, and ``noarch``)."""
    return sorted(_discover_subdirs(Path(root)) | {"noarch"})


def _discover_subdirs(root: Path) -> set[str]:
    found = set()
    for entry in os.scandir(root):
        if entry.is_dir() and not entry.name.startswith("."):
            with os.scandir(entry.path) as it:
                if any(e.is_file() and e.name.endswith(PACKAGE_EXTENSIONS) for e in it):
                    found.add(entry.name)
    return found


def _index_subdir(
    path: Path, subdir: str, pool: ThreadPoolExecutor, *, zst: bool, shards: bool, force: bool, on_error: str
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    cache = {} if force else _load_cache(path)
    archives = sorted(
        (e for e in os.scandir(path) if e.is_file() and e.name.endswith(PACKAGE_EXTENSIONS) and e.name[0] != "."),
        key=lambda e: e.name,
    )
    jobs: dict[str, tuple[_FileKey, Future[Record]]] = {}
    new_cache: dict[str, _CacheEntry] = {}
    for entry in archives:
        st = entry.stat()
        key: _FileKey = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        cached = cache.get(entry.name)
        if cached and cached.get("key") == key:
            new_cache[entry.name] = cached
        else:
            jobs[entry.name] = (key, pool.submit(package_record, Path(entry.path), subdir))
    for fn, (key, future) in jobs.items():
        try:
            new_cache[fn] = {"key": key, "record": future.result()}
        except PackageError as exc:
            if on_error == "raise":
                raise
            log.warning("skipping %s", exc)
    records = {fn: entry["record"] for fn, entry in sorted(new_cache.items())}
    repodata = make_repodata(subdir, records)
    out = path / REPODATA_JSON
    data = json.dumps(repodata, indent=2, sort_keys=True).encode() + b"\n"
    atomic_write(out, data)
    if zst:
        atomic_write(path / (REPODATA_JSON + ".zst"), _zstd(data, _ZST_LEVEL))
    else:
        (path / (REPODATA_JSON + ".zst")).unlink(missing_ok=True)
    if shards:
        write_shards(path, subdir, repodata)
    _save_cache(path, new_cache)
    return out


def package_record(archive: Path, subdir: str | None = None) -> Record:
    """The repodata record of one archive: info/index.json + md5, sha256, size (+ run_exports)."""
    parsed = read_info_json(archive, ["info/index.json", "info/run_exports.json"])
    index = index_json(archive, parsed)
    run_exports = parsed.get("info/run_exports.json")
    if not all(index.get(k) is not None for k in ("name", "version", "build")):
        raise PackageError(f"{archive}: info/index.json lacks name, version or build")
    try:
        (md5, sha256), size = file_digests(archive, ("md5", "sha256"))
    except OSError as exc:
        raise PackageError(f"{archive}: cannot read: {exc.strerror or exc}") from exc
    record: Record = {k: v for k, v in index.items() if v is not None}
    for key in _DROP_IF_EMPTY:
        if key in record and not record[key]:
            del record[key]
    record.setdefault("depends", [])
    record.setdefault("build_number", 0)
    if subdir and "subdir" not in record:
        record["subdir"] = subdir
    if run_exports:
        record["run_exports"] = run_exports
    record.update(md5=md5, sha256=sha256, size=size)
    return record


def make_repodata(subdir: str, records: dict[str, Record]) -> Repodata:
    """``repodata.json`` content for a subdir from ``{filename: record}``."""
    return {
        "info": {"subdir": subdir},
        "packages": {fn: r for fn, r in records.items() if fn.endswith(TAR_BZ2_EXT)},
        "packages.conda": {fn: r for fn, r in records.items() if fn.endswith(CONDA_EXT)},
        "removed": [],
        "repodata_version": 1,
    }


def write_shards(path: Path, subdir: str, repodata: Repodata) -> Path:
    """Write CEP-16 shards for ``repodata`` into ``path``; removes shards no longer referenced."""
    import msgspec

    by_name: dict[str, _ShardRecords] = {}
    for key in _SECTIONS:
        for fn, record in repodata[key].items():
            shard = by_name.setdefault(record["name"], {"packages": {}, "packages.conda": {}, "removed": []})
            shard[key][fn] = _pack_record(record)
    shard_dir = path / SHARDS_DIR
    shard_dir.mkdir(exist_ok=True)
    index: dict[str, bytes] = {}
    for name in sorted(by_name):
        blob = _zstd(msgspec.msgpack.encode(by_name[name]), _SHARD_ZST_LEVEL)
        digest = hashlib.sha256(blob).digest()
        index[name] = digest
        target = shard_dir / f"{digest.hex()}.msgpack.zst"
        if not target.exists():
            atomic_write(target, blob)
    keep = {f"{d.hex()}.msgpack.zst" for d in index.values()}
    for entry in os.scandir(shard_dir):
        if entry.name.endswith(".msgpack.zst") and entry.name not in keep:
            Path(entry.path).unlink(missing_ok=True)
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    doc = {
        "version": 1,
        "info": {"subdir": subdir, "base_url": "", "shards_base_url": f"./{SHARDS_DIR}/", "created_at": created},
        "shards": index,
    }
    out = path / SHARDS_INDEX
    atomic_write(out, _zstd(msgspec.msgpack.encode(doc), _SHARD_ZST_LEVEL))
    return out


def _pack_record(record: Record) -> Record:
    """CEP 16 stores checksums as raw bytes."""
    packed = dict(record)
    for key in ("md5", "sha256"):
        if isinstance(packed.get(key), str):
            packed[key] = bytes.fromhex(packed[key])
    return packed


def _zstd(data: bytes, level: int) -> bytes:
    from naja import _zstd

    return _zstd.compress(data, level)


def _load_cache(path: Path) -> dict[str, _CacheEntry]:
    try:
        doc = safe_json.loads((path / CACHE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != _CACHE_VERSION:
        return {}
    entries = doc.get("entries")
    # our own file, its entries taken as ``_save_cache`` wrote them (one whose ``key`` differs is redone)
    return entries if isinstance(entries, dict) else {}


def _save_cache(path: Path, entries: dict[str, _CacheEntry]) -> None:
    doc = {"version": _CACHE_VERSION, "entries": entries}
    try:
        atomic_write(path / CACHE_FILE, json.dumps(doc, separators=(",", ":")).encode())
    except OSError as exc:  # a read-only channel can still be indexed, just not incrementally
        log.debug("cannot write index cache in %s: %s", path, exc)
