"""``naja env config vars list|set|unset``: the environment's own variables in ``conda-meta/state``.

Engineer F's ``naja/cli/env.py`` calls :func:`register_env_config` with the ``env`` subparsers.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_prefix, no_subcommand
from naja.cli.output import print_json

if TYPE_CHECKING:
    from pathlib import Path

    from naja.api.shell import Target
    from naja.cli.parser import Subparsers


def _add_target(p: argparse.ArgumentParser) -> None:
    add_prefix(p)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def register_env_config(env_subparsers: Subparsers) -> None:
    """Add ``config vars {list,set,unset}`` under ``naja env``."""
    config = env_subparsers.add_parser("config", help="configure an environment (its variables)")
    config_sub = config.add_subparsers(dest="env_config_command", metavar="SUBCOMMAND")
    no_subcommand(config)
    vars_parser = config_sub.add_parser("vars", help="variables set when the environment is activated")
    vars_sub = vars_parser.add_subparsers(dest="env_vars_command", metavar="ACTION")
    no_subcommand(vars_parser)

    p = vars_sub.add_parser("list", help="list the environment's variables")
    _add_target(p)
    p.set_defaults(func=_cmd_list)

    p = vars_sub.add_parser("set", help="set variables: VAR=VALUE ...")
    p.add_argument("assignments", nargs="+", metavar="VAR=VALUE")
    _add_target(p)
    p.set_defaults(func=_cmd_set)

    p = vars_sub.add_parser("unset", help="unset variables: VAR ...")
    p.add_argument("names", nargs="+", metavar="VAR")
    _add_target(p)
    p.set_defaults(func=_cmd_unset)


def _target(args: argparse.Namespace) -> Target:
    from naja.api import shell as api

    return api.Target(prefix=args.prefix, name=args.name)


def _reactivate_hint(prefix: Path) -> None:
    import os

    if os.environ.get("CONDA_PREFIX") and os.path.abspath(os.environ["CONDA_PREFIX"]) == str(prefix):
        print("To make your changes take effect please reactivate your environment")


def _cmd_list(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    _, values = api.env_vars_list(_target(args), args.root_prefix)
    if args.json:
        print_json(values)
    else:
        for name, value in values.items():
            print(f"{name} = {value}")
    return 0


def _cmd_set(args: argparse.Namespace) -> int:
    from naja.api import shell as api
    from naja.errors import ActivationError

    values: dict[str, str] = {}
    for item in args.assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise ActivationError(f"expected VAR=VALUE, got {item!r}")
        values[name] = value
    prefix = api.env_vars_set(_target(args), values, args.root_prefix)
    if args.json:
        print_json({"success": True, "set": values})
    else:
        _reactivate_hint(prefix)
    return 0


def _cmd_unset(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    prefix, changed = api.env_vars_unset(_target(args), args.names, args.root_prefix)
    if args.json:
        print_json({"success": True, "unset": changed})
    else:
        _reactivate_hint(prefix)
    return 0
