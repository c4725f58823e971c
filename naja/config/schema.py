"""The configuration schema: every key naja reads, its type, default and description
(``naja config describe``), how a raw value becomes a typed one, and the typed ``Config`` itself.

Values arrive as YAML from rc files, as text from environment variables and the command line;
``coerce`` turns each into the key's type, or raises ``ConfigError`` naming where it came from.
No dataclasses and nothing heavy is imported here: every command reads its configuration first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from naja.config.locations import expand_path, home_dir
from naja.errors import ConfigError

if TYPE_CHECKING:
    from naja.net.settings import NetworkSettings
    from naja.types.channel import Channel, ChannelConfig

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
# A value coerced to its key's type (``KeySpec.type``): what ``coerce`` returns and ``Config`` holds
# before ``load_config`` turns lists into tuples and paths into ``Path``.
ConfigValue: TypeAlias = "bool | int | float | str | list[str] | dict[str, str | list[str]]"
# A value as ``Config.get`` shows it (JSON-able: paths as text, tuples as lists; None when unset).
PlainValue: TypeAlias = "str | int | float | bool | list[PlainValue] | dict[str, PlainValue] | None"
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
    default: ConfigValue
    description: str


class KeySpec:
    """Schema of one key. (No dataclasses in this module: importing them costs startup time.)"""

    __slots__ = ("choices", "default", "description", "env", "name", "type")

    def __init__(
        self,
        name: str,
        type: str,  # bool | int | float | str | path | platform | ssl | choice | list | paths | map | multimap
        default: ConfigValue | Callable[[], ConfigValue],  # a value, or a zero-argument callable computing it
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

    def default_value(self) -> ConfigValue:
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


KEYS: dict[str, KeySpec] = {
    k.name: k
    for k in (
        # channels
        KeySpec("channels", "list", [], "Channels to search, highest priority first (none by default)."),
        KeySpec("channel_alias", "str", DEFAULT_CHANNEL_ALIAS, "URL prefix that channel names are appended to."),
        KeySpec(
            "custom_channels", "map", {}, "Channel name -> location URL (the name is appended as conda does)."
        ),
        KeySpec("custom_multichannels", "multimap", {}, "Name -> list of channels it stands for."),
        KeySpec("mirrored_channels", "multimap", {}, "Channel -> mirror URLs, tried in order."),
        KeySpec("default_channels", "list", _default_channels, "The channels the 'defaults' name stands for."),
        KeySpec("override_channels_enabled", "bool", True, "Whether --override-channels is allowed."),
        KeySpec(
            "channel_priority",
            "choice",
            "flexible",
            "strict: only the highest-priority channel having a package; flexible: prefer it; disabled: ignore order.",
            choices=("strict", "flexible", "disabled"),
        ),
        # repodata
        KeySpec("repodata_use_zst", "bool", True, "Fetch repodata.json.zst when the channel has it."),
        KeySpec("use_sharded_repodata", "bool", True, "Use CEP-16 sharded repodata when the channel has it."),
        KeySpec(
            "local_repodata_ttl",
            "int",
            1,
            "Repodata cache lifetime: 0 always revalidate, 1 honour Cache-Control, N seconds.",
        ),
        KeySpec(
            "repodata_max_bytes",
            "int",
            2 << 30,
            "Largest repodata, shard index or shard accepted, in bytes as sent and as decompressed.",
        ),
        KeySpec("offline", "bool", False, "Use only cached repodata and packages; never touch the network."),
        KeySpec(
            "allow_non_channel_urls",
            "bool",
            False,
            "Allow installing packages from URLs outside the channels.",
        ),
        # directories
        KeySpec("pkgs_dirs", "paths", [], "Package cache directories (default: <root_prefix>/pkgs)."),
        KeySpec(
            "envs_dirs",
            "paths",
            [],
            "Directories holding named environments; <root_prefix>/envs is always added last.",
            env=("CONDA_ENVS_PATH",),
        ),
        # solver
        KeySpec("pinned_packages", "list", [], "Match specs every solve must respect."),
        KeySpec("add_pip_as_python_dependency", "bool", True, "Make python depend on pip."),
        KeySpec("allow_downgrade", "bool", False, "Allow updates to downgrade installed packages."),
        KeySpec("allow_uninstall", "bool", True, "Allow solves to remove installed packages."),
        KeySpec("no_py_pin", "bool", False, "Do not pin an installed python to its minor version."),
        # network
        KeySpec(
            "ssl_verify", "ssl", True,
            "Verify TLS certificates: true, false, a CA bundle file or directory, or <system>/truststore.",
        ),
        KeySpec("cacert_path", "str", "", "CA bundle that overrides ssl_verify (--cacert-path)."),
        KeySpec("client_ssl_cert", "str", "", "Client certificate (PEM) for TLS, optionally with its key."),
        KeySpec("client_ssl_cert_key", "str", "", "Private key of client_ssl_cert when it is a separate file."),
        KeySpec("proxy_servers", "map", {}, "Scheme (or scheme://host) -> proxy URL (before the *_proxy variables)."),
        KeySpec("remote_connect_timeout_secs", "float", 10.0, "Seconds to wait for a connection."),
        KeySpec("remote_read_timeout_secs", "float", 60.0, "Seconds to wait for data once connected."),
        KeySpec("remote_max_retries", "int", 3, "Retries of a failed download."),
        KeySpec("remote_backoff_factor", "float", 3.0, "Factor of the exponential back-off between retries."),
        KeySpec("download_threads", "int", 5, "Parallel downloads (0: automatic)."),
        KeySpec("extract_threads", "int", 0, "Parallel extractions (0: min(10, CPUs); negative: CPUs - n)."),
        # linking
        KeySpec("always_copy", "bool", False, "Copy files into environments instead of hard-linking."),
        KeySpec(
            "always_softlink", "bool", False, "Symlink files from the package cache instead of hard-linking."
        ),
        KeySpec("allow_softlinks", "bool", False, "Allow symlinks when hard links are impossible."),
        KeySpec("compile_pyc", "bool", True, "Compile .pyc files for noarch: python packages."),
        KeySpec(
            "safety_checks",
            "choice",
            "warn",
            "Verify extracted files against paths.json: disabled, warn or enabled.",
            choices=("disabled", "warn", "enabled"),
        ),
        KeySpec("extra_safety_checks", "bool", False, "Also verify file hashes (slower)."),
        KeySpec("lock_timeout", "int", 0, "Seconds to wait for a lock (0: wait forever)."),
        KeySpec("use_lockfiles", "bool", True, "Lock package caches and prefixes while changing them."),
        # platform and shell
        KeySpec(
            "platform",
            "platform",
            _host_platform,
            "Target platform (subdir); also CONDA_SUBDIR / MAMBA_PLATFORM.",
            env=("CONDA_SUBDIR", "MAMBA_PLATFORM"),
        ),
        KeySpec("show_channel_urls", "bool", False, "Show channel URLs instead of names in listings."),
        KeySpec("auto_activate_base", "bool", False, "Activate the base environment in new shells."),
        KeySpec("changeps1", "bool", True, "Prefix the shell prompt with the active environment."),
        KeySpec("env_prompt", "str", "({default_env}) ", "Prompt template: {prefix}, {name}, {default_env}."),
        KeySpec("always_yes", "bool", False, "Answer yes to every confirmation prompt."),
        # micromamba's output settings (rc-configurable there too; --json/-q on the command line win)
        KeySpec("json", "bool", False, "Report all output as JSON (implies always_yes)."),
        KeySpec("quiet", "bool", False, "Print less output (implies always_yes)."),
    )
}


def known_keys() -> tuple[str, ...]:
    return tuple(KEYS)


def describe(key: str | None = None) -> list[KeyDescription]:
    """Every configuration key (or one) with its type, default and a one-line description."""
    keys = [key_spec(key)] if key is not None else list(KEYS.values())
    return [KeyDescription(k.name, k.type_name, k.default_value(), k.description) for k in keys]


def key_spec(name: str) -> KeySpec:
    try:
        return KEYS[name]
    except KeyError:
        raise ConfigError(f"unknown configuration key {name!r} (see 'naja config describe')") from None


# --------------------------------------------------------------------------------------- coercion


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def coerce(key: KeySpec, value: object, where: str) -> ConfigValue:
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
        out: dict[str, str | list[str]] = {}
        for k, v in value.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise bad("a mapping of strings")
            out[str(k)] = str(v)
        return out
    if t == "multimap":
        if not isinstance(value, Mapping):
            raise bad("a mapping of lists")
        multi: dict[str, str | list[str]] = {}
        for k, v in value.items():
            v = [v] if isinstance(v, str) else v
            if not isinstance(v, list | tuple) or not all(isinstance(i, str) for i in v):
                raise bad("a mapping of lists of strings")
            multi[str(k)] = [str(i) for i in v]
        return multi
    raise AssertionError(f"unhandled key type {t}")


def coerce_list(key: KeySpec, value: object, where: str) -> list[str]:
    """``coerce`` for a list key (``key.kind == "list"``), typed as the list it returns."""
    items = coerce(key, value, where)
    if not isinstance(items, list):
        raise AssertionError(f"{key.name!r} is not a list key")
    return items


# ----------------------------------------------------------------------------------------- Config


class Config:
    """The effective configuration (immutable). Paths are absolute; lists keep precedence order.

    Built by ``load_config``; ``replace(**changes)`` gives a modified copy.
    """

    _FIELDS = ("root_prefix", "target_prefix", *KEYS, "rc_files", "sources", "unknown_keys")
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

    def __init__(self, **values: object) -> None:
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

    def replace(self, **changes: object) -> Config:
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
        config = self._channel_config
        if config is None:
            from naja.types.channel import ChannelConfig

            config = ChannelConfig(channel_alias=self.channel_alias, custom_channels=dict(self.custom_channels),
                                   default_channels=tuple(self.default_channels),
                                   custom_multichannels=self._multichannels())
            object.__setattr__(self, "_channel_config", config)
        return config

    @property
    def network(self) -> NetworkSettings:
        """The run's ``naja.net.settings.NetworkSettings`` (built once: it holds the connection pools
        and which mirrors failed)."""
        network = self._network
        if network is None:
            from naja.net.settings import NetworkSettings

            network = NetworkSettings.from_config(self)
            object.__setattr__(self, "_network", network)
        return network

    def _multichannels(self) -> dict[str, tuple[str, ...]]:
        """``custom_multichannels`` plus conda's ``local``: the conda-bld directories that exist."""
        multi = {k: tuple(v) for k, v in self.custom_multichannels.items()}
        if "local" not in multi:
            local = [str(d) for d in (self.root_prefix / "conda-bld", home_dir() / "conda-bld") if d.is_dir()]
            if local:
                multi["local"] = tuple(dict.fromkeys(local))
        return multi

    def resolved_channels(self, extra: Sequence[str] = ()) -> list[Channel]:
        """``extra`` then the configured channels as ``naja.types.channel.Channel`` objects, multichannels expanded."""
        from naja.types.channel import resolve_channels

        return resolve_channels([*extra, *self.channels], self.channel_config)

    def get(self, key: str) -> PlainValue:
        """The plain (JSON-able) value of a configuration key; ``KeyError`` if unknown."""
        if key not in KEYS and key not in ("root_prefix", "target_prefix"):
            raise KeyError(key)
        return _plain(getattr(self, key))

    def set_keys(self) -> list[str]:
        """Keys some rc file, environment variable or CLI option set."""
        return [k for k, src in self.sources.items() if src and any(s != "default" for s in src)]

    def to_dict(self) -> dict[str, PlainValue]:
        return {k: self.get(k) for k in ("root_prefix", *KEYS)}


def _plain(value: object) -> PlainValue:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"not a configuration value: {value!r}")
