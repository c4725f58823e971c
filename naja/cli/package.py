"""``naja package extract|create|transmute``: work on package archives."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general, no_subcommand

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("package", help="extract, create or convert package archives",
                              description="Work on .conda and .tar.bz2 package archives.")
    sub = p.add_subparsers(dest="package_command", metavar="SUBCOMMAND", parser_class=type(p))
    no_subcommand(p)

    q = sub.add_parser("extract", help="extract an archive into a directory")
    add_general(q)
    q.add_argument("archive", metavar="ARCHIVE")
    q.add_argument("dest", metavar="DEST")
    q.set_defaults(func=run)

    q = sub.add_parser("create", aliases=["compress"],
                       help="build an archive from a directory holding info/index.json")
    add_general(q)
    q.add_argument("folder", metavar="FOLDER")
    q.add_argument("dest", nargs="?", metavar="DEST",
                   help="output directory or .conda/.tar.bz2 path (default: current directory)")
    q.add_argument("--format", dest="fmt", choices=[".conda", ".tar.bz2", "conda", "tar.bz2"],
                   help="archive format when DEST is a directory (default .conda)")
    q.add_argument("-c", "--compression-level", type=int, metavar="LEVEL")
    q.add_argument("--compression-threads", type=int, help=argparse.SUPPRESS)
    q.set_defaults(func=run, package_command="create")

    q = sub.add_parser("transmute", help="convert .tar.bz2 <-> .conda")
    add_general(q)
    q.add_argument("archive", metavar="INFILE")
    q.add_argument("dest", nargs="?", metavar="OUT", help="output file or directory (default: beside INFILE)")
    q.add_argument("-c", "--compression-level", type=int, metavar="LEVEL")
    q.add_argument("--compression-threads", type=int, help=argparse.SUPPRESS)
    q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    if args.package_command == "extract":
        path = api.package_extract(args.archive, args.dest)
    elif args.package_command == "create":
        fmt = args.fmt if not args.fmt or args.fmt.startswith(".") else "." + args.fmt
        path = api.package_create(args.folder, args.dest, fmt=fmt, compression_level=args.compression_level)
    else:
        path = api.package_transmute(args.archive, args.dest, compression_level=args.compression_level)
    if args.json:
        output.print_json({"success": True, "path": str(path)})
    elif not args.quiet:
        output.print_lines([str(path)])
    return 0
