"""Activation: what ``naja activate``/``deactivate`` change, rendered for each shell, and ``naja run``.

The core is pure: :func:`build_activate`, :func:`build_deactivate` and :func:`build_reactivate` take
the current environment (a mapping) and return a :class:`Transition` (variables to unset/export, the
new prompt, scripts to source). :func:`render` turns a transition into shell code. The shell hook
(:func:`hook`) defines a ``naja`` shell function that evaluates that code in the user's shell, as
micromamba's hook does for ``micromamba activate``.

State is kept in the environment exactly as conda keeps it, so conda, mamba and naja can take turns:
``CONDA_PREFIX``, ``CONDA_SHLVL``, ``CONDA_PREFIX_<n>`` (the prefix active at level n),
``CONDA_STACKED_<n>``, ``CONDA_DEFAULT_ENV``, ``CONDA_PROMPT_MODIFIER`` and, for a variable from
``conda-meta/state`` that overwrote an existing value, ``__CONDA_SHLVL_<n>_<VAR>`` holding that value
so deactivation can put it back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from naja import safe_json
from naja.config import expand_path, load_config
from naja.errors import (  # the activation errors are re-exported here, where callers import them
    ActivationError,
    CommandNotExecutableError,
    CommandNotFoundError,
    ConfigError,
    PrefixError,
)

SHELLS = ("bash", "zsh", "fish", "posix", "powershell")
_SHELL_ALIASES = {"sh": "posix", "dash": "posix", "ash": "posix", "ksh": "posix", "pwsh": "powershell"}
_SCRIPT_EXTENSION = {"bash": ".sh", "zsh": ".sh", "posix": ".sh", "fish": ".fish", "powershell": ".ps1"}
_POSIX_LIKE = ("bash", "zsh", "posix")

#: the value conda writes into ``conda-meta/state`` for a variable that ``env config vars unset`` removed
UNSET_MARKER = "***unset***"
STATE_FILE = ("conda-meta", "state")
ENV_VARS_DIR = ("etc", "conda", "env_vars.d")
DEFAULT_ENV_PROMPT = "({default_env}) "

INIT_BEGIN = "# >>> naja initialize >>>"
INIT_END = "# <<< naja initialize <<<"


# --------------------------------------------------------------------------------------------------
# settings, prefixes


@dataclass(frozen=True)
class Settings:
    """What activation needs from the configuration."""

    root_prefix: Path
    envs_dirs: tuple[Path, ...] = ()
    changeps1: bool = True
    env_prompt: str = DEFAULT_ENV_PROMPT
    windows: bool = sys.platform == "win32"


def _expand(path: str | os.PathLike[str]) -> Path:
    return Path(expand_path(os.fspath(path)))


def _env_flag(names: Iterable[str]) -> bool | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip().lower() not in ("0", "false", "no", "off")
    return None


def load_settings(root_prefix: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from ``naja.config``; ``root_prefix`` (``-r``) outranks everything, as on
    micromamba's command line."""
    config = load_config(root_prefix=root_prefix) if root_prefix else load_config()
    root_path = _expand(root_prefix or config.root_prefix)
    envs_dirs = [_expand(d) for d in config.envs_dirs]
    if root_prefix:
        envs_dirs.append(root_path / "envs")
    env_prompt = config.env_prompt or os.environ.get("CONDA_ENV_PROMPT") or DEFAULT_ENV_PROMPT
    return Settings(root_prefix=root_path, envs_dirs=tuple(dict.fromkeys(envs_dirs)),
                    changeps1=bool(config.changeps1), env_prompt=env_prompt)


