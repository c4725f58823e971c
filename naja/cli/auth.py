"""``naja auth login|logout``: credentials in micromamba's ``~/.mamba/auth/authentication.json``.

The file is micromamba's (micromamba/src/login.cpp writes it, libmamba core/context.cpp reads it):
one object keyed by ``host[:port][/path]`` (scheme dropped, trailing ``/`` stripped), each entry
``{"type": "BasicHTTPAuthentication", "user": U, "password": base64(P)}``,
``{"type": "CondaToken", "token": T}`` or ``{"type": "BearerToken", "token": T}``; written with sorted
keys and a 4-space indent as nlohmann's ``dump(4)``. naja's downloads read the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("auth", help="store or erase credentials for a host",
                              description="Login or logout of a given host (micromamba's authentication.json).")
    sub = p.add_subparsers(dest="auth_command", metavar="SUBCOMMAND", parser_class=type(p))
    p.set_defaults(func=lambda args: _help(p))

    q = sub.add_parser("login", help="store login information for a host")
    q.add_argument("host", nargs="?", default="", metavar="HOST",
                   help="host, with optional port and channel path; the scheme is ignored")
    q.add_argument("-p", "--password", default="", metavar="PASSWORD", help="password (with -u)")
    q.add_argument("-u", "--username", default="", metavar="USERNAME", help="user name")
    q.add_argument("-t", "--token", default="", metavar="TOKEN", help="conda token (/t/TOKEN/ in URLs)")
    q.add_argument("-b", "--bearer", default="", metavar="BEARER", help="bearer token (Authorization header)")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q.add_argument("--token-stdin", action="store_true", help="read the token from stdin")
    q.add_argument("--bearer-stdin", action="store_true", help="read the bearer token from stdin")
    q.set_defaults(func=run_login)

    q = sub.add_parser("logout", help="erase login information for a host")
    q.add_argument("host", nargs="?", default="", metavar="HOST")
    q.add_argument("--all", action="store_true", help="log out from every host (removes the file)")
    q.set_defaults(func=run_logout)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


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


def run_login(args: argparse.Namespace) -> int:
    from naja.errors import NajaError

    if not args.host:
        raise NajaError("no host given")
    secret = sys.stdin.read() if (args.password_stdin or args.token_stdin or args.bearer_stdin) else ""
    entry = login_entry(user=args.username,
                        password=secret if args.password_stdin else args.password,
                        token=secret if args.token_stdin else args.token,
                        bearer=secret if args.bearer_stdin else args.bearer)
    path = auth_file()
    data = _read(path)
    data[token_base(args.host)] = entry
    _write(path, data)
    print("Successfully stored login information")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from naja.errors import NajaError

    path = auth_file()
    if args.all:
        path.unlink(missing_ok=True)
        return 0
    if not args.host:
        raise NajaError("no host given (or --all)")
    data = _read(path)
    key = token_base(args.host)
    if data.pop(key, None) is None:
        print(f"You are not logged in to {key}")
        return 0
    _write(path, data)
    print(f"Logged out from {key}")
    return 0
