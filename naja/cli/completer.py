"""``naja completer WORDS...``: what the shells' tab completion asks, as micromamba's completer
answers: the words typed after ``naja``, the last one being the word to complete. It answers
environment names after ``-n``, long options after ``--``, short options after ``-X``, else the
subcommands of the command typed so far."""

from __future__ import annotations

import argparse

_HIDDEN = ("completer",)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _env_names(start: str) -> list[str]:
    from naja.api import shell as api

    s = api.settings()
    names: set[str] = set()
    for directory in (s.root_prefix / "envs", *s.envs_dirs):
        if directory.is_dir():
            names.update(p.name for p in directory.iterdir() if (p / "conda-meta").is_dir())
    return sorted(n for n in names if n.startswith(start))


def complete(words: list[str]) -> list[str]:
    """The completions of ``words[-1]`` given the words before it."""
    if not words:
        return []
    from naja.cli.parser import build_parser

    parser: argparse.ArgumentParser = build_parser(None)
    for word in words[:-1]:
        parser = _subcommands(parser).get(word, parser)
    last = words[-1]
    if len(words) >= 2 and words[-2] in ("-n", "--name"):
        return _env_names(last)
    if last.startswith("--"):
        return sorted({o for a in parser._actions for o in a.option_strings if o.startswith(last)})
    if last.startswith("-"):
        if last == "-":
            return []
        return sorted({o for a in parser._actions for o in a.option_strings
                       if not o.startswith("--") and o.startswith(last)})
    return sorted(n for n in _subcommands(parser) if n.startswith(last) and n not in _HIDDEN)
