"""Resolving what a command runs against: configuration, root prefix, target prefix, platform and
channels, the way micromamba does (``-p`` > ``-n`` > ``$CONDA_PREFIX`` > root prefix)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from naja.api.options import Options
from naja.config.locations import default_root_prefix, expand_path
from naja.config.schema import Config
from naja.errors import PrefixError
from naja.install.prefix import check_env_name, named_prefix

if TYPE_CHECKING:
    from naja.install.link import LinkOptions
    from naja.package.cache import CacheOptions
    from naja.repodata.fetch import HttpOptions
    from naja.repodata.subdir import FetchOptions
    from naja.solver.task import ChannelPriority, SolveOptions
    from naja.types.channel import Channel, ChannelConfig


def _path(text: str | os.PathLike[str]) -> Path:
    return Path(expand_path(os.fspath(text)))


def load_config(options: Options, target_prefix: Path | None = None) -> Config:
    """``naja.config.load.load_config`` with the CLI's sources and overrides."""
    from naja.config import load

    return load.load_config(
        rc_files=list(options.rc_files) or None,
        no_rc=options.no_rc,
        no_env=options.no_env,
        root_prefix=options.root_prefix,
        target_prefix=os.fspath(target_prefix) if target_prefix else None,
        overrides=_overrides(options),
    )


def _overrides(options: Options) -> dict[str, object]:
    """CLI values that outrank every rc file and environment variable."""
    out: dict[str, object] = {}
    if options.override_channels:
        out["override_channels"] = True
    if options.channel_priority:
        out["channel_priority"] = options.channel_priority
    if options.channel_alias:
        out["channel_alias"] = options.channel_alias
    if options.platform:
        out["platform"] = options.platform
    if options.offline:
        out["offline"] = True
    if options.always_copy:
        out["always_copy"] = True
    if options.always_softlink:
        out["always_softlink"] = True
    if options.allow_softlinks:
        out["allow_softlinks"] = True
    if options.repodata_ttl is not None:
        out["local_repodata_ttl"] = options.repodata_ttl
    if options.ssl_verify is not None:
        out["ssl_verify"] = options.ssl_verify
    if options.cacert_path:
        out["cacert_path"] = options.cacert_path
    if options.lock_timeout is not None:
        out["lock_timeout"] = options.lock_timeout
    for key in ("compile_pyc", "allow_downgrade", "allow_uninstall", "safety_checks", "extra_safety_checks"):
        if getattr(options, key) is not None:
            out[key] = getattr(options, key)
    return out


