"""Credentials in micromamba's ``~/.mamba/auth/authentication.json`` (``naja auth login|logout``).

The file is micromamba's (micromamba/src/login.cpp writes it, libmamba core/context.cpp reads it):
one object keyed by ``host[:port][/path]`` (scheme dropped, trailing ``/`` stripped), each entry
``{"type": "BasicHTTPAuthentication", "user": U, "password": base64(P)}``,
``{"type": "CondaToken", "token": T}`` or ``{"type": "BearerToken", "token": T}``; written with sorted
keys and a 4-space indent as nlohmann's ``dump(4)``.
"""

from __future__ import annotations

from pathlib import Path


def auth_file() -> Path:
    return Path.home() / ".mamba" / "auth" / "authentication.json"


def token_base(host: str) -> str:
    """``https://Host:8000/chan/`` -> ``host:8000/chan``: micromamba's key (login.cpp get_token_base)."""
    from urllib.parse import unquote, urlsplit

    text = host.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{(parts.hostname or '').lower()}{port}{unquote(parts.path).rstrip('/')}"


def login_entry(*, user: str, password: str, token: str, bearer: str) -> dict[str, str]:
    """The entry micromamba writes: a password wins over a token, a token over a bearer token."""
    import base64

    from naja.errors import NajaError

    if password.strip():
        return {"password": base64.b64encode(password.strip().encode()).decode(), "type": "BasicHTTPAuthentication",
                "user": user}
    if token.strip():
        return {"token": token.strip(), "type": "CondaToken"}
    if bearer.strip():
        return {"token": bearer.strip(), "type": "BearerToken"}
    raise NajaError("no password or token given (-p, -t, -b or their --*-stdin forms)")


def _read(path: Path) -> dict[str, object]:
    import json

    from naja.errors import NajaError

    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NajaError(f"could not parse {path}: {exc}") from None
    if not isinstance(data, dict):
        raise NajaError(f"could not parse {path}: not a JSON object")
    return data


def _write(path: Path, data: dict[str, object]) -> None:
    """Sorted keys, 4-space indent, no final newline (nlohmann ``dump(4)``); a new file is 0600."""
    import json
    import os

    from naja.fs import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    atomic_write(path, json.dumps(data, indent=4, sort_keys=True, ensure_ascii=False).encode("utf-8"))




def store_login(host: str, entry: dict[str, str]) -> None:
    path = auth_file()
    data = _read(path)
    data[token_base(host)] = entry
    _write(path, data)


def remove_login(host: str) -> bool:
    """Forget ``host``; False when it was not stored."""
    path = auth_file()
    data = _read(path)
    if data.pop(token_base(host), None) is None:
        return False
    _write(path, data)
    return True


def remove_all_logins() -> None:
    auth_file().unlink(missing_ok=True)
