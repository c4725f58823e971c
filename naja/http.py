"""How naja builds its urllib3 pools, for repodata fetches and package downloads alike: TLS
verification (``ssl_verify``) and which of conda's ``proxy_servers`` a URL goes through."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any


def proxy_for(proxy_servers: Mapping[str, str], url: str) -> str:
    """The proxy for ``url`` as conda chooses it: ``scheme://host`` wins over ``scheme``, then
    ``all``; ``""`` for a direct connection."""
    parts = urllib.parse.urlsplit(url)
    return (proxy_servers.get(f"{parts.scheme}://{parts.hostname}") or proxy_servers.get(parts.scheme)
            or proxy_servers.get("all") or "")


def pool_manager(ssl_verify: bool | str = True, proxy: str = "", **kwargs: Any) -> Any:
    """A thread-safe urllib3 ``PoolManager`` (a ``ProxyManager`` through ``proxy``). ``ssl_verify`` is
    True, False (no verification, no warning per request) or the path of a CA bundle; ``kwargs`` go
    to urllib3 (``maxsize``, ``timeout``, ...)."""
    import urllib3

    if ssl_verify is False:
        kwargs["cert_reqs"] = "CERT_NONE"
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    elif isinstance(ssl_verify, str):
        kwargs["cert_reqs"] = "CERT_REQUIRED"
        kwargs["ca_certs"] = ssl_verify
    return urllib3.ProxyManager(proxy, **kwargs) if proxy else urllib3.PoolManager(**kwargs)
