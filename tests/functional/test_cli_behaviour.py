"""Interactive and process-level behaviour: overwrite prompts, Ctrl-C, --json errors, startup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.cli import example_channel as shared_example_channel


@pytest.fixture(scope="module")
def example_channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


def test_create_over_existing_environment(example_channel, tmp_path):
    env = tmp_path / "env"
    naja("create", "-p", env, "-c", example_channel, "hello", "-y")
    # without -y an existing environment is not overwritten
    assert_one_line_error(naja("create", "-p", env, "-c", example_channel, "libhello", ok=False), "exists")
    assert (env / "bin" / "hello").is_file()
    # with -y it is replaced by exactly the new request
    doc = naja("create", "-p", env, "-c", example_channel, "libhello", "--json").json()
    assert {a["name"] for a in doc["actions"]["UNLINK"]} == {"hello", "libhello"}
    assert {a["name"] for a in doc["actions"]["LINK"]} == {"libhello"}
    assert not (env / "bin" / "hello").exists()
    assert (env / "share" / "hello" / "greeting.txt").is_file()
    assert sorted(p.name for p in (env / "conda-meta").glob("*.json")) == ["libhello-1.0-0.json"]


def test_ctrl_c_at_the_prompt_exits_130(example_channel, tmp_path):
    env = tmp_path / "env"
    naja("create", "-p", env, "-y")
    proc = subprocess.Popen([sys.executable, "-m", "naja", "install", "-p", str(env), "-c", str(example_channel),
                             "hello"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    os.set_blocking(proc.stderr.fileno(), False)
    while b"Confirm changes" not in seen and time.monotonic() < deadline:
        seen += os.read(proc.stderr.fileno(), 65536) if _readable(proc.stderr.fileno()) else b""
        time.sleep(0.05)
    assert b"Confirm changes" in seen
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    os.set_blocking(proc.stderr.fileno(), True)
    rest = (seen + proc.stderr.read()).decode()
    assert proc.returncode == 130
    assert "Traceback" not in rest and "error: interrupted" in rest
    assert not list((env / "conda-meta").glob("*.json"))


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_json_error_document_and_one_line(tmp_path):
    res = naja("install", "-p", tmp_path / "absent", "x", "--json", ok=False)
    doc = json.loads(res.stdout)
    assert doc["success"] is False and "absent" in doc["error"]
    assert_one_line_error(res, "absent")


def test_version_and_help():
    import naja as pkg

    assert naja("--version").stdout.strip() == pkg.__version__
    out = naja("--help").stdout
    for command in ("create", "install", "update", "remove", "list", "search", "repoquery", "info", "env",
                    "clean", "config", "package", "index", "shell", "run"):
        assert command in out
    assert "--freeze-installed" in naja("install", "--help").stdout
    assert "--all" in naja("update", "--help").stdout
    # an unknown option points at the help of the command that did not know it
    assert_one_line_error(naja("env", "export", "-n", "x", "--bogus", ok=False), "see 'naja env export --help'")


def test_piped_tables_are_not_cut_to_80_columns(example_channel, tmp_path):
    """``naja search ... | grep``/``naja list > file``: every cell whole, not ellipsised."""
    long = tmp_path / ("a-long-directory-name-" * 4) / "channel"
    long.parent.mkdir()
    long.symlink_to(example_channel)
    out = naja("search", "-c", long, "--override-channels", "hello", env={"COLUMNS": ""}).stdout
    assert long.as_uri() in out and "…" not in out, out
    # brackets in a cell are text, not rich markup
    env = tmp_path / "envs[dev]" / "env"
    naja("create", "-p", env, "-y", "-q")
    assert str(env) in naja("env", "list").stdout
    planned = naja("install", "-p", env, "-c", long, "hello", "--dry-run", env={"COLUMNS": ""}).stdout
    assert f"Transaction in {env}" in planned and long.as_uri() in planned, planned


def test_progress_bars_and_quiet_json(example_channel, tmp_path):
    env = {"NAJA_FORCE_PROGRESS": "1"}
    shown = naja("create", "-p", tmp_path / "a", "-c", example_channel, "hello", "-y", env=env)
    assert "download hello" in shown.stderr and "2/2 packages" in shown.stderr
    silent = naja("create", "-p", tmp_path / "b", "-c", example_channel, "libhello", "--json",
                  env={**env, "NAJA_ROOT_PREFIX": str(tmp_path / "other-root")})
    assert silent.stderr == ""
    assert json.loads(silent.stdout)["success"] is True


def test_env_remove_runs_pre_unlink_scripts(tmp_path):
    from tests.support.packages import make_channel

    marker = tmp_path / "unlinked.txt"
    chan = make_channel(tmp_path / "chan", [dict(
        name="marker", version="1.0", noarch="generic",
        files={"share/marker.txt": "m\n",
               "bin/.marker-pre-unlink.sh": f'#!/bin/sh\necho "$PKG_NAME" > "{marker}"\n'})])
    env = tmp_path / "env"
    naja("create", "-p", env, "-c", chan, "marker", "-y")
    assert (env / "share" / "marker.txt").is_file() and not marker.exists()
    naja("env", "remove", "-p", env, "--dry-run")
    assert env.is_dir() and not marker.exists()
    naja("env", "remove", "-p", env, "-y")
    assert not env.exists()
    assert marker.read_text().strip() == "marker"


def test_unexpected_exception_is_one_line_unless_verbose(monkeypatch, capsys):
    """A bug (not a NajaError) still ends in one line and exit 1; -v adds the traceback."""
    from naja import api
    from naja.cli.main import main

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "info", broken)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["error: unexpected RuntimeError: boom (run with -v for the traceback)"]
    assert main(["info", "-v"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("(run with -v for the traceback)")


def test_env_export_to_unwritable_file(tmp_path):
    naja("create", "-p", tmp_path / "e", "-y")
    assert_one_line_error(naja("env", "export", "-p", tmp_path / "e", "-f", tmp_path / "no" / "dir" / "x.yml",
                               ok=False), "x.yml")


def test_unwritable_target_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = naja("create", "-p", blocker / "env", "-y", ok=False)
    assert_one_line_error(res, "not a writable directory")
