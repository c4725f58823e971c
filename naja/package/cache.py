"""The package cache (``pkgs_dirs``), laid out as conda and mamba (≤ 2.5) do so they can share it:

    <pkgs>/urls.txt                 one URL per download; its writability marks a writable cache
    <pkgs>/<name>-<ver>-<build>.conda|.tar.bz2
    <pkgs>/<name>-<ver>-<build>/    extracted, with info/repodata_record.json written last
    <pkgs>/cache/                   repodata cache of older tools (cleaned by ``clean_index_cache``)

Downloads go to the first writable directory; valid packages in any directory (including read-only
shared ones) are reused. A package is valid when its ``repodata_record.json`` (extracted) or the
tarball itself matches the record's sha256 (else md5) and size. Each package is handled under a
per-package file lock (``<pkgs>/.naja-locks/<dist>.lock``) that waits for another process instead
of failing, so concurrent naja runs sharing a cache never see half-written packages.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from naja.confine import rmtree
from naja.errors import CacheLockTimeout, NajaError, PackageError
from naja.fs import atomic_write, remove_path, tree_size
from naja.package.download import Downloader, DownloadRequest, ProgressCallback, file_digest
from naja.package.info import read_json_file_or_none
from naja.package.verify import SafetyChecks, changed_since, read_stamp, rehash, scan, write_stamp
from naja.types.archive import PACKAGE_EXTENSIONS, strip_archive_suffix
from naja.types.channel import redact_url, strip_credentials
from naja.types.records import PackageRecord

if TYPE_CHECKING:
    from naja.net.settings import NetworkSettings
    from naja.package.extract import Digests

URLS_TXT = "urls.txt"
LOCK_DIR = ".naja-locks"
CACHE_LOCK = ".naja-cache.lock"  # shared by transactions using the cache, exclusive for clean
REPODATA_RECORD = "info/repodata_record.json"
DEFAULT_LOCK_TIMEOUT = 600.0


def _is_writable_dir(path: Path) -> bool:
    """A cache is writable when its ``urls.txt`` is (or could be created)."""
    urls = path / URLS_TXT
    if urls.exists():
        return os.access(urls, os.W_OK) and os.access(path, os.W_OK)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def record_matches(record: PackageRecord, data: dict[str, Any]) -> bool:
    """Does a cached ``repodata_record.json`` describe the same artifact as ``record``?"""
    if record.sha256 and data.get("sha256"):
        if record.sha256.lower() != str(data["sha256"]).lower():
            return False
    elif record.md5 and data.get("md5"):
        if record.md5.lower() != str(data["md5"]).lower():
            return False
    elif record.url and data.get("url") and _normalise_url(record.url) != _normalise_url(str(data["url"])):
        return False
    return not (record.size and data.get("size") and int(data["size"]) != record.size)


def _normalise_url(url: str) -> str:
    url = strip_credentials(url)
    if url.startswith("http://"):
        url = "https://" + url[7:]
    return url


def tarball_matches(record: PackageRecord, path: Path) -> bool:
    """Size, then sha256 (or md5) of a cached tarball against the record."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if record.size and size != record.size:
        return False
    if record.sha256:
        return file_digest(path, "sha256") == record.sha256.lower()
    if record.md5:
        return file_digest(path, "md5") == record.md5.lower()
    return True


def repodata_record_for(record: PackageRecord, package_dir: Path, tarball: Path | None) -> dict[str, Any]:
    """``info/repodata_record.json``: index.json overlaid with the (possibly patched) repodata record;
    ``depends``/``constrains`` always present; hashes and size computed from the tarball if missing."""
    data: dict[str, Any] = read_json_file_or_none(package_dir / "info" / "index.json") or {}
    data.update({k: v for k, v in record.to_dict().items() if v not in (None, "")})
    data.setdefault("depends", [])
    data.setdefault("constrains", [])
    if not data.get("track_features"):
        data.pop("track_features", None)
    if tarball is not None and tarball.exists():
        if not data.get("size"):
            data["size"] = tarball.stat().st_size
        if not data.get("sha256"):
            data["sha256"] = file_digest(tarball, "sha256")
        if not data.get("md5"):
            data["md5"] = file_digest(tarball, "md5")
    data["fn"] = record.fn or (tarball.name if tarball is not None else data.get("fn", ""))
    for key in ("url", "channel"):  # at rest without credentials, as conda keeps them
        if data.get(key):
            data[key] = strip_credentials(str(data[key]))
    return data


