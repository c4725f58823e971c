"""Rendering for the CLI: rich tables on stdout, progress bars on stderr, one JSON document for --json.

Commands compute typed results with ``naja.api`` and hand them here; nothing in this module decides
anything about packages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported on first use: --json and plain-text paths do without it
    from rich.console import Console

_stdout: Console | None = None
_stderr: Console | None = None


def out() -> Console:
    global _stdout
    if _stdout is None:
        from rich.console import Console

        # Piped or redirected (``naja list > pkgs.txt``, ``| grep``): whole cells, not cut to 80 columns.
        wide = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
        _stdout = Console(highlight=False, soft_wrap=True, width=100_000 if wide else None)
    return _stdout


def err() -> Console:
    global _stderr
    if _stderr is None:
        from rich.console import Console

        _stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    return _stderr


def _default(obj: Any) -> Any:
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return str(obj)


def print_json(doc: Any) -> None:
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


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None) -> None:
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if len(cells) > 500 or not sys.stdout.isatty():
        # rich takes seconds per ten thousand rows (``search 'py*'``); aligned text is the same table
        _plain_table(columns, cells, title)
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for c in columns:
        t.add_column(c)
    for row in cells:
        t.add_row(*(Text(v) for v in row))  # a path like ``envs[dev]`` is text, not rich markup
    out().print(t)


def _plain_table(columns: Sequence[str], cells: list[list[str]], title: str | None) -> None:
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = [title] if title else []
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in [list(columns), *cells]]
    sys.stdout.write("\n".join(lines) + "\n")


def human_size(n: int | None) -> str:
    if not n:
        return ""
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


def transaction_summary(plan: Any) -> None:
    """The table micromamba shows before asking: one row per package change, then totals."""
    from rich.table import Table
    from rich.text import Text

    rows = plan.summary_rows()
    if not rows:
        if getattr(plan, "create_prefix", False):
            info(f"Creating an empty environment at {plan.prefix}")
        else:
            info("Nothing to do: the environment already satisfies the request.")
        return
    t = Table(title=Text(f"Transaction in {plan.prefix}"), box=None, header_style="bold", pad_edge=False,
              title_justify="left")
    for c in ("", "Package", "Version", "Build", "Channel", "Size"):
        t.add_column(c)
    for row in rows:
        style = _KIND_STYLE.get(row.kind, "")
        version = row.version if not row.old_version else f"{row.old_version} -> {row.version}"
        t.add_row(f"[{style}]{row.kind}[/]" if style else row.kind,
                  *(Text(v) for v in (row.name, version, row.build, row.channel, human_size(row.size))))
    out().print(t)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    parts = [f"{n} {kind}" for kind, n in counts.items()]
    total = sum(r.size or 0 for r in rows if r.kind != "remove" and r.needs_download)
    out().print("Summary: " + ", ".join(parts) + (f"; download {human_size(total)}" if total else ""),
                markup=False)


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


class Progress:
    """Download bars and an extraction counter (rich) on stderr; a no-op under --json/-q and when
    stderr is not a terminal, unless ``NAJA_FORCE_PROGRESS=1``."""

    def __init__(self, enabled: bool, total_packages: int = 0) -> None:
        self.enabled = enabled
        self.total_packages = total_packages
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._extract_task: Any = None
        self._extracted = 0

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}"),
                console=err(), transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def download(self, name: str, done: int, total: int | None) -> None:
        """The package cache's progress hook: ``(package name, bytes done, total or None)``."""
        if self._progress is None:
            return
        task = self._tasks.get(name)
        if task is None:
            task = self._progress.add_task(f"download {name}", total=total or None, amount="")
            self._tasks[name] = task
        amount = human_size(done) + (f" / {human_size(total)}" if total else "")
        self._progress.update(task, completed=done, total=total or None, amount=amount)

    def extracted(self, record: Any, path: Any) -> None:
        if self._progress is None:
            return
        self._extracted += 1
        if self._extract_task is None:
            self._extract_task = self._progress.add_task("extract", total=self.total_packages or None,
                                                         amount="")
        total = f"/{self.total_packages}" if self.total_packages else ""
        self._progress.update(self._extract_task, completed=self._extracted,
                              description=f"extract {record.name}", amount=f"{self._extracted}{total} packages")

    def callbacks(self) -> dict[str, Any]:
        if not self.enabled:
            return {}
        return {"progress": self.download, "on_extracted": self.extracted}


def progress_enabled(args: Any) -> bool:
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return False
    return sys.stderr.isatty() or bool(os.environ.get("NAJA_FORCE_PROGRESS"))


def path_str(p: str | Path) -> str:
    return os.fspath(p)


def run_plan(args: Any, plan: Any) -> int:
    """Show a planned transaction, ask unless -y/--json/-q, execute it with progress bars, report."""
    json_mode = bool(getattr(args, "json", False))
    quiet = bool(getattr(args, "quiet", False))
    yes = (bool(getattr(args, "yes", False)) or json_mode or quiet
           or bool(getattr(plan.context.config, "always_yes", False)))
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
    with Progress(progress_enabled(args), total_packages=len(plan.to_link)) as progress:
        plan.execute(**progress.callbacks())
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
