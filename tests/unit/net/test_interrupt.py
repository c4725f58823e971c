"""Ctrl-C (issue 18): SIGINT during a repodata download, a package download or an extraction stops
naja within one second with status 130 and one line, removes its partial files and temporary
directories, and leaves the environment and the caches as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import subprocess_env
from tests.support.packages import make_channel

_CLEAN_ENV = {k: "" for k in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}


def _trickle(total: int):
    """A response that promises ``total`` bytes and sends a few every 50 ms (a stalled download)."""

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        if h.command == "HEAD":
            return
        try:
            h.wfile.write(b"\0" * 4096)
            h.wfile.flush()
            for _ in range(600):
                time.sleep(0.05)
                h.wfile.write(b"\0" * 64)
                h.wfile.flush()
        except OSError:
            pass

    return handler


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "naja", *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env({**_CLEAN_ENV, **env}))


def _wait_for(condition, timeout: float = 60.0, step: float = 0.01) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "naja never reached the point to interrupt"
        time.sleep(step)


def _interrupt(proc: subprocess.Popen) -> tuple[float, str, str]:
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    return time.monotonic() - start, stdout, stderr


def _assert_stopped(proc, elapsed, stdout, stderr) -> None:
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert elapsed < 1.0, f"took {elapsed:.2f}s to stop"
    # one line about the interruption (stdout holds the transaction summary printed before it)
    assert [line for line in stderr.splitlines() if line.strip()] == ["error: interrupted"], stderr
    assert "Traceback" not in stdout + stderr


def _snapshot(root: Path) -> dict[str, int]:
    """Every entry under ``root`` (but naja's lock files) with its size."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".naja-locks"]
        for name in dirs + files:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = 0 if path.is_dir() else path.lstat().st_size
    return out


@pytest.fixture
def setup(tmp_path, serve):
    files = {f"share/many/f{i}.txt": f"file {i}\n" * 20 for i in range(6000)}
    root = make_channel(tmp_path / "srv" / "chan", [
        dict(name="a", version="1", files={"share/a.txt": "a"}),
        dict(name="base", version="1", files={"share/base.txt": "base"}),
        dict(name="big", version="1", files=files),
    ], shards=False)
    server = serve(root.parent)
    pkgs = tmp_path / "pkgs"
    env = {"CONDA_PKGS_DIRS": str(pkgs)}
    prefix = tmp_path / "env"
    url = f"{server.url}/chan"
    proc = _start(["create", "-y", "-p", prefix, "--override-channels", "-c", url, "base"], env)
    assert proc.wait(120) == 0, proc.communicate()
    return server, url, pkgs, prefix, env


def test_ctrl_c_during_a_package_download(setup):
    server, url, pkgs, prefix, env = setup
    server.faults["/chan/linux-64/a-1-0.conda"] = [_trickle(10 << 20)]
    before_prefix, before_pkgs = _snapshot(prefix), _snapshot(pkgs)
    proc = _start(["install", "-y", "-p", prefix, "--override-channels", "-c", url, "a"], env)
    _wait_for(lambda: (pkgs / "a-1-0.conda.partial").exists())
    time.sleep(0.2)
    _assert_stopped(proc, *_interrupt(proc))
    assert _snapshot(prefix) == before_prefix
    after = _snapshot(pkgs)
    assert not [p for p in after if p.endswith(".partial")]
    assert {k: v for k, v in after.items() if not k.startswith("cache")} == \
        {k: v for k, v in before_pkgs.items() if not k.startswith("cache")}


def test_ctrl_c_during_a_repodata_download(setup, tmp_path):
    server, url, pkgs, prefix, env = setup
    for name in ("repodata.json", "repodata.json.zst"):
        server.routes[f"/chan/linux-64/{name}"] = _trickle(50 << 20)
    rc = tmp_path / "rc"
    rc.write_text("local_repodata_ttl: 0\nuse_sharded_repodata: false\n")
    before_prefix, before_pkgs = _snapshot(prefix), _snapshot(pkgs)
    seen = len(server.requests)
    proc = _start(["create", "-y", "-p", tmp_path / "new", "--rc-file", rc, "--override-channels", "-c", url, "a"],
                  env)
    _wait_for(lambda: any(m == "GET" and p.startswith("/chan/linux-64/repodata")
                          for m, p, _ in server.requests[seen:]))
    time.sleep(0.3)
    _assert_stopped(proc, *_interrupt(proc))
    assert not (tmp_path / "new").exists()
    assert _snapshot(prefix) == before_prefix
    assert _snapshot(pkgs) == before_pkgs  # the repodata cache too: nothing half-written


def test_ctrl_c_during_an_extraction(setup):
    _server, url, pkgs, prefix, env = setup
    before_prefix = _snapshot(prefix)
    proc = _start(["install", "-y", "-p", prefix, "--override-channels", "-c", url, "big"], env)
    _wait_for(lambda: any(p.name.startswith(".big-1-0.") for p in pkgs.iterdir()), step=0.002)
    _assert_stopped(proc, *_interrupt(proc))
    assert _snapshot(prefix) == before_prefix
    leftovers = [p.name for p in pkgs.iterdir() if p.name.startswith(".big-1-0.") or p.name == "big-1-0"]
    assert leftovers == []
