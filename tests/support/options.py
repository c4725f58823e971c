"""Typed fetch options for tests that call the repodata layer directly (what
``naja.api.context.Context`` builds from a configuration for commands)."""

from __future__ import annotations

from pathlib import Path

from naja.bounded import DEFAULT_MAX_BYTES
from naja.net.settings import NetworkSettings
from naja.repodata.fetch import TIMEOUT_S, TRIES, HttpOptions
from naja.repodata.subdir import FetchOptions


def http_options(*, ssl_verify: bool | str | None = None, proxy_servers: dict[str, str] | None = None,
                 connect_timeout: float = TIMEOUT_S, read_timeout: float = TIMEOUT_S,
                 retries: int = TRIES - 1, max_bytes: int = DEFAULT_MAX_BYTES) -> HttpOptions:
    """Network settings from explicit values plus the environment (proxy and CA variables)."""
    net = NetworkSettings.from_environment(
        ssl_verify=True if ssl_verify is None else ssl_verify, ssl_configured=ssl_verify is not None,
        proxy_servers=proxy_servers or {}, connect_timeout=connect_timeout, read_timeout=read_timeout,
        retries=retries)
    return HttpOptions(net, max_bytes)


def fetch_options(cache_dir: Path, *, ttl: int = 0, use_zst: bool = True, use_shards: bool = True,
                  offline: bool = False, http: HttpOptions | None = None) -> FetchOptions:
    """Repodata cached under ``cache_dir``; revalidated on every use unless ``ttl`` says otherwise."""
    return FetchOptions(cache_dir=cache_dir, ttl=ttl, use_zst=use_zst, use_shards=use_shards, offline=offline,
                        http=http or HttpOptions())
