"""docs/micromamba-compat.md is the inventory of micromamba's command line (issues 15, 16): every
option it lists as ``supported`` or ``accepted`` must parse with naja's parser, so removing one from
the parser (or misspelling it) fails here.

Parsing is in-process (``naja.cli.parser.build_parser`` + ``naja.cli.argv.parse``, what ``naja``'s
``main`` runs), with argparse's abbreviation of long options switched off: otherwise a removed
``--no-build`` would still parse as an abbreviation of ``--no-builds``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "micromamba-compat.md"
ROW = re.compile(r"^\| (?P<names>`-[^|]+) \| (?P<value>[^|]+) \| (?P<status>.+) \|$")


@dataclass
class Option:
    names: list[str]
    value: str | None
    status: str

    @property
    def accepted(self) -> bool:
        return self.status.startswith(("supported", "accepted"))


@dataclass
class Command:
    words: list[str]
    example: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    supported: bool = True


def _option(line: str) -> Option | None:
    m = ROW.match(line)
    if m is None:
        return None
    value = m["value"].strip()
    return Option(re.findall(r"`(-[^`]+)`", m["names"]), None if value == "—" else value.strip("`"),
                  m["status"].strip())


def parse_doc(text: str) -> tuple[dict[str, list[Option]], list[Command]]:
    """The option groups and the commands of the document."""
    groups: dict[str, list[Option]] = {}
    commands: list[Command] = []
    current: list[Option] | None = None
    command: Command | None = None
    for line in text.splitlines():
        if m := re.match(r"^### Group `([\w-]+)`$", line):
            current, command = groups.setdefault(m[1], []), None
        elif m := re.match(r"^### `([^`]+)`$", line):
            command = Command(m[1].split())
            commands.append(command)
            current = command.options
        elif line.startswith("### "):
            current = command = None
        elif command is not None and (m := re.match(r"^Example: `naja (.+)`$", line)):
            command.example = shlex.split(m[1])
        elif command is not None and line.startswith("Groups:"):
            command.groups = re.findall(r"`([\w-]+)`", line)
        elif command is not None and line.startswith("Status: not supported"):
            command.supported = False
        elif current is not None and (option := _option(line)) is not None:
            current.append(option)
    return groups, commands


GROUPS, COMMANDS = parse_doc(DOC.read_text(encoding="utf-8"))


def accepts(argv: list[str]) -> str | None:
    """None if naja's parser takes ``argv``, else its error message."""
    from naja.cli.argv import parse
    from naja.cli.parser import build_parser

    parser = build_parser(argv)
    parser.argv = argv  # type: ignore[attr-defined]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parse(parser, argv)
    except SystemExit:
        return err.getvalue().strip() or "SystemExit"
    return None


@pytest.fixture(autouse=True)
def no_abbreviations(monkeypatch):
    original = argparse.ArgumentParser._get_option_tuples

    def exact_long_options(self, option_string):
        return [] if option_string.startswith("--") else original(self, option_string)

    monkeypatch.setattr(argparse.ArgumentParser, "_get_option_tuples", exact_long_options)


def test_the_inventory_is_complete_enough_to_mean_something():
    names = {" ".join(c.words) for c in COMMANDS}
    for expected in ("create", "install", "update", "remove", "uninstall", "list", "search", "info", "clean",
                     "config list", "config set", "env create", "env export", "env config vars set",
                     "package transmute", "repoquery depends", "shell hook", "shell init", "run", "ps stop",
                     "auth login", "constructor", "self-update"):
        assert expected in names
    assert {"rc", "general", "prefix", "network", "channel", "link", "install", "shell"} <= set(GROUPS)
    for command in COMMANDS:
        assert set(command.groups) <= set(GROUPS), command.words
        assert command.example or not command.supported, command.words
    assert sum(len(c.options) for c in COMMANDS) + sum(len(g) for g in GROUPS.values()) > 100


def test_an_unknown_option_is_rejected():
    """The check below would pass vacuously if the parser took anything."""
    assert accepts(["list", "--no-such-option"]) is not None
    assert accepts(["create", "--no-build", "x"]) is not None  # no abbreviation of an option of another command


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.supported], ids=lambda c: "-".join(c.words))
def test_every_accepted_option_parses(command: Command):
    words, rest = command.example[:len(command.words)], command.example[len(command.words):]
    assert words == command.words, "the example must start with the command"
    assert accepts(command.example) is None
    options = [o for g in command.groups for o in GROUPS[g]] + command.options
    failures = []
    for option in options:
        if not option.accepted:
            continue
        for name in option.names:
            argv = [*words, name, *([option.value] if option.value is not None else []), *rest]
            error = accepts(argv)
            if error is not None:
                failures.append(f"{' '.join(argv)}: {error}")
    assert not failures, "\n".join(failures)