def resolve_prefix(settings: Settings, name_or_prefix: str | None = None, *, name: str | None = None,
                   prefix: str | os.PathLike[str] | None = None, fallback_active: bool = False,
                   environ: Mapping[str, str] | None = None) -> Path:
    """``-p PATH`` / ``-n NAME`` / a bare ``NAME_OR_PREFIX`` → an existing environment directory.

    A value with a path separator is a path; ``base`` (or ``root``) is the root prefix; anything else
    is looked up in ``envs_dirs``. With nothing given: the active environment when
    ``fallback_active`` (as ``naja run`` does), else the root prefix (as ``naja activate`` does).
    """
    environ = os.environ if environ is None else environ
    if prefix is not None and name is not None:
        raise ActivationError("give either -p/--prefix or -n/--name, not both")
    if prefix is not None:
        path = _expand(prefix)
        if not path.is_dir():
            raise PrefixError(f"environment not found: {path} does not exist")
        return path
    text = name if name is not None else name_or_prefix
    if text is None:
        active = environ.get("CONDA_PREFIX") if fallback_active else None
        text = active or "base"
        if active:
            return _expand(active)
    if name is None and ("/" in text or os.sep in text or (os.altsep and os.altsep in text)):
        path = _expand(text)
        if not path.is_dir():
            raise PrefixError(f"environment not found: {path} does not exist")
        return path
    if text in ("base", "root") and not settings.root_prefix.is_dir():
        raise PrefixError(f"the base environment (root prefix {settings.root_prefix}) does not exist")
    from naja.prefix import named_prefix

    found = named_prefix(text, settings.root_prefix, settings.envs_dirs)
    if found is not None:
        return found
    looked = ", ".join(str(d) for d in settings.envs_dirs) or str(settings.root_prefix / "envs")
    raise PrefixError(f"environment '{text}' does not exist (looked in {looked})")


def normalize_shell(shell: str) -> str:
    """``bash``/``zsh``/``fish``/``posix``/``powershell`` (``sh``, ``dash`` and ``pwsh`` accepted)."""
    name = os.path.basename(shell.strip()).lower()
    name = name.removesuffix(".exe")
    name = _SHELL_ALIASES.get(name, name)
    if name not in SHELLS:
        raise ActivationError(f"unsupported shell '{shell}' (naja supports {', '.join(SHELLS)})")
    return name


def guess_shell() -> str:
    """The shell naja was started from: the parent process, else ``$SHELL``."""
    candidates: list[str] = []
    try:
        candidates.append(Path(f"/proc/{os.getppid()}/comm").read_text().strip())
    except OSError:
        pass
    candidates.append(os.environ.get("SHELL", ""))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return normalize_shell(candidate.lstrip("-"))
        except ActivationError:
            continue
    raise ActivationError("cannot tell which shell this is; pass -s/--shell (bash, zsh, fish, posix, powershell)")


# --------------------------------------------------------------------------------------------------
# environment variables of a prefix (conda-meta/state, etc/conda/env_vars.d)


def _state_path(prefix: str | os.PathLike[str]) -> Path:
    return Path(prefix).joinpath(*STATE_FILE)


def _read_json_object(path: Path) -> dict:

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if not text.strip():
        return {}
    try:
        data = safe_json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object")
    return data


def environment_env_vars(prefix: str | os.PathLike[str]) -> dict[str, str]:
    """The variables activation sets: ``etc/conda/env_vars.d/*.json`` in sorted order, then the
    ``env_vars`` of ``conda-meta/state`` (which win). Values may be :data:`UNSET_MARKER`."""
    out: dict[str, str] = {}
    env_vars_dir = Path(prefix).joinpath(*ENV_VARS_DIR)
    if env_vars_dir.is_dir():
        for path in sorted(env_vars_dir.glob("*.json"), key=lambda p: p.name):
            out.update({str(k): str(v) for k, v in _read_json_object(path).items()})
    state = _read_json_object(_state_path(prefix))
    env_vars = state.get("env_vars") or {}
    if not isinstance(env_vars, dict):
        raise ConfigError(f"{_state_path(prefix)}: 'env_vars' is not an object")
    out.update({str(k): str(v) for k, v in env_vars.items()})
    return out


