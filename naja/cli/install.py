"""``naja install``: add packages to an existing environment."""

from __future__ import annotations

import argparse

from naja.cli.common import add_force_reinstall, add_install, options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("install", help="install packages in an environment",
                              description="Install packages in an environment (default: the active one).")
    add_install(p)
    add_force_reinstall(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan

    return run_plan(args, api.plan_install(args.specs, options_from_args(args)))
