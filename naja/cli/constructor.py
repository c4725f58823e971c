"""``naja constructor -p PREFIX --extract-conda-pkgs | --extract-tarball`` (see naja.api.constructor)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("constructor", help="helper for installers built with conda's constructor",
                              description="Extract the packages (or a tarball from stdin) of a constructor installer.")
    add_general(p)
    p.add_argument("-p", "--prefix", required=True, metavar="PATH", help="the installation prefix")
    p.add_argument("--extract-conda-pkgs", action="store_true", help="extract the packages in <prefix>/pkgs")
    p.add_argument("--extract-tarball", action="store_true", help="extract the tarball on stdin into the prefix")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from naja.api.constructor import extract_conda_pkgs, extract_tarball

    prefix = Path(os.path.abspath(os.path.expanduser(args.prefix)))
    if args.extract_conda_pkgs:
        extract_conda_pkgs(prefix, lambda fn: None if args.quiet or args.json else print(f"Extracting {fn}"))
    if args.extract_tarball:
        extract_tarball(prefix, sys.stdin.buffer)
    return 0


