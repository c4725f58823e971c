"""Filesystem helpers with no domain knowledge, shared by the modules that write caches, records,
lockfiles and config files: atomic replacement, sizes and removal of files or trees."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes | memoryview) -> None:
    """Write ``path`` through a temporary file and ``os.replace``: readers see old or new, never half.
    A file that is replaced keeps its permission bits (a private ``.condarc`` stays private); a new
    one is 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def tree_size(path: Path) -> int:
    """Bytes in a file, or in every file below a directory (links not followed); 0 if unreadable."""
    try:
        if path.is_file() or path.is_symlink():
            return path.lstat().st_size
    except OSError:
        return 0
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def remove_path(path: Path) -> None:
    """Remove a file, a link (not its target) or a whole directory, never descending through a
    link (``naja.confine.rmtree``); what is already gone, or cannot be removed, is left."""
    from naja.confine import rmtree

    with contextlib.suppress(OSError):
        rmtree(path)
