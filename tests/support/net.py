"""Network fixtures on loopback: a CA and certificates made by ``trustme``, an HTTPS channel server
(optionally asking for a client certificate), and a small forward proxy (``CONNECT`` for https,
absolute-form requests for http) with or without basic authentication."""

from __future__ import annotations

import base64
import http.client
import select
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.support.faults import TlsLoopbackServer


@dataclass(frozen=True)
class Pki:
    ca: Path  # CA certificate (PEM) that signed the server's and the client's certificates
    server_cert: Path  # chain
    server_key: Path
    client_cert: Path  # certificate and key in one PEM
    ca_dir: Path  # an OpenSSL hashed directory holding the CA


def make_pki(directory: Path) -> Pki:
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("naja-client@example.org")
    paths = Pki(directory / "ca.pem", directory / "server.pem", directory / "server.key",
                directory / "client.pem", directory / "ca-dir")
    ca.cert_pem.write_to_path(str(paths.ca))
    server.private_key_pem.write_to_path(str(paths.server_key))
    with open(paths.server_cert, "wb") as fh:
        for blob in server.cert_chain_pems:
            fh.write(blob.bytes())
    with open(paths.client_cert, "wb") as fh:
        fh.write(client.private_key_pem.bytes())
        for blob in client.cert_chain_pems:
            fh.write(blob.bytes())
    paths.ca_dir.mkdir()
    _hashed_copy(paths.ca, paths.ca_dir)
    return paths


def _hashed_copy(ca: Path, directory: Path) -> None:
    """``<subject hash>.0`` as ``c_rehash`` names it (what ``SSL_CERT_DIR``/``capath`` look up)."""
    import subprocess

    digest = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(ca)], check=True,
                            capture_output=True, text=True).stdout.strip()
    (directory / f"{digest}.0").write_bytes(ca.read_bytes())


class ClientCertTlsServer(TlsLoopbackServer):
    """HTTPS that refuses clients without a certificate signed by ``ca``."""

    def __init__(self, root, pki: Pki) -> None:
        super().__init__(root, pki.server_cert, pki.server_key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(pki.ca))
        httpd = self._httpd
        plain = socketserver.TCPServer.get_request

        def get_request():
            sock, addr = plain(httpd)
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        httpd.get_request = get_request  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------- proxy


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: _ProxyServer  # type: ignore[assignment]

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(65536).decode("latin-1")
            if not line.strip():
                return
            method, target, _version = line.split()
            headers = {}
            while True:
                header = self.rfile.readline(65536).decode("latin-1")
                if header in ("\r\n", "\n", ""):
                    break
                name, _, value = header.partition(":")
                headers[name.strip().lower()] = value.strip()
            owner = self.server.owner
            authorized = owner.credentials is None or headers.get("proxy-authorization") == (
                "Basic " + base64.b64encode(owner.credentials.encode()).decode())
            with owner.lock:
                owner.requests.append((method, target, authorized))
            if not authorized:
                self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n")
                continue
            if method == "CONNECT":
                self._tunnel(target)
                return
            self._forward(method, target, headers)

    def _tunnel(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        client = self.connection
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [], 30)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        finally:
            upstream.close()

    def _forward(self, method: str, target: str, headers: dict[str, str]) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = {k: v for k, v in headers.items() if k not in ("proxy-authorization", "proxy-connection", "connection")}
        connection.request(method, path, headers=sent)
        response = connection.getresponse()
        body = response.read()
        self.wfile.write(f"HTTP/1.1 {response.status} {response.reason}\r\n".encode("latin-1"))
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.wfile.write(f"{name}: {value}\r\n".encode("latin-1"))
        self.wfile.write(f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)
        self.wfile.flush()
        connection.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ForwardProxy


class ForwardProxy:
    """A forward proxy on 127.0.0.1; ``credentials="user:password"`` makes it demand basic auth.
    ``requests`` holds ``(method, target, authorized)`` for each request it saw."""

    def __init__(self, credentials: str | None = None) -> None:
        self.credentials = credentials
        self.requests: list[tuple[str, str, bool]] = []
        self.lock = threading.Lock()
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    """A loopback port nobody listens on (for 'proxy unreachable')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
