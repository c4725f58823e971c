"""Editing one rc file for ``naja config set|append|prepend|remove|remove-key``.

ruamel's round-trip mode keeps the user's comments, key order and other keys; every value is checked
against the schema before it is written. ruamel.yaml is imported only when a file is edited.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from naja.config.schema import KeySpec, coerce, key_spec
from naja.errors import ConfigError, KeyNotPresentError, first_line

if TYPE_CHECKING:
    from ruamel.yaml import YAML


def _yaml_rt() -> YAML:
    from naja import safe_yaml

    yaml = safe_yaml.loader(round_trip=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _load_rt(path: Path) -> dict[str, object]:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CommentedMap()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = _yaml_rt().load(text) if text.strip() else None
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML in config file {path}: {first_line(exc)}") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of keys to values")
    return data


def _dump_rt(path: Path, data: dict[str, object]) -> None:
    import io

    buffer = io.StringIO()
    _yaml_rt().dump(data, buffer)
    from naja.fs import atomic_write

    try:
        atomic_write(path, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from None


def _parse_cli_value(text: object) -> object:
    """A CLI string as YAML (``true``, ``5``, ``[a, b]``), falling back to the text itself."""
    if not isinstance(text, str):
        return text
    from ruamel.yaml.error import YAMLError

    from naja import safe_yaml

    try:
        value = safe_yaml.loader().load(text)
    except YAMLError:
        return text
    return text if value is None or (isinstance(value, dict) and not text.lstrip().startswith("{")) else value


def set_value(path: str | os.PathLike[str], key: str, value: object) -> object:
    """Set a scalar key (or one entry of a map key, ``proxy_servers.https``) in ``path``."""
    path = Path(path)
    name, _, sub = key.partition(".")
    spec = key_spec(name)
    where = f"config file {path}"
    data = _load_rt(path)
    if sub:
        if spec.kind != "map":
            raise ConfigError(f"{name!r} is not a mapping; cannot set {key!r}")
        item = _parse_cli_value(value)
        coerce(spec, {sub: item}, where)
        entry = data.get(name)
        if entry is None:
            from ruamel.yaml.comments import CommentedMap

            entry = data[name] = CommentedMap()
        elif not isinstance(entry, dict):
            raise ConfigError(f"{where}: {name!r} is not a mapping")
        entry[sub] = item if spec.type == "multimap" else str(item)
        _dump_rt(path, data)
        return entry[sub]
    if spec.kind == "list":
        raise ConfigError(f"{key!r} is a list: use 'naja config append/prepend/remove' instead")
    parsed = _parse_cli_value(value)
    coerced = coerce(spec, parsed, "command line")
    data[name] = coerced if spec.kind == "scalar" else parsed
    _dump_rt(path, data)
    return coerced


def _list_in(data: dict[str, object], name: str, path: Path) -> list[str]:
    from ruamel.yaml.comments import CommentedSeq

    current = data.get(name)
    if current is None:
        current = data[name] = CommentedSeq()
    elif isinstance(current, str):
        current = data[name] = CommentedSeq([current])
    elif not isinstance(current, list):
        raise ConfigError(f"config file {path}: {name!r} is not a list")
    seq: list[str] = current
    return seq


def _list_values(name: str, values: str | Iterable[str]) -> tuple[KeySpec, list[str]]:
    spec = key_spec(name)
    if spec.kind != "list":
        raise ConfigError(f"{name!r} is not a list: use 'naja config set' instead")
    items = [values] if isinstance(values, str) else list(values)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{name!r} entries must be non-empty strings, got {item!r}")
    return spec, items


def append_value(path: str | os.PathLike[str], key: str, values: str | Iterable[str]) -> list[str]:
    """Add values at the end of a list key (moving any that are already there)."""
    return _add_values(Path(path), key, values, prepend=False)


def prepend_value(path: str | os.PathLike[str], key: str, values: str | Iterable[str]) -> list[str]:
    """Add values at the front of a list key (highest priority), moving any already there."""
    return _add_values(Path(path), key, values, prepend=True)


def _add_values(path: Path, key: str, values: str | Iterable[str], *, prepend: bool) -> list[str]:
    _spec, items = _list_values(key, values)
    data = _load_rt(path)
    seq = _list_in(data, key, path)
    for item in items:
        while item in seq:
            seq.remove(item)
    if prepend:
        for offset, item in enumerate(items):
            seq.insert(offset, item)
    else:
        seq.extend(items)
    _dump_rt(path, data)
    return list(seq)


def remove_value(path: str | os.PathLike[str], key: str, values: str | Iterable[str]) -> list[str]:
    """Remove values from a list key; ``KeyNotPresentError`` if one is not there."""
    path = Path(path)
    _spec, items = _list_values(key, values)
    data = _load_rt(path)
    if key not in data:
        raise KeyNotPresentError(f"{key!r} is not set in {path}")
    seq = _list_in(data, key, path)
    for item in items:
        if item not in seq:
            raise KeyNotPresentError(f"{item!r} is not in {key!r} in {path}")
        seq.remove(item)
    _dump_rt(path, data)
    return list(seq)


def remove_key(path: str | os.PathLike[str], key: str) -> None:
    """Delete a key (or a map entry, ``custom_channels.name``) from ``path``."""
    path = Path(path)
    name, _, sub = key.partition(".")
    data = _load_rt(path)
    entry = data.get(name)
    if name not in data or (sub and (not isinstance(entry, dict) or sub not in entry)):
        raise KeyNotPresentError(f"{key!r} is not set in {path}")
    if sub and isinstance(entry, dict):
        del entry[sub]
    else:
        del data[name]
    _dump_rt(path, data)


def remove(path: str | os.PathLike[str], key: str, value: str | Iterable[str] | None = None) -> list[str] | None:
    """``naja config remove``: remove ``value`` from a list key, or the whole key when None."""
    if value is None:
        remove_key(path, key)
        return None
    return remove_value(path, key, value)


ConfigEditor = Callable[..., object]
set_key = set_value
append_key = append_value
prepend_key = prepend_value
