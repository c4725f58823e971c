"""CEP 16 sharded repodata: a small name → shard-hash index, then one content-addressed file per name.

``<subdir>/repodata_shards.msgpack.zst`` is ``{version, info: {base_url, shards_base_url, ...},
shards: {name: sha256 bytes}}``; both URLs are relative to the subdir URL. A shard lives at
``<shards_base_url><hex>.msgpack.zst`` and holds ``packages`` / ``packages.conda`` / ``removed`` for one
name, with ``md5``/``sha256`` as raw bytes. Shards are immutable, so they are cached by hash forever
(``<cache_dir>/shards-v1/<hex>.msgpack.zst``) and never revalidated; the index follows normal HTTP
caching. The client walks dependencies breadth first, fetching each level's shards in parallel.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path

import msgspec

from naja.bounded import MAX_IN_MEMORY, decompress_zstd
from naja.errors import ChannelError, LimitError, RepodataError
from naja.repodata import fetch
from naja.repodata.cache import SHARDS_DIR, atomic_write
from naja.types.archive import CONDA_EXT, TAR_BZ2_EXT
from naja.types.records import PackageRecord
from naja.types.url import redact_url

INDEX_NAME = "repodata_shards.msgpack.zst"
MAX_THREADS = 10


class ShardInfo(msgspec.Struct):
    base_url: str = ""
    shards_base_url: str = ""
    subdir: str = ""


class ShardIndex(msgspec.Struct):
    info: ShardInfo = msgspec.field(default_factory=ShardInfo)
    shards: dict[str, bytes] = msgspec.field(default_factory=dict)
    version: int = 1


class _Shard(msgspec.Struct):
    packages: dict[str, dict[str, object]] = msgspec.field(default_factory=dict)
    packages_conda: dict[str, dict[str, object]] = msgspec.field(default_factory=dict, name="packages.conda")
    removed: list[str] = msgspec.field(default_factory=list)


_index_decoder = msgspec.msgpack.Decoder(ShardIndex)
_shard_decoder = msgspec.msgpack.Decoder(_Shard)

def executor() -> Executor:
    """The pool shard downloads run on (shared, made on first use)."""
    from naja.pools import shared_pool

    return shared_pool("shards", MAX_THREADS)


def decompress(data: bytes, what: str, limit: int = MAX_IN_MEMORY) -> bytes:
    """zstd ``data`` decompressed, within ``limit`` bytes (``LimitError`` beyond)."""
    try:
        return decompress_zstd(data, limit, what)
    except LimitError:
        raise
    except ChannelError as exc:
        raise RepodataError(str(exc)) from None


def decode_index(data: bytes, label: str, limit: int = MAX_IN_MEMORY) -> ShardIndex:
    try:
        return _index_decoder.decode(decompress(data, f"{label}: shard index", limit))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RepodataError(f"{label}: invalid shard index ({exc})") from None
    except RecursionError:
        raise RepodataError(f"{label}: invalid shard index (nested too deeply)") from None


class ShardedSubdir:
    """One subdir served as CEP 16 shards; ``load(names)`` fetches (or reads cached) shards in parallel."""

    def __init__(
        self,
        index: ShardIndex,
        *,
        label: str,
        subdir_url: str,
        clean_subdir_url: str,
        cache_dir: Path | None,
        options: fetch.HttpOptions,
        offline: bool = False,
    ) -> None:
        self.index = index
        self.label = label
        base = subdir_url.rstrip("/") + "/"
        self._shards_base = urllib.parse.urljoin(base, index.info.shards_base_url or "")
        if not self._shards_base.endswith("/"):
            self._shards_base += "/"
        package_base = urllib.parse.urljoin(clean_subdir_url.rstrip("/") + "/", index.info.base_url or "")
        self.package_base_url = redact_url(package_base if package_base.endswith("/") else package_base + "/")
        self._cache = None if cache_dir is None else cache_dir / SHARDS_DIR
        self._options = options
        self._limit = min(options.max_bytes, MAX_IN_MEMORY)
        self._offline = offline
        self._local = base.startswith("file:")

    def names(self) -> list[str]:
        return list(self.index.shards)

    def __contains__(self, name: str) -> bool:
        return name in self.index.shards

    def load(self, names: Iterable[str]) -> dict[str, list[tuple[str, PackageRecord]]]:
        """``{name: [(fn, record), ...]}`` for every name this subdir has a shard for."""
        wanted = [n for n in dict.fromkeys(names) if n in self.index.shards]
        if not wanted:
            return {}
        if len(wanted) == 1:
            return {wanted[0]: self._load_one(wanted[0])}
        futures = {n: executor().submit(self._load_one, n) for n in wanted}
        return {n: f.result() for n, f in futures.items()}

    def _load_one(self, name: str) -> list[tuple[str, PackageRecord]]:
        """The shard of ``name``: from the cache if it is intact (a cached shard that fails its hash
        or does not parse is deleted and fetched again), else fetched, verified, parsed, then cached."""
        digest = self.index.shards[name]
        what = f"{self.label}: shard for {name!r}"
        cached = None if self._cache is None or self._local else self._cache / f"{digest.hex()}.msgpack.zst"
        if cached is not None:
            try:
                return self._verified(cached.read_bytes(), digest, what)
            except OSError:
                pass
            except RepodataError:
                cached.unlink(missing_ok=True)
        if self._offline and not self._local:
            return []  # offline: a shard never fetched means nothing is known about that name
        url = f"{self._shards_base}{digest.hex()}.msgpack.zst"
        for attempt in (1, 2):
            data = fetch.get(url, label=f"{self.label} (shard for {name!r})", options=self._options,
                             limit=self._limit).body
            try:
                records = self._verified(data, digest, what)
            except RepodataError as exc:
                if attempt == 2:
                    raise RepodataError(f"{exc} (from {redact_url(url)})") from None
                continue
            if cached is not None:
                atomic_write(cached, data)
            return records
        raise AssertionError("unreachable")

    def _verified(self, data: bytes, digest: bytes, what: str) -> list[tuple[str, PackageRecord]]:
        """The records of a shard whose bytes (or decompressed bytes) hash to ``digest``."""
        plain = decompress(data, what, self._limit)
        if hashlib.sha256(data).digest() != digest and hashlib.sha256(plain).digest() != digest:
            raise RepodataError(f"{what}: does not match its hash in the shard index")
        return parse_shard(plain, what)


def parse_shard(data: bytes, what: str) -> list[tuple[str, PackageRecord]]:
    """The ``(fn, record)`` pairs of a decompressed shard (``removed`` dropped, ``.conda`` preferred)."""
    try:
        shard = _shard_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RepodataError(f"{what}: invalid shard ({exc})") from None
    except RecursionError:
        raise RepodataError(f"{what}: invalid shard (nested too deeply)") from None
    removed = set(shard.removed)
    conda_stems = {fn[: -len(CONDA_EXT)] for fn in shard.packages_conda}
    out: list[tuple[str, PackageRecord]] = []
    for section in (shard.packages, shard.packages_conda):
        for fn, value in section.items():
            if fn in removed or (fn.endswith(TAR_BZ2_EXT) and fn[: -len(TAR_BZ2_EXT)] in conda_stems):
                continue
            for key in ("md5", "sha256"):
                v = value.get(key)
                if isinstance(v, bytes):
                    value[key] = v.hex()
            try:
                out.append((fn, msgspec.convert(value, PackageRecord, strict=False)))
            except msgspec.ValidationError:
                continue
    return out


def prune_shard_cache(cache_dir: str | Path) -> list[Path]:
    """Delete cached shards that no cached shard index refers to any more (CEP 16's garbage
    collection); returns the files removed. Unreadable indexes keep everything (nothing is lost)."""
    from naja.repodata.cache import SHARD_INDEX_SUFFIX

    root = Path(cache_dir)
    store = root / SHARDS_DIR
    if not store.is_dir():
        return []
    referenced: set[str] = set()
    for index_file in root.glob(f"*{SHARD_INDEX_SUFFIX}"):
        try:
            index = decode_index(index_file.read_bytes(), index_file.name)
        except (OSError, RepodataError, LimitError):
            return []
        referenced.update(f"{digest.hex()}.msgpack.zst" for digest in index.shards.values())
    removed = []
    for shard in store.iterdir():
        if shard.is_file() and shard.name not in referenced:
            shard.unlink()
            removed.append(shard)
    return removed
