"""Activation scripts written into a prefix (``naja shell activate --write``), for an environment
copied into an image that has neither naja nor its Python: ``. /opt/env/activate`` sets what
``naja shell activate`` sets (PATH, CONDA_PREFIX, CONDA_SHLVL, CONDA_DEFAULT_ENV,
CONDA_PROMPT_MODIFIER, the environment's own variables) and sources its ``etc/conda/activate.d``
scripts. The prefix path is written into the script: copy the prefix to the same path."""

from __future__ import annotations

import os
from pathlib import Path

from naja.errors import ActivationError
from naja.shell.settings import Settings, load_settings, replace_text
from naja.shell.shells import get_shell, normalize_shell
from naja.shell.transitions import build_activate

#: file name of the script in the prefix, per shell
SCRIPT_NAMES = {"posix": "activate", "bash": "activate", "zsh": "activate", "fish": "activate.fish",
                "csh": "activate.csh", "powershell": "activate.ps1", "xonsh": "activate.xsh",
                "cmd.exe": "activate.bat"}
_COMMENT = {"powershell": "#", "cmd.exe": "@REM"}


def standalone_script(prefix: str | os.PathLike[str], shell: str, settings: Settings | None = None) -> str:
    """The script text: PATH is prepended at run time; the rest is what activating ``prefix`` from
    a shell with nothing active exports."""
    shell = normalize_shell(shell)
    if shell not in SCRIPT_NAMES:
        raise ActivationError(f"no standalone activation script for {shell} (use one of "
                              f"{', '.join(sorted(set(SCRIPT_NAMES) - {'bash', 'zsh'}))})")
    settings = settings or load_settings()
    impl = get_shell(shell)
    t = build_activate({"PATH": ""}, prefix, settings, shell=shell)
    t.prompt = None
    path_dirs = [d for d in t.export.pop("PATH").split(";" if settings.windows else ":") if d]
    comment = _COMMENT.get(shell, "#")
    head = (f"{comment} Activates {os.fspath(prefix)} without naja (written by 'naja shell activate --write').\n"
            f"{comment} Source it from {shell}; the environment must stay at this path.\n")
    return head + impl.prepend_path(path_dirs) + "\n" + impl.script(t, windows=settings.windows)


def write_standalone_script(prefix: str | os.PathLike[str], shell: str, settings: Settings | None = None) -> Path:
    """Write :func:`standalone_script` as ``<prefix>/activate`` (``activate.fish``...); returns the path."""
    prefix_path = Path(prefix)
    if not (prefix_path / "conda-meta").is_dir():
        raise ActivationError(f"{prefix_path} is not an environment (no conda-meta directory)")
    text = standalone_script(prefix_path, shell, settings)
    path = prefix_path / SCRIPT_NAMES[normalize_shell(shell)]
    replace_text(path, text)
    return path