def list_env_vars(prefix: str | os.PathLike[str]) -> dict[str, str]:
    """``conda-meta/state`` variables as ``env config vars list`` shows them (unset ones hidden)."""
    state = _read_json_object(_state_path(prefix))
    return {str(k): str(v) for k, v in (state.get("env_vars") or {}).items() if v != UNSET_MARKER}


def _check_var_name(name: str) -> None:
    if not name or not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c == "_" for c in name):
        raise ActivationError(f"invalid environment variable name: {name!r}")


def _write_state(prefix: Path, state: dict) -> None:
    import json

    path = _state_path(prefix)
    if not path.parent.is_dir():
        raise PrefixError(f"{prefix} is not an environment (no conda-meta directory)")
    _replace_text(path, json.dumps(state, ensure_ascii=False, indent=2) + "\n")


def _replace_text(path: Path, text: str) -> None:
    """Write through a temporary file: a shell starting meanwhile reads the old or the new file."""
    from naja.fs import atomic_write

    atomic_write(path, text.encode("utf-8"))


def set_env_vars(prefix: str | os.PathLike[str], values: Mapping[str, str]) -> None:
    """Add or change variables in ``conda-meta/state`` (other keys of the file are kept)."""
    for name in values:
        _check_var_name(name)
    state = _read_json_object(_state_path(prefix))
    env_vars = dict(state.get("env_vars") or {})
    env_vars.update(values)
    state["env_vars"] = env_vars
    _write_state(Path(prefix), state)


def unset_env_vars(prefix: str | os.PathLike[str], names: Iterable[str]) -> list[str]:
    """Mark variables as unset the way conda does (``***unset***``, so the next reactivation drops
    them from the shell); returns the names that were set."""
    state = _read_json_object(_state_path(prefix))
    env_vars = dict(state.get("env_vars") or {})
    changed = []
    for name in names:
        if name in env_vars and env_vars[name] != UNSET_MARKER:
            env_vars[name] = UNSET_MARKER
            changed.append(name)
    if changed:
        state["env_vars"] = env_vars
        _write_state(Path(prefix), state)
    return changed


# --------------------------------------------------------------------------------------------------
# the pure transitions


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


def _new_prompt(environ: Mapping[str, str], modifier: str, settings: Settings) -> str | None:
    if not settings.changeps1 or "PS1" not in environ:
        return None
    ps1 = environ["PS1"]
    old = environ.get("CONDA_PROMPT_MODIFIER", "")
    if old and ps1.startswith(old):
        ps1 = ps1[len(old):]
    return modifier + ps1


def _scripts(prefix: str, which: str, shell: str) -> list[Path]:
    directory = Path(prefix, "etc", "conda", which)
    if not directory.is_dir():
        return []
    ext = _SCRIPT_EXTENSION[shell]
    found = sorted((p for p in directory.iterdir() if p.name.endswith(ext) and p.is_file()),
                   key=lambda p: p.name)
    return found[::-1] if which == "deactivate.d" else found


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
            if name == "PS1":
                continue
            if self.old.get(name) != value or name in self.forced:
                t.export[name] = value
        return t


def build_activate(environ: Mapping[str, str], prefix: str | os.PathLike[str], settings: Settings,
                   *, stack: bool = False, shell: str = "bash") -> Transition:
    """Activate ``prefix`` on top of ``environ``: replace the active env (or stack on it)."""
    prefix = os.fspath(prefix)
    old_level = _level(environ)
    old_prefix = environ.get("CONDA_PREFIX") or None
    if old_level > 0 and old_prefix and _same_path(old_prefix, prefix, settings.windows):
        return build_reactivate(environ, settings, shell=shell)
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
        deactivate_scripts = _scripts(old_prefix, "deactivate.d", shell)
    modifier = _prompt_modifier(environ, prefix, settings, "activate", stack)
    b.set("PATH", (";" if settings.windows else ":").join(entries))
    b.set("CONDA_PREFIX", prefix)
    b.set("CONDA_SHLVL", str(level))
    b.set("CONDA_DEFAULT_ENV", default_env_name(prefix, settings))
    b.set("CONDA_PROMPT_MODIFIER", modifier)
    for name, value in environment_env_vars(prefix).items():
        # remember what a variable held so that deactivation can restore it exactly
        if name in environ:
            b.set(f"__CONDA_SHLVL_{old_level}_{name}", environ[name])
        if value != UNSET_MARKER:
            b.set(name, value, force=True)
    return b.transition(_new_prompt(environ, modifier, settings), deactivate_scripts,
                        _scripts(prefix, "activate.d", shell))


