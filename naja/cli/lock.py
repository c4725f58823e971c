"""``naja lock -f environment.yml -p linux-64 -p osx-arm64 [-o conda-lock.yml]``: a conda-lock file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_channels, add_general, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "lock", help="solve an environment file for several platforms into conda-lock.yml",
        description="Solve environment files once per platform (with that platform's virtual packages) "
                    "and write a conda-lock (version 1) lockfile; install it with 'naja create -f'.")
    add_general(p)
    add_channels(p, platform=False)
    p.add_argument("-f", "--file", action="append", default=[], dest="lock_files", metavar="FILE",
                   help="environment.yml or spec list (repeatable; default: ./environment.yml)")
    p.add_argument("-p", "--platform", action="append", default=[], dest="lock_platforms", metavar="SUBDIR",
                   help="platform to lock (repeatable; default: the file's 'platforms' or this machine)")
    p.add_argument("-o", "--lockfile", "--output", dest="lockfile", metavar="FILE", default="conda-lock.yml",
                   help="where to write the lockfile (default: conda-lock.yml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja.api.lock import lock
    from naja.cli import output

    result = lock(args.lock_files, args.lock_platforms, options_from_args(args), output=args.lockfile)
    if args.json:
        output.print_json({**result.to_json(), "dry_run": bool(args.dry_run)})
        return 0
    if result.pip_skipped:
        output.info(f"warning: pip dependencies are not locked: {', '.join(result.pip_skipped)}")
    for platform, records in result.solutions.items():
        count = sum(1 for r in records if not r.name.startswith("__"))
        output.info(f"{platform}: {count} package{'s' if count != 1 else ''}", quiet=args.quiet)
    verb = "Would write" if args.dry_run else "Wrote"
    output.info(f"{verb} {result.path}", quiet=args.quiet)
    from naja.api import is_lockfile

    if not is_lockfile(result.path):
        output.info(f"note: 'naja create -f' reads files named *-lock.yml as lockfiles; rename {result.path.name}"
                    " to use it there")
    return 0
