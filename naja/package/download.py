"""Verified, parallel, resumable package downloads.

Each download streams into ``<dest>.partial`` beside its destination, hashing as it goes; the file is
renamed into place only once its size and sha256 (or md5) match the record. A partial file left by an
interrupted run is resumed with an HTTP ``Range`` request when the server allows it. A checksum
mismatch is retried once from scratch, then reported as a ``DownloadError`` naming the package and
its URL (tokens and passwords redacted). ``file://`` URLs are copied the same way.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING

import msgspec

from naja.bounded import decode_body
from naja.errors import ChannelError, DownloadError, LimitError
from naja.types.url import redact_url

if TYPE_CHECKING:
    from urllib3 import PoolManager

    from naja.net.settings import NetworkSettings

CHUNK = 1 << 18
PARTIAL_SUFFIX = ".partial"
SIZE_MARGIN = 2
"""A body may be this many times its record's declared size (plus a chunk) before it is cut off;
verification then fails on the size anyway, but a server cannot make us write or decode more."""
UNDECLARED_MAX = 8 << 30
"""Bound of a package whose record declares no size (e.g. a URL from an ``@EXPLICIT`` file)."""

# (label, bytes done, total bytes or None)
ProgressCallback = Callable[[str, int, "int | None"], None]


class DownloadRequest(msgspec.Struct, frozen=True):
    """One file to fetch and what it must look like once fetched."""

    url: str
    dest: Path
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.dest.name


class _Mismatch(Exception):
    pass


class _Transient(Exception):
    pass


class Downloader:
    """A shared urllib3 pool plus the retry, verification and resume logic."""

    def __init__(
        self,
        threads: int = 5,
        *,
        ssl_verify: bool | str = True,
        proxy_servers: dict[str, str] | None = None,
        retries: int = 3,
        timeout: float = 60.0,
        user_agent: str | None = None,
        network: NetworkSettings | None = None,
    ) -> None:
        from naja.net.settings import NetworkSettings

        self.threads = max(1, int(threads))
        if network is None:  # explicit values, plus the proxy, CA-bundle and credential environment
            network = NetworkSettings.from_environment(
                ssl_verify=ssl_verify, ssl_configured=ssl_verify is not True, proxy_servers=proxy_servers or {},
                connect_timeout=min(timeout, 30.0), read_timeout=timeout, retries=retries,
            )
        self.net = network
        self.retries = network.retries
        self._user_agent = user_agent

    # -- HTTP ----------------------------------------------------------------------------------------

    def _http(self, url: str) -> tuple[PoolManager, str]:
        """The pool for ``url`` and its proxy (``naja.net``: the same choice as repodata fetches)."""
        return self.net.pool(url, num_pools=16, maxsize=16, block=False)

    def _headers(self, url: str) -> tuple[str, dict[str, str]]:
        """The URL to request and its headers: credentials from the URL or the credential store."""
        from naja import __version__

        url, auth = self.net.credentials.attach(url)
        return url, {"User-Agent": self._user_agent or f"naja/{__version__}", **auth}

    # -- public --------------------------------------------------------------------------------------

    def fetch(self, req: DownloadRequest, progress: ProgressCallback | None = None) -> Path:
        """Download ``req`` to ``req.dest`` (verified) and return the path."""
        req.dest.parent.mkdir(parents=True, exist_ok=True)
        mismatches = 0
        attempt = 0
        while True:
            try:
                self._fetch_mirrored(req, progress, resume=mismatches == 0)
                return req.dest
            except _Mismatch as exc:
                _partial(req.dest).unlink(missing_ok=True)
                mismatches += 1
                if mismatches > 1:
                    raise DownloadError(
                        f"{req.name}: downloaded file from {redact_url(req.url)} does not match the record "
                        f"({exc}) after a retry"
                    ) from None
            except _Transient as exc:
                attempt += 1
                if attempt > self.retries:
                    raise DownloadError(f"{req.name}: cannot download {redact_url(req.url)}: {exc}") from None
                time.sleep(self.net.backoff(attempt))

    def local_source(self, req: DownloadRequest, progress: ProgressCallback | None = None) -> Path:
        """The file a ``file://`` request names, verified in place (size and sha256/md5, as a copy
        would be): a local archive is read where it lies instead of being copied first, as rattler
        extracts it. ``DownloadError`` when it is missing or differs from the record."""
        from naja.repodata.fetch import file_path  # urllib.request would load http.client

        source = file_path(req.url)
        hasher = _Hasher(req)
        try:
            with open(source, "rb") as fh:  # reported as its download: reading it is this package's fetch
                if progress:
                    progress(req.name, 0, req.size)
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    hasher.update(chunk)
                    if progress:
                        progress(req.name, hasher.size, req.size)
        except FileNotFoundError:
            raise DownloadError(f"{req.name}: {redact_url(req.url)} does not exist") from None
        except OSError as exc:
            raise DownloadError(f"{req.name}: cannot read {redact_url(req.url)}: {exc.strerror}") from None
        problem = hasher.problem(req)
        if problem:
            raise DownloadError(f"{req.name}: {redact_url(req.url)} does not match the record ({problem})")
        return source

    def fetch_many(
        self, reqs: Sequence[DownloadRequest], progress: ProgressCallback | None = None
    ) -> list[Path]:
        """Fetch all in a bounded thread pool; the first failure is raised after the others stop."""
        if not reqs:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.threads, len(reqs)))
        interrupted = False
        try:
            futures = [pool.submit(self.fetch, r, progress) for r in reqs]
            return [f.result() for f in futures]
        except KeyboardInterrupt:
            interrupted = True  # Ctrl-C: do not wait for the other downloads
            raise
        finally:
            pool.shutdown(wait=not interrupted, cancel_futures=True)

    # -- one attempt ---------------------------------------------------------------------------------

    def _fetch_mirrored(self, req: DownloadRequest, progress: ProgressCallback | None, resume: bool) -> None:
        """One attempt, through the channel's mirrors in order (``mirrored_channels``): a connection
        error or 5xx marks the mirror failed and moves on to the next."""
        if req.url.startswith("file:"):
            self._fetch_once(req, progress, resume)
            return
        candidates = self.net.mirrors.candidates(req.url)
        for position, (url, mirror) in enumerate(candidates):
            try:
                self._fetch_once(msgspec.structs.replace(req, url=url), progress, resume)
                return
            except _Transient:
                self.net.mirrors.failed(mirror)
                if position == len(candidates) - 1:
                    raise

    def _fetch_once(self, req: DownloadRequest, progress: ProgressCallback | None, resume: bool) -> None:
        from naja import interrupt

        partial = _partial(req.dest)
        hasher = _Hasher(req)
        with interrupt.tracking(partial.parent, partial.name):
            if req.url.startswith("file:"):
                self._copy_file(req, partial, hasher, progress)
            else:
                self._download_http(req, partial, hasher, progress, resume)
            problem = hasher.problem(req)
            if problem:
                raise _Mismatch(problem)
            interrupt.check()
            os.replace(partial, req.dest)

    def _copy_file(
        self, req: DownloadRequest, partial: Path, hasher: _Hasher, progress: ProgressCallback | None
    ) -> None:
        from naja.repodata.fetch import file_path  # urllib.request would load http.client

        source = str(file_path(req.url))
        try:
            with open(source, "rb") as src, open(partial, "wb") as dst:
                _pump(iter(lambda: src.read(CHUNK), b""), dst, hasher, req, progress, 0)
        except FileNotFoundError:
            raise DownloadError(f"{req.name}: {redact_url(req.url)} does not exist") from None
        except OSError as exc:
            raise DownloadError(f"{req.name}: cannot copy {redact_url(req.url)}: {exc.strerror}") from None

    def _download_http(
        self,
        req: DownloadRequest,
        partial: Path,
        hasher: _Hasher,
        progress: ProgressCallback | None,
        resume: bool,
    ) -> None:
        import urllib3

        url, headers = self._headers(req.url)
        offset = 0
        if resume and partial.exists():
            offset = partial.stat().st_size
            if req.size is not None and offset > req.size:
                offset = 0
        if offset:
            headers["Range"] = f"bytes={offset}-"
        from naja.errors import InsecureRedirectError
        from naja.net.errors import describe
        from naja.repodata.fetch import retry_policy

        pool, proxy = self._http(url)
        timeout = urllib3.Timeout(connect=self.net.connect_timeout, read=self.net.read_timeout)
        try:
            resp = pool.request("GET", url, headers=headers, preload_content=False, retries=retry_policy(),
                                timeout=timeout)
        except urllib3.exceptions.HTTPError as exc:
            reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
            if isinstance(reason, InsecureRedirectError):
                raise DownloadError(f"{req.name}: {reason} (from {redact_url(req.url)})") from None
            if isinstance(reason, urllib3.exceptions.ResponseError) and "redirect" in str(reason):
                raise DownloadError(f"{req.name}: too many redirects from {redact_url(req.url)}") from None
            failure = describe(reason, url, proxy, self.net.tls)
            if not failure.retryable:
                raise DownloadError(f"{req.name}: cannot download {redact_url(req.url)}: {failure.message}") from None
            raise _Transient(failure.message) from None
        try:
            status = resp.status
            if status == 416 and offset:
                # our partial file is already complete or stale: verify what we have
                if req.size is not None and offset == req.size:
                    hasher.update_from_file(partial)
                    return
                partial.unlink(missing_ok=True)
                raise _Transient("server refused to resume")
            if status == 407 and proxy:
                from naja.net.errors import proxy_refused

                raise DownloadError(f"{req.name}: {proxy_refused(proxy, status)}")
            if status >= 500 or status == 429:
                raise _Transient(f"HTTP {status}")
            if status >= 300:  # redirects were followed: a 3xx left over is an error too
                raise DownloadError(f"{req.name}: cannot download {redact_url(req.url)}: HTTP {status}")
            if status == 206 and offset:
                hasher.update_from_file(partial)
                mode = "ab"
            else:
                offset = 0
                mode = "wb"
            total = req.size
            if total is None:
                length = resp.headers.get("Content-Length")
                total = offset + int(length) if length and length.isdigit() else None
            limit = SIZE_MARGIN * req.size + CHUNK if req.size is not None else UNDECLARED_MAX
            body = decode_body(resp.stream(CHUNK, decode_content=False), resp.headers.get("Content-Encoding", ""),
                               limit, f"{req.name}: {redact_url(req.url)}")
            with open(partial, mode) as dst:
                try:
                    _pump(body, dst, hasher, req, progress, offset, total)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise _Transient(_describe(exc)) from None
                except (LimitError, ChannelError) as exc:  # over its bound or undecodable: keep none of it
                    partial.unlink(missing_ok=True)
                    raise DownloadError(str(exc)) from None
        except BaseException:
            resp.close()  # unread or broken body: never hand this connection to the next request
            raise
        else:
            if resp.length_remaining:  # stopped reading early (more than promised)
                resp.close()
        finally:
            resp.release_conn()


def _describe(exc: BaseException) -> str:
    text = str(exc.__class__.__name__)
    reason = getattr(exc, "reason", None)
    return f"{text}: {reason}" if reason else text


def _partial(dest: Path) -> Path:
    return dest.with_name(dest.name + PARTIAL_SUFFIX)


def _pump(
    chunks: Iterable[bytes],
    dst: IO[bytes],
    hasher: _Hasher,
    req: DownloadRequest,
    progress: ProgressCallback | None,
    done: int,
    total: int | None = None,
) -> None:
    total = req.size if total is None else total
    if progress:
        progress(req.name, done, total)
    from naja.interrupt import check

    for chunk in chunks:
        check()
        dst.write(chunk)
        hasher.update(chunk)
        done += len(chunk)
        if progress:
            progress(req.name, done, total)
        if req.size is not None and done > req.size:
            break  # more than promised: stop reading, verification will fail


class _Hasher:
    def __init__(self, req: DownloadRequest) -> None:
        self.sha256 = hashlib.sha256() if req.sha256 or not req.md5 else None
        self.md5 = hashlib.md5() if req.md5 and not req.sha256 else None
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.sha256 is not None:
            self.sha256.update(chunk)
        if self.md5 is not None:
            self.md5.update(chunk)

    def update_from_file(self, path: Path) -> None:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                self.update(chunk)

    def problem(self, req: DownloadRequest) -> str | None:
        if req.size is not None and self.size != req.size:
            return f"size {self.size} instead of {req.size}"
        if req.sha256 and self.sha256 is not None and self.sha256.hexdigest() != req.sha256.lower():
            return f"sha256 {self.sha256.hexdigest()} instead of {req.sha256}"
        if req.md5 and self.md5 is not None and self.md5.hexdigest() != req.md5.lower():
            return f"md5 {self.md5.hexdigest()} instead of {req.md5}"
        return None


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file read in 1 MiB chunks (packages can be gigabytes)."""
    return file_digests(path, (algorithm,))[0][0]


def file_digests(path: str | os.PathLike[str], algorithms: Sequence[str]) -> tuple[list[str], int]:
    """Hex digests of a file under several algorithms, and its size, reading it once in 1 MiB chunks
    (``naja index`` wants md5 and sha256 of every archive; hashlib releases the GIL, so threads help)."""
    hashes = [hashlib.new(a) for a in algorithms]
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in hashes:
                h.update(chunk)
            size += len(chunk)
    return [h.hexdigest() for h in hashes], size