def build_deactivate(environ: Mapping[str, str], settings: Settings, *, shell: str = "bash") -> Transition:
    """Undo the innermost activation; a no-op when nothing is active."""
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
        b.set("CONDA_SHLVL", str(level))
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
            activate_scripts = _scripts(new_prefix, "activate.d", shell)
        modifier = _prompt_modifier(environ, new_prefix, settings, "deactivate")
        b.set("CONDA_PREFIX", new_prefix)
        b.set("CONDA_SHLVL", str(level))
        b.set("CONDA_DEFAULT_ENV", default_env_name(new_prefix, settings))
        b.set("CONDA_PROMPT_MODIFIER", modifier)
    b.set("PATH", (";" if settings.windows else ":").join(entries))
    for name in environment_env_vars(old_prefix):
        b.drop(name)
        saved = f"__CONDA_SHLVL_{level}_{name}"
        if saved in environ:
            b.set(name, environ[saved])
            b.drop(saved)
    if new_prefix is not None:
        for name, value in environment_env_vars(new_prefix).items():
            if value != UNSET_MARKER:
                b.set(name, value)
    return b.transition(_new_prompt(environ, modifier, settings), _scripts(old_prefix, "deactivate.d", shell),
                        activate_scripts)


def build_reactivate(environ: Mapping[str, str], settings: Settings, *, shell: str = "bash") -> Transition:
    """Re-read the active environment (after install/remove or ``env config vars``)."""
    level = _level(environ)
    prefix = environ.get("CONDA_PREFIX")
    if level < 1 or not prefix:
        return Transition()
    b = _Builder(environ)
    entries = _replace_prefix_in_path(_split_path(environ, settings.windows), prefix, prefix, settings.windows)
    modifier = _prompt_modifier(environ, prefix, settings, "reactivate")
    b.set("PATH", (";" if settings.windows else ":").join(entries))
    b.set("CONDA_SHLVL", str(level))
    b.set("CONDA_PROMPT_MODIFIER", modifier)
    for name, value in environment_env_vars(prefix).items():
        if value == UNSET_MARKER:
            b.drop(name)
        else:
            b.set(name, value, force=True)
    return b.transition(_new_prompt(environ, modifier, settings), _scripts(prefix, "deactivate.d", shell),
                        _scripts(prefix, "activate.d", shell))


# --------------------------------------------------------------------------------------------------
# rendering


def quote(shell: str, value: str) -> str:
    """Quote one word for ``shell``."""
    if shell == "fish":
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "powershell":
        return "'" + value.replace("'", "''") + "'"
    return "'" + value.replace("'", "'\\''") + "'"


