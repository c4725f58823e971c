"""The ``naja`` argument parser: argparse, with one-line errors, loading only the command asked for."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TypeAlias

# Command modules in help order. ``shell`` and ``run`` are registered when present.
COMMANDS = (
    "create", "install", "update", "remove", "list", "search", "repoquery", "info", "env", "clean",
    "config", "package", "index", "shell", "run", "lock", "auth", "constructor",
)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <what>`` and exit code 2 (no usage dump)."""

    argv: list[str] | None = None  # set on the top-level parser: unknown options are reported there

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {message} (see '{self._command_prog()} --help')\n")
        raise SystemExit(2)

    def _command_prog(self) -> str:
        """``naja install`` rather than ``naja`` for an option the install command does not know."""
        parser = self
        for token in self.argv or ():
            subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            if subs and token in subs[0].choices:
                parser = subs[0].choices[token]
            elif not token.startswith("-"):
                break
        return parser.prog


# What each command module's ``register`` receives: the subparsers of a ``Parser`` (a string, as
# argparse's class is generic only in typeshed, not at run time).
Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


# Commands registered by another command's module.
ALIASES = {"uninstall": "remove", "activate": "shell", "deactivate": "shell"}


def build_parser(argv: list[str] | None = None) -> Parser:
    """The parser; given ``argv`` naming a known command, only that command's module is loaded
    (every command's options cost startup time), else all of them (help, errors)."""
    from naja.cli.main import version_string

    parser = Parser(prog="naja", description="A fast, conda-compatible package and environment manager.")
    parser.add_argument("-V", "--version", action="version", version=version_string())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    first = _first_command(argv or [])
    wanted = ALIASES.get(first, first) if first else None
    names = (wanted,) if wanted in COMMANDS else COMMANDS
    for name in names:
        importlib.import_module(f"naja.cli.{name}").register(sub)
    return parser


def _first_command(argv: list[str]) -> str | None:
    """The command word, skipping global options and their values (``naja -r ROOT info``)."""
    from naja.cli.argv import global_width

    i = 0
    while i < len(argv):
        width = global_width(argv[i])
        if not width:
            return None if argv[i].startswith("-") else argv[i]
        i += width
    return None
