"""Running the real ``naja`` executable in a subprocess, for the CLI tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
# Byte code for the many short ``naja`` processes, kept outside the repository. Python checks each
# file against its source, so a stale entry is harmless; without it (PYTHONDONTWRITEBYTECODE=1 in
# some environments) every process recompiles naja, which costs more than the command itself.
PYCACHE = Path(tempfile.gettempdir()) / f"naja-cli-tests-pycache-{os.getuid()}"


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CONDA_PREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if extra:
        env.update(extra)
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def naja(*args: str | os.PathLike[str], ok: bool | None = True, input: str | None = None,
         env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
         timeout: float = 120) -> Result:
    """Run ``python -m naja ARGS``; ``ok=True`` asserts exit 0, ``ok=False`` asserts failure."""
    full_env = subprocess_env(env)
    full_env["PYTHONFAULTHANDLER"] = "1"  # a hung process is aborted below and shows where it was
    proc = subprocess.Popen([sys.executable, "-m", "naja", *map(os.fspath, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=cwd)
    try:
        stdout, stderr = proc.communicate(input if input is not None else "", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        stdout, stderr = proc.communicate()
        raise AssertionError(f"naja {' '.join(map(str, args))} hung for {timeout}s:\n{stderr}") from None
    result = Result(proc.returncode, stdout, stderr)
    if ok is True:
        assert proc.returncode == 0, f"naja {' '.join(map(str, args))} failed:\n{stderr}\n{stdout}"
    elif ok is False:
        assert proc.returncode != 0, f"naja {' '.join(map(str, args))} should have failed:\n{stdout}"
        assert "Traceback" not in stderr, stderr
    return result


def assert_one_line_error(result: Result, *needles: str) -> None:
    """A failure reported as exactly one ``error: ...`` line naming what was wrong, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = result.error_lines
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle.lower() in errors[0].lower(), errors[0]


_example_channel: Path | None = None


def example_channel(tmp_path_factory: Any) -> Path:
    """The channel ``examples/build_channel.py`` builds (with ``naja package create`` and ``naja
    index``), built once per test process and shared by the modules that install from it."""
    global _example_channel
    if _example_channel is None or not (_example_channel / "noarch" / "repodata.json").is_file():
        out = tmp_path_factory.mktemp("example-channel") / "channel"
        subprocess.run([sys.executable, str(REPO / "examples" / "build_channel.py"), str(out)], check=True,
                       capture_output=True, env=subprocess_env())
        _example_channel = out
    return _example_channel
