"""Fetching packages into the package cache (``pkgs_dirs``) and finding them there; the directory's
layout, locks and cleaning are `naja.package.pkgs_dirs`.

Downloads go to the first writable directory; valid packages in any directory (including read-only
shared ones, conda's and mamba's (≤ 2.5) among them) are reused. A package is valid when its
``repodata_record.json`` (extracted) or the tarball itself matches the record's sha256 (else md5) and
size. Each package is handled under a per-package file lock (``<pkgs>/.naja-locks/<dist>.lock``) that
waits for another process instead of failing, so concurrent naja runs sharing a cache never see
half-written packages.

A dry run imports this module only to see what is cached: the download code (``hashlib``,
``concurrent.futures``, ``naja.package.download``) is imported where a package is hashed or fetched.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from naja.errors import CacheLockTimeout, NajaError, PackageError
from naja.fs import atomic_write
from naja.package.info import read_json_file_or_none
from naja.package.pkgs_dirs import (
    DEFAULT_LOCK_TIMEOUT,
    LOCK_DIR,
    URLS_TXT,
    CacheUseLock,
    is_writable_dir,
    package_lock,
    sweep_temp_dirs,
    writable_dirs,
)
from naja.package.verify import SafetyChecks, Stamp, changed_since, read_stamp, rehash, scan, write_stamp
from naja.types.archive import strip_archive_suffix
from naja.types.records import PackageRecord
from naja.types.url import redact_url, strip_credentials

if TYPE_CHECKING:
    from filelock import FileLock

    from naja.net.settings import NetworkSettings
    from naja.package.download import Downloader, ProgressCallback
    from naja.package.extract import Digests

REPODATA_RECORD = "info/repodata_record.json"


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


def _file_digest(path: Path, algorithm: str) -> str:
    """`naja.package.download.file_digest`, imported once a package is hashed."""
    from naja.package.download import file_digest

    return file_digest(path, algorithm)


def tarball_matches(record: PackageRecord, path: Path) -> bool:
    """Size, then sha256 (or md5) of a cached tarball against the record."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if record.size and size != record.size:
        return False
    if record.sha256:
        return _file_digest(path, "sha256") == record.sha256.lower()
    if record.md5:
        return _file_digest(path, "md5") == record.md5.lower()
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
            data["sha256"] = _file_digest(tarball, "sha256")
        if not data.get("md5"):
            data["md5"] = _file_digest(tarball, "md5")
    data["fn"] = record.fn or (tarball.name if tarball is not None else data.get("fn", ""))
    for key in ("url", "channel"):  # at rest without credentials, as conda keeps them
        if data.get(key):
            data[key] = strip_credentials(str(data[key]))
    return data


class CacheOptions(msgspec.Struct, frozen=True):
    """The package cache's part of the configuration, built once per command by
    ``naja.api.context.Context.cache_options``."""

    pkgs_dirs: tuple[Path, ...]
    download_threads: int = 5
    extract_threads: int | None = None
    """``None``: automatic (``extract_threads: 0``)."""
    offline: bool = False
    safety: SafetyChecks = msgspec.field(default_factory=SafetyChecks)
    network: NetworkSettings | Callable[[], NetworkSettings] | None = None
    """Proxies, TLS trust, credentials, timeouts and retries, or how to make them once a download
    starts (a run that downloads nothing never builds them); ``None``: from the environment."""


class CachedPackage(msgspec.Struct, frozen=True):
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
        # stamps of the packages this object extracted: checked as they were written, moments ago
        self._fresh: dict[Path, Stamp] = {}

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
                from naja.package.download import Downloader

                network = self._network() if callable(self._network) else self._network
                self._downloader = Downloader(self.download_threads, network=network)
            return self._downloader

    # -- directories ---------------------------------------------------------------------------------

    @property
    def writable_dir(self) -> Path:
        """The first writable pkgs_dir (created, with an empty ``urls.txt``, on first use)."""
        if self._writable is None:
            for d in self.pkgs_dirs:
                if is_writable_dir(d):
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
            dirs = [self.writable_dir, *(d for d in writable_dirs(self.pkgs_dirs) if d != self.writable_dir)]
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

    def _lock(self, dist: str) -> FileLock:
        (self.writable_dir / LOCK_DIR).mkdir(exist_ok=True)
        return package_lock(self.writable_dir, dist, self.lock_timeout)

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

        from concurrent.futures import ThreadPoolExecutor

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

        from naja.package.download import DownloadRequest

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
                    stamp = self._fresh[target] = scan(target, digests, sha256=self.safety.extra)
                    write_stamp(target, stamp)
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
        records = [r for r in records if r.dist_name in out]
        checks = self._check_stamps([out[r.dist_name] for r in records])
        for record, (stamp, changed) in zip(records, checks):
            path = out[record.dist_name]
            if stamp is None:  # extracted by another tool or an older naja: verify once, remember
                stamp = scan(path, sha256=self.safety.extra)
                write_stamp(path, stamp)
            elif changed:
                try:
                    path = self._ensure(record, None, threading.Semaphore(1), threading.Semaphore(1), stale=path)
                except NajaError as exc:  # no archive to extract again from (offline, cleaned)
                    problems.append(f"{record.dist_name}: changed in the package cache since extraction "
                                    f"and not extracted again ({exc})")
                    continue
                out[record.dist_name] = path
                stamp = read_stamp(path) or scan(path, sha256=self.safety.extra)
            problems += [f"{record.dist_name}: {rel}: {why}" for rel, why in stamp.mismatches]
        if problems and self.safety.mode == "enabled":
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise PackageError(f"safety check failed: {problems[0]}{more}; nothing was installed "
                               "(safety_checks: enabled)")
        return out, problems

    def _check_stamps(self, paths: list[Path]) -> list[tuple[Stamp | None, bool]]:
        """Each package's stamp (None: it has none) and whether a file changed since (a stat per
        file). Packages this object extracted are taken as they were checked moments ago. (Running
        the packages' stat passes side by side in threads was measured: no faster, GIL-bound.)"""

        def check(path: Path) -> tuple[Stamp | None, bool]:
            stamp = self._fresh.get(path)
            if stamp is not None:
                return stamp, False
            stamp = read_stamp(path)
            if stamp is None:
                return None, False
            changed = bool(changed_since(path, stamp))
            if not changed and self.safety.extra:  # same sizes and times, maybe not same bytes
                changed = set(rehash(path)) != set(stamp.mismatches)
            return stamp, changed

        return [check(p) for p in paths]

    def _extract(self, tarball: Path, target: Path, digests: Digests | None = None) -> None:
        from naja.package.extract import extract

        extract(tarball, target, digests, sha256=self.safety.extra)
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
