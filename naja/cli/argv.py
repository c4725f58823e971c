"""micromamba's command-line grammar on top of argparse.

micromamba (CLI11) accepts its global options anywhere: before the subcommand (``naja --json info``),
between levels (``naja config --json list pkgs_dirs``, what conda-lock runs) and after it; and the
specs of a command may be mixed with its options (``create -p P hello -c CH greet``). argparse
accepts neither, so ``parse`` resolves the command path itself, moves the global options found on
the way to the command that runs, and parses that command's arguments intermixed. After ``run``'s
program every argument is the program's. Only argparse is imported: this runs at every start.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence

# micromamba's general, rc and root-prefix options (``init_general_options``, ``init_rc_options``)
GLOBAL_FLAGS = frozenset({
    "-v", "--verbose", "-q", "--quiet", "-y", "--yes", "--json", "--dry-run", "--offline",
    "--no-rc", "--no-env", *{"--download-only"}, *(f"--{name}" for name in ("use-uv", "debug", "experimental",
                                                                           "print-config-only", "print-context-only")),
})
# the general switches that change nothing in naja where the command does not declare them itself
NOOP_FLAGS = ("--download-only", "--use-uv", "--debug", "--experimental", "--print-config-only",
              "--print-context-only")
GLOBAL_VALUED = frozenset({"-r", "--root-prefix", "--rc-file", "--log-level"})
# ``config``, ``env`` and ``env config`` take micromamba's prefix options themselves (config.cpp,
# env.cpp) and share them with their subcommands: between levels they move down like the globals
GROUP_PREFIX_VALUED = frozenset({"-p", "--prefix", "-n", "--name", "--relocate-prefix"})
PREFIX_GROUPS = frozenset({"config", "env"})


def _global_parser() -> argparse.ArgumentParser:
    """The global options alone: what a command that does not declare them still takes."""
    g = argparse.ArgumentParser(add_help=False)
    g.add_argument("-v", "--verbose", action="count", default=0)
    g.add_argument("-q", "--quiet", action="store_true")
    g.add_argument("-y", "--yes", action="store_true")
    g.add_argument("--json", action="store_true")
    g.add_argument("--dry-run", action="store_true")
    g.add_argument("--offline", action="store_true")
    g.add_argument("--no-rc", action="store_true")
    g.add_argument("--no-env", action="store_true")
    g.add_argument("-r", "--root-prefix")
    g.add_argument("--rc-file", action="append", default=[], dest="rc_files")
    g.add_argument("--log-level")
    for flag in NOOP_FLAGS:
        g.add_argument(flag, action="store_true", dest=f"_noop_{flag[2:].replace('-', '_')}")
    g.add_argument("-p", "--prefix")
    g.add_argument("-n", "--name")
    g.add_argument("--relocate-prefix", dest="_noop_relocate_prefix")
    return g


def global_width(token: str) -> int:
    """How many argv tokens the global option starting at ``token`` spans (0: not a global option)."""
    name = token.split("=", 1)[0] if token.startswith("--") else token
    if name in GLOBAL_FLAGS or (len(token) > 2 and token.startswith("-v") and set(token[1:]) == {"v"}):
        return 1
    if name in GLOBAL_VALUED:
        return 1 if "=" in token else 2
    if token[:2] == "-r" and len(token) > 2:  # -rPATH
        return 1
    return 0


def _group_prefix_width(token: str) -> int:
    """Like ``global_width`` for the prefix options of ``config``/``env`` given between levels."""
    if token.startswith("--"):
        return 0 if token.split("=", 1)[0] not in GROUP_PREFIX_VALUED else (1 if "=" in token else 2)
    if token in GROUP_PREFIX_VALUED:
        return 2
    return 1 if token[:2] in GROUP_PREFIX_VALUED and len(token) > 2 else 0


def _option_name(token: str) -> str:
    if token.startswith("--"):
        return token.split("=", 1)[0]
    return token[:2] if token.startswith("-") and len(token) > 2 else token


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser] | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _takes_remainder(parser: argparse.ArgumentParser) -> bool:
    return any(a.nargs == argparse.REMAINDER for a in parser._get_positional_actions())


def _split_unknown(leaf: argparse.ArgumentParser, tokens: Sequence[str],
                   group: bool = False) -> tuple[list[str], list[str]]:
    """Separate the global options ``leaf`` does not declare (they still apply) from its own
    arguments; for a command taking a program (``run``) only the options before the program.
    ``group``: the command is under ``config``/``env``, whose prefix options count as global."""
    remainder = _takes_remainder(leaf)
    own: list[str] = []
    foreign: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            own += tokens[i:]
            break
        width = global_width(token) or (_group_prefix_width(token) if group else 0)
        if width and _option_name(token) not in leaf._option_string_actions:
            foreign += tokens[i:i + width]
            i += width
            continue
        if remainder and not token.startswith("-"):
            own += tokens[i:]  # the program and its arguments
            break
        own.append(token)
        action = leaf._option_string_actions.get(_option_name(token))
        if remainder and action is not None and _takes_value(action, token) and i + 1 < len(tokens):
            own.append(tokens[i + 1])  # the option's value, never the program
            i += 1
        i += 1
    return own, foreign


def _takes_value(action: argparse.Action, token: str) -> bool:
    """Whether ``token`` (an option of ``action``) is followed by its value as the next token."""
    attached = "=" in token if token.startswith("--") else len(token) > 2
    return not attached and action.nargs in (None, 1)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` by micromamba's rules (see the module docstring)."""
    path: list[str] = []
    dests: list[tuple[str, str]] = []
    hoisted: list[str] = []
    current = parser
    i = 0
    while i < len(argv):
        subs = _subparsers(current)
        if subs is None:
            break
        token = argv[i]
        if token in subs.choices:
            path.append(token)
            dests.append((subs.dest, token))
            current = subs.choices[token]
            i += 1
            continue
        width = global_width(token) or (path[0] in PREFIX_GROUPS and _group_prefix_width(token) if path else 0)
        if not width:
            break
        hoisted += argv[i:i + width]
        i += width
    if not path and argv and _only_globals(argv):  # ``naja --json``: the help, as bare ``naja``
        return _global_parser().parse_args(list(argv))
    if not path or (_subparsers(current) is not None and not _only_globals(argv[i:])):
        return parser.parse_args(list(argv))  # no command to run: argparse's help and errors
    # a command whose subcommand is not given (``naja --json config``) runs itself, as bare ``config``
    own, foreign = _split_unknown(current, [*hoisted, *argv[i:]], path[0] in PREFIX_GROUPS)
    whole = _takes_remainder(current) or _subparsers(current) is not None  # argparse cannot intermix these
    parse_own = current.parse_args if whole else current.parse_intermixed_args
    namespace = parse_own(own)
    for dest, name in dests:
        if dest is not argparse.SUPPRESS and not hasattr(namespace, dest):
            setattr(namespace, dest, name)
    extra = _global_parser().parse_args(foreign)
    for key, value in vars(extra).items():
        if not hasattr(namespace, key):
            setattr(namespace, key, value)
    return namespace


