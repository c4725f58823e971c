"""Rendering for the CLI: aligned tables on stdout (colour on a terminal), one JSON document for --json.

Commands compute typed results with ``naja.api`` and hand them here; nothing in this module decides
anything about packages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

    from naja.api import Plan

BOLD, RESET = "\x1b[1m", "\x1b[0m"
COLOURS = {"green": "\x1b[32m", "cyan": "\x1b[36m", "yellow": "\x1b[33m", "magenta": "\x1b[35m",
           "red": "\x1b[31m", "blue": "\x1b[34m"}


def colour_enabled(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org)."""
    stream = stream or sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def style(text: str, code: str, enabled: bool) -> str:
    return f"{code}{text}{RESET}" if enabled and code else text


def _default(obj: object) -> object:
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return str(obj)


def print_json(doc: object) -> None:
    """One JSON document on stdout (indented, stable key order as given)."""
    import msgspec

    data = msgspec.json.encode(doc, enc_hook=_default)
    sys.stdout.write(msgspec.json.format(data, indent=2).decode() + "\n")
    sys.stdout.flush()


def print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        sys.stdout.write(line + "\n")


def info(message: str, *, quiet: bool = False) -> None:
    """A human message on stderr (never mixed into --json stdout)."""
    if not quiet:
        sys.stderr.write(message + "\n")


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None) -> None:
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    sys.stdout.write(render_table(columns, cells, title=title, colour=colour_enabled()))


def render_table(columns: Sequence[str], cells: Sequence[Sequence[str]], *, title: str | None = None,
                 colour: bool = False, styles: Sequence[str] = ()) -> str:
    """Columns padded to their widest cell, two spaces apart; with ``colour``, a bold header and each
    row's first cell in ``styles[row]`` (an ANSI code). Cells are text: ``[x]`` is not markup."""
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]

    def line(row: Sequence[str], first: str) -> str:
        padded = [v.ljust(w) for v, w in zip(row, widths)]
        if padded:
            padded[0] = style(padded[0], first, colour)
        return "  ".join(padded).rstrip()

    out = [title] if title else []
    if any(columns):
        out.append(style("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), BOLD, colour))
    out += [line(row, styles[i] if i < len(styles) else "") for i, row in enumerate(cells)]
    return "\n".join(out) + "\n"


def human_size(n: int | None) -> str:
    """A package size for tables: empty when unknown."""
    return format_size(n) if n else ""


def format_size(n: float) -> str:
    """Bytes as micromamba prints them (decimal units: ``1.5 MB``), for tables and progress alike."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


_KIND_STYLE = {
    "install": "green", "upgrade": "cyan", "downgrade": "yellow", "reinstall": "magenta",
    "remove": "red", "change": "blue",
}


def transaction_summary(plan: Plan) -> None:
    """The table micromamba shows before asking: one row per package change, then totals."""
    rows = plan.summary_rows()
    if not rows:
        if getattr(plan, "create_prefix", False):
            info(f"Creating an empty environment at {plan.prefix}")
        else:
            info("Nothing to do: the environment already satisfies the request.")
        return
    cells = []
    for row in rows:
        version = row.version if not row.old_version else f"{row.old_version} -> {row.version}"
        cells.append([row.kind, row.name, version, row.build, row.channel, human_size(row.size)])
    styles = [COLOURS.get(_KIND_STYLE.get(row.kind, ""), "") for row in rows]
    text = render_table(("", "Package", "Version", "Build", "Channel", "Size"), cells,
                        title=f"Transaction in {plan.prefix}", colour=colour_enabled(), styles=styles)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    parts = [f"{n} {kind}" for kind, n in counts.items()]
    total = sum(r.size or 0 for r in rows if r.kind != "remove" and r.needs_download)
    sys.stdout.write(text + "Summary: " + ", ".join(parts) + (f"; download {human_size(total)}" if total else "") + "\n")
    sys.stdout.flush()


def confirm(question: str = "Confirm changes", default: bool | None = True) -> bool:
    """Ask on stderr, read a line from stdin. As micromamba's ``Console::prompt``, an empty line or
    the end of input takes the default (pre-commit runs with stdin at EOF); without a default
    (micromamba's ``clean -f``) they answer no."""
    choices = {True: "[Y/n]", False: "[y/N]", None: "[y/n]"}[default]
    sys.stderr.write(f"{question}: {choices} ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line or not sys.stdin.isatty():
        sys.stderr.write(line.strip() + "\n")  # a piped answer is not echoed by a terminal
    answer = line.strip().lower()
    if not answer:
        return bool(default)
    return answer in ("y", "yes")


def path_str(p: str | Path) -> str:
    return os.fspath(p)


def run_plan(args: argparse.Namespace, plan: Plan) -> int:
    """Show a planned transaction, ask unless -y/--json/-q, execute it with progress bars, report."""
    json_mode = bool(getattr(args, "json", False))
    quiet = bool(getattr(args, "quiet", False))
    yes = (bool(getattr(args, "yes", False)) or json_mode or quiet
           or plan.context.config.always_yes)
    from naja.cli import progress

    progress.current().finish("repodata")  # its summary lines before the transaction's table
    if not json_mode and not quiet:
        transaction_summary(plan)
    if plan.dry_run:
        if json_mode:
            print_json(plan.to_json(success=True))
        else:
            info("Dry run: nothing was changed.", quiet=quiet)
        return 0
    needs_work = not plan.empty or plan.create_prefix
    if not needs_work:
        if json_mode:
            print_json(plan.to_json(success=True))
        return 0
    if not yes and not plan.empty and not confirm():
        from naja.errors import NajaError

        raise NajaError("aborted: nothing was changed (pass -y to answer yes without a prompt)")
    from naja.api import channel_label
    from naja.cli import progress

    session = progress.current()
    session.expect_packages({r.name: channel_label(r.channel) for r in plan.to_link}, len(plan.to_link))
    plan.execute(progress=session.package, on_extracted=lambda record, _path: session.extracted(record.name))
    session.finish("packages")
    result = getattr(plan, "result", None)
    if result is not None and not json_mode:
        for text in [*getattr(result, "messages", []), *(f"warning: {w}" for w in getattr(result, "warnings", []))]:
            info(text.rstrip(), quiet=quiet)
    if json_mode:
        print_json(plan.to_json(success=True))
    else:
        verb = "Downloaded" if getattr(plan.context.options, "download_only", False) else "Done"
        info(f"{verb}: {plan.prefix}", quiet=quiet)
    return 0
