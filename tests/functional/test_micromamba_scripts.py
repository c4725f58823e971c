"""Shell scripts written as a micromamba user writes them, run against naja under the name
``micromamba`` (issue 15's done-when): ``tests/micromamba_scripts/*.sh``, one per area, each with a
fresh root prefix and HOME, ``$CHANNEL`` a local channel built by naja and ``$WORK`` a scratch dir."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.cli import REPO
from tests.support.cli import example_channel as shared_example_channel
from tests.support.micromamba import install_micromamba, path_env

SCRIPTS = sorted((REPO / "tests" / "micromamba_scripts").glob("*.sh"))


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script(script, channel, tmp_path):
    if shutil.which("jq") is None:
        if os.environ.get("CI"):
            pytest.fail("jq is missing: .ci/run installs it")
        pytest.skip("jq is not installed")
    bin_dir = install_micromamba(tmp_path / "bin")
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = path_env(bin_dir, tmp_path / "root", {"HOME": str(home), "CHANNEL": channel.as_uri(),
                                                 "WORK": str(work)})
    proc = subprocess.run(["bash", str(script)], env=env, cwd=work, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