class Context(msgspec.Struct, dict=True):
    """Configuration plus the resolved root prefix; built once per command. The layers below the
    API never see ``Config``: they get the typed options this builds from it once (``http_options``,
    ``fetch_options``, ``cache_options``, ``link_options``, ``solve_options``)."""

    options: Options
    config: Config
    root_prefix: Path
    # the target prefix whose ``.mambarc`` the configuration includes (None: no target yet)
    config_prefix: Path | None = None
    _platform: str | None = msgspec.field(default=None)

    @classmethod
    def from_options(cls, options: Options, *, target_prefix: Path | None = None) -> Context:
        if target_prefix is None:
            target_prefix = _explicit_prefix(options)
        config = load_config(options, target_prefix)
        root = options.root_prefix or config.root_prefix
        root_prefix = _path(root) if root else default_root_prefix()
        return cls(options=options, config=config, root_prefix=root_prefix, config_prefix=target_prefix)

    # --- directories -----------------------------------------------------------------------------

    @property
    def envs_dirs(self) -> list[Path]:
        dirs = [_path(d) for d in self.config.envs_dirs]
        default = self.root_prefix / "envs"
        if default not in dirs:
            dirs.append(default)
        return dirs

    @property
    def pkgs_dirs(self) -> list[Path]:
        dirs = [_path(d) for d in self.config.pkgs_dirs]
        return dirs or [self.root_prefix / "pkgs"]

    # --- platform --------------------------------------------------------------------------------

    @property
    def platform(self) -> str:
        if self._platform is None:
            value = self.options.platform or self.config.platform
            from naja.types import platform as platform_mod

            plat = platform_mod.Platform.parse(value, strict=False) if value else platform_mod.Platform.current()
            self._platform = str(plat)
        return self._platform

    # --- prefixes --------------------------------------------------------------------------------

    def prefix_for_name(self, name: str, *, must_exist: bool) -> Path:
        """``-n NAME``: a bare name (``naja.install.prefix.check_env_name``) looked up with
        ``naja.install.prefix.named_prefix`` (a new environment goes into the first envs dir)."""
        check_env_name(name)
        found = named_prefix(name, self.root_prefix, self.envs_dirs)
        if found is not None:
            return found
        if must_exist:
            raise PrefixError(f"environment '{name}' does not exist (looked in "
                              f"{', '.join(str(d) for d in self.envs_dirs)})")
        return self.envs_dirs[0] / name

    def target_prefix(self, *, must_exist: bool = True, allow_default: bool = True) -> Path:
        """``-p``, else ``-n`` (in envs_dirs), else ``$CONDA_PREFIX``, else the root prefix."""
        o = self.options
        if o.prefix and o.name is not None:
            raise PrefixError("use either -n/--name or -p/--prefix, not both")
        if o.prefix:
            path = _path(o.prefix)
        elif o.name is not None:  # "-n ''" is a bad name, not a missing one
            path = self.prefix_for_name(o.name, must_exist=must_exist)
        elif not allow_default:
            raise PrefixError("no target environment given: use -n NAME or -p PATH")
        elif os.environ.get("CONDA_PREFIX"):
            path = _path(os.environ["CONDA_PREFIX"])
        else:
            path = self.root_prefix
        if must_exist and not is_environment(path):
            how = "'naja install -n base SPECS'" if path == self.root_prefix else f"'naja create -p {path}'"
            raise PrefixError(f"no environment at {path} (create it with {how})")
        return path

    # --- channels --------------------------------------------------------------------------------

    def channel_names(self, extra: list[str] | tuple[str, ...] = (), *, last: Sequence[str] = ()) -> list[str]:
        """CLI ``-c`` channels, then file channels, then the configured ones (unless overridden),
        then ``last``: the channels of ``channel::pkg`` specs, which micromamba appends. No channel
        is implied: with none configured the list is empty, as micromamba's."""
        names: list[str] = []
        for c in [*self.options.channels, *extra]:
            if c not in names and c != "nodefaults":
                names.append(c)
        if not self.options.override_channels and "nodefaults" not in extra:
            for c in self.config.channels:
                if c not in names:
                    names.append(c)
        names.extend(c for c in dict.fromkeys(last) if c not in names)
        return names

    def channels(self, extra: list[str] | tuple[str, ...] = (), *, last: Sequence[str] = ()) -> list[Channel]:
        """``naja.types.channel.Channel`` objects in priority order, multichannels expanded."""
        from naja.types import channel as channel_mod

        return channel_mod.resolve_channels(self.channel_names(extra, last=last), self.channel_config)

    @property
    def channel_config(self) -> ChannelConfig:
        """The user's channel settings (``channel_alias``, ``custom_channels``, …): what channel
        names in specs, ``-c`` and records are read under."""
        return self.config.channel_config

    @property
    def channel_priority(self) -> ChannelPriority:
        value = self.options.channel_priority or self.config.channel_priority
        return "strict" if value == "strict" else "disabled" if value == "disabled" else "flexible"

    # --- the typed options each layer gets -------------------------------------------------------

    @property
    def offline(self) -> bool:
        return self.options.offline or self.config.offline

    @property
    def lock_timeout(self) -> float:
        """Seconds to wait for a prefix or cache lock (0: forever)."""
        return float(self.options.lock_timeout or self.config.lock_timeout or 0)

    @cached_property
    def http_options(self) -> HttpOptions:
        """Proxies, TLS trust, credentials, mirrors, timeouts, retries and the body bound."""
        from naja.repodata.fetch import HttpOptions

        config = self.config
        return HttpOptions(lambda: config.network, max_bytes=config.repodata_max_bytes)

    @cached_property
    def fetch_options(self) -> FetchOptions:
        """How repodata is fetched and cached (``load_records``'s ``options``)."""
        from naja.repodata.subdir import FetchOptions

        c = self.config
        return FetchOptions(cache_dir=self.pkgs_dirs[0] / "cache", ttl=c.local_repodata_ttl,
                            use_zst=c.repodata_use_zst, use_shards=c.use_sharded_repodata,
                            offline=self.offline, http=self.http_options, lock_timeout=self.lock_timeout)

    @cached_property
    def cache_options(self) -> CacheOptions:
        """The package cache's directories, threads, offline mode, safety checks and network."""
        from naja.package.cache import CacheOptions
        from naja.package.verify import MODES, SafetyChecks

        c = self.config
        mode = c.safety_checks if c.safety_checks in MODES else "warn"
        return CacheOptions(tuple(self.pkgs_dirs), download_threads=c.download_threads or 5,
                            extract_threads=c.extract_threads or None, offline=self.offline,
                            safety=SafetyChecks(mode=mode, extra=c.extra_safety_checks),
                            network=lambda: c.network)

    @cached_property
    def link_options(self) -> LinkOptions:
        """How files get into the prefix (copy, hard link or symlink; .pyc compilation)."""
        from naja.install.link import LinkOptions

        c, o = self.config, self.options
        return LinkOptions(always_copy=o.always_copy or c.always_copy,
                           always_softlink=o.always_softlink or c.always_softlink,
                           allow_softlinks=o.allow_softlinks or c.allow_softlinks, compile_pyc=c.compile_pyc,
                           relocate_prefix=os.path.abspath(o.relocate_prefix) if o.relocate_prefix else None)

    @cached_property
    def solve_options(self) -> SolveOptions:
        """Channel priority, pins and the pip-with-python rule of every solve."""
        from naja.solver.task import SolveOptions

        c, o = self.config, self.options
        return SolveOptions(channel_priority=self.channel_priority,
                            pinned_packages=() if o.no_pin else tuple(str(p) for p in c.pinned_packages),
                            add_pip_as_python_dependency=c.add_pip_as_python_dependency,
                            pin_python=not (o.no_py_pin or c.no_py_pin))


