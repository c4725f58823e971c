"""``naja env list|create|remove|update|export``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import (
    add_force_reinstall,
    add_general,
    add_install,
    add_link,
    add_prefix,
    no_subcommand,
    options_from_args,
)

if TYPE_CHECKING:
    from naja.api.envs import EnvInfo
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("env", help="manage environments", description="Manage environments.")
    sub = p.add_subparsers(dest="env_command", metavar="SUBCOMMAND", parser_class=type(p))
    no_subcommand(p)

    q = sub.add_parser("list", help="list the environments")
    add_general(q)
    add_prefix(q)
    q.set_defaults(func=run_list)

    q = sub.add_parser("create", help="create an environment (same as 'naja create')")
    add_install(q)
    add_force_reinstall(q)
    q.set_defaults(func=run_create)

    q = sub.add_parser("update", help="update an environment from -f FILE")
    add_install(q)
    add_force_reinstall(q)
    q.add_argument("--prune", action="store_true", help="remove packages the file does not ask for")
    q.set_defaults(func=run_update)

    q = sub.add_parser("remove", help="remove an environment")
    add_general(q)
    add_prefix(q)
    add_link(q)
    q.set_defaults(func=run_remove)

    q = sub.add_parser("export", help="print an environment as environment.yml (or @EXPLICIT)")
    add_general(q)
    add_prefix(q)
    q.add_argument("-e", "--explicit", action="store_true", help="an @EXPLICIT list of package URLs")
    q.add_argument("--md5", dest="md5", action="store_true", default=True, help="with --explicit: #md5 (default)")
    q.add_argument("--no-md5", dest="md5", action="store_false", help="with --explicit: no #md5")
    q.add_argument("--sha256", action="store_true", help="with --explicit: #sha256:<hex> instead of #md5")
    q.add_argument("--no-build", "--no-builds", dest="no_build", action="store_true",
                   help="leave out build strings")
    q.add_argument("--build", dest="no_build", action="store_false")
    q.add_argument("--from-history", action="store_true", help="only the specs the user asked for")
    q.add_argument("--channel-subdir", action="store_true", help="write channel/subdir::name=version=build")
    q.add_argument("-f", "--file", dest="out_file", metavar="FILE", help="write to FILE instead of stdout")
    q.set_defaults(func=run_export)

    try:  # ``env config vars`` belongs to the activation layer (engineer G)
        from naja.cli.env_config import register_env_config
    except ModuleNotFoundError:
        return
    register_env_config(sub)


def print_envs(args: argparse.Namespace, envs: list[EnvInfo]) -> int:
    from naja.cli import output

    if getattr(args, "json", False):
        output.print_json({"envs": [str(e.prefix) for e in envs]})
        return 0
    output.table(["Name", "Active", "Path"], [(e.name, "*" if e.active else "", str(e.prefix)) for e in envs])
    return 0


def run_list(args: argparse.Namespace) -> int:
    from naja import api

    return print_envs(args, api.list_envs(options_from_args(args)))


def run_create(args: argparse.Namespace) -> int:
    from naja.cli.create import run

    return run(args)


def run_update(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli.output import run_plan
    from naja.errors import NajaError

    if not args.files and not args.specs:
        raise NajaError("env update needs -f FILE (or specs)")
    plan = api.plan_install(args.specs, options_from_args(args), prune=args.prune)
    return run_plan(args, plan)


def run_remove(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output
    from naja.errors import NajaError

    options = options_from_args(args)
    if not args.prefix and args.name is None:
        raise NajaError("env remove needs -n NAME or -p PATH")
    if not (args.yes or args.json or args.quiet or args.dry_run):
        prefix = api.Context.from_options(options).target_prefix(must_exist=True, allow_default=False)
        output.info(f"This removes the environment at {prefix} and everything in it.")
        if not output.confirm("Remove the environment"):
            raise NajaError("aborted: nothing was changed")
    prefix, records = api.remove_env(options)
    if args.json:
        output.print_json({"success": True, "prefix": str(prefix), "dry_run": bool(args.dry_run),
                           "actions": {"UNLINK": [api.record_json(r) for r in records],
                                       "PREFIX": str(prefix)}})
    else:
        output.info(("Would remove" if args.dry_run else "Removed") + f" environment {prefix}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from naja import api
    from naja.cli import output

    doc = api.export_env(options_from_args(args), explicit=args.explicit, from_history=args.from_history,
                         no_build=args.no_build, md5=args.md5, channel_subdir=args.channel_subdir,
                         sha256=args.sha256)
    if args.json:
        output.print_json(doc)
        return 0
    text = doc["explicit"] if args.explicit else api.export_yaml(doc)
    if args.out_file:
        try:
            Path(args.out_file).write_text(text, encoding="utf-8")
        except OSError as exc:
            from naja.errors import NajaError

            raise NajaError(f"cannot write {args.out_file}: {exc.strerror or exc}") from None
    else:
        import sys

        sys.stdout.write(text)
    return 0
