"""Download progress through the console script, against a loopback channel whose package trickles in:
bars (bytes, speed, ETA) on a terminal (a real pty), plain periodic lines when piped or with ``-q``,
one summary line per channel, nothing with ``--json``."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import naja, subprocess_env
from tests.support.packages import make_channel

BIG = 1_200_000  # bytes of incompressible payload: several of the downloader's 256 KiB reads
TRICKLE = 0.08  # seconds between 64 KiB pieces: about 1.5 s per download


@pytest.fixture
def slow_channel(tmp_path, serve):
    root = make_channel(tmp_path / "chan", [
        {"name": "big", "version": "1.0", "files": {"share/big.bin": os.urandom(BIG)}, "compression_level": 1},
    ], shards=False)
    server = serve(root)
    archive = next((root / "linux-64").glob("big-*.conda"))
    data = archive.read_bytes()

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        for i in range(0, len(data), 64 * 1024):
            handler.wfile.write(data[i : i + 64 * 1024])
            handler.wfile.flush()
            time.sleep(TRICKLE)

    server.routes[f"/linux-64/{archive.name}"] = trickle
    return server


def _create_args(server, prefix: Path, *extra: str) -> list[str]:
    return ["create", "-y", "-p", str(prefix), "-c", server.url, "--override-channels", "big", *extra]


def _channel_label(server) -> str:
    return server.url  # how naja names a URL channel (as in the transaction table)


def _run_in_pty(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run the console script with stdin, stdout and stderr on a pseudo-terminal; all it wrote."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # rows, columns
    os.set_blocking(master, False)
    proc = subprocess.Popen([sys.executable, "-m", "naja", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=subprocess_env(env), close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


def test_terminal_shows_bars_with_bytes_speed_and_eta_then_one_line_per_channel(slow_channel, tmp_path):
    out = _run_in_pty(_create_args(slow_channel, tmp_path / "env"), {})
    assert "\r" in out  # bars redraw in place
    bar = [seg for seg in re.split(r"[\r\n]", out) if seg.lstrip("\x1b[A").startswith("download big")]
    assert bar, out
    # bytes done / total, elapsed<remaining (the ETA), speed
    assert any(re.search(r"\d+(\.\d+)?[kM]?B/\d+(\.\d+)?MB \[\d\d:\d\d<\d\d:\d\d, +\d+(\.\d+)?[kM]?B/s\]", s)
               for s in bar), bar
    label = _channel_label(slow_channel)
    assert re.search(rf"repodata {re.escape(label)}: 2 files, [\d.]+ [kM]?B in [\d.]+ s", out), out
    assert re.search(rf"packages {re.escape(label)}: 1 package, 1\.\d MB in [\d.]+ s \([\d.]+ [kM]?B/s\)", out), out
    assert (tmp_path / "env" / "share" / "big.bin").stat().st_size == BIG


def test_piped_output_gets_periodic_lines_and_summaries_not_bars(slow_channel, tmp_path):
    res = naja(*_create_args(slow_channel, tmp_path / "env"), env={"NAJA_PROGRESS_INTERVAL": "0.3"})
    err = res.stderr
    assert "\r" not in err and "█" not in err, err
    periodic = [line for line in err.splitlines() if line.startswith("download big: ")]
    assert len(periodic) >= 2, err
    assert re.fullmatch(r"download big: [\d.]+ [kM]?B / 1\.\d MB \(\d+%\), [\d.]+ [kM]?B/s, ETA \d+ s", periodic[0])
    label = _channel_label(slow_channel)
    summaries = [line for line in err.splitlines() if line.startswith(("repodata ", "packages "))]
    assert [s.split(": ", 1)[0] for s in summaries] == [f"repodata {label}", f"packages {label}"], err
    # the table and the result on stdout stay free of progress
    assert "download big" not in res.stdout and "Transaction in" in res.stdout


def test_quiet_keeps_only_the_periodic_lines_and_json_shows_nothing(slow_channel, tmp_path):
    res = naja(*_create_args(slow_channel, tmp_path / "env", "-q"), env={"NAJA_PROGRESS_INTERVAL": "0.3"})
    lines = res.stderr.splitlines()
    assert lines and all(line.startswith("download big: ") for line in lines), res.stderr
    assert res.stdout == ""
    # --json: nothing on stderr, even when progress is forced or stderr is a terminal (fresh caches:
    # the package is downloaded again each time)
    res = naja(*_create_args(slow_channel, tmp_path / "env2", "--json"),
               env={"NAJA_PROGRESS_INTERVAL": "0", "NAJA_FORCE_PROGRESS": "1", "NAJA_ROOT_PREFIX": str(tmp_path / "r2")})
    assert res.stderr == ""
    assert res.json()["success"] is True
    out = _run_in_pty(_create_args(slow_channel, tmp_path / "env3", "--json"), {"NAJA_ROOT_PREFIX": str(tmp_path / "r3")})
    assert "download big" not in out and "repodata " not in out and '"success": true' in out
