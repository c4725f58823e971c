"""Which proxy a URL goes through: conda's ``proxy_servers`` first, then the ``*_proxy`` variables
(curl's and requests' conventions: lower case wins over upper case; ``NO_PROXY`` applies to the
variables only, as requests applies it), with ``NO_PROXY`` matched as curl matches it: ``*``, host
names as domain suffixes (``example.com`` covers ``a.example.com`` but not ``badexample.com``), IP
addresses and CIDR ranges (``10.0.0.0/8``, ``::1/128``).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

_SCHEMES = ("http", "https", "all")


@dataclass(frozen=True)
class ProxySettings:
    """Configured proxies (``proxy_servers``), proxies from the environment, and ``NO_PROXY``."""

    servers: tuple[tuple[str, str], ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_sources(cls, proxy_servers: Mapping[str, str], env: Mapping[str, str]) -> ProxySettings:
        return cls(tuple(sorted(proxy_servers.items())), environment_proxies(env), no_proxy_rules(env))

    def proxy_for(self, url: str) -> str:
        """The proxy URL for ``url``, or ``""`` for a direct connection."""
        parts = urllib.parse.urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        configured = dict(self.servers)
        chosen = (configured.get(f"{scheme}://{host}") or configured.get(scheme) or configured.get("all"))
        if chosen:
            return chosen
        if not self.environment or bypasses(host, self.no_proxy):
            return ""
        from_env = dict(self.environment)
        return from_env.get(scheme) or from_env.get("all") or ""


def environment_proxies(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``http``/``https``/``all`` -> proxy from ``<scheme>_proxy`` or ``<SCHEME>_PROXY`` (lower wins)."""
    found = []
    for scheme in _SCHEMES:
        value = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY") or ""
        if value.strip():
            found.append((scheme, _with_scheme(value.strip())))
    return tuple(found)


def _with_scheme(proxy: str) -> str:
    """``proxy:3128`` means ``http://proxy:3128`` (curl's default)."""
    return proxy if "://" in proxy else f"http://{proxy}"


def no_proxy_rules(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("no_proxy") or env.get("NO_PROXY") or ""
    return tuple(r.strip().lower() for r in raw.replace(" ", ",").split(",") if r.strip())


def bypasses(host: str, rules: tuple[str, ...]) -> bool:
    """True when ``host`` matches a ``NO_PROXY`` rule (curl's rules)."""
    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return False
    address = _ip(host)
    for rule in (r.strip().lower() for r in rules):
        if rule == "*":
            return True
        if address is not None:
            if _ip_matches(address, rule):
                return True
            continue
        name = rule.lstrip("*").lstrip(".").rstrip(".")
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name  # a port in the rule is ignored
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ip_matches(address: ipaddress.IPv4Address | ipaddress.IPv6Address, rule: str) -> bool:
    rule = rule.strip("[]")
    try:
        if "/" in rule:
            return address in ipaddress.ip_network(rule, strict=False)
        return address == ipaddress.ip_address(rule)
    except ValueError:
        return False


def split_proxy_credentials(proxy: str) -> tuple[str, str | None]:
    """``http://user:pass@host:3128`` -> (``http://host:3128``, ``"user:pass"``) with the parts
    percent-decoded; credentials go into a ``Proxy-Authorization`` header, never into a message."""
    parts = urllib.parse.urlsplit(proxy)
    if "@" not in parts.netloc:
        return proxy, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return clean, f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
