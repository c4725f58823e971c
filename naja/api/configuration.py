"""``config list|sources|get|set|append|prepend|remove|remove-key|describe``.

Reading goes through ``naja.config`` (every source merged); writing edits one rc file with
ruamel.yaml's round-trip mode, so comments and key order in the user's file survive.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from naja.api.context import Context, _expand, require
from naja.api.options import Options
from naja.errors import ConfigError


def rc_target(options: Options, *, env: bool = False, system: bool = False, file: str | None = None) -> Path:
    """The file ``config set`` & co. edit: ``--file``, ``--env`` (the target prefix's .condarc),
    ``--system`` or ``~/.condarc``."""
    if file:
        return _expand(file)
    if system:
        return Path("C:/ProgramData/conda/.condarc") if os.name == "nt" else Path("/etc/conda/.condarc")
    if env:
        context = Context.from_options(options)
        return context.target_prefix(must_exist=True) / ".condarc"
    return Path(os.path.expanduser("~")) / ".condarc"


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML()
    y.indent(mapping=2, sequence=2, offset=0)
    return y


def _read_rc(path: Path) -> Any:
    from ruamel.yaml import YAMLError
    from ruamel.yaml.comments import CommentedMap

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CommentedMap()
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError(f"cannot parse {path}: {str(exc).strip().splitlines()[0]}") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a mapping of configuration keys")
    return data


def _write_rc(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    _yaml().dump(data, buf)
    tmp = path.with_name(path.name + ".naja-tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def parse_value(text: str) -> Any:
    """A CLI value as YAML: ``true`` → True, ``5`` → 5, ``[a, b]`` → list, anything else a string."""
    from ruamel.yaml import YAML, YAMLError

    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return text
    return text if value is None else value


def _describe_table() -> dict[str, Any]:
    """Engineer B's table of known keys: key → description (or an object with one)."""
    config_mod = require("naja.config")
    for attr in ("describe_table", "DESCRIBE", "CONFIG_KEYS", "KEYS", "describe"):
        table = getattr(config_mod, attr, None)
        if table is None:
            continue
        if callable(table):
            try:
                table = table()
            except TypeError:
                continue
        if isinstance(table, dict):
            return table
        if isinstance(table, (list, tuple)):
            out = {}
            for item in table:
                key = getattr(item, "key", None) or getattr(item, "name", None)
                if key is None and isinstance(item, (list, tuple)):
                    key = item[0]
                if key:
                    out[str(key)] = item
            if out:
                return out
    return {}


def _describe_text(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, (list, tuple)):
        return str(entry[-1]) if len(entry) > 1 else ""
    if isinstance(entry, dict):
        return str(entry.get("description", entry.get("help", "")))
    for attr in ("description", "help", "doc"):
        value = getattr(entry, attr, None)
        if value:
            return str(value)
    return ""


def _check_key(key: str) -> None:
    table = _describe_table()
    if table and key not in table:
        raise ConfigError(f"unknown configuration key '{key}' (see 'naja config describe')")


def config_set(key: str, value: str, target: Path) -> Any:
    _check_key(key)
    data = _read_rc(target)
    data[key] = parse_value(value)
    _write_rc(target, data)
    return data[key]


def _sequence(data: Any, key: str, target: Path) -> list[Any]:
    current = data.get(key)
    if current is None:
        data[key] = []
        return data[key]
    if not isinstance(current, list):
        raise ConfigError(f"'{key}' in {target} is not a list")
    return current


def config_append(key: str, values: list[str], target: Path, *, prepend: bool = False) -> list[Any]:
    _check_key(key)
    data = _read_rc(target)
    seq = _sequence(data, key, target)
    for value in values:
        v = parse_value(value)
        if v in seq:
            seq.remove(v)
        if prepend:
            seq.insert(0, v)
        else:
            seq.append(v)
    _write_rc(target, data)
    return list(seq)


def config_remove(key: str, values: list[str], target: Path) -> list[Any]:
    data = _read_rc(target)
    if key not in data:
        raise ConfigError(f"'{key}' is not set in {target}")
    seq = _sequence(data, key, target)
    for value in values:
        v = parse_value(value)
        if v not in seq:
            raise ConfigError(f"'{value}' is not in '{key}' in {target}")
        seq.remove(v)
    _write_rc(target, data)
    return list(seq)


def config_remove_key(key: str, target: Path) -> None:
    data = _read_rc(target)
    if key not in data:
        raise ConfigError(f"'{key}' is not set in {target}")
    del data[key]
    _write_rc(target, data)


def _config_value(config: Any, key: str) -> Any:
    for getter in ("get", "value"):
        fn = getattr(config, getter, None)
        if callable(fn):
            try:
                return fn(key)
            except (KeyError, AttributeError, TypeError):
                break
    if hasattr(config, key):
        value = getattr(config, key)
        return _plain(value)
    raise ConfigError(f"unknown configuration key '{key}' (see 'naja config describe')")


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    for attr in ("to_dict", "_asdict"):
        fn = getattr(value, attr, None)
        if callable(fn):
            return _plain(fn())
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return str(value)


def config_get(key: str, options: Options | None = None) -> Any:
    context = Context.from_options(options or Options())
    return _config_value(context.config, key)


def config_sources(options: Options | None = None) -> list[str]:
    context = Context.from_options(options or Options())
    for attr in ("sources", "rc_files", "loaded_files"):
        value = getattr(context.config, attr, None)
        if value is not None:
            return [str(getattr(v, "path", v)) for v in value]
    return []


def config_list(options: Options | None = None, keys: list[str] | None = None, *,
                all_keys: bool = False) -> dict[str, Any]:
    """The effective values of ``keys`` (default: those set by some rc file or env var, or every
    known key with ``all_keys``)."""
    context = Context.from_options(options or Options())
    table = _describe_table()
    if keys:
        wanted = list(keys)
    elif all_keys and table:
        wanted = list(table)
    else:
        wanted = _set_keys(context) or list(table)
    out: dict[str, Any] = {}
    for key in wanted:
        try:
            out[key] = _config_value(context.config, key)
        except ConfigError:
            if keys:
                raise
    return out


def _set_keys(context: Context) -> list[str]:
    """Keys some rc file or environment variable sets."""
    for attr in ("set_keys", "explicit_keys", "origins", "value_sources"):
        value = getattr(context.config, attr, None)
        if callable(value):
            value = value()
        if value:
            return list(value)
    keys: list[str] = []
    for src in config_sources(context.options):
        try:
            data = _read_rc(Path(src))
        except ConfigError:
            continue
        for k in data:
            if k not in keys:
                keys.append(str(k))
    return keys


def config_describe(keys: list[str] | None = None) -> dict[str, str]:
    table = _describe_table()
    if not table:
        raise ConfigError("no configuration key descriptions are available")
    wanted = keys or list(table)
    out: dict[str, str] = {}
    for key in wanted:
        if key not in table:
            raise ConfigError(f"unknown configuration key '{key}'")
        out[key] = _describe_text(table[key])
    return out
