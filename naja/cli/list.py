"""``naja list [REGEX]``: the packages installed in an environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general, add_prefix, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("list", help="list the packages in an environment",
                              description="List installed packages whose name matches REGEX.")
    add_general(p)
    add_prefix(p)
    p.add_argument("regex", nargs="?", help="only names matching this regular expression")
    p.add_argument("-f", "--full-name", action="store_true", help="REGEX must match the whole name")
    p.add_argument("--reverse", action="store_true", help="reverse the order")
    p.add_argument("--explicit", action="store_true", help="print package URLs (an @EXPLICIT list)")
    p.add_argument("--md5", action="store_true", help="with --explicit: append #md5")
    p.add_argument("--sha256", action="store_true", help="with --explicit: append #sha256")
    p.add_argument("-c", "--canonical", action="store_true", help="print channel/subdir::name-version-build")
    p.add_argument("-e", "--export", action="store_true", help="print name=version=build")
    p.add_argument("--revisions", action="store_true", help="show the history revisions")
    p.add_argument("--no-pip", action="store_true", help="leave out packages pip installed (channel pypi)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    options = options_from_args(args)
    if args.revisions:
        return _revisions(args, options)
    pip = not args.no_pip and not (args.explicit or args.export or args.canonical)  # not conda packages
    prefix, records = api.list_packages(options, args.regex, full_name=args.full_name, pip=pip)
    if args.reverse:
        records = list(reversed(records))
    if args.json:
        # micromamba 2.8.1 (libmamba api/list.cpp): a top-level list (unreleased mamba moves it under /packages)
        output.print_json([api.list_entry_json(r) for r in records])
        return 0
    if args.explicit:
        lines = ["# This file may be used to create an environment using:",
                 "# $ naja create --name <env> --file <this file>",
                 f"# platform: {api.Context.from_options(options).platform}", "@EXPLICIT"]
        from naja.api.reproduce import explicit_lines

        lines += explicit_lines(records, md5=args.md5, sha256=args.sha256)
        output.print_lines(lines)
        return 0
    if args.canonical:
        output.print_lines(f"{api.channel_label(r.channel)}/{r.subdir}::{r.dist_name}" for r in records)
        return 0
    if args.export:
        output.print_lines(f"{r.name}={r.version}={r.build}" for r in records)
        return 0
    output.info(f"List of packages in environment: {prefix}", quiet=args.quiet)
    output.table(["Name", "Version", "Build", "Channel"],
                 [(r.name, r.version, r.build, api.channel_label(r.channel)) for r in records])
    return 0


def _revisions(args: argparse.Namespace, options: object) -> int:
    from naja import api
    from naja.cli import output

    revisions = api.revisions(options)  # type: ignore[arg-type]
    if args.json:
        output.print_json([{"rev": i, "date": r.date, "install": r.linked, "remove": r.unlinked}
                           for i, r in enumerate(revisions)])
        return 0
    for i, r in enumerate(revisions):
        output.print_lines([f"{r.date}  (rev {i})", *(f"    +{d}" for d in r.linked),
                            *(f"    -{d}" for d in r.unlinked), ""])
    return 0
