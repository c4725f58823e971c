"""Shells, activation and ``run``: the API ``naja shell``, ``naja run``, ``naja ps`` and
``naja env config vars`` are thin layers over. Results are text to print or typed values.

Imported without the rest of :mod:`naja.api` by the CLI (``shell hook`` runs at every shell start).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from naja.errors import ActivationError, PrefixError
from naja.shell import init as _init
from naja.shell import portable as _portable
from naja.shell import run as _run
from naja.shell import scripts as _scripts
from naja.shell import settings as _settings
from naja.shell.init import InitResult
from naja.shell.run import ProcessInfo
from naja.shell.settings import Settings
from naja.shell.shells import SHELLS, guess_shell, normalize_shell

__all__ = [
    "SHELLS", "InitResult", "ProcessInfo", "Settings", "Target", "activate_script", "deactivate_script",
    "deinit_shell", "env_vars_list", "env_vars_set", "env_vars_unset", "hook_script", "init_preview", "init_shell",
    "parse_attach", "parse_env_assignments", "process_list", "process_stop", "reactivate_script",
    "reinit_shells", "resolve_shell", "run", "settings", "target_prefix", "write_activate_script",
]

parse_attach = _run.parse_attach
parse_env_assignments = _run.parse_env_assignments


@dataclass(frozen=True)
class Target:
    """``-p PATH`` / ``-n NAME`` / a bare ``NAME_OR_PREFIX`` as given on the command line."""

    prefix: str | None = None
    name: str | None = None
    name_or_prefix: str | None = None


def settings(root_prefix: str | os.PathLike[str] | None = None) -> Settings:
    return _settings.load_settings(root_prefix)


def resolve_shell(shell: str | None) -> str:
    """The canonical shell name, guessed from the parent process when not given."""
    return normalize_shell(shell) if shell else guess_shell()


def target_prefix(s: Settings, target: Target, *, fallback_active: bool) -> Path:
    """The environment directory ``target`` names (the active one, else base, when empty and
    ``fallback_active``; base otherwise)."""
    return _settings.resolve_prefix(s, target.name_or_prefix, name=target.name, prefix=target.prefix,
                                    fallback_active=fallback_active)


def hook_script(shell: str, root_prefix: str | os.PathLike[str] | None = None) -> str:
    """``shell hook``: the ``naja`` shell function (cmd.exe: writes condabin/*.bat, prints nothing)."""
    s = settings(root_prefix)
    if shell == "cmd.exe":
        _init.write_root_files(shell, s.root_prefix)
    text = _scripts.hook(shell, root_prefix=root_prefix, changeps1=s.changeps1)
    if s.auto_activate_base and not os.environ.get("CONDA_PREFIX") and shell not in ("cmd.exe", "nu"):
        text += "naja activate base" + (";" if shell in ("posix", "bash", "zsh", "csh") else "") + "\n"
    return text


def activate_script(shell: str, target: Target, *, stack: bool = False,
                    root_prefix: str | os.PathLike[str] | None = None,
                    environ: Mapping[str, str] | None = None) -> str:
    s = settings(root_prefix)
    prefix = target_prefix(s, target, fallback_active=False)
    return _scripts.activate(prefix, shell, stack=stack, settings=s, environ=environ)


def deactivate_script(shell: str, root_prefix: str | os.PathLike[str] | None = None,
                      environ: Mapping[str, str] | None = None) -> str:
    return _scripts.deactivate(shell, settings=settings(root_prefix), environ=environ)


def reactivate_script(shell: str, root_prefix: str | os.PathLike[str] | None = None,
                      environ: Mapping[str, str] | None = None) -> str:
    return _scripts.reactivate(shell, settings=settings(root_prefix), environ=environ)


def write_activate_script(shell: str, target: Target, root_prefix: str | os.PathLike[str] | None = None) -> Path:
    """``shell activate --write``: a script in the prefix that activates it without naja."""
    s = settings(root_prefix)
    return _portable.write_standalone_script(target_prefix(s, target, fallback_active=False), shell, s)


def init_shell(shell: str, root_prefix: str | os.PathLike[str] | None = None) -> InitResult:
    result = _init.shell_init(shell, settings(root_prefix).root_prefix)
    if shell == "cmd.exe" and os.name != "nt":
        raise ActivationError("cmd.exe can only be initialized on Windows (its AutoRun registry value); "
                              f"the condabin files were written under {settings(root_prefix).root_prefix}")
    return result


def init_preview(shell: str, root_prefix: str | os.PathLike[str] | None = None) -> tuple[Path | None, str]:
    """``shell init --dry-run``: the rc file and the block that would go into it."""
    if shell == "cmd.exe":
        return None, ""
    return _init.rc_file(shell), _init.init_block(shell, settings(root_prefix).root_prefix)


def deinit_shell(shell: str, root_prefix: str | os.PathLike[str] | None = None) -> InitResult:
    return _init.shell_deinit(shell, settings(root_prefix).root_prefix)


def reinit_shells(root_prefix: str | os.PathLike[str] | None = None) -> list[InitResult]:
    """``shell reinit``: refresh the block (and root-prefix files) of every initialized shell."""
    root = settings(root_prefix).root_prefix
    return [_init.shell_init(shell, root) for shell in _init.initialized_shells()]


def run(target: Target, argv: Sequence[str], *, root_prefix: str | os.PathLike[str] | None = None,
        cwd: str | None = None, env: Mapping[str, str] | None = None, clean_env: bool = False,
        attach: Sequence[str] = ("stdin", "stdout", "stderr"), detach: bool = False,
        label: str | None = None) -> int:
    """``naja run``: the command's exit status (128+n when killed by signal n)."""
    s = settings(root_prefix)
    prefix = target_prefix(s, target, fallback_active=True)
    return _run.run_in_env(prefix, argv, cwd=cwd, env=env, clean_env=clean_env, attach=attach,
                           settings=s, detach=detach, label=label)


def process_list() -> list[ProcessInfo]:
    return _run.list_processes()


def process_stop(pid_or_name: str) -> list[ProcessInfo]:
    return _run.stop_processes(pid_or_name)


def _env_prefix(target: Target, root_prefix: str | os.PathLike[str] | None) -> Path:
    prefix = target_prefix(settings(root_prefix), target, fallback_active=True)
    if not (prefix / "conda-meta").is_dir():
        raise PrefixError(f"{prefix} is not an environment (no conda-meta directory)")
    return prefix


def env_vars_list(target: Target, root_prefix: str | os.PathLike[str] | None = None) -> tuple[Path, dict[str, str]]:
    prefix = _env_prefix(target, root_prefix)
    return prefix, _settings.list_env_vars(prefix)


def env_vars_set(target: Target, values: Mapping[str, str],
                 root_prefix: str | os.PathLike[str] | None = None) -> Path:
    prefix = _env_prefix(target, root_prefix)
    _settings.set_env_vars(prefix, values)
    return prefix


def env_vars_unset(target: Target, names: Sequence[str],
                   root_prefix: str | os.PathLike[str] | None = None) -> tuple[Path, list[str]]:
    prefix = _env_prefix(target, root_prefix)
    return prefix, _settings.unset_env_vars(prefix, names)