def _only_globals(tokens: Sequence[str]) -> bool:
    """Whether ``tokens`` are global options and nothing else (an empty list is)."""
    i = 0
    while i < len(tokens):
        width = global_width(tokens[i])
        if not width:
            return False
        i += width
    return True


_TRUE = frozenset({"1", "true", "yes", "on", "y"})


def _env_flag(env: Mapping[str, str], key: str) -> bool | None:
    """``MAMBA_<KEY>`` then ``CONDA_<KEY>`` as a boolean (None: not set), YAML's spellings."""
    for prefix in ("MAMBA_", "CONDA_"):
        raw = env.get(prefix + key)
        if raw is not None and raw.strip():
            return raw.strip().lower() in _TRUE
    return None


def apply_env(namespace: argparse.Namespace, env: Mapping[str, str] | None = None) -> None:
    """Output switches micromamba also reads from the environment (``MAMBA_JSON``,
    ``MAMBA_ALWAYS_YES``, ``MAMBA_QUIET``, ...): a flag on the command line wins, then the variable.
    ``--no-env`` ignores them, as for every other setting."""
    env = os.environ if env is None else env
    if getattr(namespace, "no_env", False):
        return
    for dest, key in (("json", "JSON"), ("yes", "ALWAYS_YES"), ("quiet", "QUIET"), ("dry_run", "DRY_RUN")):
        if getattr(namespace, dest, False):
            continue
        if _env_flag(env, key):
            setattr(namespace, dest, True)
