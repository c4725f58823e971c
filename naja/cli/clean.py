"""``naja clean``: remove caches (repodata, extracted packages, tarballs, locks)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("clean", help="clean the package and repodata caches",
                              description="Remove cached repodata, unused packages, tarballs or lock files.")
    add_general(p)
    p.add_argument("-r", "--root-prefix", metavar="PATH", help="root prefix (default: $NAJA_ROOT_PREFIX)")
    p.add_argument("-a", "--all", action="store_true",
                   help="-i -p -t -l, also in conda's user cache (not --trash, not -f)")
    p.add_argument("-i", "--index-cache", action="store_true", help="the repodata cache")
    p.add_argument("-p", "--packages", action="store_true",
                   help="extracted packages no environment uses")
    p.add_argument("-t", "--tarballs", action="store_true", help="downloaded package archives")
    p.add_argument("-l", "--locks", action="store_true", help="lock files")
    p.add_argument("--trash", action="store_true",
                   help="*.mamba_trash files left in the root prefix and the environments")
    p.add_argument("-f", "--force-pkgs-dirs", action="store_true",
                   help="remove every writable package cache whole (environments linked from it may break)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    options = options_from_args(args)
    force = args.force_pkgs_dirs
    if force and not (options.yes or args.dry_run):
        dirs = ", ".join(str(d) for d in api.writable_pkgs_dirs(options))
        # a "no" drops -f and the other flags still apply (micromamba); no flag left: nothing to do
        force = bool(dirs) and output.confirm(f"Remove the package caches {dirs} and everything in them?",
                                              default=None)
    flags = (args.all, args.index_cache, args.packages, args.tarballs, args.locks, args.trash, force)
    if not any(flags) and not args.json:
        output.info("Nothing to do.", quiet=args.quiet)
        return 0
    # -p is --packages here (as in micromamba), not --prefix
    report = api.clean(options, index_cache=args.index_cache, packages=args.packages, tarballs=args.tarballs,
                       locks=args.locks, trash=args.trash, all=args.all, force_pkgs_dirs=force)
    if args.json:
        output.print_json({"success": True, "dry_run": bool(args.dry_run),
                           "removed": {k: [p for p, _ in v] for k, v in report.removed.items()},
                           "freed_bytes": report.total()})
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    for kind, items in report.removed.items():
        output.info(f"{verb} {len(items)} {kind.replace('_', ' ')} "
                    f"({output.human_size(sum(s for _, s in items)) or '0 B'})", quiet=args.quiet)
        if args.verbose:
            for path, _ in items:
                output.info(f"  {path}")
    if not report.removed:
        output.info("Nothing to clean.", quiet=args.quiet)
    return 0
