"""Reading the configuration: rc files + ``CONDA_*``/``MAMBA_*`` variables + CLI overrides → a ``Config``.

Precedence follows micromamba (highest first): CLI/API overrides > environment variables > rc files
(later files in the search path win) > defaults. Scalars take the highest-precedence value; lists
(``channels``, ``pkgs_dirs``, …) are concatenated from highest to lowest precedence without
duplicates; maps (``custom_channels``, ``proxy_servers``) are merged key by key, higher winning.
``Config.sources`` records where every value came from, for ``naja config list --sources``.

ruamel.yaml is only imported when a file is actually read: startup time matters.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from naja.config.locations import default_root_prefix, expand_path, expand_rc_locations, rc_search_paths
from naja.config.schema import KEYS, Config, ConfigValue, coerce, coerce_list, key_spec
from naja.errors import ConfigError, first_line

if TYPE_CHECKING:
    from ruamel.yaml import YAML


def _yaml_safe() -> YAML:
    from naja import safe_yaml

    return safe_yaml.loader()


def read_rc_file(path: str | os.PathLike[str]) -> dict[str, object]:
    """The mapping in one rc file ({} when empty). Unreadable or invalid → ``ConfigError`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    if not text.strip():
        return {}
    from ruamel.yaml.error import YAMLError

    try:
        data = _yaml_safe().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or first_line(exc)
        raise ConfigError(f"invalid YAML in config file {path}{line}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} must be a mapping of keys to values, not {type(data).__name__}"
        )
    return {str(k): v for k, v in data.items()}


class _Layer:
    """The values one source sets; ``item_labels`` optionally names a source per list item."""

    __slots__ = ("item_labels", "label", "values")

    def __init__(self, label: str, values: dict[str, ConfigValue], item_labels: dict[str, list[str]] | None = None) -> None:
        self.label = label
        self.values = values
        self.item_labels = item_labels or {}


def _env_layer(env: Mapping[str, str]) -> _Layer:
    """Every ``NAJA_/MAMBA_/CONDA_<KEY>`` (and the special names) found in ``env``, coerced."""
    values: dict[str, ConfigValue] = {}
    lists: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}
    envs_seen = [n for n in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH") if env.get(n)]
    if len(envs_seen) == 2:
        raise ConfigError("set only one of CONDA_ENVS_DIRS and CONDA_ENVS_PATH, not both")
    for key in KEYS.values():
        for var in key.env_names():
            raw = env.get(var)
            if raw is None or not raw.strip():
                continue
            where = f"environment variable {var}"
            if key.kind == "list":
                sep = os.pathsep if var in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH", "MAMBA_ENVS_DIRS") else ","
                found = coerce_list(key, [p.strip() for p in raw.split(sep) if p.strip()], where)
                items = lists.setdefault(key.name, [])
                values[key.name] = items
                item_labels = labels.setdefault(key.name, [])
                for item in found:
                    if item not in items:
                        items.append(item)
                        item_labels.append(f"env:{var}")
                continue
            if key.kind == "map":
                value = coerce(key, _parse_flow_mapping(raw, where), where)
            else:
                value = coerce(key, raw, where)
            if key.name not in values:  # earlier env names take precedence
                values[key.name] = value
                labels[key.name] = [f"env:{var}"]
    return _Layer("env", values, labels)


def _parse_flow_mapping(raw: str, where: str) -> object:
    from ruamel.yaml.error import YAMLError

    text = raw.strip()
    if not text.startswith("{"):
        text = "{" + text + "}"
    try:
        return _yaml_safe().load(text)
    except YAMLError:
        raise ConfigError(f"{where}: cannot parse {raw!r} as a mapping") from None


def expand_vars(value: object, env: Mapping[str, str] | None = None) -> object:
    """``$VAR`` and ``${VAR}`` replaced in every string of an rc value (lists and mappings too),
    before it is parsed as its type, as micromamba does; unset variables stay as written."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        if env is None:
            return os.path.expandvars(value)
        import re

        return re.sub(r"\$(\w+|\{([^}]*)\})",
                      lambda m: env.get(m.group(2) if m.group(2) is not None else m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [expand_vars(v, env) for v in value]
    if isinstance(value, dict):
        return {k: expand_vars(v, env) for k, v in value.items()}
    return value


_WARNED_UNKNOWN: set[tuple[str, str]] = set()


def _warn_unknown(unknown: Iterable[tuple[str, str]]) -> None:
    """Each unknown key of each rc file is warned about once per process (not silently ignored)."""
    import logging

    for name, path in unknown:
        if (name, path) not in _WARNED_UNKNOWN:
            _WARNED_UNKNOWN.add((name, path))
            logging.getLogger("naja.config").warning("unknown configuration key %r in %s (ignored)", name, path)


def _file_layer(path: Path, env: Mapping[str, str] | None = None) -> tuple[_Layer, list[tuple[str, str]]]:
    data = read_rc_file(path)
    values: dict[str, ConfigValue] = {}
    unknown: list[tuple[str, str]] = []
    for name, raw in data.items():
        key = KEYS.get(name)
        if key is None:
            unknown.append((name, str(path)))
            continue
        if raw is None:
            continue  # "key:" with nothing after it: as if unset
        values[name] = coerce(key, expand_vars(raw, env), f"config file {path}")
    return _Layer(str(path), values), unknown


def _overrides_layer(overrides: Mapping[str, object]) -> _Layer:
    values: dict[str, ConfigValue] = {}
    for name, raw in overrides.items():
        if name == "override_channels" or raw is None:
            continue
        values[name] = coerce(key_spec(name), raw, "command line")
    return _Layer("cli", values)


def _merge(layers: Sequence[_Layer]) -> tuple[dict[str, ConfigValue], dict[str, tuple[str, ...]]]:
    """Combine layers (lowest precedence first) per key kind; see the module docstring."""
    merged: dict[str, ConfigValue] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for key in KEYS.values():
        present = [layer for layer in layers if key.name in layer.values]
        if not present:
            value = key.default_value()
            merged[key.name] = value
            count = len(value) if isinstance(value, list | dict) else 1
            sources[key.name] = ("default",) * count
            continue
        if key.kind == "scalar":
            top = present[-1]
            merged[key.name] = top.values[key.name]
            sources[key.name] = (_labels(top, key.name, 1)[0],)
        elif key.kind == "list":
            items: list[str] = []
            labels: list[str] = []
            for layer in reversed(present):
                layer_items = _list_value(layer.values, key.name)
                layer_labels = _labels(layer, key.name, len(layer_items))
                for item, label in zip(layer_items, layer_labels):
                    if item not in items:
                        items.append(item)
                        labels.append(label)
            merged[key.name] = items
            sources[key.name] = tuple(labels)
        else:
            mapping: dict[str, str | list[str]] = {}
            origin: dict[str, str] = {}
            for layer in present:
                label = _labels(layer, key.name, 1)[0]
                for k, v in _map_value(layer.values, key.name).items():
                    mapping[k] = v
                    origin[k] = label
            merged[key.name] = mapping
            sources[key.name] = tuple(origin[k] for k in mapping)
    return merged, sources


def _list_value(values: Mapping[str, ConfigValue], key: str) -> list[str]:
    """A list key's value (``coerce`` made it a list)."""
    value = values[key]
    if not isinstance(value, list):
        raise AssertionError(f"{key!r} is not a list")
    return value


def _map_value(values: Mapping[str, ConfigValue], key: str) -> dict[str, str | list[str]]:
    """A map key's value (``coerce`` made it a mapping)."""
    value = values[key]
    if not isinstance(value, dict):
        raise AssertionError(f"{key!r} is not a mapping")
    return value


def _labels(layer: _Layer, key: str, count: int) -> list[str]:
    if key in layer.item_labels:
        return layer.item_labels[key]
    return [layer.label] * count


def load_config(
    *,
    rc_files: Sequence[str | os.PathLike[str]] | None = None,
    no_rc: bool = False,
    no_env: bool = False,
    env: Mapping[str, str] | None = None,
    target_prefix: str | os.PathLike[str] | None = None,
    root_prefix: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Read every configuration source and merge them.

    ``rc_files`` replaces the search path (``--rc-file``); ``no_rc`` reads no file and ``no_env`` no
    ``CONDA_*``/``MAMBA_*`` variable. ``overrides`` (CLI values) win over everything; with
    ``overrides["override_channels"]`` true, only ``overrides["channels"]`` are used as channels.
    """
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    root = Path(expand_path(os.fspath(root_prefix))) if root_prefix else default_root_prefix(env)
    target = Path(expand_path(os.fspath(target_prefix))) if target_prefix else None

    layers: list[_Layer] = []
    unknown: list[tuple[str, str]] = []
    loaded: list[Path] = []
    if not no_rc:
        if rc_files is not None:
            files = []
            for f in rc_files:
                path = Path(expand_path(os.fspath(f)))
                if not path.is_file():
                    raise ConfigError(f"config file {path} does not exist")
                files.append(path)
        else:
            files = expand_rc_locations(rc_search_paths(env, root, target))
        for path in files:
            layer, layer_unknown = _file_layer(path, env)
            layers.append(layer)
            unknown.extend(layer_unknown)
            loaded.append(path)
        _warn_unknown(unknown)
    if not no_env:
        layers.append(_env_layer(env))
    layers.append(_overrides_layer(overrides))

    if overrides.get("override_channels"):
        if not _merge(layers)[0]["override_channels_enabled"]:
            raise ConfigError("--override-channels is disabled by override_channels_enabled: false")
        for layer in layers[:-1]:
            layer.values.pop("channels", None)
        layers[-1].values.setdefault("channels", [])

    merged, sources = _merge(layers)
    if not merged["pkgs_dirs"]:
        merged["pkgs_dirs"] = [str(root / "pkgs")]
        sources["pkgs_dirs"] = ("default",)
    default_envs = str(root / "envs")
    if default_envs not in _list_value(merged, "envs_dirs"):
        merged["envs_dirs"] = [*_list_value(merged, "envs_dirs"), default_envs]
        sources["envs_dirs"] = (*sources["envs_dirs"], "default")

    values: dict[str, object] = dict(merged)
    for name in ("channels", "default_channels", "pinned_packages"):
        values[name] = tuple(_list_value(merged, name))
    values["pkgs_dirs"] = tuple(Path(p) for p in _list_value(merged, "pkgs_dirs"))
    values["envs_dirs"] = tuple(Path(p) for p in _list_value(merged, "envs_dirs"))
    values["channel_alias"] = str(merged["channel_alias"]).rstrip("/")
    return Config(
        root_prefix=root,
        target_prefix=target,
        rc_files=tuple(loaded),
        sources=sources,
        unknown_keys=tuple(unknown),
        **values,
    )

