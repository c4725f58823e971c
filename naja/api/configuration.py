"""``config list|sources|get|set|append|prepend|remove|remove-key|describe``.

Reading goes through ``naja.config.load.load_config`` (every source merged); writing goes through
``naja.config.edit``, which keeps the user's comments and key order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from naja.api.context import Context
from naja.api.options import Options
from naja.config.locations import expand_path
from naja.errors import ConfigError

if TYPE_CHECKING:
    from naja.config.schema import Config, KeyDescription, PlainValue


def rc_target(options: Options, *, env: bool = False, system: bool = False, file: str | None = None) -> Path:
    """The file ``config set`` & co. edit: ``--file``, ``--env`` (the target prefix's .condarc),
    ``--system`` or ``~/.condarc``."""
    if file:
        return Path(expand_path(file))
    if system:
        return Path("C:/ProgramData/conda/.condarc") if os.name == "nt" else Path("/etc/conda/.condarc")
    if env:
        context = Context.from_options(options)
        return context.target_prefix(must_exist=True) / ".condarc"
    from naja.config.locations import user_rc_path

    return Path(user_rc_path())


def config_set(key: str, value: str, target: Path) -> object:
    from naja.config.edit import set_value

    return set_value(target, key, value)


def config_append(key: str, values: list[str], target: Path, *, prepend: bool = False) -> list[str]:
    from naja.config import edit

    editor = edit.prepend_value if prepend else edit.append_value
    return editor(target, key, values)


def config_remove(key: str, values: list[str], target: Path) -> list[str]:
    from naja.config.edit import remove_value

    return remove_value(target, key, values)


def config_remove_key(key: str, target: Path) -> None:
    from naja.config.edit import remove_key

    remove_key(target, key)


def _value(config: Config, key: str) -> PlainValue:
    try:
        return _redacted(config.get(key))
    except KeyError:
        raise ConfigError(f"unknown configuration key '{key}' (see 'naja config describe')") from None


def _redacted(value: PlainValue) -> PlainValue:
    """Values as shown to a user: tokens and passwords in URLs never leave naja (as conda does)."""
    from naja.types.url import redact_url

    if isinstance(value, str):
        return redact_url(value) if "://" in value or "/t/" in value else value
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def config_get(key: str, options: Options | None = None) -> PlainValue:
    context = Context.from_options(options or Options())
    return _value(context.config, key)


def config_sources(options: Options | None = None) -> list[str]:
    """The rc files that were read, lowest precedence first."""
    context = Context.from_options(options or Options())
    return [str(p) for p in context.config.rc_files]


def config_list(options: Options | None = None, keys: list[str] | None = None, *,
                all_keys: bool = False) -> dict[str, PlainValue]:
    """The effective values of ``keys`` (default: those some rc file, environment variable or CLI
    option set; every known key with ``all_keys``)."""
    context = Context.from_options(options or Options())
    if keys:
        wanted = list(keys)
    elif all_keys:
        from naja.config.schema import known_keys

        wanted = list(known_keys())
    else:
        wanted = context.config.set_keys()
    return {key: _value(context.config, key) for key in wanted}


def config_value_sources(options: Options | None = None) -> dict[str, tuple[str, ...]]:
    """Key -> where each value came from (a file, ``env:NAME``, ``cli`` or ``default``)."""
    context = Context.from_options(options or Options())
    return dict(context.config.sources)


def config_describe(keys: list[str] | None = None) -> list[KeyDescription]:
    """``KeyDescription`` rows (name, type, default, description) for ``keys`` or every key."""
    from naja.config.schema import describe

    if not keys:
        return list(describe())
    out = []
    for key in keys:
        out += describe(key)
    return out


def config_file_values(target: Path) -> dict[str, object]:
    """The keys as written in one rc file (``config get --file``); a missing file is an error, as
    micromamba's "RC file does not exist"."""
    from naja.config.load import read_rc_file
    from naja.errors import ConfigError

    if not target.is_file():
        raise ConfigError(f"RC file does not exist at {target}")
    return read_rc_file(target)