@dataclass(frozen=True)
class CacheOptions:
    """The package cache's part of the configuration, built once per command by
    ``naja.api.context.Context.cache_options``."""

    pkgs_dirs: tuple[Path, ...]
    download_threads: int = 5
    extract_threads: int | None = None
    """``None``: automatic (``extract_threads: 0``)."""
    offline: bool = False
    safety: SafetyChecks = field(default_factory=SafetyChecks)
    network: NetworkSettings | Callable[[], NetworkSettings] | None = None
    """Proxies, TLS trust, credentials, timeouts and retries, or how to make them once a download
    starts (a run that downloads nothing never builds them); ``None``: from the environment."""


@dataclass(frozen=True)
class CachedPackage:
    """Where one record's files are in the cache."""

    record: PackageRecord
    extracted_dir: Path
    tarball: Path


class PackageCache:
    """Fetches and extracts records into the first writable ``pkgs_dir``, reusing valid entries."""

    def __init__(
        self,
        pkgs_dirs: Sequence[str | os.PathLike[str]],
        *,
        download_threads: int = 5,
        extract_threads: int | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        downloader: Downloader | None = None,
        offline: bool = False,
    ) -> None:
        if not pkgs_dirs:
            raise PackageError("no package cache directory (pkgs_dirs is empty)")
        self.pkgs_dirs = [Path(os.path.abspath(os.path.expanduser(os.fspath(p)))) for p in pkgs_dirs]
        self.download_threads = max(1, download_threads)
        self.extract_threads = max(1, extract_threads or min(4, os.cpu_count() or 1))
        self.lock_timeout = lock_timeout
        self._downloader = downloader
        self._network: NetworkSettings | Callable[[], NetworkSettings] | None = None
        self._downloader_lock = threading.Lock()
        self.offline = offline
        # records carry URLs without credentials: this puts a channel's token/password back for the
        # download itself (set by the API from the channels it resolved); urls.txt stays redacted
        self.authenticate: Callable[[str], str] | None = None
        self.safety = SafetyChecks()
        self._writable: Path | None = None
        self._use: CacheUseLock | None = None
        self._use_depth = 0

    @classmethod
    def from_options(cls, options: CacheOptions) -> PackageCache:
        """The cache a command uses, from its configured ``CacheOptions``."""
        cache = cls(options.pkgs_dirs, download_threads=options.download_threads,
                    extract_threads=options.extract_threads, offline=options.offline)
        cache.safety = options.safety
        cache._network = options.network
        return cache

    @property
    def downloader(self) -> Downloader:
        """Made on the first download: its network settings load the proxy, TLS and credential code."""
        with self._downloader_lock:
            if self._downloader is None:
                network = self._network() if callable(self._network) else self._network
                self._downloader = Downloader(self.download_threads, network=network)
            return self._downloader

    # -- directories ---------------------------------------------------------------------------------

    @property
    def writable_dir(self) -> Path:
        """The first writable pkgs_dir (created, with an empty ``urls.txt``, on first use)."""
        if self._writable is None:
            for d in self.pkgs_dirs:
                if _is_writable_dir(d):
                    try:
                        d.mkdir(parents=True, exist_ok=True)
                        (d / URLS_TXT).touch(exist_ok=True)
                    except OSError:
                        continue
                    self._writable = d
                    sweep_temp_dirs(d)  # what a killed extraction left (each under its package's lock)
                    break
            else:
                dirs = ", ".join(str(d) for d in self.pkgs_dirs)
                raise PackageError(f"no writable package cache among pkgs_dirs: {dirs}")
        return self._writable

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Hold the cache (shared with other transactions, excluding ``clean``) from the first
        lookup to the last link, so nothing a transaction found in it disappears meanwhile."""
        if self._use_depth == 0:
            dirs = [self.writable_dir, *(d for d in _writable_dirs(self.pkgs_dirs) if d != self.writable_dir)]
            self._use = CacheUseLock(dirs, exclusive=False, timeout=self.lock_timeout)
            self._use.acquire()
        self._use_depth += 1
        try:
            yield
        finally:
            self._use_depth -= 1
            if self._use_depth == 0 and self._use is not None:
                self._use.release()
                self._use = None

    def _lock(self, dist: str) -> Any:
        import filelock

        lock_dir = self.writable_dir / LOCK_DIR
        lock_dir.mkdir(exist_ok=True)
        return filelock.FileLock(str(lock_dir / f"{dist}.lock"), timeout=self.lock_timeout, thread_local=False)

    # -- lookup --------------------------------------------------------------------------------------

    def find_extracted(self, record: PackageRecord) -> Path | None:
        """A valid extracted directory for ``record`` in any pkgs_dir, or None."""
        dist = strip_archive_suffix(record.fn) if record.fn else record.dist_name
        for d in self.pkgs_dirs:
            candidate = d / dist
            data = read_json_file_or_none(candidate / REPODATA_RECORD)
            if data is not None and record_matches(record, data):
                return candidate
        return None

    def find_tarball(self, record: PackageRecord) -> Path | None:
        """A valid downloaded archive for ``record`` in any pkgs_dir, or None."""
        if not record.fn:
            return None
        for d in self.pkgs_dirs:
            candidate = d / record.fn
            if candidate.is_file() and tarball_matches(record, candidate):
                return candidate
        return None

    # -- fetching ------------------------------------------------------------------------------------

    def fetch_and_extract(
        self,
        records: Iterable[PackageRecord],
        progress: ProgressCallback | None = None,
        on_extracted: Callable[[PackageRecord, Path], None] | None = None,
    ) -> dict[str, Path]:
        """Make every record available extracted; return ``{dist_name: extracted_dir}``.

        Downloads run ``download_threads`` at a time and extractions ``extract_threads`` at a time;
        the first error is raised once every worker has stopped (finished packages stay cached).
        """
        unique: dict[str, PackageRecord] = {}
        for r in records:
            unique.setdefault(r.dist_name, r)
        if not unique:
            return {}
        result: dict[str, Path] = {}
        todo: list[PackageRecord] = []
        for dist, r in unique.items():
            found = self.find_extracted(r)
            if found is not None:
                result[dist] = found
                if on_extracted:
                    on_extracted(r, found)
            else:
                todo.append(r)
        if not todo:
            return result
        download_slots = threading.Semaphore(self.download_threads)
        extract_slots = threading.Semaphore(self.extract_threads)
        workers = min(len(todo), self.download_threads + self.extract_threads)

        def work(r: PackageRecord) -> tuple[str, Path]:
            path = self._ensure(r, progress, download_slots, extract_slots)
            if on_extracted:
                on_extracted(r, path)
            return r.dist_name, path

        errors: list[BaseException] = []
        pool = ThreadPoolExecutor(max_workers=workers)
        interrupted = False
        try:
            futures = [pool.submit(work, r) for r in todo]
            for f in futures:
                try:
                    dist, path = f.result()
                    result[dist] = path
                except KeyboardInterrupt:
                    interrupted = True  # Ctrl-C (here or in a worker): stop now, do not wait for the rest
                    raise
                except Exception as exc:
                    errors.append(exc)
        finally:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
        if errors:
            raise errors[0]
        return result

    def ensure(self, record: PackageRecord, progress: ProgressCallback | None = None) -> Path:
        """One record, extracted (downloading if needed)."""
        return self._ensure(record, progress, threading.Semaphore(1), threading.Semaphore(1))

    def _ensure(
        self,
        record: PackageRecord,
        progress: ProgressCallback | None,
        download_slots: threading.Semaphore,
        extract_slots: threading.Semaphore,
        stale: Path | None = None,
    ) -> Path:
        import filelock

        if not record.fn or not record.url:
            raise PackageError(f"{record.dist_name}: record has no url/fn to fetch it from")
        if "/" in record.fn or "\\" in record.fn or record.fn.startswith(".") or "\x00" in record.fn:
            # the file name comes from the channel: it must not lead out of the cache directory
            raise PackageError(f"{record.dist_name}: refusing package file name {record.fn!r} from the channel")
        dist = strip_archive_suffix(record.fn)
        lock = self._lock(dist)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise CacheLockTimeout(
                f"package cache lock for {dist} in {self.writable_dir} is held by another process "
                f"(waited {self.lock_timeout:g}s); remove stale locks with 'naja clean --locks'"
            ) from None
        try:
            found = self.find_extracted(record)  # another process may have finished it meanwhile
            if found is not None and found != stale:
                return found
            tarball = self.find_tarball(record)
            if tarball is None:
                if self.offline and not record.url.startswith("file:"):
                    raise PackageError(f"{record.dist_name} is not in the package cache and naja is offline")
                dest = self.writable_dir / record.fn
                request = DownloadRequest(
                    url=self.authenticate(record.url) if self.authenticate else record.url,
                    dest=dest,
                    size=record.size or None,
                    sha256=record.sha256,
                    md5=record.md5,
                    label=record.name,
                )
                if record.url.startswith("file:"):  # extracted from where it lies, verified there
                    tarball = self.downloader.local_source(request, progress)
                else:
                    with download_slots:
                        self.downloader.fetch(request, progress)
                    tarball = dest
                self._append_url(record.url)
            target = self.writable_dir / dist
            from naja import interrupt

            with extract_slots, interrupt.tracking(self.writable_dir, f".{dist}.*"):
                interrupt.check()
                digests: Digests | None = {} if self.safety.enabled else None
                self._extract(tarball, target, digests)
                if digests is not None:
                    write_stamp(target, scan(target, digests))
            data = repodata_record_for(record, target, tarball)
            atomic_write(target / REPODATA_RECORD, json.dumps(data, indent=2, sort_keys=True).encode())
            return target
        finally:
            lock.release()

    def verify_extracted(
        self, records: Iterable[PackageRecord], extracted: dict[str, Path]
    ) -> tuple[dict[str, Path], list[str]]:
        """Before linking: each extracted package against what extraction saw (a stat per file; a
        changed entry is extracted again from its verified archive) and against its paths.json.
        Returns the (possibly new) directories and one warning per mismatching file under ``warn``;
        under ``enabled`` a mismatch raises ``PackageError`` before anything is linked."""
        if not self.safety.enabled:
            return extracted, []
        out = dict(extracted)
        problems: list[str] = []
        for record in records:
            path = out.get(record.dist_name)
            if path is None:
                continue
            stamp = read_stamp(path)
            if stamp is None:  # extracted by another tool or an older naja: verify once, remember
                stamp = scan(path)
                write_stamp(path, stamp)
            else:
                changed = bool(changed_since(path, stamp))
                if not changed and self.safety.extra:  # same sizes and times, maybe not same bytes
                    changed = set(rehash(path)) != set(stamp.mismatches)
                if changed:
                    try:
                        path = self._ensure(record, None, threading.Semaphore(1), threading.Semaphore(1),
                                            stale=path)
                    except NajaError as exc:  # no archive to extract again from (offline, cleaned)
                        problems.append(f"{record.dist_name}: changed in the package cache since extraction "
                                        f"and not extracted again ({exc})")
                        continue
                    out[record.dist_name] = path
                    stamp = read_stamp(path) or scan(path)
            problems += [f"{record.dist_name}: {rel}: {why}" for rel, why in stamp.mismatches]
        if problems and self.safety.mode == "enabled":
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise PackageError(f"safety check failed: {problems[0]}{more}; nothing was installed "
                               "(safety_checks: enabled)")
        return out, problems

    def _extract(self, tarball: Path, target: Path, digests: Digests | None = None) -> None:
        from naja.package.extract import extract

        extract(tarball, target, digests)
        # the extraction directory is made private while it is filled; a cache is shared (other
        # users, conda, mamba), so open it up like any directory the package manager creates
        with contextlib.suppress(OSError):
            os.chmod(target, 0o755)

    def _append_url(self, url: str) -> None:
        try:
            with open(self.writable_dir / URLS_TXT, "a", encoding="utf-8") as fh:
                fh.write(redact_url(url) + "\n")
        except OSError:
            pass

    def tarball_path(self, record: PackageRecord) -> Path:
        """Where the archive is (or would be) in the cache."""
        found = None
        for d in self.pkgs_dirs:
            if (d / record.fn).is_file():
                found = d / record.fn
                break
        return found or (self.writable_dir / record.fn)


# --------------------------------------------------------------------------------------------- clean


class CacheUseLock:
    """``<pkgs>/.naja-cache.lock`` on every given cache: shared (``flock(LOCK_SH)``) for
    transactions, which may run side by side, exclusive for ``clean``, which waits until none runs
    (and makes them wait while it deletes). Where ``flock`` is missing, exclusive for both."""

    def __init__(self, dirs: Iterable[Path], *, exclusive: bool, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.dirs = sorted(set(dirs))
        self.exclusive = exclusive
        self.timeout = timeout if timeout > 0 else DEFAULT_LOCK_TIMEOUT
        self._held: list[Any] = []

    def acquire(self) -> None:
        try:
            for d in self.dirs:
                self._held.append(self._acquire_one(d))
        except BaseException:
            self.release()
            raise

    def _acquire_one(self, d: Path) -> Any:
        import time

        path = d / CACHE_LOCK
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock (Windows): one user at a time
            import filelock

            lock = filelock.FileLock(str(path), timeout=self.timeout, thread_local=False)
            try:
                lock.acquire()
            except filelock.Timeout:
                raise self._timeout(d) from None
            return lock
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        op = (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, op)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise self._timeout(d) from None
                time.sleep(0.02)

    def _timeout(self, d: Path) -> CacheLockTimeout:
        what = "installs using it" if self.exclusive else "'naja clean' running on it"
        return CacheLockTimeout(f"package cache {d} stayed locked by {what} (waited {self.timeout:g}s)")

    def release(self) -> None:
        for held in self._held:
            if isinstance(held, int):
                os.close(held)
            else:  # pragma: no cover - filelock fallback
                held.release()
        self._held = []

    def __del__(self) -> None:  # a plan dropped without being executed lets 'clean' go on
        self.release()

    def __enter__(self) -> CacheUseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class CleanedItem:
    path: Path
    size: int


def _writable_dirs(pkgs_dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    return [Path(p) for p in pkgs_dirs if Path(p).is_dir() and _is_writable_dir(Path(p))]


def _try_lock(pkgs_dir: Path, dist: str) -> Any:
    """The package's lock if nobody holds it now, else None (so clean never races an install)."""
    import filelock

    lock_path = pkgs_dir / LOCK_DIR / f"{dist}.lock"
    if not lock_path.parent.is_dir():
        return _NullLock()
    lock = filelock.FileLock(str(lock_path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        return None
    return lock


class _NullLock:
    def release(self) -> None:
        pass


def _clean_locked(pkgs_dir: Path, dist: str, entry: Path, dry_run: bool) -> CleanedItem | None:
    """Measure and (unless ``dry_run``) delete ``entry`` under its package's lock; None when an install
    holds that lock."""
    lock = _try_lock(pkgs_dir, dist)
    if lock is None:
        return None
    try:
        item = CleanedItem(entry, tree_size(entry))
        if not dry_run:
            with contextlib.suppress(OSError):
                rmtree(entry)
        return item
    finally:
        lock.release()


_TEMP_DIR = re.compile(r"^\.(?P<dist>.+)\.[0-9a-f]{8}\.naja-(?:extract|trash)$")


def sweep_temp_dirs(pkgs_dir: Path, *, dry_run: bool = False) -> list[CleanedItem]:
    """Remove the hidden directories an interrupted extraction leaves beside its package
    (``.<dist>.<hex>.naja-extract``/``-trash``); one whose package lock is held belongs to a running
    extraction and is left alone."""
    out: list[CleanedItem] = []
    try:
        names = [n for n in os.listdir(pkgs_dir) if n.endswith((".naja-extract", ".naja-trash"))]
    except OSError:
        return out
    for name in names:
        m = _TEMP_DIR.match(name)
        if m is None:
            continue
        item = _clean_locked(pkgs_dir, m.group("dist"), pkgs_dir / name, dry_run)
        if item is not None:
            out.append(item)
    return out


def clean_tarballs(pkgs_dirs: Iterable[str | os.PathLike[str]], *, dry_run: bool = False) -> list[CleanedItem]:
    """Remove downloaded archives (and ``.partial`` leftovers) from the writable caches."""
    out = []
    for d in _writable_dirs(pkgs_dirs):
        for entry in sorted(d.iterdir()):
            name = entry.name
            if not entry.is_file():
                continue
            if not (name.endswith(PACKAGE_EXTENSIONS) or name.endswith(".partial")):
                continue
            item = _clean_locked(d, strip_archive_suffix(name.removesuffix(".partial")), entry, dry_run)
            if item is not None:
                out.append(item)
    return out


def linked_dists(prefixes: Iterable[str | os.PathLike[str]]) -> set[str]:
    """Dist names linked into any of these environments (their ``conda-meta/*.json`` stems)."""
    out: set[str] = set()
    for p in prefixes:
        meta = Path(p) / "conda-meta"
        try:
            out.update(f.name[:-5] for f in meta.iterdir() if f.name.endswith(".json"))
        except OSError:
            continue
    return out


def clean_extracted(
    pkgs_dirs: Iterable[str | os.PathLike[str]],
    prefixes: Iterable[str | os.PathLike[str]],
    *,
    dry_run: bool = False,
) -> list[CleanedItem]:
    """Remove extracted packages that no known environment links (hard links from an environment
    would keep the files alive anyway, but the directory is what a relink needs)."""
    in_use = linked_dists(prefixes)
    out = []
    for d in _writable_dirs(pkgs_dirs):
        for entry in sorted(d.iterdir()):
            if not entry.is_dir() or entry.name.startswith(".") or entry.name == "cache":
                continue
            if not (entry / "info").is_dir() or entry.name in in_use:
                continue
            item = _clean_locked(d, entry.name, entry, dry_run)
            if item is not None:
                out.append(item)
    return out


def clean_index_cache(pkgs_dirs: Iterable[str | os.PathLike[str]], *, dry_run: bool = False) -> list[CleanedItem]:
    """Remove ``<pkgs>/cache/*`` (repodata caches of conda/mamba that share this directory)."""
    out = []
    for d in _writable_dirs(pkgs_dirs):
        cache = d / "cache"
        if not cache.is_dir():
            continue
        for entry in sorted(cache.iterdir()):
            out.append(CleanedItem(entry, tree_size(entry)))
            if not dry_run:
                remove_path(entry)
    return out


def clean_locks(pkgs_dirs: Iterable[str | os.PathLike[str]], *, dry_run: bool = False) -> list[CleanedItem]:
    """Remove lock files nobody holds (a held lock is left alone)."""
    import filelock

    out = []
    for d in _writable_dirs(pkgs_dirs):
        lock_dir = d / LOCK_DIR
        if not lock_dir.is_dir():
            continue
        for entry in sorted(lock_dir.iterdir()):
            lock = filelock.FileLock(str(entry), timeout=0, thread_local=False)
            try:
                lock.acquire()
            except filelock.Timeout:
                continue
            try:
                out.append(CleanedItem(entry, 0))
                if not dry_run:
                    remove_path(entry)
            finally:
                lock.release()
    return out
