"""The pure core of activation: what activate, deactivate and reactivate change, as a :class:`Transition`.

Each builder takes the current environment (a mapping) and returns the variables to unset and export,
the new prompt and the ``activate.d``/``deactivate.d`` scripts to source; nothing here touches the
process environment, so a shell class only has to render the result. What a prefix holds (its
variables and scripts) comes through a ``read`` function, by default
:func:`naja.shell.settings.read_prefix_files`: given another one the builders do no I/O at all.

State is kept in the environment exactly as conda keeps it, so conda, mamba and naja can take turns:
``CONDA_PREFIX``, ``CONDA_SHLVL``, ``CONDA_PREFIX_<n>`` (the prefix active at level n),
``CONDA_STACKED_<n>``, ``CONDA_DEFAULT_ENV``, ``CONDA_PROMPT_MODIFIER`` and, for a variable from
``conda-meta/state`` that overwrote an existing value, ``__CONDA_SHLVL_<n>_<VAR>`` holding that value
so deactivation can put it back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from naja.errors import ConfigError
from naja.shell.settings import UNSET_MARKER, PrefixFiles, Settings, read_prefix_files

#: reads a prefix's variables and scripts; the builders are pure given one (tests pass their own)
PrefixReader = Callable[[str], PrefixFiles]


@dataclass
class Transition:
    """What one activate/deactivate/reactivate does, independent of the shell."""

    unset: list[str] = field(default_factory=list)
    export: dict[str, str] = field(default_factory=dict)
    prompt: str | None = None  # the new PS1 (POSIX-like shells); None leaves it alone
    deactivate_scripts: list[Path] = field(default_factory=list)
    activate_scripts: list[Path] = field(default_factory=list)

    def apply(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment after this transition (scripts not run, prompt not touched)."""
        out = dict(environ)
        for name in self.unset:
            out.pop(name, None)
        out.update(self.export)
        return out


def path_dirs(prefix: str | os.PathLike[str], windows: bool = False) -> list[str]:
    """The PATH entries of a prefix: ``bin`` on unix; conda's list on Windows layouts."""
    p = os.fspath(prefix)
    if not windows:
        return [p.rstrip("/") + "/bin" if p != "/" else "/bin"]
    p = p.rstrip("\\/")
    dirs = [p]
    for sub in ("ucrt64", "clang64", "mingw64", "clangarm64"):
        candidate = f"{p}\\Library\\{sub}\\bin"
        if os.path.isdir(candidate):
            dirs.append(candidate)
            break
    dirs += [f"{p}\\Library\\mingw-w64\\bin", f"{p}\\Library\\usr\\bin", f"{p}\\Library\\bin",
             f"{p}\\Scripts", f"{p}\\bin"]
    return dirs


def _same_path(a: str, b: str, windows: bool) -> bool:
    if windows:
        return os.path.normcase(a.rstrip("\\/")).lower() == os.path.normcase(b.rstrip("\\/")).lower()
    return os.path.normpath(a) == os.path.normpath(b) if a and b else a == b


def _split_path(environ: Mapping[str, str], windows: bool) -> list[str]:
    value = environ.get("PATH")
    if value is None:
        value = os.defpath
    if value == "":
        return []
    return value.split(";" if windows else ":")


def _replace_prefix_in_path(entries: list[str], old: str | None, new: str | None, windows: bool) -> list[str]:
    """Take ``old``'s entries out of PATH and put ``new``'s where they were (at the front if absent)."""
    entries = list(entries)
    index = 0
    if old is not None:
        # remove only the first occurrence of each of old's directories: the ones activation added
        removed: list[int] = []
        for d in path_dirs(old, windows):
            hit = next((i for i, e in enumerate(entries) if i not in removed and _same_path(e, d, windows)), None)
            if hit is not None:
                removed.append(hit)
        if removed:
            index = min(removed)
            entries = [e for i, e in enumerate(entries) if i not in removed]
    if new is not None:
        entries[index:index] = path_dirs(new, windows)
    return entries


def default_env_name(prefix: str, settings: Settings) -> str:
    """``CONDA_DEFAULT_ENV``: ``base`` for the root prefix, the name for ``…/envs/NAME``, else the path."""
    if _same_path(prefix, os.fspath(settings.root_prefix), settings.windows):
        return "base"
    path = Path(prefix)
    if path.parent.name == "envs":
        return path.name
    return prefix


def _level(environ: Mapping[str, str]) -> int:
    try:
        return max(int(environ.get("CONDA_SHLVL", "").strip() or 0), 0)
    except ValueError:
        return 0