def _explicit_prefix(options: Options) -> Path | None:
    if options.prefix:
        return _path(options.prefix)
    return None


def is_environment(path: Path) -> bool:
    """A conda environment has ``conda-meta/`` (CEP 32 says ``conda-meta/history``)."""
    return (path / "conda-meta").is_dir()


def environments_txt() -> Path:
    return Path(os.path.expanduser("~")) / ".conda" / "environments.txt"


def register_env(prefix: Path) -> None:
    """Add ``prefix`` to ``~/.conda/environments.txt`` (what ``env list`` reads)."""
    path = environments_txt()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    if str(prefix) in lines:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(str(prefix) + "\n")
    except OSError as exc:  # the environment works without it; only 'env list' would miss it
        import logging

        logging.getLogger(__name__).warning("could not register %s in %s: %s", prefix, path, exc)


def unregister_env(prefix: Path) -> None:
    path = environments_txt()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    kept = [line for line in lines if line.strip() and _path(line.strip()) != prefix]
    try:
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    except OSError as exc:
        import logging

        logging.getLogger(__name__).warning("could not unregister %s in %s: %s", prefix, path, exc)


def output_settings(*, rc_files: tuple[str, ...] | list[str], no_rc: bool, no_env: bool,
                    root_prefix: str | None) -> tuple[bool, bool]:
    """``(json, quiet)`` from the rc files and MAMBA_*/CONDA_* variables: micromamba's ``json`` and
    ``quiet`` settings, which the CLI applies as if the flags were given."""
    from naja.config.load import load_config

    config = load_config(rc_files=list(rc_files) or None, no_rc=no_rc, no_env=no_env, root_prefix=root_prefix)
    return config.json, config.quiet
