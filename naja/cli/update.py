"""``naja update``: update packages (or all of them with --all)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_force_reinstall, add_install, add_prune_deps, options_from_args, plan_retrying

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("update", help="update packages in an environment",
                              description="Update the given packages, or every package with --all.")
    add_install(p)
    add_force_reinstall(p)
    p.add_argument("-a", "--all", dest="update_all", action="store_true", help="update every package")
    add_prune_deps(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan

    if args.update_all and args.specs:
        from naja.errors import NajaError

        raise NajaError("update --all takes no package specs")
    plan = plan_retrying(args, lambda o: api.plan_update(args.specs, o, update_all=args.update_all),
                         options_from_args(args))
    return run_plan(args, plan)