def _prompt_modifier(environ: Mapping[str, str], prefix: str, settings: Settings, mode: str,
                     stack: bool = False) -> str:
    """``CONDA_PROMPT_MODIFIER`` after the operation, with conda's ``{stacked_env}`` bookkeeping."""
    if not settings.changeps1:
        return ""
    level = _level(environ)
    env_stack: list[str] = []
    prompt_stack: list[str] = []
    for i in range(1, level + 1):
        p = environ.get("CONDA_PREFIX", "") if i == level else environ.get(f"CONDA_PREFIX_{i}", "")
        name = default_env_name(p, settings) if p else ""
        env_stack.append(name)
        if not environ.get(f"CONDA_STACKED_{i}"):
            prompt_stack = prompt_stack[:-1]
        prompt_stack.append(name)
    default_env = default_env_name(prefix, settings)
    if mode == "deactivate":
        prompt_stack = prompt_stack[:-1]
        env_stack = env_stack[:-1]
        if not environ.get(f"CONDA_STACKED_{level}") and env_stack:
            prompt_stack.append(env_stack[-1])
    elif mode == "activate":
        if not stack:
            prompt_stack = prompt_stack[:-1]
        prompt_stack.append(default_env)
    try:
        return settings.env_prompt.format(default_env=default_env, stacked_env=",".join(prompt_stack[::-1]),
                                          prefix=prefix, name=os.path.basename(prefix))
    except (KeyError, IndexError, ValueError):
        raise ConfigError(f"invalid env_prompt: {settings.env_prompt!r}") from None


def _flavor(shell: str) -> tuple[str, str | None]:
    """The activate.d script extension and the prompt variable of ``shell``."""
    from naja.shell.shells import get_shell

    impl = get_shell(shell)
    return impl.extension, impl.prompt_var


def _new_prompt(environ: Mapping[str, str], modifier: str, settings: Settings, shell: str) -> str | None:
    prompt_var = _flavor(shell)[1]
    if not settings.changeps1 or prompt_var is None or prompt_var not in environ:
        return None
    ps1 = environ[prompt_var]
    old = environ.get("CONDA_PROMPT_MODIFIER", "")
    if old and ps1.startswith(old):
        ps1 = ps1[len(old):]
    return modifier + ps1


def _reader(shell: str, read: PrefixReader | None) -> PrefixReader:
    if read is not None:
        return read
    extension = _flavor(shell)[0]
    return lambda prefix: read_prefix_files(prefix, extension)


