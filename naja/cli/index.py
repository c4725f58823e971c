"""``naja index DIR``: write repodata for a local channel directory."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("index", help="build repodata for a local channel directory",
                              description="Write <subdir>/repodata.json (+ .zst and CEP-16 shards) for "
                                          "every subdir of DIR that holds packages.")
    add_general(p)
    p.add_argument("channel_dir", metavar="DIR")
    p.add_argument("--no-zst", dest="zst", action="store_false", help="do not write repodata.json.zst")
    p.add_argument("--no-shards", dest="shards", action="store_false", help="do not write CEP-16 shards")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    written = api.index(args.channel_dir, zst=args.zst, shards=args.shards, dry_run=args.dry_run)
    if args.json:
        output.print_json({"success": True, "dry_run": bool(args.dry_run), "repodata": [str(p) for p in written]})
    elif not args.quiet:
        for p in written:
            output.info(f"{'would index' if args.dry_run else 'indexed'} {p}")
    return 0
