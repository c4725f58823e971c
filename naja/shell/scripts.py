"""What ``naja shell hook|activate|deactivate|reactivate`` print: a transition built from the
current environment, rendered by the shell's class."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from naja.shell.settings import Settings, env_flag, expand, load_settings
from naja.shell.shells import get_shell, normalize_shell
from naja.shell.transitions import Transition, build_activate, build_deactivate, build_reactivate


def self_command() -> list[str]:
    """How a shell should call this naja: the ``naja`` executable when that is what runs, else
    ``python -m naja``."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0).lower() in ("naja", "naja.exe") and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    return [sys.executable, "-m", "naja"]


def hook(shell: str, *, exe: Sequence[str] | None = None, root_prefix: str | os.PathLike[str] | None = None,
         changeps1: bool | None = None) -> str:
    """Shell code defining the ``naja`` function (``naja activate``/``deactivate`` work through it)."""
    if changeps1 is None:
        changeps1 = env_flag(("NAJA_CHANGEPS1", "MAMBA_CHANGEPS1", "CONDA_CHANGEPS1"))
        changeps1 = True if changeps1 is None else changeps1
    root = os.fspath(expand(root_prefix)) if root_prefix is not None else None
    return get_shell(shell).hook(list(exe) if exe else self_command(), root_prefix=root, changeps1=changeps1)


def _emit(t: Transition, shell: str, settings: Settings) -> str:
    """The transition as ``shell`` code; for cmd.exe, the path of a temporary .bat file holding it
    (what its ``_naja_activate.bat`` calls), as micromamba does."""
    text = get_shell(shell).script(t, windows=settings.windows)
    if normalize_shell(shell) != "cmd.exe":
        return text
    import tempfile

    fd, path = tempfile.mkstemp(prefix="naja_act_", suffix=".bat")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\r\n") as f:
        f.write(text)
    return path + "\n"


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def activate(prefix: str | os.PathLike[str], shell: str, stack: bool = False, *,
             environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    """Shell code activating ``prefix`` in the shell whose environment is ``environ``."""
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return _emit(build_activate(_environ(environ), prefix, settings, stack=stack, shell=shell), shell, settings)


def deactivate(shell: str, *, environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return _emit(build_deactivate(_environ(environ), settings, shell=shell), shell, settings)


def reactivate(shell: str, *, environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return _emit(build_reactivate(_environ(environ), settings, shell=shell), shell, settings)