def render(t: Transition, shell: str) -> str:
    """Shell code performing the transition: deactivate.d, unset, prompt, export, activate.d."""
    shell = normalize_shell(shell)
    lines: list[str] = []
    q = lambda v: quote(shell, v)  # noqa: E731
    source = {"fish": "source {}", "powershell": ". {}"}.get(shell, ". {}")
    lines += [source.format(q(os.fspath(s))) for s in t.deactivate_scripts]
    for name in t.unset:
        if shell == "fish":
            lines.append(f"set -e {name}")
        elif shell == "powershell":
            lines.append(f"Remove-Item -ErrorAction SilentlyContinue Env:\\{name}")
        else:
            lines.append(f"\\unset {name}")
    if t.prompt is not None and shell in _POSIX_LIKE:
        lines.append(f"PS1={q(t.prompt)}")
    for name, value in t.export.items():
        if shell == "fish":
            if name == "PATH":
                parts = " ".join(q(p) for p in value.split(":")) if value else ""
                lines.append(f"set -gx PATH {parts}".rstrip())
            else:
                lines.append(f"set -gx {name} {q(value)}")
        elif shell == "powershell":
            lines.append(f"$Env:{name} = {q(value)}")
        else:
            lines.append(f"\\export {name}={q(value)}")
    lines += [source.format(q(os.fspath(s))) for s in t.activate_scripts]
    return "".join(line + "\n" for line in lines)


