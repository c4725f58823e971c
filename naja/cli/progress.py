"""Progress of repodata and package downloads on stderr, for the run of one command.

Three modes, chosen once from the command line and the terminal:

* ``bars`` (stderr is a terminal, or ``NAJA_FORCE_PROGRESS=1``): one tqdm bar per transfer with bytes,
  speed and ETA, removed when it completes, then one summary line per channel;
* ``lines`` (stderr is not a terminal, or ``-q``): no bars, which would fill a CI log with carriage
  returns; a plain line every ``NAJA_PROGRESS_INTERVAL`` seconds (default 5) for each transfer still
  running, and the summary lines (not under ``-q``: quiet shows only that a long transfer is alive);
* ``off`` (``--json``): nothing, stdout holds one JSON document and stderr stays clean.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Literal, Protocol

import msgspec

from naja import progress as hooks
from naja.cli.output import format_size

Mode = Literal["bars", "lines", "off"]
Kind = Literal["repodata", "packages"]

DEFAULT_INTERVAL = 5.0


class _Bar(Protocol):
    """The part of a tqdm bar used here (tqdm ships no type information)."""

    n: float
    total: float | None

    def update(self, n: float = 1) -> bool | None: ...
    def close(self) -> None: ...
    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None: ...


class _Transfer(msgspec.Struct):
    label: str
    channel: str
    start: float
    last_line: float
    done: int = 0
    total: int | None = None
    end: float | None = None
    bar: _Bar | None = None  # in ``bars`` mode


class _Phase(msgspec.Struct):
    """The transfers of one kind (repodata or packages) since the phase began."""

    transfers: dict[str, _Transfer] = msgspec.field(default_factory=dict)


def _rate(done: int, seconds: float) -> str:
    return f"{format_size(done / seconds)}/s" if seconds > 0 else "-"


def transfer_line(kind: Kind, t: _Transfer, now: float) -> str:
    """``repodata conda-forge/linux-64: 12.3 MB / 40.1 MB (31%), 2.1 MB/s, ETA 13 s``."""
    elapsed = now - t.start
    text = f"{'repodata' if kind == 'repodata' else 'download'} {t.label}: {format_size(t.done)}"
    if t.total:
        text += f" / {format_size(t.total)} ({100 * t.done // t.total}%)"
    text += f", {_rate(t.done, elapsed)}"
    if t.total and t.done and elapsed > 0 and t.done < t.total:
        text += f", ETA {(t.total - t.done) * elapsed / t.done:.0f} s"
    return text


def summary_lines(kind: Kind, transfers: list[_Transfer]) -> list[str]:
    """One line per channel: how many transfers, how many bytes, how long (first start to last end)."""
    by_channel: dict[str, list[_Transfer]] = {}
    for t in transfers:
        by_channel.setdefault(t.channel, []).append(t)
    lines = []
    for channel, ts in by_channel.items():
        total = sum(t.done for t in ts)
        seconds = max(t.end or t.start for t in ts) - min(t.start for t in ts)
        what = f"{len(ts)} file{'s' if len(ts) != 1 else ''}" if kind == "repodata" else \
            f"{len(ts)} package{'s' if len(ts) != 1 else ''}"
        lines.append(f"{kind} {channel}: {what}, {format_size(total)} in {seconds:.1f} s "
                     f"({_rate(total, seconds)})")
    return lines


class Session:
    """The progress display of one command; the download hooks are thread-safe."""

    def __init__(self, mode: Mode, *, summaries: bool = True, stream: IO[str] | None = None,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.mode = mode
        self.summaries = summaries
        self.stream = stream or sys.stderr
        self.interval = interval
        self._lock = threading.RLock()
        self._phases: dict[Kind, _Phase] = {"repodata": _Phase(), "packages": _Phase()}
        self._channels: Mapping[str, str] = {}
        self._extract: _Bar | None = None
        self._extracted = 0
        self._to_extract = 0

    # --- hooks ------------------------------------------------------------------------------------

    def repodata(self, label: str, done: int, total: int | None) -> None:
        """``label`` is ``<channel>/<subdir>``."""
        self._update("repodata", label, label.rpartition("/")[0] or label, done, total)

    def package(self, name: str, done: int, total: int | None) -> None:
        self._update("packages", name, self._channels.get(name, "packages"), done, total)

    def expect_packages(self, channels: Mapping[str, str], count: int) -> None:
        """The packages about to be fetched: name -> channel label (for the summary), and how many."""
        self._channels = channels
        self._to_extract = count

    def extracted(self, name: str) -> None:
        if self.mode != "bars":
            return
        with self._lock:
            self._extracted += 1
            if self._extract is None:
                self._extract = self._bar("extract", self._to_extract or None, unit="packages")
            self._extract.set_description_str(f"extract {name}", refresh=False)
            self._extract.update(1)

    # --- phases -----------------------------------------------------------------------------------

    def finish(self, kind: Kind) -> None:
        """End a phase: close its bars and print one summary line per channel that transferred data."""
        with self._lock:
            phase = self._phases[kind]
            now = time.monotonic()
            for t in phase.transfers.values():
                t.end = t.end or now
                if t.bar is not None:
                    t.bar.close()
                    t.bar = None
            if kind == "packages" and self._extract is not None:
                self._extract.close()
                self._extract = None
            if self.summaries and self.mode != "off":
                for line in summary_lines(kind, list(phase.transfers.values())):
                    self._write(line)
            self._phases[kind] = _Phase()

    def close(self, ok: bool = True) -> None:
        """End of the command: finish both phases (summaries only when it succeeded)."""
        if not ok:
            self.summaries = False
        self.finish("repodata")
        self.finish("packages")

    # --- internals --------------------------------------------------------------------------------

    def _update(self, kind: Kind, label: str, channel: str, done: int, total: int | None) -> None:
        if self.mode == "off":
            return
        with self._lock:
            now = time.monotonic()
            transfers = self._phases[kind].transfers
            t = transfers.get(label)
            if t is None or (t.end is not None and done < t.done):  # new, or fetched again (a retry)
                t = transfers[label] = _Transfer(label, channel, now, now)
            t.done, t.total = done, total or None
            complete = total is not None and done >= total
            if self.mode == "bars":
                self._draw(kind, t, complete)
            elif not complete and now - t.last_line >= self.interval:
                t.last_line = now
                self._write(transfer_line(kind, t, now))
            if complete and t.end is None:
                t.end = now

    def _draw(self, kind: Kind, t: _Transfer, complete: bool) -> None:
        if t.bar is None and not complete:
            t.bar = self._bar(f"{'repodata' if kind == 'repodata' else 'download'} {t.label}", t.total,
                              unit="B")
        if t.bar is None:
            return
        if t.total != t.bar.total:
            t.bar.total = t.total
        t.bar.update(t.done - t.bar.n)
        if complete:
            t.bar.close()
            t.bar = None

    def _bar(self, desc: str, total: int | None, *, unit: str) -> _Bar:
        from tqdm import tqdm  # type: ignore[import-untyped]  # no stubs, and types-tqdm is no dependency

        common: dict[str, object] = {"file": self.stream, "mininterval": 0.1, **_size(self.stream)}
        if unit == "B":
            shape = "{l_bar}{bar}| {n_fmt}B/{total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]" if total else None
            bar: _Bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1000, leave=False,
                             bar_format=shape, **common)
            return bar
        bar = tqdm(total=total, desc=desc, unit=f" {unit}", leave=True,
                   bar_format="{desc} {bar} {n_fmt}/{total_fmt} " + unit, **common)
        return bar

    def _write(self, line: str) -> None:
        if self.mode == "bars":
            from tqdm import tqdm

            tqdm.write(line, file=self.stream)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()


def _size(stream: IO[str]) -> dict[str, bool | int]:
    """tqdm follows the terminal's size, unless the terminal reports none (a pty nobody sized, some
    ``docker run -t``): then ``COLUMNS``/``LINES`` or 80x24, else tqdm would draw nothing at all."""
    try:
        size = os.get_terminal_size(stream.fileno())
        if size.columns > 0 and size.lines > 0:
            return {"dynamic_ncols": True}
    except (OSError, ValueError, AttributeError):
        pass
    import shutil

    fallback = shutil.get_terminal_size()
    return {"ncols": fallback.columns, "nrows": fallback.lines}


_session: Session | None = None


def mode_for(args: argparse.Namespace) -> tuple[Mode, bool]:
    """The mode and whether summary lines are shown, from ``--json``, ``-q`` and the terminal."""
    if getattr(args, "json", False):
        return "off", False
    quiet = bool(getattr(args, "quiet", False))
    if not quiet and (sys.stderr.isatty() or os.environ.get("NAJA_FORCE_PROGRESS")):
        return "bars", True
    return "lines", not quiet


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("NAJA_PROGRESS_INTERVAL", DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def start(args: argparse.Namespace) -> Session:
    """The command's session; repodata downloads report to it from now on."""
    global _session
    mode, summaries = mode_for(args)
    _session = Session(mode, summaries=summaries, interval=_interval())
    hooks.set_repodata_hook(_session.repodata if mode != "off" else None)
    return _session


def stop(ok: bool) -> None:
    global _session
    hooks.set_repodata_hook(None)
    if _session is not None:
        _session.close(ok)
        _session = None


def current() -> Session:
    """The running command's session (a silent one outside a command, e.g. for a Python caller)."""
    return _session or Session("off", summaries=False)
