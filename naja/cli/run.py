"""``naja run [-n ENV|-p PREFIX] [--cwd DIR] [-e VAR=VALUE] [-a STREAMS] [--clean-env] CMD ARGS…``."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run", help="run a command inside an environment",
        description="Run CMD with the environment activated (activate.d scripts included). The exit "
                    "code is the command's; a command killed by signal N gives 128+N.")
    p.add_argument("-r", "--root-prefix", metavar="PATH", help="root prefix (default: $NAJA_ROOT_PREFIX)")
    p.add_argument("-p", "--prefix", metavar="PATH", help="path of the environment")
    p.add_argument("-n", "--name", metavar="NAME",
                   help="name of the environment (default: the active one, else base)")
    p.add_argument("-a", "--attach", metavar="STREAMS", default=None,
                   help="streams shared with the command: any of stdin,stdout,stderr (default: all); "
                        "'' for none")
    p.add_argument("--cwd", metavar="DIR", help="working directory of the command")
    p.add_argument("-e", "--env", action="append", default=[], metavar="VAR[=VALUE]",
                   help="set VAR for the command (repeatable; VAR alone passes the current value)")
    p.add_argument("--clean-env", action="store_true",
                   help="start from an empty environment instead of naja's own")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD ARGS", help="the command to run")
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from naja.activation import (
        ActivationError,
        load_settings,
        parse_attach,
        parse_env_assignments,
        resolve_prefix,
        run_in_env,
    )

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ActivationError("naja run: no command given")
    settings = load_settings(args.root_prefix)
    prefix = resolve_prefix(settings, None, name=args.name, prefix=args.prefix, fallback_active=True)
    return run_in_env(prefix, command, cwd=args.cwd, env=parse_env_assignments(args.env),
                      clean_env=args.clean_env, attach=parse_attach(args.attach), settings=settings)
