"""``naja remove`` (alias ``uninstall``): remove packages from an environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_channels, add_general, add_link, add_prefix, add_prune_deps, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("remove", aliases=["uninstall"], help="remove packages from an environment",
                              description="Remove packages (and what only they needed) from an environment.")
    add_general(p)
    add_prefix(p)
    add_channels(p)
    p.add_argument("specs", nargs="*", metavar="SPEC", help="names of the packages to remove")
    p.add_argument("-a", "--all", dest="remove_all", action="store_true", help="remove every package")
    p.add_argument("-f", "--force", action="store_true",
                   help="remove only the named packages, without solving (may break the environment)")
    add_prune_deps(p)
    add_link(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan
    from naja.errors import NajaError

    if not args.specs and not args.remove_all:
        raise NajaError("give the packages to remove, or -a/--all")
    options = options_from_args(args)
    plan = api.plan_remove(args.specs, options, remove_all=args.remove_all, force=args.force)
    return run_plan(args, plan)
