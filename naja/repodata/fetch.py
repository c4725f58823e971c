"""Getting bytes from a channel: HTTP(S) through one shared urllib3 pool, or ``file://``.

Retries are ours (bounded, with backoff) so that the error finally raised names the channel with its
credentials redacted: urllib3's own messages carry URLs, and a ``/t/<token>/`` must never reach a log,
an error or the terminal. Basic-auth credentials are moved out of the URL into a header.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naja.channel import redact_url
from naja.errors import (  # re-exported: callers catch them as fetch.NotFoundError etc.
    ChannelError,
    HTTPStatusError,
    InsecureRedirectError,
    NotFoundError,
    first_line,
)

ProgressCallback = Callable[[str, int, "int | None"], None]
"""``progress(label, bytes_done, bytes_total_or_None)``; called as data arrives and once at the end
with ``bytes_done == bytes_total``. ``label`` is ``<channel>/<subdir>`` (redacted)."""

TRIES = 3
BACKOFF_S = 0.2
TIMEOUT_S = 30.0
MAX_REDIRECTS = 10
CHUNK = 1 << 20
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class HttpOptions:
    """The network settings that change how connections are made (from ``naja.config.Config``)."""

    ssl_verify: bool | str = True
    proxy_servers: tuple[tuple[str, str], ...] = ()
    connect_timeout: float = TIMEOUT_S
    read_timeout: float = TIMEOUT_S
    tries: int = TRIES

    @classmethod
    def from_config(cls, config: Any) -> HttpOptions:
        if config is None:
            return cls()
        connect = getattr(config, "remote_connect_timeout_secs", None)
        read = getattr(config, "remote_read_timeout_secs", None)
        retries = getattr(config, "remote_max_retries", None)
        timing = {
            "connect_timeout": float(connect) if connect else TIMEOUT_S,
            "read_timeout": float(read) if read else TIMEOUT_S,
            "tries": 1 + max(0, int(retries)) if retries is not None else TRIES,
        }
        verify = getattr(config, "ssl_verify", True)
        if isinstance(verify, str) and verify.lower() in ("false", "0", "no"):
            verify = False
        elif isinstance(verify, str) and verify.lower() in ("true", "1", "yes", ""):
            verify = True
        proxies = getattr(config, "proxy_servers", None) or {}
        return cls(verify, tuple(sorted((str(k), str(v)) for k, v in dict(proxies).items())), **timing)


_pools: dict[tuple[HttpOptions, str], Any] = {}
_pools_lock = threading.Lock()


def _pool(options: HttpOptions, url: str) -> Any:
    """The shared (thread-safe) urllib3 pool for these options and ``url``'s proxy; made on first use."""
    from naja.http import pool_manager, proxy_for

    proxy = proxy_for(dict(options.proxy_servers), url)
    key = (options, proxy)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = pool_manager(options.ssl_verify, proxy, num_pools=16, maxsize=16, block=False)
        return pool


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """Move ``user:password@`` out of ``url`` into an ``Authorization`` header."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, {}
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    user, password = urllib.parse.unquote(user), urllib.parse.unquote(password)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), {"Authorization": f"Basic {token}"}


def file_path(url: str) -> Path:
    path = urllib.parse.urlsplit(url).path
    if os.name == "nt":  # drive letters and backslashes
        import nturl2path

        return Path(nturl2path.url2pathname(path))
    return Path(urllib.parse.unquote(path))  # what urllib.request would do, without loading http.client


def get(
    url: str,
    *,
    label: str,
    headers: Mapping[str, str] | None = None,
    options: HttpOptions | None = None,
    progress: ProgressCallback | None = None,
) -> Response:
    """GET ``url``: 200 (body read), 304, or raise. ``NotFoundError`` for 404/410, ``ChannelError`` for
    401/403, TLS failures and anything still failing after ``TRIES`` attempts. Messages are redacted."""
    if url.startswith("file:"):
        return _get_file(url, label)
    options = options or HttpOptions()
    try:
        clean_url, auth_headers = split_credentials(url)
        if urllib.parse.urlsplit(clean_url).scheme not in ("http", "https"):
            raise ValueError("only http, https and file URLs are supported")
    except ValueError as exc:  # e.g. 'http://[' (urlsplit: "Invalid IPv6 URL")
        raise ChannelError(f"{label}: invalid URL {redact_url(url)!r}: {exc}") from None
    request_headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": _user_agent(), **auth_headers}
    request_headers.update(headers or {})
    pool = _pool(options, clean_url)
    shown = redact_url(clean_url)
    last = ""
    tries = max(1, options.tries)
    for attempt in range(tries):
        if attempt:
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))
        try:
            return _request_once(pool, clean_url, request_headers, label, shown, progress, options)
        except _Retryable as exc:
            last = str(exc)
    raise ChannelError(f"{label}: {last} ({shown}), after {tries} attempts")


_retry_class: Any = None


def retry_policy(max_redirects: int = MAX_REDIRECTS) -> Any:
    """urllib3 ``Retry`` for one request: no automatic retries (callers count theirs and redact their
    messages), at most ``max_redirects`` redirects, and never from https to http (the reason of the
    ``MaxRetryError`` is then an ``InsecureRedirectError``). Shared with ``naja.download``."""
    global _retry_class
    import urllib3

    if _retry_class is None:

        class _NoDowngradeRetry(urllib3.Retry):
            def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[override]
                location = response.get_redirect_location() if response is not None else None
                if location and getattr(_pool, "scheme", "") == "https":
                    target = urllib.parse.urljoin(url or "", location)
                    if urllib.parse.urlsplit(target).scheme.lower() != "https":
                        reason = InsecureRedirectError(f"refusing redirect from https to {redact_url(target)}")
                        raise urllib3.exceptions.MaxRetryError(_pool, url or "", reason)  # type: ignore[arg-type]
                return super().increment(method, url, response, error, _pool, _stacktrace)

        _retry_class = _NoDowngradeRetry
    return _retry_class(total=None, connect=0, read=0, redirect=max_redirects, status=0, other=0,
                        raise_on_redirect=True, raise_on_status=False)


class _Retryable(Exception):
    pass


def _request_once(
    pool: Any, url: str, headers: dict[str, str], label: str, shown: str, progress: ProgressCallback | None,
    options: HttpOptions | None = None,
) -> Response:
    import urllib3

    options = options or HttpOptions()
    try:
        resp = pool.request(
            "GET", url, headers=headers, preload_content=False, decode_content=True,
            retries=retry_policy(),
            timeout=urllib3.Timeout(connect=options.connect_timeout, read=options.read_timeout),
        )
    except urllib3.exceptions.MaxRetryError as exc:
        _raise_for_transport(exc.reason, label, shown)
        raise  # unreachable
    except urllib3.exceptions.HTTPError as exc:
        _raise_for_transport(exc, label, shown)
        raise
    complete = False
    try:
        status = resp.status
        if status == 304:
            complete = True
            return Response(304, _lower(resp.headers))
        if status in _RETRY_STATUS:
            raise _Retryable(f"server error (HTTP {status})")
        if status in (404, 410):
            raise NotFoundError(f"{label}: not found (HTTP {status}) at {shown}", status)
        if status in (401, 403):
            what = "authentication required" if status == 401 else "access denied"
            raise HTTPStatusError(
                f"{label}: {what} (HTTP {status}) at {shown}; check the channel's token or credentials", status)
        if status >= 400:
            raise HTTPStatusError(f"{label}: HTTP {status} at {shown}", status)
        hdrs = _lower(resp.headers)
        total = None if "content-encoding" in hdrs else _int(hdrs.get("content-length"))
        chunks: list[bytes] = []
        done = 0
        try:
            for chunk in resp.stream(CHUNK, decode_content=True):
                chunks.append(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(label, done, total)
        except urllib3.exceptions.HTTPError as exc:
            raise _Retryable(f"connection broken while reading ({type(exc).__name__})") from None
        if total is not None and done < total:
            raise _Retryable(f"short read ({done} of {total} bytes)")
        if progress is not None:
            progress(label, done, done)
        complete = True
        return Response(status, hdrs, b"".join(chunks))
    finally:
        if not complete:
            with contextlib.suppress(Exception):
                resp.drain_conn()  # an unread error body would poison the pooled connection
        resp.release_conn()


def _raise_for_transport(reason: object, label: str, shown: str) -> None:
    import urllib3

    if isinstance(reason, InsecureRedirectError):
        raise ChannelError(f"{label}: {reason} (from {shown})") from None
    if isinstance(reason, urllib3.exceptions.ResponseError) and "redirect" in str(reason):
        raise ChannelError(f"{label}: too many redirects (more than {MAX_REDIRECTS}) from {shown}") from None
    if isinstance(reason, urllib3.exceptions.SSLError):
        raise ChannelError(f"{label}: TLS/SSL verification failed for {shown} ({_first_line(reason)})") from None
    if isinstance(reason, urllib3.exceptions.ProxyError):
        raise _Retryable(f"proxy error ({type(reason).__name__})")
    if isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError):
        raise _Retryable("cannot connect")
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        raise _Retryable("read timed out")
    raise _Retryable(f"connection failed ({type(reason).__name__})")


def _first_line(exc: BaseException) -> str:
    return redact_url(first_line(exc, type(exc).__name__))[:200]


def _get_file(url: str, label: str) -> Response:
    path = file_path(url)
    try:
        return Response(200, {}, path.read_bytes())
    except FileNotFoundError:
        raise NotFoundError(f"{label}: not found at {redact_url(url)}") from None
    except OSError as exc:
        raise ChannelError(f"{label}: cannot read {path}: {exc.strerror}") from None


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _user_agent() -> str:
    try:
        from naja import __version__
    except ImportError:
        __version__ = "0"
    return f"naja/{__version__}"