def _environ_for(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def activate(prefix: str | os.PathLike[str], shell: str, stack: bool = False, *,
             environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    """Shell code activating ``prefix`` in the shell whose environment is ``environ``."""
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return render(build_activate(_environ_for(environ), prefix, settings, stack=stack, shell=shell), shell)


def deactivate(shell: str, *, environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return render(build_deactivate(_environ_for(environ), settings, shell=shell), shell)


def reactivate(shell: str, *, environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> str:
    shell = normalize_shell(shell)
    settings = settings or load_settings()
    return render(build_reactivate(_environ_for(environ), settings, shell=shell), shell)


# --------------------------------------------------------------------------------------------------
# the shell hook and shell init


def self_command() -> list[str]:
    """How a shell should call this naja: the ``naja`` executable when that is what runs, else
    ``python -m naja``."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0).lower() in ("naja", "naja.exe") and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    return [sys.executable, "-m", "naja"]


_POSIX_HOOK = """\
__naja_exe() (
    {exe} "$@"
)

__naja_hashr() {{
    if [ -n "${{ZSH_VERSION:+x}}" ]; then
        \\rehash
    elif [ -n "${{POSH_VERSION:+x}}" ]; then
        :
    else
        \\hash -r
    fi
}}

__naja_xctivate() {{
    \\local __naja_script
    __naja_script="$(PS1="${{PS1:-}}" {exe} shell "$@" --shell {shell})" || \\return
    \\eval "$__naja_script"
    __naja_hashr
}}

naja() {{
    \\local __naja_cmd="${{1-__missing__}}"
    case "$__naja_cmd" in
        activate|reactivate|deactivate)
            __naja_xctivate "$@"
            ;;
        install|update|upgrade|remove|uninstall)
            __naja_exe "$@" || \\return
            __naja_xctivate reactivate
            ;;
        *)
            __naja_exe "$@"
            ;;
    esac
}}

if [ -z "${{CONDA_SHLVL+x}}" ]; then
    \\export CONDA_SHLVL=0
fi
"""

_FISH_HOOK = """\
function __naja_exe
    command {exe} $argv
end

function __naja_xctivate
    set -l __naja_script (__naja_exe shell $argv --shell fish)
    or return $status
    string join \\n -- $__naja_script | source
end

function naja --description 'naja: conda-compatible package and environment manager'
    if test (count $argv) -lt 1
        __naja_exe
        return $status
    end
    switch $argv[1]
        case activate deactivate reactivate
            __naja_xctivate $argv
        case install update upgrade remove uninstall
            __naja_exe $argv
            or return $status
            __naja_xctivate reactivate
        case '*'
            __naja_exe $argv
    end
end

if not set -q CONDA_SHLVL
    set -gx CONDA_SHLVL 0
end
"""

_FISH_PROMPT = """
if not functions -q __naja_fish_prompt_orig
    if functions -q fish_prompt
        functions -c fish_prompt __naja_fish_prompt_orig
        functions -e fish_prompt
    else
        function __naja_fish_prompt_orig
        end
    end
end

function __naja_return_status
    return $argv[1]
end

function fish_prompt
    set -l __naja_last_status $status
    if set -q CONDA_PROMPT_MODIFIER
        echo -n -s $CONDA_PROMPT_MODIFIER
    end
    __naja_return_status $__naja_last_status
    __naja_fish_prompt_orig
end
"""

_POWERSHELL_HOOK = """\
function global:__naja_exe {{
    & {exe} @args
}}

function global:__naja_xctivate {{
    $__naja_script = & {exe} shell @args --shell powershell
    if ($LASTEXITCODE -ne 0) {{ return }}
    if ($__naja_script) {{ Invoke-Expression ($__naja_script -join "`n") }}
}}

function global:naja {{
    if ($args.Count -lt 1) {{ __naja_exe; return }}
    switch ($args[0]) {{
        {{ $_ -in 'activate', 'deactivate', 'reactivate' }} {{ __naja_xctivate @args; break }}
        {{ $_ -in 'install', 'update', 'upgrade', 'remove', 'uninstall' }} {{
            __naja_exe @args
            if ($LASTEXITCODE -eq 0) {{ __naja_xctivate reactivate }}
            break
        }}
        default {{ __naja_exe @args }}
    }}
}}

if (-not (Test-Path Env:CONDA_SHLVL)) {{ $Env:CONDA_SHLVL = '0' }}
"""

_POWERSHELL_PROMPT = """
if (-not (Test-Path Function:\\__naja_prompt_orig)) {
    if (Test-Path Function:\\prompt) { ${Function:__naja_prompt_orig} = ${Function:prompt} }
    else { function global:__naja_prompt_orig { "PS $($executionContext.SessionState.Path.CurrentLocation)> " } }
}
function global:prompt {
    if ($Env:CONDA_PROMPT_MODIFIER) { Write-Host -NoNewline $Env:CONDA_PROMPT_MODIFIER }
    __naja_prompt_orig
}
"""


def hook(shell: str, *, exe: Sequence[str] | None = None, root_prefix: str | os.PathLike[str] | None = None,
         changeps1: bool | None = None) -> str:
    """Shell code defining the ``naja`` function (``naja activate``/``deactivate`` work through it)."""
    shell = normalize_shell(shell)
    words = list(exe) if exe else self_command()
    q = lambda v: quote(shell, v)  # noqa: E731
    exe_text = " ".join(q(w) for w in words)
    head: list[str] = []
    if shell == "fish":
        if len(words) == 1:
            head.append(f"set -gx NAJA_EXE {q(words[0])}")
        if root_prefix is not None:
            head.append(f"set -gx NAJA_ROOT_PREFIX {q(os.fspath(_expand(root_prefix)))}")
        body = _FISH_HOOK.format(exe=exe_text)
    elif shell == "powershell":
        if len(words) == 1:
            head.append(f"$Env:NAJA_EXE = {q(words[0])}")
        if root_prefix is not None:
            head.append(f"$Env:NAJA_ROOT_PREFIX = {q(os.fspath(_expand(root_prefix)))}")
        body = _POWERSHELL_HOOK.format(exe=exe_text)
    else:
        if len(words) == 1:
            head.append(f"\\export NAJA_EXE={q(words[0])}")
        if root_prefix is not None:
            head.append(f"\\export NAJA_ROOT_PREFIX={q(os.fspath(_expand(root_prefix)))}")
        body = _POSIX_HOOK.format(exe=exe_text, shell=shell)
    if changeps1 is None:
        changeps1 = _env_flag(("NAJA_CHANGEPS1", "MAMBA_CHANGEPS1", "CONDA_CHANGEPS1"))
        changeps1 = True if changeps1 is None else changeps1
    if changeps1 and shell == "fish":
        body += _FISH_PROMPT
    if changeps1 and shell == "powershell":
        body += _POWERSHELL_PROMPT
    return "".join(line + "\n" for line in head) + "\n" + body


def rc_file(shell: str, home: str | os.PathLike[str] | None = None) -> Path:
    """The file ``naja shell init`` edits for ``shell``."""
    shell = normalize_shell(shell)
    home_path = Path(home) if home is not None else Path(os.path.expanduser("~"))
    if shell == "bash":
        return home_path / (".bash_profile" if sys.platform == "darwin" else ".bashrc")
    if shell == "zsh":
        zdotdir = os.environ.get("ZDOTDIR")
        return (Path(zdotdir) if zdotdir and home is None else home_path) / ".zshrc"
    if shell == "fish":
        xdg = os.environ.get("XDG_CONFIG_HOME")
        base = Path(xdg) if xdg and home is None else home_path / ".config"
        return base / "fish" / "config.fish"
    if shell == "powershell":
        if sys.platform == "win32":
            return home_path / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1"
        return home_path / ".config" / "powershell" / "Microsoft.PowerShell_profile.ps1"
    return home_path / ".profile"


def init_block(shell: str, root_prefix: str | os.PathLike[str], *, exe: Sequence[str] | None = None) -> str:
    """The ``# >>> naja initialize >>>`` block: set NAJA_EXE/NAJA_ROOT_PREFIX and eval the hook."""
    shell = normalize_shell(shell)
    words = list(exe) if exe else self_command()
    q = lambda v: quote(shell, v)  # noqa: E731
    root = os.fspath(_expand(root_prefix))
    exe_text = " ".join(q(w) for w in words)
    lines = [INIT_BEGIN, "# !! Contents within this block are managed by 'naja shell init' !!"]
    if shell == "fish":
        lines += [
            f"set -gx NAJA_ROOT_PREFIX {q(root)}",
            f"{exe_text} shell hook --shell fish --root-prefix $NAJA_ROOT_PREFIX | source",
        ]
    elif shell == "powershell":
        lines += [
            f"$Env:NAJA_ROOT_PREFIX = {q(root)}",
            f"(& {exe_text} shell hook --shell powershell --root-prefix $Env:NAJA_ROOT_PREFIX) "
            "-join \"`n\" | Out-String | Invoke-Expression",
        ]
    else:
        lines += [
            f"export NAJA_ROOT_PREFIX={q(root)}",
            f'__naja_setup="$({exe_text} shell hook --shell {shell} --root-prefix "$NAJA_ROOT_PREFIX" 2> /dev/null)"',
            "if [ $? -eq 0 ]; then",
            '    eval "$__naja_setup"',
            "else",
            f"    alias naja={q(exe_text)}  # fall back on the executable (naja activate then explains)",
            "fi",
            "unset __naja_setup",
        ]
    lines.append(INIT_END)
    return "\n".join(lines) + "\n"


def _without_block(text: str) -> tuple[str, int | None]:
    """``text`` with the naja block removed, and the line index where it was (None if absent)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\r\n") == INIT_BEGIN), None)
    if start is None:
        return text, None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip("\r\n") == INIT_END), None)
    if end is None:
        raise ActivationError(f"found '{INIT_BEGIN}' without '{INIT_END}'; fix the file by hand")
    return "".join(lines[:start] + lines[end + 1:]), start


def shell_init(shell: str, root_prefix: str | os.PathLike[str], *, path: Path | None = None,
               exe: Sequence[str] | None = None) -> tuple[Path, bool]:
    """Write (or refresh in place) the init block in the shell's rc file; returns (file, changed)."""
    path = path or rc_file(shell)
    block = init_block(shell, root_prefix, exe=exe)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    rest, where = _without_block(text)
    if where is None:
        sep = "" if not rest or rest.endswith("\n") else "\n"
        new = rest + sep + block
    else:
        lines = rest.splitlines(keepends=True)
        new = "".join(lines[:where]) + block + "".join(lines[where:])
    if new == text:
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_text(path, new)
    return path, True


def shell_deinit(shell: str, *, path: Path | None = None) -> tuple[Path, bool]:
    """Remove the init block from the shell's rc file; returns (file, changed)."""
    path = path or rc_file(shell)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return path, False
    rest, where = _without_block(text)
    if where is None:
        return path, False
    _replace_text(path, rest)
    return path, True


# --------------------------------------------------------------------------------------------------
# naja run

_FORWARDED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
_STREAMS = ("stdin", "stdout", "stderr")


def parse_attach(text: str | None) -> tuple[str, ...]:
    """``-a stdin,stdout,stderr`` → the streams the child shares with naja (``""``: none)."""
    if text is None:
        return _STREAMS
    streams = tuple(s.strip() for s in text.split(",") if s.strip())
    for s in streams:
        if s not in _STREAMS:
            raise ActivationError(f"--attach: unknown stream '{s}' (use stdin, stdout, stderr or \"\")")
    return streams


def parse_env_assignments(items: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``--env VAR=VALUE`` (or ``--env VAR`` to pass the current value through)."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        _check_var_name(name)
        if sep:
            out[name] = value
        elif name in environ:
            out[name] = environ[name]
    return out


def _terminal_sent_sigint() -> bool:
    """Whether a SIGINT most likely came from the terminal (which delivers it to the child too)."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def run_in_env(prefix: str | os.PathLike[str], argv: Sequence[str], cwd: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None, *, clean_env: bool = False,
               attach: Sequence[str] = _STREAMS, settings: Settings | None = None) -> int:
    """Run ``argv`` with ``prefix`` activated and return its exit code (128+n when killed by signal n).

    The activation (activate.d scripts included) runs through a bash wrapper that then ``exec``s the
    command, as micromamba does, so the child is the command itself and receives the signals naja
    forwards (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2). ``env`` values win over the environment's.
    """
    import shutil
    import signal
    import subprocess

    if not argv:
        raise ActivationError("no command given to run")
    settings = settings or load_settings()
    if cwd is not None and not os.path.isdir(cwd):
        raise ActivationError(f"--cwd: no such directory: {cwd}")
    overrides = dict(env or {})
    base = {} if clean_env else dict(os.environ)
    base.pop("PS1", None)
    base.update(overrides)
    t = build_activate(base, prefix, settings)
    t.prompt = None
    final = t.apply(base)
    final.update(overrides)
    bash = shutil.which("bash", path=final.get("PATH")) or shutil.which("bash")
    command = list(argv)
    if (t.activate_scripts or t.deactivate_scripts) and bash and not settings.windows:
        script = render(t, "bash")
        script += "".join(f"\\export {k}={quote('bash', v)}\n" for k, v in overrides.items())
        script += 'exec "$@"\n'
        command = [bash, "-c", script, "naja-run", *argv]
        popen_env = dict(base)
    else:
        exe = shutil.which(argv[0], path=final.get("PATH", os.defpath))
        if exe is None:
            raise CommandNotFoundError(f"command not found: {argv[0]}")
        command = [exe, *argv[1:]]
        popen_env = final
    devnull = subprocess.DEVNULL
    streams = {s: (None if s in attach else devnull) for s in _STREAMS}

    pending: list[int] = []
    child: list[subprocess.Popen] = []

    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT and _terminal_sent_sigint():
            return
        if child:
            try:
                child[0].send_signal(signum)
            except ProcessLookupError:
                pass
        else:
            pending.append(signum)

    previous = {}
    for name in _FORWARDED_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, forward)
    try:
        try:
            proc = subprocess.Popen(command, cwd=cwd, env=popen_env, stdin=streams["stdin"],
                                    stdout=streams["stdout"], stderr=streams["stderr"])
        except FileNotFoundError:
            raise CommandNotFoundError(f"command not found: {argv[0]}") from None
        except PermissionError:
            raise CommandNotExecutableError(f"permission denied: {argv[0]}") from None
        child.append(proc)
        for signum in pending:
            proc.send_signal(signum)
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
