"""Scripted network faults for the loopback server (``server.faults[path] = [fault, ...]``), a TLS
variant of it with a freshly generated self-signed CA, and helpers the reliability tests share.

Each fault is a callable taking the request handler; it answers (or fails to answer) the way a
broken network or server would: connection reset mid-body, a stalled body, a truncated body, a lying
Content-Length, redirects.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from tests.support.server import LoopbackServer

Fault = Callable[[object], None]


def _file_bytes(handler) -> bytes:
    srv = handler.server.owner
    return (srv.root / handler.path.split("?", 1)[0].lstrip("/")).read_bytes()


def _send_part(handler, fraction: float) -> None:
    """Headers announcing the whole file, then only its first ``fraction``."""
    data = _file_bytes(handler)
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data[: int(len(data) * fraction)])


def reset_after(fraction: float = 0.5) -> Fault:
    """Send the headers and part of the body, then reset the connection (TCP RST)."""

    def fault(handler) -> None:
        _send_part(handler, fraction)
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()

    return fault


def stall(seconds: float, fraction: float = 0.25) -> Fault:
    """Send the headers and part of the body, then go silent for ``seconds``."""

    def fault(handler) -> None:
        _send_part(handler, fraction)
        handler.wfile.flush()
        threading.Event().wait(seconds)
        handler.close_connection = True

    return fault


def truncated(fraction: float = 0.5) -> Fault:
    """Announce the full length, send part of it, close cleanly (FIN)."""

    def fault(handler) -> None:
        _send_part(handler, fraction)
        handler.close_connection = True

    return fault


def content_length(delta: int) -> Fault:
    """The whole body but a Content-Length off by ``delta`` (negative: the client stops early)."""

    def fault(handler) -> None:
        data = _file_bytes(handler)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data) + delta))
        handler.end_headers()
        handler.wfile.write(data)
        handler.close_connection = True

    return fault


def body(data: bytes, status: int = 200) -> Fault:
    """Answer with exactly these bytes (e.g. another file: a checksum mismatch)."""

    def fault(handler) -> None:
        handler.send_bytes(status, data, {})

    return fault


def redirect(location: str, status: int = 302) -> Fault:
    def fault(handler) -> None:
        handler.send_bytes(status, b"", {"Location": location})

    return fault


def redirect_loop(handler) -> None:
    """Redirect a path to itself with a growing query string, forever."""
    path, _, query = handler.path.partition("?")
    handler.send_bytes(302, b"", {"Location": f"{path}?{query}x"})


# ------------------------------------------------------------------------------------------------ TLS


def make_ca_and_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a ``127.0.0.1`` server certificate it signed: ``(ca.pem, cert.pem, key.pem)``."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        return _with_cryptography(directory)
    except ImportError:
        return _with_openssl(directory)


def _with_cryptography(directory: Path) -> tuple[Path, Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "naja test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _with_openssl(directory: Path) -> tuple[Path, Path, Path]:
    ca, ca_key, cert, key, csr = (directory / n for n in ("ca.pem", "ca.key", "cert.pem", "key.pem", "c.csr"))
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
        str(ca_key), "-out", str(ca), "-days", "2", "-subj", "/CN=naja test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
        "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out",
        str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


class TlsLoopbackServer(LoopbackServer):
    """The loopback server speaking HTTPS with the given certificate."""

    def __init__(self, root, cert: Path, key: Path) -> None:
        super().__init__(root)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        httpd = self._httpd
        plain_get_request = httpd.get_request

        def get_request():  # handshake in the handler thread, not in the accept loop
            sock, addr = plain_get_request()
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        httpd.get_request = get_request  # type: ignore[method-assign]
        httpd.handle_error = lambda request, client_address: None  # refused handshakes are expected

    @property
    def url(self) -> str:
        return super().url.replace("http://", "https://", 1)
