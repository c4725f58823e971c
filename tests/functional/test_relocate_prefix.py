"""``--relocate-prefix PATH`` (micromamba's prefix option): an environment built in one place for another.
Files are written with PATH where the prefix placeholder stood (text and binary mode), so that after a
move to PATH the environment works; without the flag the install location is written (the default)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.cli import naja
from tests.support.packages import make_channel

PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    return make_channel(tmp_path_factory.mktemp("relocate") / "ch", [{
        "name": "tool", "version": "1.0",
        "files": {"bin/tool": f"#!/bin/sh\ncat {PLACEHOLDER}/share/tool/greeting.txt\n",
                  "share/tool/greeting.txt": "hello from the moved environment\n",
                  "lib/libtool.bin": b"\x7fELF\x00" + PLACEHOLDER.encode() + b"/lib\x00tail"},
        "prefix_placeholder_files": {"bin/tool": "text", "lib/libtool.bin": "binary"},
    }])


@pytest.fixture
def short_dir():
    """A directory whose path fits the 32-byte binary placeholder (pytest's tmp_path does not)."""
    path = Path(tempfile.mkdtemp(prefix="rl", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_files_name_the_relocated_prefix_and_work_after_the_move(channel, tmp_path, short_dir):
    # built where the binary placeholder could not take the path, relocated to where it can
    build, final = tmp_path / "build" / "env", short_dir / "final"
    naja("create", "-p", build, "-c", channel.as_uri(), "--override-channels", "tool", "-y",
         "--relocate-prefix", final)
    script = (build / "bin" / "tool").read_text()
    assert f"cat {final}/share/tool/greeting.txt" in script and str(build) not in script
    binary = (build / "lib" / "libtool.bin").read_bytes()
    assert f"{final}/lib".encode() + b"\x00" in binary and str(build).encode() not in binary
    assert len(binary) == len(b"\x7fELF\x00" + PLACEHOLDER.encode() + b"/lib\x00tail")  # padded in place
    shutil.move(build, final)
    out = subprocess.run([final / "bin" / "tool"], capture_output=True, text=True, check=True).stdout
    assert out == "hello from the moved environment\n"


def test_without_it_files_name_the_install_location(channel, short_dir):
    env = short_dir / "env"
    naja("create", "-p", env, "-c", channel.as_uri(), "--override-channels", "tool", "-y")
    assert f"cat {env}/share/tool/greeting.txt" in (env / "bin" / "tool").read_text()


def test_a_relocated_prefix_longer_than_the_placeholder_fails_cleanly_for_binary_files(channel, tmp_path):
    env = tmp_path / "env"
    res = naja("create", "-p", env, "-c", channel.as_uri(), "--override-channels", "tool", "-y",
               "--relocate-prefix", "/" + "x" * 300, ok=False)
    assert "Traceback" not in res.stderr and "libtool.bin" in res.stderr
    assert not (env / "lib" / "libtool.bin").exists()
