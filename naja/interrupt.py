"""Ctrl-C that stops now: worker threads check ``cancelled()`` between chunks, and ``cancel()`` (run
by the CLI on SIGINT) removes what in-flight downloads and extractions left half-made.

Work that creates temporary files registers where they may appear (``tracking(directory, pattern)``)
for as long as it runs; ``cancel()`` sets the flag first, so no worker starts a new file after the
cleanup has looked.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_flag = threading.Event()
_lock = threading.Lock()
_tracked: dict[int, tuple[Path, str]] = {}
_next = 0


class Cancelled(KeyboardInterrupt):
    """Raised in a worker thread once the run was interrupted."""


def cancelled() -> bool:
    return _flag.is_set()


def check() -> None:
    if _flag.is_set():
        raise Cancelled()


@contextlib.contextmanager
def tracking(directory: Path, pattern: str) -> Iterator[None]:
    """Entries of ``directory`` matching ``pattern`` are temporary while the block runs."""
    global _next
    with _lock:
        if _flag.is_set():
            raise Cancelled()
        key = _next
        _next += 1
        _tracked[key] = (directory, pattern)
    try:
        yield
    finally:
        with _lock:
            _tracked.pop(key, None)


def cancel() -> int:
    """Stop workers and remove every tracked temporary entry; returns how many were removed.

    A writer thread may still be finishing its current chunk (creating one more file in a directory
    being removed, or the directory itself), so the sweep repeats until a pass finds nothing left,
    bounded to about 0.1 s: the run is exiting and must not wait on a stuck thread."""
    import time

    with _lock:
        _flag.set()
        places = list(_tracked.values())
    removed = 0
    for _ in range(20):
        found = _sweep(places)
        removed += found
        if not found:
            break
        time.sleep(0.005)
    return removed


def _sweep(places: list[tuple[Path, str]]) -> int:
    """Remove the entries matching each tracked pattern; returns how many were found."""
    from naja.fs import remove_path

    found = 0
    for directory, pattern in places:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in fnmatch.filter(names, pattern):
            found += 1
            remove_path(directory / name)
    return found
