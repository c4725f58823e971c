"""One line for each way a connection fails, naming what the user can change: the proxy (redacted)
when the proxy refused or could not be reached, the host and the trust setting when a certificate
was not trusted."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from naja.errors import first_line
from naja.net.tls import TlsSettings, untrusted_hint
from naja.types.url import redact_url


@dataclass(frozen=True)
class TransportFailure:
    message: str
    retryable: bool  # worth another attempt (and, for a mirror, a reason to try the next one)


def describe(reason: object, url: str, proxy: str, tls: TlsSettings) -> TransportFailure:
    """Classify urllib3's ``reason`` for a failed request to ``url`` (through ``proxy``)."""
    import urllib3

    host = urllib.parse.urlsplit(url).hostname or "?"
    if isinstance(reason, urllib3.exceptions.ProxyError):
        text = _text(reason.original_error if hasattr(reason, "original_error") else reason)
        shown = redact_url(proxy)
        status = _proxy_status(text)
        if status in ("407", "403"):
            return TransportFailure(proxy_refused(proxy, int(status)), False)
        if status:
            return TransportFailure(f"proxy {shown} refused to connect to {host} (HTTP {status})", status >= "500")
        return TransportFailure(f"cannot reach proxy {shown} ({_short(text)})", True)
    if isinstance(reason, urllib3.exceptions.SSLError):
        text = _text(reason)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
            return TransportFailure(
                f"TLS certificate of {host} is not trusted ({_short(text)}); {untrusted_hint(tls)}", False)
        return TransportFailure(f"TLS/SSL error with {host} ({_short(text)})", False)
    if isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError):
        return TransportFailure(f"cannot connect to {host}", True)
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        return TransportFailure(f"read from {host} timed out", True)
    return TransportFailure(f"connection to {host} failed ({type(reason).__name__})", True)


def proxy_refused(proxy: str, status: int) -> str:
    """The message for a proxy's 407 (or 403 to ``CONNECT``)."""
    what = "requires authentication" if status == 407 else "refused the request"
    return f"proxy {redact_url(proxy)} {what} (HTTP {status}); check the credentials in its URL"


def _proxy_status(text: str) -> str:
    marker = "Tunnel connection failed: "
    if marker in text:
        return text.split(marker, 1)[1][:3]
    return ""


def _text(exc: object) -> str:
    return redact_url(first_line(exc, type(exc).__name__)) if isinstance(exc, BaseException) else str(exc)


def _short(text: str) -> str:
    return text[:160]
