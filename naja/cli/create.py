"""``naja create``: a new environment from specs and/or -f files."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_force_reinstall, add_install, options_from_args, plan_retrying

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("create", help="create a new environment",
                              description="Create a new environment (-n NAME or -p PATH) with the given specs.")
    add_install(p)
    add_force_reinstall(p)
    p.add_argument("--clone", metavar="ENV", help="copy the packages of another environment (name or path)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan

    options = options_from_args(args)
    if getattr(args, "clone", None):
        if args.specs:
            from naja.errors import NajaError

            raise NajaError("--clone cannot be combined with package specs")
        return run_plan(args, api.plan_clone(args.clone, options))
    return run_plan(args, plan_retrying(args, lambda o: api.plan_create(args.specs, o), options))