class _Builder:
    """Records changes to a copy of the environment; the transition is the difference."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.old = environ
        self.new = dict(environ)
        self.forced: list[str] = []

    def set(self, name: str, value: str, force: bool = False) -> None:
        self.new[name] = value
        if force:
            self.forced.append(name)

    def drop(self, name: str) -> None:
        self.new.pop(name, None)

    def transition(self, prompt: str | None, deactivate_scripts: list[Path],
                   activate_scripts: list[Path]) -> Transition:
        """The variables that changed, with the prompt and the scripts to source around them."""
        t = Transition(prompt=prompt, deactivate_scripts=deactivate_scripts, activate_scripts=activate_scripts)
        for name in self.old:
            if name not in self.new:
                t.unset.append(name)
        for name, value in self.new.items():
            if name in ("PS1", "prompt"):  # shell variables the hook passed in, never exported
                continue
            if self.old.get(name) != value or name in self.forced:
                t.export[name] = value
        return t


def build_activate(environ: Mapping[str, str], prefix: str | os.PathLike[str], settings: Settings,
                   *, stack: bool = False, shell: str = "bash", read: PrefixReader | None = None) -> Transition:
    """Activate ``prefix`` on top of ``environ``: replace the active env (or stack on it)."""
    read = _reader(shell, read)
    prefix = os.fspath(prefix)
    old_level = _level(environ)
    old_prefix = environ.get("CONDA_PREFIX") or None
    if old_level > 0 and old_prefix and _same_path(old_prefix, prefix, settings.windows):
        return build_reactivate(environ, settings, shell=shell, read=read)
    level = old_level + 1
    b = _Builder(environ)
    entries = _split_path(environ, settings.windows)
    deactivate_scripts: list[Path] = []
    if old_level == 0 or old_prefix is None:
        entries = _replace_prefix_in_path(entries, None, prefix, settings.windows)
    elif stack:
        entries = _replace_prefix_in_path(entries, None, prefix, settings.windows)
        b.set(f"CONDA_PREFIX_{old_level}", old_prefix)
        b.set(f"CONDA_STACKED_{level}", "true")
    else:
        entries = _replace_prefix_in_path(entries, old_prefix, prefix, settings.windows)
        b.set(f"CONDA_PREFIX_{old_level}", old_prefix)
        deactivate_scripts = list(read(old_prefix).deactivate_scripts)
    modifier = _prompt_modifier(environ, prefix, settings, "activate", stack)
    # exported even when unchanged, as micromamba does: a shell whose variables were changed by hand
    # (or not exported) ends up right
    b.set("PATH", (";" if settings.windows else ":").join(entries), force=True)
    b.set("CONDA_PREFIX", prefix, force=True)
    b.set("CONDA_SHLVL", str(level), force=True)
    b.set("CONDA_DEFAULT_ENV", default_env_name(prefix, settings), force=True)
    b.set("CONDA_PROMPT_MODIFIER", modifier, force=True)
    files = read(prefix)
    for name, value in files.env_vars.items():
        # remember what a variable held so that deactivation can restore it exactly
        if name in environ:
            b.set(f"__CONDA_SHLVL_{old_level}_{name}", environ[name])
        if value != UNSET_MARKER:
            b.set(name, value, force=True)
    return b.transition(_new_prompt(environ, modifier, settings, shell), deactivate_scripts,
                        list(files.activate_scripts))


def build_deactivate(environ: Mapping[str, str], settings: Settings, *, shell: str = "bash",
                     read: PrefixReader | None = None) -> Transition:
    """Undo the innermost activation; a no-op when nothing is active."""
    read = _reader(shell, read)
    old_level = _level(environ)
    old_prefix = environ.get("CONDA_PREFIX")
    if old_level < 1 or not old_prefix:
        return Transition()
    level = old_level - 1
    b = _Builder(environ)
    entries = _split_path(environ, settings.windows)
    activate_scripts: list[Path] = []
    new_prefix = environ.get(f"CONDA_PREFIX_{level}") if level > 0 else None
    if new_prefix is None:
        entries = _replace_prefix_in_path(entries, old_prefix, None, settings.windows)
        for name in ("CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_PROMPT_MODIFIER"):
            b.drop(name)
        modifier = ""
    else:
        stacked = f"CONDA_STACKED_{old_level}" in environ
        b.drop(f"CONDA_PREFIX_{level}")
        if stacked:
            entries = _replace_prefix_in_path(entries, old_prefix, None, settings.windows)
            b.drop(f"CONDA_STACKED_{old_level}")
        else:
            entries = _replace_prefix_in_path(entries, old_prefix, new_prefix, settings.windows)
            # the previous env's deactivate.d ran when this one replaced it: run its activate.d again
            activate_scripts = list(read(new_prefix).activate_scripts)
        modifier = _prompt_modifier(environ, new_prefix, settings, "deactivate")
        b.set("CONDA_PREFIX", new_prefix, force=True)
        b.set("CONDA_DEFAULT_ENV", default_env_name(new_prefix, settings), force=True)
        b.set("CONDA_PROMPT_MODIFIER", modifier, force=True)
    b.set("PATH", (";" if settings.windows else ":").join(entries), force=True)
    b.set("CONDA_SHLVL", str(level), force=True)
    old_files = read(old_prefix)
    for name in old_files.env_vars:
        b.drop(name)
        saved = f"__CONDA_SHLVL_{level}_{name}"
        if saved in environ:
            b.set(name, environ[saved])
            b.drop(saved)
    if new_prefix is not None:
        for name, value in read(new_prefix).env_vars.items():
            if value != UNSET_MARKER:
                b.set(name, value)
    return b.transition(_new_prompt(environ, modifier, settings, shell), list(old_files.deactivate_scripts),
                        activate_scripts)


def build_reactivate(environ: Mapping[str, str], settings: Settings, *, shell: str = "bash",
                     read: PrefixReader | None = None) -> Transition:
    """Re-read the active environment (after install/remove or ``env config vars``)."""
    read = _reader(shell, read)
    level = _level(environ)
    prefix = environ.get("CONDA_PREFIX")
    if level < 1 or not prefix:
        return Transition()
    b = _Builder(environ)
    entries = _replace_prefix_in_path(_split_path(environ, settings.windows), prefix, prefix, settings.windows)
    modifier = _prompt_modifier(environ, prefix, settings, "reactivate")
    b.set("PATH", (";" if settings.windows else ":").join(entries), force=True)
    b.set("CONDA_PREFIX", prefix, force=True)
    b.set("CONDA_SHLVL", str(level), force=True)
    b.set("CONDA_DEFAULT_ENV", default_env_name(prefix, settings), force=True)
    b.set("CONDA_PROMPT_MODIFIER", modifier, force=True)
    files = read(prefix)
    for name, value in files.env_vars.items():
        if value == UNSET_MARKER:
            b.drop(name)
        else:
            b.set(name, value, force=True)
    return b.transition(_new_prompt(environ, modifier, settings, shell), list(files.deactivate_scripts),
                        list(files.activate_scripts))
