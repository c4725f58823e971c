"""``naja search SPEC``: the same as ``naja repoquery search``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    from naja.cli.repoquery import add_query_options

    p = subparsers.add_parser("search", help="search packages in channels (as repoquery search)",
                              description="Find packages matching specs in the channels.")
    add_query_options(p, search=True)
    p.set_defaults(func=run, query="search")


def run(args: argparse.Namespace) -> int:
    from naja.cli.repoquery import run as repoquery_run

    return repoquery_run(args)
