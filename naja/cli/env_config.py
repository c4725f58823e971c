"""``naja env config vars list|set|unset``: the environment's own variables in ``conda-meta/state``.

Engineer F's ``naja/cli/env.py`` calls :func:`register_env_config` with the ``env`` subparsers.
"""

from __future__ import annotations

import argparse

from naja.cli.common import add_prefix
from naja.cli.output import print_json


def _add_target(p: argparse.ArgumentParser) -> None:
    add_prefix(p)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def register_env_config(env_subparsers: argparse._SubParsersAction) -> None:
    """Add ``config vars {list,set,unset}`` under ``naja env``."""
    config = env_subparsers.add_parser("config", help="configure an environment (its variables)")
    config_sub = config.add_subparsers(dest="env_config_command", metavar="SUBCOMMAND")
    config_sub.required = True
    vars_parser = config_sub.add_parser("vars", help="variables set when the environment is activated")
    vars_sub = vars_parser.add_subparsers(dest="env_vars_command", metavar="ACTION")
    vars_sub.required = True

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


def _prefix(args: argparse.Namespace):
    from naja.activation import load_settings, resolve_prefix

    settings = load_settings(args.root_prefix)
    prefix = resolve_prefix(settings, None, name=args.name, prefix=args.prefix, fallback_active=True)
    if not (prefix / "conda-meta").is_dir():
        from naja.errors import PrefixError

        raise PrefixError(f"{prefix} is not an environment (no conda-meta directory)")
    return prefix


def _reactivate_hint(prefix) -> None:
    import os

    if os.environ.get("CONDA_PREFIX") and os.path.abspath(os.environ["CONDA_PREFIX"]) == str(prefix):
        print("To make your changes take effect please reactivate your environment")


def _cmd_list(args: argparse.Namespace) -> int:
    from naja.activation import list_env_vars

    values = list_env_vars(_prefix(args))
    if args.json:
        print_json(values)
    else:
        for name, value in values.items():
            print(f"{name} = {value}")
    return 0


def _cmd_set(args: argparse.Namespace) -> int:
    from naja.activation import ActivationError, set_env_vars

    values: dict[str, str] = {}
    for item in args.assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise ActivationError(f"expected VAR=VALUE, got {item!r}")
        values[name] = value
    prefix = _prefix(args)
    set_env_vars(prefix, values)
    if args.json:
        print_json({"success": True, "set": values})
    else:
        _reactivate_hint(prefix)
    return 0


def _cmd_unset(args: argparse.Namespace) -> int:
    from naja.activation import unset_env_vars

    prefix = _prefix(args)
    changed = unset_env_vars(prefix, args.names)
    if args.json:
        print_json({"success": True, "unset": changed})
    else:
        _reactivate_hint(prefix)
    return 0
