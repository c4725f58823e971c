"""``naja auth login|logout``: micromamba's ``~/.mamba/auth/authentication.json`` (naja.api.auth)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
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


def run_login(args: argparse.Namespace) -> int:
    from naja.api.auth import login_entry, store_login
    from naja.errors import NajaError

    if not args.host:
        raise NajaError("no host given")
    secret = sys.stdin.read() if (args.password_stdin or args.token_stdin or args.bearer_stdin) else ""
    entry = login_entry(user=args.username,
                        password=secret if args.password_stdin else args.password,
                        token=secret if args.token_stdin else args.token,
                        bearer=secret if args.bearer_stdin else args.bearer)
    store_login(args.host, entry)
    print("Successfully stored login information")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from naja.api.auth import remove_all_logins, remove_login, token_base
    from naja.errors import NajaError

    if args.all:
        remove_all_logins()
        return 0
    if not args.host:
        raise NajaError("no host given (or --all)")
    key = token_base(args.host)
    print(f"Logged out from {key}" if remove_login(args.host) else f"You are not logged in to {key}")
    return 0
