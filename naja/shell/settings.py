"""Settings activation needs, resolving ``-n``/``-p`` to a prefix, and a prefix's own variables
(``etc/conda/env_vars.d/*.json`` and ``conda-meta/state``, as ``env config vars`` edits them)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naja import safe_json
from naja.config.load import load_config
from naja.config.locations import expand_path
from naja.errors import ActivationError, ConfigError, PrefixError

#: the value conda writes into ``conda-meta/state`` for a variable that ``env config vars unset`` removed
UNSET_MARKER = "***unset***"
STATE_FILE = ("conda-meta", "state")
ENV_VARS_DIR = ("etc", "conda", "env_vars.d")
DEFAULT_ENV_PROMPT = "({default_env}) "


@dataclass(frozen=True)
class Settings:
    """What activation needs from the configuration."""

    root_prefix: Path
    envs_dirs: tuple[Path, ...] = ()
    changeps1: bool = True
    env_prompt: str = DEFAULT_ENV_PROMPT
    windows: bool = sys.platform == "win32"
    auto_activate_base: bool = False


def expand(path: str | os.PathLike[str]) -> Path:
    return Path(expand_path(os.fspath(path)))


def env_flag(names: Iterable[str]) -> bool | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip().lower() not in ("0", "false", "no", "off")
    return None


def load_settings(root_prefix: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from ``naja.config``; ``root_prefix`` (``-r``) outranks everything, as on
    micromamba's command line."""
    config = load_config(root_prefix=root_prefix) if root_prefix else load_config()
    root_path = expand(root_prefix or config.root_prefix)
    envs_dirs = [expand(d) for d in config.envs_dirs]
    if root_prefix:
        envs_dirs.append(root_path / "envs")
    env_prompt = config.env_prompt or os.environ.get("CONDA_ENV_PROMPT") or DEFAULT_ENV_PROMPT
    return Settings(root_prefix=root_path, envs_dirs=tuple(dict.fromkeys(envs_dirs)),
                    changeps1=bool(config.changeps1), env_prompt=env_prompt,
                    auto_activate_base=bool(config.auto_activate_base))


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
        path = expand(prefix)
        if not path.is_dir():
            raise PrefixError(f"environment not found: {path} does not exist")
        return path
    text = name if name is not None else name_or_prefix
    if text is None:
        active = environ.get("CONDA_PREFIX") if fallback_active else None
        text = active or "base"
        if active:
            return expand(active)
    if name is None and ("/" in text or os.sep in text or (os.altsep and os.altsep in text)):
        path = expand(text)
        if not path.is_dir():
            raise PrefixError(f"environment not found: {path} does not exist")
        return path
    if text in ("base", "root") and not settings.root_prefix.is_dir():
        raise PrefixError(f"the base environment (root prefix {settings.root_prefix}) does not exist")
    from naja.install.prefix import named_prefix

    found = named_prefix(text, settings.root_prefix, settings.envs_dirs)
    if found is not None:
        return found
    looked = ", ".join(str(d) for d in settings.envs_dirs) or str(settings.root_prefix / "envs")
    raise PrefixError(f"environment '{text}' does not exist (looked in {looked})")


def _state_path(prefix: str | os.PathLike[str]) -> Path:
    return Path(prefix).joinpath(*STATE_FILE)


def _read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object as parsed: its values are whatever the file holds (callers check ``env_vars``)."""
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


def check_var_name(name: str) -> None:
    if not name or not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c == "_" for c in name):
        raise ActivationError(f"invalid environment variable name: {name!r}")


def _write_state(prefix: Path, state: dict[str, object]) -> None:
    import json

    path = _state_path(prefix)
    if not path.parent.is_dir():
        raise PrefixError(f"{prefix} is not an environment (no conda-meta directory)")
    replace_text(path, json.dumps(state, ensure_ascii=False, indent=2) + "\n")


def replace_text(path: Path, text: str) -> None:
    """Write through a temporary file: a shell starting meanwhile reads the old or the new file."""
    from naja.fs import atomic_write

    atomic_write(path, text.encode("utf-8"))


def set_env_vars(prefix: str | os.PathLike[str], values: Mapping[str, str]) -> None:
    """Add or change variables in ``conda-meta/state`` (other keys of the file are kept)."""
    for name in values:
        check_var_name(name)
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


@dataclass(frozen=True)
class PrefixFiles:
    """What activation reads from a prefix: its variables and its ``activate.d``/``deactivate.d``
    scripts for one shell (deactivate.d in the order they run: reverse sorted)."""

    env_vars: Mapping[str, str] = field(default_factory=dict)
    activate_scripts: tuple[Path, ...] = ()
    deactivate_scripts: tuple[Path, ...] = ()


def _sorted_scripts(directory: Path, extension: str) -> tuple[Path, ...]:
    if not directory.is_dir():
        return ()
    return tuple(sorted((p for p in directory.iterdir() if p.name.endswith(extension) and p.is_file()),
                        key=lambda p: p.name))


def read_prefix_files(prefix: str | os.PathLike[str], extension: str) -> PrefixFiles:
    """The I/O edge of the transitions: read a prefix's variables and scripts."""
    conda = Path(prefix, "etc", "conda")
    return PrefixFiles(environment_env_vars(prefix), _sorted_scripts(conda / "activate.d", extension),
                       _sorted_scripts(conda / "deactivate.d", extension)[::-1])
