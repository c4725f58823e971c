"""Entry point of the ``naja`` executable. Kept tiny: ``--version`` imports nothing, not even
argparse (the parser lives in ``naja.cli.parser``).

Each command lives in ``naja/cli/<command>.py`` with ``register(subparsers)`` and imports the API
(and msgspec, urllib3, ...) only when it runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

def invoked_as_micromamba(argv0: str | None = None) -> bool:
    """Run under the name ``micromamba`` or ``mamba`` (a symlink, a copy of the script)."""
    import os

    name = os.path.basename(sys.argv[0] if argv0 is None else argv0).lower()
    for suffix in (".exe", ".py", ".bat", ".cmd"):
        name = name.removesuffix(suffix)
    return name in ("micromamba", "mamba")


def version_string() -> str:
    """What ``--version`` prints: the micromamba version naja implements when it runs as
    micromamba/mamba (clients compare it with their minimum), else naja's own."""
    from naja import MICROMAMBA_VERSION, __version__

    return MICROMAMBA_VERSION if invoked_as_micromamba() else __version__


def _setup_logging(args: argparse.Namespace) -> None:
    import logging

    level_name = getattr(args, "log_level", None)
    verbose = getattr(args, "verbose", 0) or 0
    if level_name:
        level = {"trace": 5, "off": logging.CRITICAL + 10}.get(level_name)
        level = level if level is not None else getattr(logging, level_name.upper())
    elif verbose >= 2:
        level = logging.DEBUG
    elif verbose == 1:
        level = logging.INFO
    else:
        level = logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_redact_log_record)


def _redact_log_record(record: object) -> bool:
    """Credentials never reach the log, whoever logged them (urllib3's debug lines carry request paths
    with ``/t/<token>/``; a URL may carry ``user:password@``): each URL-like word of the message goes
    through ``naja.api.redact_url``."""
    import re

    from naja.api import redact_url

    message = record.getMessage()  # type: ignore[attr-defined]
    clean = re.sub(r"[^\s\"']*(?:://|/t/)[^\s\"']*", lambda m: redact_url(m.group()), message)
    if clean != message:
        record.msg, record.args = clean, None  # type: ignore[attr-defined]
    return True


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list in (["--version"], ["-V"]):
        print(version_string())
        return 0
    from naja.cli.argv import apply_env, parse
    from naja.cli.parser import build_parser

    parser = build_parser(args_list)
    parser.argv = args_list
    args = parse(parser, args_list)
    apply_env(args)
    func = getattr(args, "func", None)
    if func is None:  # bare ``naja``: the help on stdout and success, as micromamba
        parser.print_help(sys.stdout)
        return 0
    _setup_logging(args)
    verbose = getattr(args, "verbose", 0) or 0
    from naja.cli import progress

    ok = False
    try:
        _apply_rc_output(args)
        progress.start(args)
        code = int(func(args) or 0)
        ok = code == 0
        return code
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        return 1
    except Exception as exc:
        return _report(exc, args, verbose)
    finally:
        progress.stop(ok)


def _interrupted() -> int:
    """Ctrl-C: remove what in-flight downloads and extractions left half-made, say so in one line,
    exit 130. Worker threads still blocked on the network are not waited for (``os._exit``); the
    main thread's ``finally`` blocks (locks, transaction rollback) have already run."""
    import contextlib
    import threading

    from naja import interrupt

    interrupt.cancel()
    sys.stderr.write("error: interrupted\n")
    if threading.active_count() > 1:
        import os

        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(130)
    return 130


def _apply_rc_output(args: argparse.Namespace) -> None:
    """``json: true`` / ``quiet: true`` in an rc file (or MAMBA_JSON/MAMBA_QUIET) act as the flags do;
    a flag on the command line wins. Only commands with the general options read them."""
    if not hasattr(args, "quiet") or not hasattr(args, "rc_files") or (args.json and args.quiet):
        return
    from naja.api.context import output_settings

    json, quiet = output_settings(rc_files=args.rc_files, no_rc=args.no_rc, no_env=getattr(args, "no_env", False),
                                  root_prefix=getattr(args, "root_prefix", None))
    args.json = args.json or json
    args.quiet = args.quiet or quiet


def solver_problem_lines(message: str, explanation: str, data: object = None) -> list[str]:
    """One string per problem, as libsolv's ``problems()``: first libsolv's own sentences for what
    is missing (``nothing provides __glibc >=2.38 needed by pkg-1.0-0``: metaflow cuts the virtual
    package's version out of that wording to tell the user which ``CONDA_OVERRIDE_*`` to set), then
    the explanation's lines without the tree drawing, else the one-line message."""
    lines = _missing_sentences(data)
    for line in explanation.splitlines():
        line = line.lstrip("│├└─ ").strip()
        if line and line != "The following packages are incompatible" and line not in lines:
            lines.append(line)
    return lines or [message]


def _missing_sentences(data: object) -> list[str]:
    """libsolv's wording for the requested specs nothing matches and the missing dependencies, from
    the solver's structured explanation (``requested``/``tree``/``missing``)."""
    if not isinstance(data, dict):
        return []
    out: list[str] = []
    for node in data.get("tree") or ():
        if isinstance(node, dict) and not node.get("candidates") and node.get("requirement"):
            out.append(f"nothing provides requested {node['requirement']}")
    for item in data.get("missing") or ():
        if isinstance(item, dict) and item.get("dependency"):
            out.append(f"nothing provides {item['dependency']} needed by {item.get('needed_by', '')}".rstrip())
    return out


def _report(exc: Exception, args: argparse.Namespace, verbose: int) -> int:
    from naja.errors import NajaError, UnsatisfiableError, first_line

    if isinstance(exc, NajaError):
        message = first_line(exc, type(exc).__name__)
        if getattr(args, "json", False):
            from naja.cli.output import print_json

            doc: dict[str, object] = {"success": False, "error": message, "error_type": type(exc).__name__}
            if isinstance(exc, UnsatisfiableError):
                # micromamba: a list of strings (libmamba api/utils.cpp write_unsolvable_json_if_needed);
                # naja's structured explanation goes under a key of its own
                doc["solver_problems"] = solver_problem_lines(message, exc.explanation, exc.data)
                doc["naja_solver_problems"] = exc.data if exc.data is not None else exc.explanation
            print_json(doc)
        sys.stderr.write(f"error: {message}\n")
        if isinstance(exc, UnsatisfiableError) and exc.explanation:
            sys.stderr.write(exc.explanation.rstrip("\n") + "\n")
        if verbose >= 2:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        return int(getattr(exc, "exit_code", 1) or 1)
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, OSError) and exc.strerror:
        # the file system said no (permissions, a missing or odd path): name the path, not a bug
        paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
        sys.stderr.write(f"error: {exc.strerror}" + (f": {paths}" if paths else "") + "\n")
        return 1
    sys.stderr.write(f"error: unexpected {type(exc).__name__}: {first_line(exc)} (run with -v for the traceback)\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
