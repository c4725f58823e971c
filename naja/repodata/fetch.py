"""Getting bytes from a channel: HTTP(S) through one shared urllib3 pool, or ``file://``.

Retries are ours (bounded, with backoff) so that the error finally raised names the channel with its
credentials redacted: urllib3's own messages carry URLs, and a ``/t/<token>/`` must never reach a log,
an error or the terminal. Basic-auth credentials are moved out of the URL into a header.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

import msgspec

from naja.bounded import DEFAULT_MAX_BYTES, decode_body
from naja.errors import ChannelError, InsecureRedirectError, LimitError, first_line
from naja.errors import HTTPStatusError as HTTPStatusError  # re-exported: callers catch fetch.HTTPStatusError
from naja.errors import NotFoundError as NotFoundError  # re-exported: callers catch fetch.NotFoundError
from naja.types.url import redact_url

if TYPE_CHECKING:
    from types import TracebackType

    import urllib3
    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

    from naja.net.settings import NetworkSettings

ProgressCallback = Callable[[str, int, "int | None"], None]
"""``progress(label, bytes_done, bytes_total_or_None)``; called as data arrives and once at the end
with ``bytes_done == bytes_total``. ``label`` is ``<channel>/<subdir>`` (redacted)."""

TRIES = 3
BACKOFF_S = 0.2
TIMEOUT_S = 30.0
MAX_REDIRECTS = 10
CHUNK = 1 << 20
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Response(msgspec.Struct):
    """A 200 or 304 answer. The body is in ``body``, or in the file ``path`` when ``get`` was given
    a ``sink`` (then ``body`` is empty)."""

    status: int
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""
    path: Path | None = None


class HttpOptions(msgspec.Struct):
    """The network settings of a run (``naja.net.settings.NetworkSettings``: proxies, TLS trust,
    credentials, mirrors, timeouts, retries and back-off), shared by every request it makes. Not
    frozen only so that ``net`` can keep the settings it made on first use."""

    settings: NetworkSettings | Callable[[], NetworkSettings] = msgspec.field(default=lambda: _net_from_env())
    """The settings, or how to make them on first use: a run over ``file://`` channels never needs
    them, and building them loads the proxy, TLS and credential modules."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """Bound of one body, as sent and as decoded (``repodata_max_bytes``)."""

    @property
    def net(self) -> NetworkSettings:
        settings = self.settings
        if callable(settings):
            settings = settings()
            self.settings = settings
        return settings

    @property
    def tries(self) -> int:
        return 1 + self.net.retries


def _net_from_env() -> NetworkSettings:
    from naja.net.settings import NetworkSettings

    return NetworkSettings.from_environment(connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S, retries=TRIES - 1)


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """Move ``user:password@`` out of ``url`` into an ``Authorization`` header."""
    from naja.net.credentials import CredentialStore

    return CredentialStore().attach(url)


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
    sink: Path | None = None,
    limit: int | None = None,
) -> Response:
    """GET ``url``: 200 (body read), 304, or raise. ``NotFoundError`` for 404/410, ``ChannelError`` for
    401/403, TLS failures and anything still failing after ``TRIES`` attempts. Messages are redacted.
    The body goes to memory, or streams into the file ``sink``; over ``limit`` bytes (default
    ``options.max_bytes``), sent or decoded, it is refused with ``LimitError`` and ``sink`` removed."""
    options = options or HttpOptions()
    limit = options.max_bytes if limit is None else limit
    if url.startswith("file:"):
        return _get_file(url, label, limit, sink)
    net = options.net
    try:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("only http, https and file URLs are supported")
    except ValueError as exc:  # e.g. 'http://[' (urlsplit: "Invalid IPv6 URL")
        raise ChannelError(f"{label}: invalid URL {redact_url(url)!r}: {exc}") from None
    last = ""
    shown = redact_url(split_credentials(url)[0])
    tries = max(1, options.tries)
    for attempt in range(tries):
        if attempt:
            time.sleep(net.backoff(attempt))
        for candidate, mirror in net.mirrors.candidates(url):
            request_url, auth_headers = net.credentials.attach(candidate)
            request_headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": _user_agent(), **auth_headers}
            request_headers.update(headers or {})
            shown = redact_url(request_url)
            try:
                return _request_once(request_url, request_headers, label, shown, progress, options, sink, limit)
            except _Retryable as exc:
                last = str(exc)
                net.mirrors.failed(mirror)
    raise ChannelError(f"{label}: {last} ({shown}), after {tries} attempts")


_retry_class: type[urllib3.Retry] | None = None


def retry_policy(max_redirects: int = MAX_REDIRECTS) -> urllib3.Retry:
    """urllib3 ``Retry`` for one request: no automatic retries (callers count theirs and redact their
    messages), at most ``max_redirects`` redirects, and never from https to http (the reason of the
    ``MaxRetryError`` is then an ``InsecureRedirectError``). Shared with ``naja.package.download``."""
    global _retry_class
    import urllib3

    if _retry_class is None:

        class _NoDowngradeRetry(urllib3.Retry):
            def increment(
                self, method: str | None = None, url: str | None = None, response: BaseHTTPResponse | None = None,
                error: Exception | None = None, _pool: ConnectionPool | None = None,
                _stacktrace: TracebackType | None = None,
            ) -> Self:
                location = response.get_redirect_location() if response is not None else None
                if location and _pool is not None and _pool.scheme == "https":
                    target = urllib.parse.urljoin(url or "", location)
                    if urllib.parse.urlsplit(target).scheme.lower() != "https":
                        reason = InsecureRedirectError(f"refusing redirect from https to {redact_url(target)}")
                        raise urllib3.exceptions.MaxRetryError(_pool, url or "", reason)
                return super().increment(method, url, response, error, _pool, _stacktrace)

        _retry_class = _NoDowngradeRetry
    return _retry_class(total=None, connect=0, read=0, redirect=max_redirects, status=0, other=0,
                        raise_on_redirect=True, raise_on_status=False)


class _Retryable(Exception):
    pass


def _request_once(
    url: str, headers: dict[str, str], label: str, shown: str, progress: ProgressCallback | None,
    options: HttpOptions,
    sink: Path | None = None,
    limit: int = DEFAULT_MAX_BYTES,
) -> Response:
    import urllib3

    net = options.net
    pool, proxy = net.pool(url, num_pools=16, maxsize=16, block=False)
    try:
        resp = pool.request(
            "GET", url, headers=headers, preload_content=False, decode_content=True,
            retries=retry_policy(),
            timeout=urllib3.Timeout(connect=net.connect_timeout, read=net.read_timeout),
        )
    except urllib3.exceptions.MaxRetryError as exc:
        _raise_for_transport(exc.reason, label, shown, url, proxy, options)
        raise  # unreachable
    except urllib3.exceptions.HTTPError as exc:
        _raise_for_transport(exc, label, shown, url, proxy, options)
        raise
    complete = False
    try:
        status = resp.status
        if status == 304:
            complete = True
            return Response(304, _lower(resp.headers))
        if status == 407 and proxy:
            from naja.net.errors import proxy_refused

            raise ChannelError(f"{label}: {proxy_refused(proxy, status)}")
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
        if total is not None and total > limit:
            raise LimitError(f"{label}: {shown} is {total} bytes, more than the {limit} allowed; refused")
        body = decode_body(resp.stream(CHUNK, decode_content=False), hdrs.get("content-encoding", ""),
                           limit, f"{label}: {shown}")
        if progress is not None:
            progress(label, 0, total)  # a bar from the first byte, not from the first MiB
        with _body_sink(sink) as out:
            done = 0
            try:
                for chunk in body:
                    out.write(chunk)
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
        if isinstance(out, io.BytesIO):  # no ``sink``: the body is in memory
            return Response(status, hdrs, out.getvalue())
        return Response(status, hdrs, b"", sink)
    finally:
        if not complete:
            # an unread body would poison the pooled connection; draining it could take forever
            with contextlib.suppress(Exception):
                resp.close()
        resp.release_conn()


@contextlib.contextmanager
def _body_sink(sink: Path | None) -> Iterator[IO[bytes]]:
    """Where a body goes: memory, or the file ``sink`` (removed again if the body is not complete)."""
    if sink is None:
        yield io.BytesIO()
        return
    try:
        with open(sink, "wb") as fh:
            yield fh
    except BaseException:
        sink.unlink(missing_ok=True)
        raise


def _raise_for_transport(reason: object, label: str, shown: str, url: str, proxy: str, options: HttpOptions) -> None:
    import urllib3

    from naja.net.errors import describe

    if isinstance(reason, InsecureRedirectError):
        raise ChannelError(f"{label}: {reason} (from {shown})") from None
    if isinstance(reason, urllib3.exceptions.ResponseError) and "redirect" in str(reason):
        raise ChannelError(f"{label}: too many redirects (more than {MAX_REDIRECTS}) from {shown}") from None
    failure = describe(reason, url, proxy, options.net.tls)
    if failure.retryable:
        raise _Retryable(failure.message)
    raise ChannelError(f"{label}: {failure.message} ({shown})") from None


def _first_line(exc: BaseException) -> str:
    return redact_url(first_line(exc, type(exc).__name__))[:200]


def _get_file(url: str, label: str, limit: int, sink: Path | None = None) -> Response:
    path = file_path(url)
    try:
        with open(path, "rb") as fh, _body_sink(sink) as out:
            for chunk in decode_body(iter(lambda: fh.read(CHUNK), b""), "", limit, f"{label}: {path}"):
                out.write(chunk)
        if isinstance(out, io.BytesIO):  # no ``sink``: the body is in memory
            return Response(200, {}, out.getvalue())
        return Response(200, {}, b"", sink)
    except FileNotFoundError:
        raise NotFoundError(f"{label}: not found at {redact_url(url)}") from None
    except OSError as exc:
        raise ChannelError(f"{label}: cannot read {path}: {exc.strerror}") from None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
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
