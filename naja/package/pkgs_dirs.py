"""A package cache directory (``pkgs_dir``) on disk, apart from fetching into it: ``naja clean`` and a
dry run's cache hold need its layout and locks but none of the download code.

    <pkgs>/urls.txt                 one URL per download; its writability marks a writable cache
    <pkgs>/<name>-<ver>-<build>.conda|.tar.bz2
    <pkgs>/<name>-<ver>-<build>/    extracted, with info/repodata_record.json written last
    <pkgs>/.naja-locks/<dist>.lock  one package's lock, held while it is fetched, extracted or cleaned
    <pkgs>/.naja-cache.lock         shared by transactions using the cache, exclusive for ``clean``
    <pkgs>/cache/                   repodata cache of conda/mamba (``naja clean -i`` removes it whole)
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from naja.confine import rmtree
from naja.errors import CacheLockTimeout
from naja.fs import remove_path, tree_size
from naja.types.archive import PACKAGE_EXTENSIONS, strip_archive_suffix

if TYPE_CHECKING:
    from filelock import FileLock

URLS_TXT = "urls.txt"
LOCK_DIR = ".naja-locks"
CACHE_LOCK = ".naja-cache.lock"  # shared by transactions using the cache, exclusive for clean
DEFAULT_LOCK_TIMEOUT = 600.0


def is_writable_dir(path: Path) -> bool:
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


def writable_dirs(pkgs_dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The existing caches among ``pkgs_dirs`` that naja may write (and so lock and clean)."""
    return [Path(p) for p in pkgs_dirs if Path(p).is_dir() and is_writable_dir(Path(p))]


# --------------------------------------------------------------------------------------------- locks


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


def package_lock(pkgs_dir: Path, dist: str, timeout: float) -> FileLock:
    """``<pkgs>/.naja-locks/<dist>.lock``, not acquired yet: held by whoever fetches, extracts or
    cleans that package, across processes."""
    import filelock

    return filelock.FileLock(str(pkgs_dir / LOCK_DIR / f"{dist}.lock"), timeout=timeout, thread_local=False)


def _try_lock(pkgs_dir: Path, dist: str) -> FileLock | _NullLock | None:
    """The package's lock if nobody holds it now, else None (so clean never races an install)."""
    import filelock

    if not (pkgs_dir / LOCK_DIR).is_dir():
        return _NullLock()
    lock = package_lock(pkgs_dir, dist, 0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return None
    return lock


class _NullLock:
    def release(self) -> None:
        pass


# --------------------------------------------------------------------------------------------- clean


class CleanedItem(msgspec.Struct, frozen=True):
    """One thing ``clean`` removed (or, on a dry run, would remove) and the bytes it took."""

    path: Path
    size: int


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

    def archive_dist(entry: Path) -> str | None:
        name = entry.name
        if not entry.is_file() or not (name.endswith(PACKAGE_EXTENSIONS) or name.endswith(".partial")):
            return None
        return strip_archive_suffix(name.removesuffix(".partial"))

    return _clean_entries(pkgs_dirs, archive_dist, dry_run)


def _clean_entries(
    pkgs_dirs: Iterable[str | os.PathLike[str]], dist_of: Callable[[Path], str | None], dry_run: bool
) -> list[CleanedItem]:
    """`_clean_locked` on each entry of the writable caches that ``dist_of`` names a package for
    (None: not one to clean), in name order."""
    out = []
    for d in writable_dirs(pkgs_dirs):
        for entry in sorted(d.iterdir()):
            dist = dist_of(entry)
            item = _clean_locked(d, dist, entry, dry_run) if dist is not None else None
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

    def unlinked_dist(entry: Path) -> str | None:
        if not entry.is_dir() or entry.name.startswith(".") or entry.name == "cache":
            return None
        if not (entry / "info").is_dir() or entry.name in in_use:
            return None
        return entry.name

    return _clean_entries(pkgs_dirs, unlinked_dist, dry_run)


def clean_locks(pkgs_dirs: Iterable[str | os.PathLike[str]], *, dry_run: bool = False) -> list[CleanedItem]:
    """Remove the package lock files (``<dist>.lock``) nobody holds (a held lock is left alone)."""
    out = []
    for d in writable_dirs(pkgs_dirs):
        lock_dir = d / LOCK_DIR
        if not lock_dir.is_dir():
            continue
        for entry in sorted(lock_dir.iterdir()):
            if not entry.name.endswith(".lock"):  # not a lock naja made (`package_lock`)
                continue
            lock = _try_lock(d, entry.name.removesuffix(".lock"))
            if lock is None:
                continue
            try:
                out.append(CleanedItem(entry, 0))
                if not dry_run:
                    remove_path(entry)
            finally:
                lock.release()
    return out
