"""Which certificates naja trusts, in micromamba's and conda's order: ``--cacert-path``, then
``ssl_verify`` (``true``, ``false``, a CA bundle file or directory, ``<system>``/``truststore`` for the
operating system's store), then, when ``ssl_verify`` is not configured, ``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``, ``SSL_CERT_FILE``/``SSL_CERT_DIR``; else the Python/OpenSSL defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from naja.errors import ConfigError

if TYPE_CHECKING:
    import ssl

SYSTEM_STORE = "truststore"
_SYSTEM_WORDS = frozenset({"<system>", "truststore", "system"})
_ENV_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


class _ClientCert(TypedDict):
    """The client-certificate keywords of ``TlsSettings``, resolved once and passed to each branch."""

    client_cert: str | None
    client_key: str | None


@dataclass(frozen=True)
class TlsSettings:
    """The trust decision for every HTTPS connection of a run. ``source`` names the setting that
    made it, so that an error can say what to change."""

    verify: bool = True
    ca_file: str | None = None
    ca_dir: str | None = None
    system_store: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    source: str = "default"

    def pool_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a urllib3 ``PoolManager``/``ProxyManager``."""
        kwargs: dict[str, Any] = {}
        if not self.verify:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            kwargs["cert_reqs"] = "CERT_NONE"
        elif self.system_store:
            kwargs["ssl_context"] = _system_context()
        else:
            if self.ca_file:
                kwargs.update(cert_reqs="CERT_REQUIRED", ca_certs=self.ca_file)
            if self.ca_dir:
                kwargs.update(cert_reqs="CERT_REQUIRED", ca_cert_dir=self.ca_dir)
        if self.client_cert:
            kwargs["cert_file"] = self.client_cert
            if self.client_key:
                kwargs["key_file"] = self.client_key
        return kwargs


def is_system_word(value: str) -> bool:
    return value.strip().lower() in _SYSTEM_WORDS


def resolve(
    ssl_verify: bool | str,
    *,
    configured: bool,
    cacert_path: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
    env: Mapping[str, str] | None = None,
) -> TlsSettings:
    """The ``TlsSettings`` for these values; a named file or directory that does not exist is a
    ``ConfigError`` naming it and the setting it came from. ``configured`` says whether ``ssl_verify``
    was set anywhere (else the CA-bundle variables are consulted)."""
    env = os.environ if env is None else env
    client = _client(client_cert, client_key)
    if cacert_path:
        return _bundle(cacert_path, "--cacert-path", client)
    if ssl_verify is False:
        return TlsSettings(verify=False, source="ssl_verify", **client)
    if isinstance(ssl_verify, str) and is_system_word(ssl_verify):
        return TlsSettings(system_store=True, source="ssl_verify", **client)
    if isinstance(ssl_verify, str):
        return _bundle(ssl_verify, "ssl_verify", client)
    if not configured:
        for var in _ENV_BUNDLES:
            if env.get(var, "").strip():
                return _bundle(env[var].strip(), var, client)
        if env.get("SSL_CERT_DIR", "").strip():
            return _bundle(env["SSL_CERT_DIR"].strip(), "SSL_CERT_DIR", client)
    return TlsSettings(source="ssl_verify" if configured else "default", **client)


def _client(cert: str | None, key: str | None) -> _ClientCert:
    for value, name in ((cert, "client_ssl_cert"), (key, "client_ssl_cert_key")):
        if value and not os.path.isfile(os.path.expanduser(value)):
            raise ConfigError(f"{name}: {value} does not exist (or is not a file)")
    return {"client_cert": os.path.expanduser(cert) if cert else None,
            "client_key": os.path.expanduser(key) if key else None}


def _bundle(path: str, source: str, client: _ClientCert) -> TlsSettings:
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(full):
        return TlsSettings(ca_dir=full, source=source, **client)
    if os.path.isfile(full):
        return TlsSettings(ca_file=full, source=source, **client)
    raise ConfigError(f"{source}: CA bundle {full} does not exist")


def _system_context() -> ssl.SSLContext:
    """An ``SSLContext`` backed by the operating system's trust store (``truststore``, imported only
    when chosen)."""
    import ssl

    try:
        import truststore
    except ImportError:
        raise ConfigError("ssl_verify: the system trust store needs the 'truststore' package "
                          "(pip install truststore)") from None
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def untrusted_hint(tls: TlsSettings) -> str:
    """What to tell a user whose server's certificate was not trusted."""
    if tls.source in ("default", "ssl_verify") and not tls.ca_file and not tls.ca_dir:
        return ("set ssl_verify (or --cacert-path, REQUESTS_CA_BUNDLE) to your CA bundle, "
                "or ssl_verify: truststore to use the system's store")
    where = tls.ca_file or tls.ca_dir or "the system store"
    return f"it is not signed by a CA in {where} (from {tls.source})"
