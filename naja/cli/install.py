"""``naja install``: add packages to an existing environment."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_force_reinstall, add_install, options_from_args, plan_retrying

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("install", help="install packages in an environment",
                              description="Install packages in an environment (default: the active one).")
    add_install(p)
    add_force_reinstall(p)
    p.add_argument("--revision", type=int, metavar="N",
                   help="go back to history revision N (see 'naja list --revisions')")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan

    options = options_from_args(args)
    if args.revision is not None:
        if args.specs or args.files:
            from naja.errors import NajaError

            raise NajaError("--revision cannot be combined with package specs or -f")
        return run_plan(args, api.plan_revision(args.revision, options))
    return run_plan(args, plan_retrying(args, lambda o: api.plan_install(args.specs, o), options))
