"""One channel subdir made ready to answer "the records of these names": fetched (or taken from the
cache), then either indexed locally (``repodata.json``) or opened as CEP 16 shards.

The sequence for an HTTP subdir, under a per-entry file lock so parallel processes fetch once:

1. shards: unless the state says the server has none, get ``repodata_shards.msgpack.zst`` with HTTP
   caching; a 404 is remembered in the state (``has_shards``) and we fall back to
2. ``repodata.json``: fresh cache is used as is (``local_repodata_ttl``); otherwise a conditional GET,
   of ``.json.zst`` first unless the state remembers the server has none;
3. the local index (``local_index``) is rebuilt when the ``.json`` it describes changed.

``file://`` channels are read in place (no copy); only the index goes to the cache directory.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import msgspec

from naja import bounded
from naja.errors import CacheLockTimeout, ChannelError, LimitError, RepodataError
from naja.repodata import cache, fetch, local_index, shards
from naja.repodata.cache import RepodataState
from naja.types.records import PackageRecord
from naja.types.url import redact_url

if TYPE_CHECKING:
    from naja.types.channel import Channel

Source: TypeAlias = "shards.ShardedSubdir | local_index.LocalIndex"
"""What a ready subdir reads its records from: CEP 16 shards, or the local index of a ``repodata.json``."""


class FetchOptions(msgspec.Struct, frozen=True):
    """How to fetch repodata: the configuration's part (built once by ``naja.api.context.Context``)
    plus the per-call ``offline``/``progress`` (``msgspec.structs.replace``)."""

    cache_dir: Path = msgspec.field(default_factory=lambda: default_cache_dir())
    ttl: int = 1
    """``local_repodata_ttl``: 0 always revalidate, 1 honour Cache-Control, N seconds."""
    use_zst: bool = True
    use_shards: bool = True
    """``use_sharded_repodata``: try CEP 16 shards before ``repodata.json``."""
    offline: bool = False
    http: fetch.HttpOptions = msgspec.field(default_factory=fetch.HttpOptions)
    progress: fetch.ProgressCallback | None = None
    lock_timeout: float = 0
    """``lock_timeout``: seconds to wait for another process's lock on a cache entry (0: no limit)."""


