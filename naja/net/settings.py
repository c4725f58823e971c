"""``NetworkSettings``: everything that decides how one run reaches a URL (proxy, TLS trust,
credentials, mirrors, timeouts, retries and back-off), built once from the configuration and the
environment, with the urllib3 pools it makes (one per proxy)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from naja.net.credentials import CredentialStore
from naja.net.mirrors import Mirrors
from naja.net.proxy import ProxySettings, split_proxy_credentials
from naja.net.tls import TlsSettings

if TYPE_CHECKING:
    from urllib3 import PoolManager

    from naja.config.schema import Config

BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 30.0


@dataclass(frozen=True, eq=False)
class NetworkSettings:
    proxies: ProxySettings = field(default_factory=ProxySettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    credentials: CredentialStore = field(default_factory=CredentialStore)
    mirrors: Mirrors = field(default_factory=Mirrors)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff_factor: float = 2.0
    _pools: dict[str, PoolManager] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_environment(
        cls, *, ssl_verify: bool | str = True, ssl_configured: bool = True,
        proxy_servers: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None, **timing: Any,
    ) -> NetworkSettings:
        """Settings from explicit values plus the environment (proxy variables, CA-bundle variables
        when ``ssl_verify`` was not configured, the credential files)."""
        from naja.net import tls

        env = os.environ if env is None else env
        return cls(
            proxies=ProxySettings.from_sources(proxy_servers or {}, env),
            tls=tls.resolve(ssl_verify, configured=ssl_configured, env=env),
            credentials=CredentialStore.load(env),
            **timing,
        )

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str] | None = None) -> NetworkSettings:
        from naja.net import tls

        env = os.environ if env is None else env
        configured = config.sources.get("ssl_verify", ("default",)) != ("default",)
        return cls(
            proxies=ProxySettings.from_sources(config.proxy_servers, env),
            tls=tls.resolve(config.ssl_verify, configured=configured, cacert_path=config.cacert_path or None,
                            client_cert=config.client_ssl_cert or None,
                            client_key=config.client_ssl_cert_key or None, env=env),
            credentials=CredentialStore.load(env),
            mirrors=_mirrors(config),
            connect_timeout=float(config.remote_connect_timeout_secs),
            read_timeout=float(config.remote_read_timeout_secs),
            retries=max(0, int(config.remote_max_retries)),
            backoff_factor=max(0.0, float(config.remote_backoff_factor)),
        )

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...): micromamba's growth,
        ``base * remote_backoff_factor ** (retry - 1)``, capped; a factor of 0 retries at once."""
        if retry <= 0 or self.backoff_factor <= 0:
            return 0.0
        return min(BACKOFF_BASE_S * self.backoff_factor ** (retry - 1), BACKOFF_CAP_S)

    def pool(self, url: str, **kwargs: Any) -> tuple[PoolManager, str]:
        """The shared urllib3 pool for ``url`` and the proxy it goes through (``""``: direct)."""
        proxy = self.proxies.proxy_for(url)
        with self._lock:
            pool = self._pools.get(proxy)
            if pool is None:
                pool = self._pools[proxy] = _make_pool(self.tls, proxy, kwargs)
            return pool, proxy


def _make_pool(tls: TlsSettings, proxy: str, kwargs: dict[str, Any]) -> PoolManager:
    import urllib3

    from naja.errors import ConfigError

    options = {**tls.pool_kwargs(), **kwargs}
    if not proxy:
        return urllib3.PoolManager(**options)
    clean, userinfo = split_proxy_credentials(proxy)
    if not clean.startswith(("http://", "https://")):
        from naja.types.url import redact_url

        raise ConfigError(f"unsupported proxy {redact_url(proxy)}: only http:// and https:// proxies are supported")
    headers = urllib3.make_headers(proxy_basic_auth=userinfo) if userinfo else None
    return urllib3.ProxyManager(clean, proxy_headers=headers, **options)


def _mirrors(config: Config) -> Mirrors:
    """``mirrored_channels`` keys resolved to channel base URLs (as the channel names resolve)."""
    if not config.mirrored_channels:
        return Mirrors()
    from naja.types.channel import resolve_channels

    pairs: list[tuple[str, tuple[str, ...]]] = []
    for name, urls in config.mirrored_channels.items():
        bases = [c.base_url.rstrip("/") for c in resolve_channels([name], config.channel_config)]
        mirrors = tuple(u.rstrip("/") for u in urls)
        pairs.extend((base, mirrors) for base in bases)
    return Mirrors(tuple(pairs))
