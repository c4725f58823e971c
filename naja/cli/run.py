"""``naja run [-n ENV|-p PREFIX] [--cwd DIR] [-e VAR=VALUE] [-a STREAMS] [--clean-env] [-d] [--label NAME]
CMD ARGS…`` and ``naja ps list|stop``. Everything after CMD is CMD's own."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="run a command inside an environment",
        description="Run CMD with the environment activated (activate.d scripts included). The exit "
                    "code is the command's; a command killed by signal N gives 128+N. Every argument "
                    "after CMD is passed to CMD.")
    p.add_argument("-r", "--root-prefix", metavar="PATH", help="root prefix (default: $NAJA_ROOT_PREFIX)")
    p.add_argument("-p", "--prefix", metavar="PATH", help="path of the environment")
    p.add_argument("-n", "--name", metavar="NAME",
                   help="name of the environment (default: the active one, else base)")
    p.add_argument("--relocate-prefix", metavar="PATH", dest="_noop_relocate_prefix",
                   help=argparse.SUPPRESS)  # micromamba's prefix group has it; running links nothing
    p.add_argument("-a", "--attach", metavar="STREAMS", default=None,
                   help="streams shared with the command: any of stdin,stdout,stderr (default: all); "
                        "'' for none")
    p.add_argument("--cwd", metavar="DIR", help="working directory of the command")
    p.add_argument("-e", "--env", action="append", default=[], metavar="VAR[=VALUE]",
                   help="set VAR for the command (repeatable; VAR alone passes the current value)")
    p.add_argument("--clean-env", action="store_true",
                   help="start from an empty environment instead of naja's own")
    p.add_argument("-d", "--detach", action="store_true",
                   help="run in the background, detached from the terminal (see 'naja ps')")
    p.add_argument("--label", metavar="NAME",
                   help="name of the process in 'naja ps' (default: generated from CMD)")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD ARGS", help="the command to run")
    p.set_defaults(func=_cmd_run)

    ps = subparsers.add_parser("ps", help="list or stop the processes started by 'naja run'")
    ps.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    ps.set_defaults(func=_cmd_ps_list)
    sub = ps.add_subparsers(dest="ps_command", metavar="SUBCOMMAND")
    lst = sub.add_parser("list", help="list the running processes (the default)")
    lst.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                     help="print one JSON document on stdout")
    lst.set_defaults(func=_cmd_ps_list)
    stop = sub.add_parser("stop", help="send SIGTERM to a process by PID or label")
    stop.add_argument("pid_or_name", metavar="PID|NAME")
    stop.set_defaults(func=_cmd_ps_stop)


def _cmd_run(args: argparse.Namespace) -> int:
    from naja.api import shell as api
    from naja.errors import ActivationError

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ActivationError("naja run: no command given")
    target = api.Target(prefix=args.prefix, name=args.name)
    return api.run(target, command, root_prefix=args.root_prefix, cwd=args.cwd,
                   env=api.parse_env_assignments(args.env), clean_env=args.clean_env,
                   attach=api.parse_attach(args.attach), detach=args.detach, label=args.label)


def _cmd_ps_list(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    procs = api.process_list()
    if args.json:
        from naja.cli.output import print_json

        print_json([{"pid": str(p.pid), "name": p.name, "prefix": p.prefix, "command": list(p.command)}
                    for p in procs])
        return 0
    if not procs:
        print("No running processes")
        return 0
    rows = [("PID", "Name", "Prefix", "Command")]
    rows += [(str(p.pid), p.name, p.prefix, " ".join(p.command)) for p in procs]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
    return 0


def _cmd_ps_stop(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    stopped = api.process_stop(args.pid_or_name)
    if not stopped:
        print("Did not find any matching process.")
        return 1
    for p in stopped:
        print(f"Stopping {p.name} [{p.pid}]")
    return 0
