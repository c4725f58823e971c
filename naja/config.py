"""Configuration: ``.condarc``/``.mambarc`` files + ``CONDA_*``/``MAMBA_*`` variables → a typed ``Config``.

Precedence follows micromamba (highest first): CLI/API overrides > environment variables > rc files
(later files in the search path win) > defaults. Scalars take the highest-precedence value; lists
(``channels``, ``pkgs_dirs``, …) are concatenated from highest to lowest precedence without
duplicates; maps (``custom_channels``, ``proxy_servers``) are merged key by key, higher winning.
``Config.sources`` records where every value came from, for ``naja config list --sources``.

ruamel.yaml is only imported when a file is actually read or edited: startup time matters.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from naja.errors import ConfigError, KeyNotPresentError, first_line

if TYPE_CHECKING:
    from ruamel.yaml import YAML

    from naja.net.settings import NetworkSettings
    from naja.types.channel import ChannelConfig

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
_CONFIG_FILE_NAMES = (".condarc", "condarc", ".mambarc", "mambarc")
_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n", "<false>"}


# ---------------------------------------------------------------------------------- key schema


def _default_channels() -> list[str]:
    channels = ["https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"]
    if sys.platform == "win32":
        channels.append("https://repo.anaconda.com/pkgs/msys2")
    return channels


def _host_platform() -> str:
    from naja.types.platform import Platform

    return Platform.host().subdir


class KeyDescription(NamedTuple):
    """One row of ``naja config describe``."""

    name: str
    type: str
    default: Any
    description: str


class _Key:
    """Schema of one key. (No dataclasses in this module: importing them costs startup time.)"""

    __slots__ = ("choices", "default", "description", "env", "name", "type")

    def __init__(
        self,
        name: str,
        type: str,  # bool | int | float | str | path | platform | ssl | choice | list | paths | map | multimap
        default: Any,  # a value, or a zero-argument callable computing it
        description: str,
        choices: tuple[str, ...] = (),
        env: tuple[str, ...] = (),  # extra environment variable names (lowest precedence)
    ) -> None:
        self.name = name
        self.type = type
        self.default = default
        self.description = description
        self.choices = choices
        self.env = env

    @property
    def kind(self) -> str:
        if self.type in ("list", "paths"):
            return "list"
        if self.type in ("map", "multimap"):
            return "map"
        return "scalar"

    def default_value(self) -> Any:
        value = self.default() if callable(self.default) else self.default
        return list(value) if isinstance(value, list | tuple) else value

    def env_names(self) -> tuple[str, ...]:
        upper = self.name.upper()
        return (f"NAJA_{upper}", f"MAMBA_{upper}", f"CONDA_{upper}", *self.env)

    @property
    def type_name(self) -> str:
        return {
            "list": "list[str]",
            "paths": "list[path]",
            "map": "dict[str, str]",
            "multimap": "dict[str, list[str]]",
            "choice": " | ".join(self.choices),
            "ssl": "bool | path | truststore",
            "platform": "str (subdir)",
        }.get(self.type, self.type)


_KEYS: dict[str, _Key] = {
    k.name: k
    for k in (
        # channels
        _Key("channels", "list", [], "Channels to search, highest priority first (none by default)."),
        _Key("channel_alias", "str", DEFAULT_CHANNEL_ALIAS, "URL prefix that channel names are appended to."),
        _Key(
            "custom_channels", "map", {}, "Channel name -> location URL (the name is appended as conda does)."
        ),
        _Key("custom_multichannels", "multimap", {}, "Name -> list of channels it stands for."),
        _Key("mirrored_channels", "multimap", {}, "Channel -> mirror URLs, tried in order."),
        _Key("default_channels", "list", _default_channels, "The channels the 'defaults' name stands for."),
        _Key("override_channels_enabled", "bool", True, "Whether --override-channels is allowed."),
        _Key(
            "channel_priority",
            "choice",
            "flexible",
            "strict: only the highest-priority channel having a package; flexible: prefer it; disabled: ignore order.",
            choices=("strict", "flexible", "disabled"),
        ),
        # repodata
        _Key("repodata_use_zst", "bool", True, "Fetch repodata.json.zst when the channel has it."),
        _Key("use_sharded_repodata", "bool", True, "Use CEP-16 sharded repodata when the channel has it."),
        _Key(
            "local_repodata_ttl",
            "int",
            1,
            "Repodata cache lifetime: 0 always revalidate, 1 honour Cache-Control, N seconds.",
        ),
        _Key(
            "repodata_max_bytes",
            "int",
            2 << 30,
            "Largest repodata, shard index or shard accepted, in bytes as sent and as decompressed.",
        ),
        _Key("offline", "bool", False, "Use only cached repodata and packages; never touch the network."),
        _Key(
            "allow_non_channel_urls",
            "bool",
            False,
            "Allow installing packages from URLs outside the channels.",
        ),
        # directories
        _Key("pkgs_dirs", "paths", [], "Package cache directories (default: <root_prefix>/pkgs)."),
        _Key(
            "envs_dirs",
            "paths",
            [],
            "Directories holding named environments; <root_prefix>/envs is always added last.",
            env=("CONDA_ENVS_PATH",),
        ),
        # solver
        _Key("pinned_packages", "list", [], "Match specs every solve must respect."),
        _Key("add_pip_as_python_dependency", "bool", True, "Make python depend on pip."),
        _Key("allow_downgrade", "bool", False, "Allow updates to downgrade installed packages."),
        _Key("allow_uninstall", "bool", True, "Allow solves to remove installed packages."),
        _Key("no_py_pin", "bool", False, "Do not pin an installed python to its minor version."),
        # network
        _Key(
            "ssl_verify", "ssl", True,
            "Verify TLS certificates: true, false, a CA bundle file or directory, or <system>/truststore.",
        ),
        _Key("cacert_path", "str", "", "CA bundle that overrides ssl_verify (--cacert-path)."),
        _Key("client_ssl_cert", "str", "", "Client certificate (PEM) for TLS, optionally with its key."),
        _Key("client_ssl_cert_key", "str", "", "Private key of client_ssl_cert when it is a separate file."),
        _Key("proxy_servers", "map", {}, "Scheme (or scheme://host) -> proxy URL (before the *_proxy variables)."),
        _Key("remote_connect_timeout_secs", "float", 10.0, "Seconds to wait for a connection."),
        _Key("remote_read_timeout_secs", "float", 60.0, "Seconds to wait for data once connected."),
        _Key("remote_max_retries", "int", 3, "Retries of a failed download."),
        _Key("remote_backoff_factor", "float", 3.0, "Factor of the exponential back-off between retries."),
        _Key("download_threads", "int", 5, "Parallel downloads (0: automatic)."),
        _Key("extract_threads", "int", 0, "Parallel extractions (0: min(10, CPUs); negative: CPUs - n)."),
        # linking
        _Key("always_copy", "bool", False, "Copy files into environments instead of hard-linking."),
        _Key(
            "always_softlink", "bool", False, "Symlink files from the package cache instead of hard-linking."
        ),
        _Key("allow_softlinks", "bool", False, "Allow symlinks when hard links are impossible."),
        _Key("compile_pyc", "bool", True, "Compile .pyc files for noarch: python packages."),
        _Key(
            "safety_checks",
            "choice",
            "warn",
            "Verify extracted files against paths.json: disabled, warn or enabled.",
            choices=("disabled", "warn", "enabled"),
        ),
        _Key("extra_safety_checks", "bool", False, "Also verify file hashes (slower)."),
        _Key("lock_timeout", "int", 0, "Seconds to wait for a lock (0: wait forever)."),
        _Key("use_lockfiles", "bool", True, "Lock package caches and prefixes while changing them."),
        # platform and shell
        _Key(
            "platform",
            "platform",
            _host_platform,
            "Target platform (subdir); also CONDA_SUBDIR / MAMBA_PLATFORM.",
            env=("CONDA_SUBDIR", "MAMBA_PLATFORM"),
        ),
        _Key("show_channel_urls", "bool", False, "Show channel URLs instead of names in listings."),
        _Key("auto_activate_base", "bool", False, "Activate the base environment in new shells."),
        _Key("changeps1", "bool", True, "Prefix the shell prompt with the active environment."),
        _Key("env_prompt", "str", "({default_env}) ", "Prompt template: {prefix}, {name}, {default_env}."),
        _Key("always_yes", "bool", False, "Answer yes to every confirmation prompt."),
        # micromamba's output settings (rc-configurable there too; --json/-q on the command line win)
        _Key("json", "bool", False, "Report all output as JSON (implies always_yes)."),
        _Key("quiet", "bool", False, "Print less output (implies always_yes)."),
    )
}


def known_keys() -> tuple[str, ...]:
    return tuple(_KEYS)


def describe(key: str | None = None) -> list[KeyDescription]:
    """Every configuration key (or one) with its type, default and a one-line description."""
    keys = [_key(key)] if key is not None else list(_KEYS.values())
    return [KeyDescription(k.name, k.type_name, k.default_value(), k.description) for k in keys]


def _key(name: str) -> _Key:
    try:
        return _KEYS[name]
    except KeyError:
        raise ConfigError(f"unknown configuration key {name!r} (see 'naja config describe')") from None


# --------------------------------------------------------------------------------------- coercion


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def _coerce(key: _Key, value: Any, where: str) -> Any:
    """Validate and convert one value for ``key``; ``where`` names the file or variable."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: {key.name!r} must be {expected}, got {value!r}")

    if _holds_nul(value):  # no path, URL or name may hold one: the OS would refuse it much later
        raise bad("text without NUL bytes")
    t = key.type
    if t == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise bad("true or false")
    if t in ("int", "float"):
        if isinstance(value, bool):
            raise bad(f"a number ({t})")
        try:
            number = int(str(value).strip()) if t == "int" else float(str(value).strip())
        except ValueError:
            raise bad(f"a number ({t})") from None
        if t == "int" and isinstance(value, float) and not value.is_integer():
            raise bad("an integer")
        return number
    if t in ("str", "path"):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise bad("a string")
    if t == "choice":
        text = str(value).strip().lower() if not isinstance(value, bool) else value
        if key.name == "channel_priority" and text in (True, False, "true", "false"):
            # conda's legacy boolean form
            return "flexible" if text in (True, "true") else "disabled"
        if text in key.choices:
            return text
        raise bad("one of " + ", ".join(key.choices))
    if t == "platform":
        from naja.types.platform import Platform

        try:
            plat = Platform.parse(str(value), strict=False)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {key.name!r}: {exc}") from None
        if not plat.known:  # as micromamba, any platform is taken; unlike it, naja says so
            import logging

            logging.getLogger("naja.config").warning("%s: platform %r is not a known conda subdir",
                                                     where, plat.subdir)
        return plat.subdir
    if t == "ssl":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in _TRUE or text == "":
                return True
            if text.lower() in _FALSE:
                return False
            if text.lower() in ("<system>", "truststore", "system"):
                return "truststore"  # the operating system's store (micromamba's and conda's words)
            return expand_path(text)
        raise bad("true, false or a path")
    if t in ("list", "paths"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise bad("a list")
        items = []
        for item in value:
            if not isinstance(item, str | int | float) or isinstance(item, bool) or item == "":
                raise bad("a list of strings")
            items.append(expand_path(str(item)) if t == "paths" else str(item))
        return items
    if t == "map":
        if not isinstance(value, Mapping):
            raise bad("a mapping")
        out = {}
        for k, v in value.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise bad("a mapping of strings")
            out[str(k)] = str(v)
        return out
    if t == "multimap":
        if not isinstance(value, Mapping):
            raise bad("a mapping of lists")
        out = {}
        for k, v in value.items():
            v = [v] if isinstance(v, str) else v
            if not isinstance(v, list | tuple) or not all(isinstance(i, str) for i in v):
                raise bad("a mapping of lists of strings")
            out[str(k)] = [str(i) for i in v]
        return out
    raise AssertionError(f"unhandled key type {t}")


def expand_path(text: str) -> str:
    """``~`` and ``$VARS`` expanded, made absolute: how every configured path is read."""
    return os.path.abspath(os.path.expanduser(os.path.expandvars(text)))


# ---------------------------------------------------------------------------------------- reading


def _yaml_safe() -> YAML:
    from naja import safe_yaml

    return safe_yaml.loader()


def read_rc_file(path: str | os.PathLike[str]) -> dict[str, Any]:
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
    from ruamel.yaml import YAMLError

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


def _home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    home = env.get("HOME") or (env.get("USERPROFILE") if os.name == "nt" else None)
    return Path(home) if home else Path(os.path.expanduser("~"))


def system_rc_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """``/etc/conda`` and ``/var/lib/conda`` (``%PROGRAMDATA%\\conda`` on Windows)."""
    env = os.environ if env is None else env
    if os.name == "nt":
        return [Path(env.get("PROGRAMDATA", "C:/ProgramData")) / "conda"]
    return [Path("/etc/conda"), Path("/var/lib/conda")]


def rc_search_paths(
    env: Mapping[str, str] | None = None,
    root_prefix: str | os.PathLike[str] | None = None,
    target_prefix: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Candidate rc locations in micromamba's order, lowest precedence first (files and ``.d`` dirs)."""
    env = os.environ if env is None else env
    home = _home(env)
    out: list[Path] = []

    def conda_dir(base: Path, *, mamba: bool = True) -> None:
        out.extend([base / ".condarc", base / "condarc", base / "condarc.d"])
        if mamba:
            out.append(base / ".mambarc")

    for base in system_rc_dirs(env):
        conda_dir(base)
    if root_prefix:
        conda_dir(Path(root_prefix))
    xdg = env.get("XDG_CONFIG_HOME")
    config_homes = [Path(xdg)] if xdg else []
    config_homes.append(home / ".config")
    for base in config_homes:
        conda_dir(base / "conda", mamba=False)
    conda_dir(home / ".conda", mamba=False)
    out.append(home / ".condarc")
    if env.get("CONDA_PREFIX"):
        conda_dir(Path(env["CONDA_PREFIX"]), mamba=False)
    if env.get("CONDARC"):
        out.append(Path(os.path.expanduser(env["CONDARC"])))
    for base in config_homes:
        out.extend([base / "mamba" / ".mambarc", base / "mamba" / "mambarc", base / "mamba" / "mambarc.d"])
    out.extend([home / ".mamba" / ".mambarc", home / ".mamba" / "mambarc", home / ".mamba" / "mambarc.d"])
    out.append(home / ".mambarc")
    if env.get("MAMBARC"):
        out.append(Path(os.path.expanduser(env["MAMBARC"])))
    if target_prefix:
        conda_dir(Path(target_prefix))
    return out


def _expand_rc_locations(locations: Iterable[Path]) -> list[Path]:
    """Existing files only, ``*.d`` directories expanded (sorted), each file once."""
    files: list[Path] = []
    seen: set[str] = set()
    for location in locations:
        if location.is_dir():
            candidates = sorted(
                p
                for p in location.iterdir()
                if p.is_file() and (p.name in _CONFIG_FILE_NAMES or p.suffix in (".yml", ".yaml"))
            )
        elif location.is_file():
            candidates = [location]
        else:
            continue
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if real not in seen:
                seen.add(real)
                files.append(candidate)
    return files


# ----------------------------------------------------------------------------------------- Config


class Config:
    """The effective configuration (immutable). Paths are absolute; lists keep precedence order.

    Built by ``load_config``; ``replace(**changes)`` gives a modified copy.
    """

    _FIELDS = ("root_prefix", "target_prefix", *_KEYS, "rc_files", "sources", "unknown_keys")
    __slots__ = (*_FIELDS, "_channel_config", "_network")

    root_prefix: Path
    target_prefix: Path | None
    channels: tuple[str, ...]
    channel_alias: str
    custom_channels: dict[str, str]
    custom_multichannels: dict[str, list[str]]
    mirrored_channels: dict[str, list[str]]
    default_channels: tuple[str, ...]
    override_channels_enabled: bool
    channel_priority: str
    repodata_use_zst: bool
    use_sharded_repodata: bool
    local_repodata_ttl: int
    repodata_max_bytes: int
    offline: bool
    allow_non_channel_urls: bool
    pkgs_dirs: tuple[Path, ...]
    envs_dirs: tuple[Path, ...]
    pinned_packages: tuple[str, ...]
    add_pip_as_python_dependency: bool
    allow_downgrade: bool
    allow_uninstall: bool
    no_py_pin: bool
    ssl_verify: bool | str
    cacert_path: str
    client_ssl_cert: str
    client_ssl_cert_key: str
    proxy_servers: dict[str, str]
    remote_connect_timeout_secs: float
    remote_read_timeout_secs: float
    remote_max_retries: int
    remote_backoff_factor: float
    download_threads: int
    extract_threads: int
    always_copy: bool
    always_softlink: bool
    allow_softlinks: bool
    compile_pyc: bool
    safety_checks: str
    extra_safety_checks: bool
    lock_timeout: int
    use_lockfiles: bool
    platform: str
    show_channel_urls: bool
    auto_activate_base: bool
    changeps1: bool
    env_prompt: str
    always_yes: bool
    json: bool
    quiet: bool
    rc_files: tuple[Path, ...]
    """The rc files that were read, lowest precedence first."""
    sources: dict[str, tuple[str, ...]]
    """Key -> where its value came from: one entry for a scalar, one per item for a list, one per
    key for a map. Entries are a file path, ``env:NAME``, ``cli`` or ``default``."""
    unknown_keys: tuple[tuple[str, str], ...]
    """(key, file) pairs naja does not know; ignored, like conda does."""
    _channel_config: ChannelConfig | None
    _network: NetworkSettings | None

    def __init__(self, **values: Any) -> None:
        values.setdefault("rc_files", ())
        values.setdefault("sources", {})
        values.setdefault("unknown_keys", ())
        missing = [k for k in self._FIELDS if k not in values]
        extra = [k for k in values if k not in self._FIELDS]
        if missing or extra:
            raise TypeError(f"Config: missing {missing}, unexpected {extra}")
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_channel_config", None)
        object.__setattr__(self, "_network", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Config is immutable; use .replace(...)")

    def replace(self, **changes: Any) -> Config:
        return Config(**{**{k: getattr(self, k) for k in self._FIELDS}, **changes})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and all(getattr(self, k) == getattr(other, k) for k in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config(root_prefix={str(self.root_prefix)!r}, channels={list(self.channels)!r}, ...)"

    @property
    def repodata_cache_dir(self) -> Path:
        return self.pkgs_dirs[0] / "cache"

    @property
    def channel_config(self) -> ChannelConfig:
        """The ``naja.types.channel.ChannelConfig`` of these settings (built once: it caches parsed channels)."""
        if self._channel_config is None:
            from naja.types.channel import ChannelConfig

            object.__setattr__(
                self,
                "_channel_config",
                ChannelConfig(
                    channel_alias=self.channel_alias,
                    custom_channels=dict(self.custom_channels),
                    default_channels=tuple(self.default_channels),
                    custom_multichannels=self._multichannels(),
                ),
            )
        return self._channel_config

    @property
    def network(self) -> NetworkSettings:
        """The run's ``naja.net.settings.NetworkSettings`` (built once: it holds the connection pools
        and which mirrors failed)."""
        if self._network is None:
            from naja.net.settings import NetworkSettings

            object.__setattr__(self, "_network", NetworkSettings.from_config(self))
        return self._network

    def _multichannels(self) -> dict[str, tuple[str, ...]]:
        """``custom_multichannels`` plus conda's ``local``: the conda-bld directories that exist."""
        multi = {k: tuple(v) for k, v in self.custom_multichannels.items()}
        if "local" not in multi:
            local = [str(d) for d in (self.root_prefix / "conda-bld", _home() / "conda-bld") if d.is_dir()]
            if local:
                multi["local"] = tuple(dict.fromkeys(local))
        return multi

    def resolved_channels(self, extra: Sequence[str] = ()) -> list:
        """``extra`` then the configured channels as ``naja.types.channel.Channel`` objects, multichannels expanded."""
        from naja.types.channel import resolve_channels

        return resolve_channels([*extra, *self.channels], self.channel_config)

    def get(self, key: str) -> Any:
        """The plain (JSON-able) value of a configuration key; ``KeyError`` if unknown."""
        if key not in _KEYS and key not in ("root_prefix", "target_prefix"):
            raise KeyError(key)
        return _plain(getattr(self, key))

    def set_keys(self) -> list[str]:
        """Keys some rc file, environment variable or CLI option set."""
        return [k for k, src in self.sources.items() if src and any(s != "default" for s in src)]

    def to_dict(self) -> dict[str, Any]:
        return {k: self.get(k) for k in ("root_prefix", *_KEYS)}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def default_root_prefix(env: Mapping[str, str] | None = None) -> Path:
    """``NAJA_ROOT_PREFIX``, else ``MAMBA_ROOT_PREFIX``, else the user data dir (``~/.local/share/naja``)."""
    env = os.environ if env is None else env
    for var in ("NAJA_ROOT_PREFIX", "MAMBA_ROOT_PREFIX"):
        if env.get(var):
            return Path(expand_path(env[var]))
    if sys.platform.startswith("linux"):  # what platformdirs answers, without importing it
        data = env.get("XDG_DATA_HOME", "").strip() or os.path.join(_home(env), ".local", "share")
        return Path(expand_path(data)) / "naja"
    import platformdirs

    return Path(platformdirs.user_data_dir("naja", appauthor=False))


class _Layer:
    """The values one source sets; ``item_labels`` optionally names a source per list item."""

    __slots__ = ("item_labels", "label", "values")

    def __init__(self, label: str, values: dict[str, Any], item_labels: dict[str, list[str]] | None = None) -> None:
        self.label = label
        self.values = values
        self.item_labels = item_labels or {}


def _env_layer(env: Mapping[str, str]) -> _Layer:
    """Every ``NAJA_/MAMBA_/CONDA_<KEY>`` (and the special names) found in ``env``, coerced."""
    values: dict[str, Any] = {}
    labels: dict[str, list[str]] = {}
    envs_seen = [n for n in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH") if env.get(n)]
    if len(envs_seen) == 2:
        raise ConfigError("set only one of CONDA_ENVS_DIRS and CONDA_ENVS_PATH, not both")
    for key in _KEYS.values():
        for var in key.env_names():
            raw = env.get(var)
            if raw is None or not raw.strip():
                continue
            where = f"environment variable {var}"
            if key.kind == "list":
                sep = os.pathsep if var in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH", "MAMBA_ENVS_DIRS") else ","
                value = _coerce(key, [p.strip() for p in raw.split(sep) if p.strip()], where)
                items = values.setdefault(key.name, [])
                item_labels = labels.setdefault(key.name, [])
                for item in value:
                    if item not in items:
                        items.append(item)
                        item_labels.append(f"env:{var}")
                continue
            if key.kind == "map":
                value = _coerce(key, _parse_flow_mapping(raw, where), where)
            else:
                value = _coerce(key, raw, where)
            if key.name not in values:  # earlier env names take precedence
                values[key.name] = value
                labels[key.name] = [f"env:{var}"]
    return _Layer("env", values, labels)


def _parse_flow_mapping(raw: str, where: str) -> Any:
    from ruamel.yaml import YAMLError

    text = raw.strip()
    if not text.startswith("{"):
        text = "{" + text + "}"
    try:
        return _yaml_safe().load(text)
    except YAMLError:
        raise ConfigError(f"{where}: cannot parse {raw!r} as a mapping") from None


def expand_vars(value: Any, env: Mapping[str, str] | None = None) -> Any:
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
    values: dict[str, Any] = {}
    unknown: list[tuple[str, str]] = []
    for name, raw in data.items():
        key = _KEYS.get(name)
        if key is None:
            unknown.append((name, str(path)))
            continue
        if raw is None:
            continue  # "key:" with nothing after it: as if unset
        values[name] = _coerce(key, expand_vars(raw, env), f"config file {path}")
    return _Layer(str(path), values), unknown


def _overrides_layer(overrides: Mapping[str, Any]) -> _Layer:
    values = {}
    for name, raw in overrides.items():
        if name == "override_channels" or raw is None:
            continue
        values[name] = _coerce(_key(name), raw, "command line")
    return _Layer("cli", values)


def _merge(layers: Sequence[_Layer]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """Combine layers (lowest precedence first) per key kind; see the module docstring."""
    merged: dict[str, Any] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for key in _KEYS.values():
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
            items: list[Any] = []
            labels: list[str] = []
            for layer in reversed(present):
                layer_labels = _labels(layer, key.name, len(layer.values[key.name]))
                for item, label in zip(layer.values[key.name], layer_labels):
                    if item not in items:
                        items.append(item)
                        labels.append(label)
            merged[key.name] = items
            sources[key.name] = tuple(labels)
        else:
            mapping: dict[str, Any] = {}
            origin: dict[str, str] = {}
            for layer in present:
                label = _labels(layer, key.name, 1)[0]
                for k, v in layer.values[key.name].items():
                    mapping[k] = v
                    origin[k] = label
            merged[key.name] = mapping
            sources[key.name] = tuple(origin[k] for k in mapping)
    return merged, sources


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
    overrides: Mapping[str, Any] | None = None,
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
            files = _expand_rc_locations(rc_search_paths(env, root, target))
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
    if default_envs not in merged["envs_dirs"]:
        merged["envs_dirs"] = [*merged["envs_dirs"], default_envs]
        sources["envs_dirs"] = (*sources["envs_dirs"], "default")

    values = dict(merged)
    for name in ("channels", "default_channels", "pinned_packages"):
        values[name] = tuple(values[name])
    values["pkgs_dirs"] = tuple(Path(p) for p in merged["pkgs_dirs"])
    values["envs_dirs"] = tuple(Path(p) for p in merged["envs_dirs"])
    values["channel_alias"] = merged["channel_alias"].rstrip("/")
    return Config(
        root_prefix=root,
        target_prefix=target,
        rc_files=tuple(loaded),
        sources=sources,
        unknown_keys=tuple(unknown),
        **values,
    )


# ---------------------------------------------------------------------------------------- editing
# ``naja config set|append|prepend|remove|remove-key`` edit one file with ruamel's round-trip mode,
# so the user's comments, key order and other keys survive.


def user_rc_path() -> Path:
    """The file ``naja config set`` edits by default: ``~/.condarc`` (as micromamba)."""
    return _home() / ".condarc"


def _yaml_rt() -> YAML:
    from naja import safe_yaml

    yaml = safe_yaml.loader(round_trip=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _load_rt(path: Path) -> Any:
    from ruamel.yaml import YAMLError
    from ruamel.yaml.comments import CommentedMap

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


def _dump_rt(path: Path, data: Any) -> None:
    import io

    buffer = io.StringIO()
    _yaml_rt().dump(data, buffer)
    from naja.fs import atomic_write

    try:
        atomic_write(path, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from None


def _parse_cli_value(text: Any) -> Any:
    """A CLI string as YAML (``true``, ``5``, ``[a, b]``), falling back to the text itself."""
    if not isinstance(text, str):
        return text
    from ruamel.yaml import YAMLError

    try:
        value = _yaml_safe().load(text)
    except YAMLError:
        return text
    return text if value is None or (isinstance(value, dict) and not text.lstrip().startswith("{")) else value


def set_value(path: str | os.PathLike[str], key: str, value: Any) -> Any:
    """Set a scalar key (or one entry of a map key, ``proxy_servers.https``) in ``path``."""
    path = Path(path)
    name, _, sub = key.partition(".")
    spec = _key(name)
    where = f"config file {path}"
    data = _load_rt(path)
    if sub:
        if spec.kind != "map":
            raise ConfigError(f"{name!r} is not a mapping; cannot set {key!r}")
        item = _parse_cli_value(value)
        _coerce(spec, {sub: item}, where)
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
    coerced = _coerce(spec, parsed, "command line")
    data[name] = coerced if spec.kind == "scalar" else parsed
    _dump_rt(path, data)
    return coerced


def _list_in(data: Any, name: str, path: Path) -> list:
    from ruamel.yaml.comments import CommentedSeq

    current = data.get(name)
    if current is None:
        current = data[name] = CommentedSeq()
    elif isinstance(current, str):
        current = data[name] = CommentedSeq([current])
    elif not isinstance(current, list):
        raise ConfigError(f"config file {path}: {name!r} is not a list")
    return current


def _list_values(name: str, values: str | Iterable[str]) -> tuple[_Key, list[str]]:
    spec = _key(name)
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
    if name not in data or (sub and (not isinstance(data[name], dict) or sub not in data[name])):
        raise KeyNotPresentError(f"{key!r} is not set in {path}")
    if sub:
        del data[name][sub]
    else:
        del data[name]
    _dump_rt(path, data)


def remove(path: str | os.PathLike[str], key: str, value: str | Iterable[str] | None = None) -> Any:
    """``naja config remove``: remove ``value`` from a list key, or the whole key when None."""
    if value is None:
        remove_key(path, key)
        return None
    return remove_value(path, key, value)


ConfigEditor = Callable[..., Any]
set_key = set_value
append_key = append_value
prepend_key = prepend_value
