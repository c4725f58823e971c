"""A real HTTP server on loopback that serves a directory, for channel tests.

It answers conditional requests (ETag / If-None-Match, Last-Modified / If-Modified-Since), byte ranges,
and lets a test script faults per path (``server.faults[path] = [500, 500]`` answers the next two
requests for ``path`` with 500), count requests (``server.requests``) and add headers.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    server: LoopbackServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Without this, each request on a kept-alive connection waits ~40 ms for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        srv = self.server.owner
        path = self.path.split("?", 1)[0]
        with srv.lock:
            srv.requests.append((self.command, path, dict(self.headers)))
            queue = srv.faults.get(path)
            fault = queue.pop(0) if queue else None
        if srv.always_status is not None:
            self.send_bytes(srv.always_status, b"unavailable", {})
            return
        if srv.gate is not None and not srv.gate(self):
            self.send_bytes(401, b"authentication required", {"WWW-Authenticate": 'Basic realm="naja"'})
            return
        if callable(fault):
            fault(self)
            return
        if isinstance(fault, int):
            self.send_bytes(fault, b"fault", {})
            return
        handler = srv.routes.get(path)
        if handler is not None:
            handler(self)
            return
        file = (srv.root / path.lstrip("/")).resolve()
        if not str(file).startswith(str(srv.root.resolve())) or not file.is_file():
            self.send_bytes(404, b"not found", {})
            return
        data = file.read_bytes()
        etag = '"' + hashlib.md5(data).hexdigest() + '"'
        mtime = email.utils.formatdate(file.stat().st_mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": mtime, "Accept-Ranges": "bytes"}
        headers.update(srv.extra_headers.get(path, {}))
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == mtime
        ):
            self.send_bytes(304, b"", headers, head=True)
            return
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and srv.support_ranges:
            start_s, _, end_s = rng[6:].partition("-")
            start = int(start_s)
            end = int(end_s) if end_s else len(data) - 1
            if start >= len(data):
                self.send_bytes(416, b"", {})
                return
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self.send_bytes(206, data[start : end + 1], headers, head=head)
            return
        self.send_bytes(200, data, headers, head=head)

    def send_bytes(self, code: int, body: bytes, headers: dict[str, str], head: bool = False) -> None:
        """One whole response; faults and routes answer through this too."""
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and code != 304:
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackServer:
    """Serve ``root`` on 127.0.0.1 at a free port; use as a context manager."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.faults: dict[str, list[int | Callable[[_Handler], None]]] = defaultdict(list)
        self.routes: dict[str, Callable[[_Handler], None]] = {}
        self.extra_headers: dict[str, dict[str, str]] = {}
        self.support_ranges = True
        self.always_status: int | None = None  # answer every request with this status (a failing mirror)
        self.gate: Callable[[_Handler], bool] | None = None  # False: answer 401 (an auth-protected channel)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [p for _, p, _ in self.requests]

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
