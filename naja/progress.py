"""The seam between downloads and whoever shows their progress.

The library reports, the CLI renders: ``naja.cli.progress`` installs a reporter for the run of one
command, and the places that start repodata downloads pass ``repodata_hook()`` on. Without a reporter
(a Python caller, ``--json``) nothing is reported and nothing is imported.
"""

from __future__ import annotations

from collections.abc import Callable

Transfer = Callable[[str, int, "int | None"], None]
"""``hook(label, bytes_done, bytes_total_or_None)``, as ``naja.repodata.fetch.ProgressCallback``."""

_repodata: Transfer | None = None


def set_repodata_hook(hook: Transfer | None) -> None:
    """Install (or, with ``None``, remove) the process's repodata progress hook."""
    global _repodata
    _repodata = hook


def repodata_hook() -> Transfer | None:
    """The hook repodata downloads report to, if any."""
    return _repodata
