"""Class 7: ``clean`` takes the package-cache lock that create/install hold from the first cache
lookup to the last link, and waits for it: 30 rounds of ``clean -a`` racing ``create`` all succeed
(a link delay widens the window in which the old code deleted packages under a running create)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from naja.install.prefix import Prefix
from tests.support.cli import subprocess_env
from tests.support.packages import make_channel

REPO = Path(__file__).resolve().parent.parent.parent
ROUNDS = 30


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "naja", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_clean_all_racing_create_never_breaks_it(tmp_path: Path) -> None:
    channel = make_channel(tmp_path / "channel", [
        dict(name="lib", version="1", files={f"lib/f{i}": f"lib {i}\n" for i in range(20)}),
        dict(name="app", version="1", depends=["lib"], files={"bin/app": "#!/bin/sh\n"}),
    ])
    pkgs = tmp_path / "pkgs"
    env = subprocess_env({"PYTHONPATH": str(REPO), "CONDA_PKGS_DIRS": str(pkgs),
                          "NAJA_ROOT_PREFIX": str(tmp_path / "root"), "NAJA_TEST_LINK_SLEEP": "0.2"})
    failures: list[str] = []
    started = time.monotonic()
    for i in range(ROUNDS):
        prefix = tmp_path / f"env{i}"
        create = _spawn(["create", "-y", "-q", "-p", str(prefix), "-c", channel.as_uri(),
                         "--override-channels", "app"], env)
        # clean starts once the create has its packages extracted, while it links them (each
        # linked package is followed by a pause: the window a slow link script opens)
        ready = [pkgs / d / "info" / "repodata_record.json" for d in ("lib-1-0", "app-1-0")]
        deadline = time.monotonic() + 60
        while not all(p.exists() for p in ready) and create.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        clean = _spawn(["clean", "-a", "-y", "-q"], env)
        for name, proc in (("create", create), ("clean", clean)):
            _out, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                failures.append(f"round {i} {name}: {err.strip()[-600:]}")
        if create.returncode == 0:
            assert {r.name for r in Prefix(prefix).installed()} == {"app", "lib"}
            assert (prefix / "lib" / "f19").read_text() == "lib 19\n"
    assert not failures, failures
    assert time.monotonic() - started < 300
    assert not os.path.exists(pkgs / "lib-1-0") or (pkgs / "lib-1-0" / "info").is_dir()
