"""One credential store that attaches credentials to each request, in this order: what the URL
itself carries (``user:password@``, ``/t/<token>/``), micromamba's authentication file (what
``auth login`` writes: ``~/.mamba/auth/authentication.json``), then ``.netrc`` (``NETRC``).

The authentication file maps ``host[:port][/path]`` to one of::

    {"type": "BasicHTTPAuthentication", "user": "...", "password": "<base64>"}
    {"type": "CondaToken", "token": "..."}      # inserted as /t/<token>/ at the start of the path
    {"type": "BearerToken", "token": "..."}     # sent as "Authorization: Bearer <token>"

and the longest key that is a prefix of a URL's ``host[:port]/path`` (whole path segments) wins.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from naja.errors import ConfigError

AUTH_FILE = Path(".mamba") / "auth" / "authentication.json"
_TYPES = ("BasicHTTPAuthentication", "CondaToken", "BearerToken")


@dataclass(frozen=True)
class AuthEntry:
    """One entry of the authentication file (``kind`` is micromamba's ``type``)."""

    kind: str
    user: str = ""
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class CredentialStore:
    entries: tuple[tuple[str, AuthEntry], ...] = ()
    netrc_hosts: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)  # host, login, password

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, home: Path | None = None) -> CredentialStore:
        """Read the authentication file and ``.netrc`` (missing files are simply empty)."""
        env = os.environ if env is None else env
        home = home or Path(env.get("HOME") or os.path.expanduser("~"))
        return cls(read_auth_file(home / AUTH_FILE), read_netrc(env, home))

    def attach(self, url: str) -> tuple[str, dict[str, str]]:
        """``url`` as it must be requested and the headers that carry its credentials."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return url, {}
        if "@" in parts.netloc:
            return _basic_from_userinfo(parts)
        entry = self._entry_for(parts)
        if entry is not None and entry.kind == "BearerToken":
            return url, {"Authorization": f"Bearer {entry.secret}"}
        if entry is not None and entry.kind == "BasicHTTPAuthentication":
            return url, {"Authorization": _basic(entry.user, entry.secret)}
        if entry is not None and not parts.path.startswith("/t/"):  # CondaToken: in the path, so a
            path = f"/t/{urllib.parse.quote(entry.secret, safe='')}{parts.path or '/'}"  # header may
            url = urllib.parse.urlunsplit(parts._replace(path=path))  # still come from .netrc
        host = (parts.hostname or "").lower()
        for name, login, password in self.netrc_hosts:
            if name == host or name == "":
                return url, {"Authorization": _basic(login, password)}
        return url, {}

    def _entry_for(self, parts: urllib.parse.SplitResult) -> AuthEntry | None:
        location = parts.netloc.lower() + parts.path.rstrip("/")
        best: tuple[int, AuthEntry] | None = None
        for key, entry in self.entries:
            if (location == key or location.startswith(key + "/")) and (best is None or len(key) > best[0]):
                best = (len(key), entry)
        return best[1] if best else None


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _basic_from_userinfo(parts: urllib.parse.SplitResult) -> tuple[str, dict[str, str]]:
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return clean, {"Authorization": _basic(urllib.parse.unquote(user), urllib.parse.unquote(password))}


def _key(text: str) -> str:
    """An authentication-file key as compared: no scheme, lower-case host, no trailing slash."""
    text = text.split("://", 1)[-1]
    host, slash, path = text.partition("/")
    return host.lower() + (slash + path).rstrip("/")


def read_auth_file(path: Path) -> tuple[tuple[str, AuthEntry], ...]:
    """The entries of micromamba's authentication file; a file that is not what ``auth login``
    writes is a ``ConfigError`` naming the file (and the key, never the secret)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except (ValueError, RecursionError):
        raise ConfigError(f"{path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object (host -> credentials)")
    entries = []
    for key, value in data.items():
        entries.append((_key(str(key)), _entry(path, str(key), value)))
    return tuple(entries)


def _entry(path: Path, key: str, value: object) -> AuthEntry:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in _TYPES:
        raise ConfigError(f"{path}: entry {key!r} has no known type (one of {', '.join(_TYPES)})")
    assert isinstance(value, dict)
    if kind == "BasicHTTPAuthentication":
        user, encoded = value.get("user"), value.get("password", "")
        if not isinstance(user, str) or not isinstance(encoded, str):
            raise ConfigError(f"{path}: entry {key!r} needs string 'user' and 'password'")
        try:
            password = base64.b64decode(encoded, validate=True).decode("utf-8")
        except ValueError:
            raise ConfigError(f"{path}: entry {key!r}: 'password' is not base64") from None
        return AuthEntry(kind, user, password)
    token = value.get("token")
    if not isinstance(token, str) or not token:
        raise ConfigError(f"{path}: entry {key!r} needs a string 'token'")
    return AuthEntry(kind, "", token)


def read_netrc(env: Mapping[str, str], home: Path) -> tuple[tuple[str, str, str], ...]:
    """``(host, login, password)`` from ``$NETRC`` or ``~/.netrc`` (``""`` host: the ``default``
    entry, kept last)."""
    import netrc

    path = Path(env["NETRC"]).expanduser() if env.get("NETRC") else home / ".netrc"
    if not path.is_file():
        return ()
    try:
        parsed = netrc.netrc(str(path))
    except netrc.NetrcParseError as exc:
        raise ConfigError(f"{path}: invalid netrc file (line {exc.lineno}: {exc.msg})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    # typeshed types the 3.10 password as optional, but netrc keeps only entries that have one
    hosts = [(h.lower(), login, password or "") for h, (login, _acct, password) in parsed.hosts.items()
             if h != "default"]
    if "default" in parsed.hosts:
        login, _acct, password = parsed.hosts["default"]
        hosts.append(("", login, password or ""))
    return tuple(hosts)