def default_cache_dir() -> Path:
    """Where repodata is cached when no package cache is configured (library callers)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("naja")) / "repodata"


class Subdir:
    """A ready subdir: ``load(names)`` gives ``{name: [(fn, record)]}`` with ``fn``/``url``/``channel``/
    ``subdir`` filled in."""

    def __init__(self, channel_base: str, subdir: str, label: str, source: Source, package_base_url: str) -> None:
        self.channel = channel_base
        self.subdir = subdir
        self.label = label
        self._source = source
        self.package_base_url = package_base_url
        self.sharded = isinstance(source, shards.ShardedSubdir)

    def names(self) -> list[str]:
        return self._source.names()

    reopen: Callable[[], Subdir | None] | None = None
    """Fetches the subdir again from scratch (set for cached HTTP subdirs): used once when cached
    data turns out to be corrupt while reading it."""

    def load(self, names: list[str]) -> dict[str, list[PackageRecord]]:
        try:
            found = self._load(names)
        except RepodataError:
            fresh = self.reopen() if self.reopen is not None else None
            if fresh is None:
                raise
            self._source, self.package_base_url, self.reopen = fresh._source, fresh.package_base_url, None
            found = self._load(names)
        return {name: [self._finish(fn, rec) for fn, rec in pairs] for name, pairs in found.items()}

    def _load(self, names: list[str]) -> dict[str, list[tuple[str, PackageRecord]]]:
        source = self._source
        if isinstance(source, shards.ShardedSubdir):
            return source.load(names)
        return {n: source.records(n) for n in names if n in source}

    def load_all(self) -> list[PackageRecord]:
        if isinstance(self._source, shards.ShardedSubdir):
            return [r for recs in self.load(self.names()).values() for r in recs]
        return [self._finish(fn, rec) for fn, rec in self._source.all_records()]

    def _finish(self, fn: str, rec: PackageRecord) -> PackageRecord:
        rec.fn = fn
        rec.url = self.package_base_url + fn
        rec.channel = self.channel
        if not rec.subdir:
            rec.subdir = self.subdir
        return rec


def open_subdir(channel: Channel, subdir: str, options: FetchOptions, *, allow_shards: bool = True) -> Subdir | None:
    """Fetch/cache one subdir of ``channel`` (a ``naja.types.channel.Channel``); None when the channel has no
    such subdir (HTTP 404 / missing directory)."""
    url = channel.subdir_url(subdir)  # with credentials: for requests only
    clean = f"{channel.base_url}/{subdir}"
    label = f"{getattr(channel, 'canonical_name', None) or redact_url(channel.base_url)}/{subdir}"
    options.cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache.cache_key(clean)
    if clean.startswith("file:"):
        return _open_local(channel, subdir, url, clean, label, key, options, allow_shards)
    with _entry_lock(options, key, label):
        entry = _Entry(options.cache_dir, key)
        _remove_stale_temps(entry)
        state = cache.read_state(entry.state)
        if allow_shards and options.use_shards:
            known = cache.flag_known(state.has_shards) if state else None
            if known is not False:
                sharded = _open_sharded(url, clean, label, entry, options, known)
                if sharded is not None:
                    return _make(channel, subdir, label, sharded, sharded.package_base_url)
                state = cache.read_state(entry.state)
        if options.offline and state is not None and state.not_found is not None and state.not_found.value:
            return None  # remembered 404: the channel has no such subdir
        try:
            state, header = _fetch_json(url, clean, label, entry, state, options)
        except fetch.NotFoundError:
            cache.write_state(entry.state, RepodataState(
                url=redact_url(clean), has_shards=state.has_shards if state else None,
                not_found=cache.new_flag(True)))
            return None
        try:
            index = _ensure_index(entry.json, entry.index, state.etag, header)
        except RepodataError:
            index = _refetch(url, clean, label, entry, options)
        made = _make(channel, subdir, label, index, _package_base(clean, index))
        if not options.offline:
            made.reopen = lambda: _reopen(channel, subdir, label, url, clean, entry, options)
        return made


def _refetch(url: str, clean: str, label: str, entry: _Entry, options: FetchOptions) -> local_index.LocalIndex:
    """The cached repodata is corrupt: throw it away and fetch it again (once, whatever its
    ``max-age``); a download is checked before it enters the cache, so a second failure is an error."""
    if options.offline:
        raise RepodataError(f"{label}: the cached repodata is corrupt and --offline forbids refetching") from None
    _discard(entry)
    state, header = _fetch_json_once(url, clean, label, entry, None, options)
    try:
        return _ensure_index(entry.json, entry.index, state.etag, header)
    except RepodataError as exc:
        _discard(entry)
        raise RepodataError(f"{label}: {exc}") from None


def _reopen(channel: Channel, subdir: str, label: str, url: str, clean: str, entry: _Entry,
            options: FetchOptions) -> Subdir:
    with _entry_lock(options, entry.key, label):
        index = _refetch(url, clean, label, entry, options)
    return _make(channel, subdir, label, index, _package_base(clean, index))


@contextlib.contextmanager
def _entry_lock(options: FetchOptions, key: str, label: str) -> Iterator[None]:
    """The cache entry's lock, as another naja process may be refreshing it; waits at most
    ``lock_timeout`` seconds (0: as long as it takes), then fails naming the lock."""
    import filelock

    path = options.cache_dir / f"{key}.lock"
    lock = filelock.FileLock(str(path), timeout=options.lock_timeout or -1, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise CacheLockTimeout(f"{label}: the repodata cache lock {path} is held by another process "
                               f"(waited {options.lock_timeout:g}s)") from None
    try:
        yield
    finally:
        lock.release()


class _Entry(msgspec.Struct):
    directory: Path
    key: str

    @property
    def json(self) -> Path:
        return self.directory / f"{self.key}.json"

    @property
    def state(self) -> Path:
        return self.directory / f"{self.key}{cache.STATE_SUFFIX}"

    @property
    def index(self) -> Path:
        return self.directory / f"{self.key}{cache.INDEX_SUFFIX}"

    @property
    def shard_index(self) -> Path:
        return self.directory / f"{self.key}{cache.SHARD_INDEX_SUFFIX}"

    @property
    def shard_state(self) -> Path:
        return self.directory / f"{self.key}.shards{cache.STATE_SUFFIX}"


def _make(channel: Channel, subdir: str, label: str, source: Source, package_base: str) -> Subdir:
    info_subdir = source.info.get("subdir") if isinstance(source, local_index.LocalIndex) else None
    return Subdir(channel.base_url, info_subdir if isinstance(info_subdir, str) and info_subdir else subdir,
                  label, source, package_base)


def _package_base(clean_subdir_url: str, index: local_index.LocalIndex) -> str:
    """CEP 15: with ``repodata_version`` 2, ``info.base_url`` (absolute or relative to the subdir) if
    present; else the subdir URL."""
    import urllib.parse

    base = clean_subdir_url + "/"
    info_base = index.info.get("base_url")
    if index.repodata_version >= 2 and isinstance(info_base, str) and info_base:
        base = urllib.parse.urljoin(base, info_base)
        if not base.endswith("/"):
            base += "/"
    return redact_url(base)


# ----------------------------------------------------------------------------------- repodata.json


def _fetch_json(
    url: str, clean: str, label: str, entry: _Entry, state: RepodataState | None, options: FetchOptions
) -> tuple[RepodataState, local_index.Header | None]:
    """The state of an up-to-date ``<key>.json`` and, when just downloaded, its index. A download
    that does not parse is fetched once more (unconditionally), then refused; it never enters the
    cache."""
    try:
        return _fetch_json_once(url, clean, label, entry, state, options)
    except RepodataError:
        pass
    try:
        return _fetch_json_once(url, clean, label, entry, None, options)
    except RepodataError:
        _discard(entry)  # what the server sends is unusable: keep nothing that describes it
        raise


def _fetch_json_once(
    url: str, clean: str, label: str, entry: _Entry, state: RepodataState | None, options: FetchOptions
) -> tuple[RepodataState, local_index.Header | None]:
    valid = state if state is not None and state.matches(entry.json) else None
    if options.offline:
        if valid is not None:
            return valid, None
        if entry.json.is_file():
            return cache.state_for_file(entry.json, RepodataState(url=redact_url(clean))), None
        raise ChannelError(f"{label}: no cached repodata and --offline is set (run once online first)")
    if valid is not None and valid.is_fresh(options.ttl):
        return valid, None
    with _temp_files(entry) as (download, plain):
        return _download_json(url, clean, label, entry, state, options, download, plain)


def _remove_stale_temps(entry: _Entry) -> None:
    """Temporary files a killed process left for this entry (its lock is ours: nobody writes them)."""
    for path in entry.directory.glob(f"{entry.key}.*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()


@contextlib.contextmanager
def _temp_files(entry: _Entry) -> Iterator[tuple[Path, Path]]:
    """Two temporary names in the cache directory (``*.tmp``: never taken for an entry), removed after."""
    from naja import interrupt

    stem = f"{entry.key}.{os.getpid()}.{threading.get_ident()}"
    paths = (entry.directory / f"{stem}.download.tmp", entry.directory / f"{stem}.json.tmp")
    try:
        with interrupt.tracking(entry.directory, f"{stem}.*.tmp"):  # Ctrl-C removes them too
            yield paths
    finally:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()


def _download_json(
    url: str, clean: str, label: str, entry: _Entry, state: RepodataState | None, options: FetchOptions,
    download: Path, plain: Path,
) -> tuple[RepodataState, local_index.Header | None]:
    """GET ``repodata.json(.zst)`` into ``download`` (conditionally when ``state`` describes the cached
    file), decompress it into ``plain``, index it, and only then move it into the cache."""
    valid = state if state is not None and state.matches(entry.json) else None
    zst_known = cache.flag_known(state.has_zst) if state is not None else None
    cached_variant_zst = bool(valid is not None and valid.has_zst and valid.has_zst.value)
    conditional: dict[str, str] = {}
    if valid is not None:
        if valid.etag:
            conditional["If-None-Match"] = valid.etag
        if valid.mod:
            conditional["If-Modified-Since"] = valid.mod
    resp = None
    from_zst = False
    has_zst: bool | None = zst_known
    if options.use_zst and zst_known is not False:
        try:
            resp = fetch.get(f"{url}/repodata.json.zst", label=label, options=options.http, sink=download,
                             headers=conditional if cached_variant_zst else {}, progress=options.progress)
            has_zst = from_zst = True
        except fetch.HTTPStatusError as exc:
            if exc.status not in (403, 404, 410):  # some object stores answer 403 for a missing file
                raise
            has_zst = False
    if resp is None:
        resp = fetch.get(f"{url}/repodata.json", label=label, options=options.http, sink=download,
                         headers=conditional if valid is not None and not cached_variant_zst else {},
                         progress=options.progress)
    flag = cache.new_flag(has_zst) if has_zst is not None else (state.has_zst if state else None)
    if resp.status == 304:
        if valid is None:
            raise ChannelError(f"{label}: the server answered 304 Not Modified to an unconditional request")
        refreshed = msgspec.structs.replace(
            valid, refresh_ns=time.time_ns(), has_zst=flag,
            cache_control=resp.headers.get("cache-control", valid.cache_control),
        )
        cache.write_state(entry.state, refreshed)
        return refreshed, None
    shown = f"{label}: {redact_url(_resp_url(url, from_zst))}"
    if from_zst and _is_zst_file(download):
        _decompress_file(download, plain, options.http.max_bytes, shown)
    else:
        os.replace(download, plain)
    try:
        header = local_index.build_from_file(plain, local_index.source_key(plain, resp.headers.get("etag", "")))
    except RepodataError as exc:
        raise RepodataError(f"{shown}: {exc}") from None
    os.replace(plain, entry.json)
    local_index.write(header, entry.index)
    new_state = RepodataState(
        url=redact_url(clean),
        etag=resp.headers.get("etag", ""),
        mod=resp.headers.get("last-modified", ""),
        cache_control=resp.headers.get("cache-control", ""),
        has_zst=flag,
        has_shards=state.has_shards if state else None,
    )
    new_state = cache.state_for_file(entry.json, new_state)
    cache.write_state(entry.state, new_state)
    return new_state, header


def _resp_url(url: str, from_zst: bool) -> str:
    return f"{url}/repodata.json.zst" if from_zst else f"{url}/repodata.json"


def _is_zst_file(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x28\xb5\x2f\xfd"


def _decompress_file(source: Path, target: Path, limit: int, what: str) -> None:
    """Stream-decompress the zstd file ``source`` into ``target``, within ``limit`` bytes."""
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            for chunk in bounded.zstd_chunks(iter(lambda: src.read(bounded.CHUNK), b""), limit, what):
                dst.write(chunk)
    except ChannelError as exc:  # not zstd after all: a corrupt download, worth one more try
        raise RepodataError(str(exc)) from None


def _ensure_index(
    json_path: Path, index_path: Path, etag: str, header: local_index.Header | None
) -> local_index.LocalIndex:
    """The local index for ``json_path``: the one just built, or read if current, else built."""
    try:
        key = local_index.source_key(json_path, etag)
    except OSError as exc:
        raise RepodataError(f"cannot read cached repodata {json_path}: {exc.strerror}") from None
    if header is None or list(header.source) != key:
        header = local_index.read_header(index_path, key)
    if header is None:
        header = local_index.build_from_file(json_path, key)
        local_index.write(header, index_path)
    return local_index.LocalIndex.open(json_path, header)


def _discard(entry: _Entry) -> None:
    for path in (entry.json, entry.state, entry.index):
        with contextlib.suppress(OSError):
            path.unlink()


# ------------------------------------------------------------------------------------------ shards


def _open_sharded(
    url: str, clean: str, label: str, entry: _Entry, options: FetchOptions, known: bool | None
) -> shards.ShardedSubdir | None:
    """The sharded subdir, or None when the server has no shard index (remembered in the state).
    A cached index that does not decode is deleted and fetched again once, whatever its ``max-age``."""
    try:
        index = _shard_index(url, clean, label, entry, options, known)
    except RepodataError:
        if options.offline:
            raise
        for path in (entry.shard_index, entry.shard_state):
            path.unlink(missing_ok=True)
        index = _shard_index(url, clean, label, entry, options, known)
    if index is None:
        return None
    return shards.ShardedSubdir(index, label=label, subdir_url=url, clean_subdir_url=clean,
                                cache_dir=entry.directory, options=options.http, offline=options.offline)


def _shard_index(
    url: str, clean: str, label: str, entry: _Entry, options: FetchOptions, known: bool | None
) -> shards.ShardIndex | None:
    """The decoded shard index (cached, revalidated or downloaded); a download is decoded before it
    is cached, so junk is refused with the URL and never kept."""
    limit = min(options.http.max_bytes, bounded.MAX_IN_MEMORY)
    sstate = cache.read_state(entry.shard_state)
    valid = sstate if sstate is not None and sstate.matches(entry.shard_index) else None
    if options.offline or (valid is not None and valid.is_fresh(options.ttl)):
        if valid is None:
            return None
        return shards.decode_index(entry.shard_index.read_bytes(), label, limit)
    headers: dict[str, str] = {}
    if valid is not None and valid.etag:
        headers["If-None-Match"] = valid.etag
    if valid is not None and valid.mod:
        headers["If-Modified-Since"] = valid.mod
    index_url = f"{url}/{shards.INDEX_NAME}"
    try:
        resp = fetch.get(index_url, label=label, options=options.http, headers=headers, limit=limit)
    except fetch.NotFoundError:
        _set_has_shards(entry, clean, False)
        return None
    except fetch.HTTPStatusError:
        return None  # 401/403/...: repodata.json will either work or report the problem
    if resp.status == 304 and valid is not None:
        cache.write_state(entry.shard_state, msgspec.structs.replace(
            valid, refresh_ns=time.time_ns(), cache_control=resp.headers.get("cache-control", valid.cache_control)))
        return shards.decode_index(entry.shard_index.read_bytes(), label, limit)
    try:
        index = shards.decode_index(resp.body, label, limit)
    except (RepodataError, LimitError) as exc:
        raise type(exc)(f"{exc} (from {redact_url(index_url)})") from None
    cache.atomic_write(entry.shard_index, resp.body)
    cache.write_state(entry.shard_state, cache.state_for_file(entry.shard_index, RepodataState(
        url=redact_url(index_url), etag=resp.headers.get("etag", ""),
        mod=resp.headers.get("last-modified", ""), cache_control=resp.headers.get("cache-control", ""))))
    if known is not True:
        _set_has_shards(entry, clean, True)
    return index


def _set_has_shards(entry: _Entry, clean: str, value: bool) -> None:
    state = cache.read_state(entry.state) or RepodataState(url=redact_url(clean))
    cache.write_state(entry.state, msgspec.structs.replace(state, has_shards=cache.new_flag(value)))


# ------------------------------------------------------------------------------------------- local


def _open_local(
    channel: Channel, subdir: str, url: str, clean: str, label: str, key: str, options: FetchOptions, allow_shards: bool
) -> Subdir | None:
    """``file://``: shards read in place if present, else the ``repodata.json`` (or ``.zst``) indexed
    in place; nothing but the index (or a decompressed ``.zst``) is written to the cache."""
    directory = fetch.file_path(url)
    if not directory.is_dir():
        return None
    entry = _Entry(options.cache_dir, key)
    shard_index = directory / shards.INDEX_NAME
    json_path = directory / "repodata.json"
    if allow_shards and options.use_shards and shard_index.is_file() and not json_path.is_file():
        decoded = shards.decode_index(shard_index.read_bytes(), label, min(options.http.max_bytes, bounded.MAX_IN_MEMORY))
        sharded = shards.ShardedSubdir(decoded, label=label, subdir_url=url, clean_subdir_url=clean,
                                       cache_dir=None, options=options.http)
        return _make(channel, subdir, label, sharded, sharded.package_base_url)
    if not json_path.is_file():
        zst = directory / "repodata.json.zst"
        if not zst.is_file():
            return None
        json_path = entry.json
        if not (json_path.is_file() and json_path.stat().st_mtime_ns >= zst.stat().st_mtime_ns):
            with _temp_files(entry) as (_, plain):
                _decompress_file(zst, plain, options.http.max_bytes, f"{label}: {zst}")
                os.replace(plain, json_path)
    try:
        index = _ensure_index(json_path, entry.index, "", None)
    except OSError as exc:
        raise ChannelError(f"{label}: cannot read {json_path}: {exc.strerror}") from None
    except RepodataError as exc:
        raise RepodataError(f"{json_path}: {exc}") from None
    return _make(channel, subdir, label, index, _package_base(clean, index))

