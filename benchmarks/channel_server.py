"""A loopback HTTP/1.1 server for a channel directory, in a process of its own.

``python -m benchmarks.channel_server ROOT`` prints the port it listens on, then serves until its
standard input closes. The install benchmark runs it as a child process, as a real channel server
would be: inside the benchmark's own process its threads would compete with naja's for the GIL
(py-rattler releases the GIL while it installs, naja's Python threads cannot), which would measure
the server rather than the clients. TCP_NODELAY as production servers set it (without it Python's
http.server stalls ~40 ms per request on a kept-alive connection: Nagle against delayed ACKs).
"""

from __future__ import annotations

import functools
import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def serve(root: str) -> None:
    httpd = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=root))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(httpd.server_address[1], flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or exits)
    httpd.shutdown()


class ChannelServer:
    """The server as a child process, for ``with``: ``url`` is its base address."""

    def __init__(self, root: Path) -> None:
        self._proc = subprocess.Popen([sys.executable, "-m", "benchmarks.channel_server", str(root)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      cwd=Path(__file__).resolve().parent.parent)
        assert self._proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self._proc.stdout.readline())}"

    def __enter__(self) -> ChannelServer:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()


if __name__ == "__main__":
    serve(sys.argv[1])
