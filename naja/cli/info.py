"""``naja info``: versions, platform, virtual packages, channels and directories."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_channels, add_general, add_prefix, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("info", help="information about naja and the environment",
                              description="Show the platform, virtual packages, channels and directories.")
    add_general(p)
    add_prefix(p)
    add_channels(p)
    p.add_argument("--base", action="store_true", help="print the root prefix only")
    p.add_argument("-e", "--envs", action="store_true", help="list the environments")
    p.add_argument("--licenses", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    options = options_from_args(args)
    if args.envs:
        from naja.cli.env import print_envs

        return print_envs(args, api.list_envs(options))
    data = api.info(options)
    if args.base:
        if args.json:
            # micromamba prints {"base environment": ...} (libmamba/src/api/info.cpp)
            output.print_json({"base environment": data["root_prefix"], "root_prefix": data["root_prefix"]})
        else:
            output.print_lines([data["root_prefix"]])
        return 0
    if args.json:
        output.print_json(data)
        return 0
    width = max(len(k) for k in data)
    lines = []
    for key, value in data.items():
        if key == "root_prefix":
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            values = ["-"]
        lines.append(f"{key:>{width}} : {values[0]}")
        lines += [f"{'':>{width}}   {v}" for v in values[1:]]
    output.print_lines(lines)
    return 0
