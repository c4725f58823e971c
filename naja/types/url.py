"""URLs that may carry credentials (``/t/<token>``, ``user:password@``): split, redacted for output,
stripped for storage, and local paths as ``file://`` URLs. Apart from `naja.types.channel` because
downloads, proxies, history and error messages handle such URLs without resolving channels.
"""

from __future__ import annotations

import os
import re

from naja.errors import ChannelError

_TOKEN_RE = re.compile(r"/t/([^/]+)(?=/|$)")
_PATH_RE = re.compile(r"^(?:[/~.\\]|[A-Za-z]:[/\\])")
_REDACTED = "*****"


class SplitUrl:
    """A URL with its credentials taken out. ``before`` is where a token sits (``scheme://host/...``)."""

    __slots__ = ("after", "auth", "before", "scheme", "token")

    def __init__(self, scheme: str, auth: str | None, token: str | None, before: str, after: str) -> None:
        self.scheme = scheme
        self.auth = auth
        self.token = token
        self.before = before  # host and path before the token, no scheme, no auth
        self.after = after  # path after the token (no leading slash)

    @property
    def location(self) -> str:
        """Host and path without credentials or scheme: what conda compares to find a channel's name."""
        return "/".join(p for p in (self.before, self.after) if p)

    @property
    def clean(self) -> str:
        return f"{self.scheme}://{self.location}"

    def with_credentials(self) -> str:
        host_part = f"{self.auth}@{self.before}" if self.auth else self.before
        parts = [host_part]
        if self.token:
            parts += ["t", self.token]
        if self.after:
            parts.append(self.after)
        return f"{self.scheme}://" + "/".join(parts)


def split_url(url: str) -> SplitUrl:
    """``url`` taken apart, its credentials set aside (a `ChannelError` when it has no scheme)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ChannelError(f"not a URL: {redact_url(url)!r}")
    scheme = scheme.lower()
    netloc, slash, path = rest.partition("/")
    auth = None
    if "@" in netloc:
        auth, _, netloc = netloc.rpartition("@")
        auth = auth or None
    if scheme != "file":
        netloc = netloc.lower()
    path = path.rstrip("/")
    token = None
    match = _TOKEN_RE.search("/" + path)
    if match:
        token = match.group(1)
        before_path = path[: match.start()].strip("/")
        after = path[match.end() :].strip("/")
    else:
        before_path, after = path, ""
    if scheme == "file":
        # keep the root slash of file:///abs/path in ``before`` so location re-joins correctly
        before = netloc + "/" + before_path if (slash or before_path) else netloc
    else:
        before = "/".join(p for p in (netloc, before_path) if p)
    return SplitUrl(scheme, auth, token, before, after)


def redact_url(url: str) -> str:
    """``url`` with any ``/t/<token>`` and ``user:password@`` password replaced by ``*****``."""
    text = str(url)
    text = _TOKEN_RE.sub(f"/t/{_REDACTED}", text)
    scheme, sep, rest = text.partition("://")
    if sep:
        netloc, slash, path = rest.partition("/")
        if "@" in netloc:
            auth, _, host = netloc.rpartition("@")
            user, colon, _password = auth.partition(":")
            auth = f"{user}:{_REDACTED}" if colon else auth
            text = f"{scheme}://{auth}@{host}{slash}{path}"
    return text


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@`` and without its ``/t/<token>`` segment: how a URL is kept at
    rest (conda-meta, the package cache's ``repodata_record.json``), as conda keeps it. The
    credentials come back at download time from the configuration and the credential store."""
    text = _TOKEN_RE.sub("", str(url), count=1)
    scheme, sep, rest = text.partition("://")
    if sep:
        netloc, slash, path = rest.partition("/")
        if "@" in netloc:
            text = f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path}"
    return text


def path_to_url(path: str) -> str:
    """A local path (``~`` expanded, made absolute) as a ``file://`` URL."""
    from pathlib import Path

    absolute = os.path.abspath(os.path.expanduser(path))
    return Path(absolute).as_uri()


def is_path(text: str) -> bool:
    """True for text conda treats as a filesystem path (``/x``, ``./x``, ``~/x``, ``C:\\x``)."""
    return bool(_PATH_RE.match(text))


def has_scheme(text: str) -> bool:
    """Does ``text`` start with a URL scheme (``https://``, ``file://``, ``s3+http://``)?"""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()
