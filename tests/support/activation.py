"""Helpers for the activation tests: fake prefixes, the naja command, a clean shell environment."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

SHELL_PROGRAMS = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish", "-N"],
                  "posix": ["dash"], "csh": ["tcsh", "-f"], "xonsh": ["xonsh", "--no-rc"]}


def shell_program(shell: str) -> list[str]:
    """The command running ``shell`` without rc files; skips when it is not installed, fails instead
    under NAJA_REQUIRE_SHELLS (set by .ci/run: no real-shell test skips in CI)."""
    import pytest

    argv = SHELL_PROGRAMS[shell]
    if shutil.which(argv[0]) is None:
        message = f"{argv[0]} is not installed (.ci/run installs zsh, fish, tcsh and xonsh)"
        if os.environ.get("NAJA_REQUIRE_SHELLS"):
            pytest.fail(message)
        pytest.skip(message)
    return argv


def naja_command() -> list[str]:
    """The installed ``naja`` executable (next to this interpreter), else ``python -m naja``."""
    candidate = Path(sys.executable).with_name("naja")
    if candidate.is_file():
        return [str(candidate)]
    found = shutil.which("naja")
    return [found] if found else [sys.executable, "-m", "naja"]


def dump_cmd(path: Path) -> list[str]:
    """A command writing its exact environment as JSON to ``path``."""
    code = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    return [sys.executable, "-c", code, str(path)]


def shell_env(tmp: Path, root: Path) -> dict[str, str]:
    """This process's environment without any activation state, with ``root`` as root prefix."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONDA_", "__CONDA_", "NAJA_", "MAMBA_")) and k not in ("PS1", "PROMPT", "_")}  # bash's last-argument variable: xonsh drops it
    env["NAJA_ROOT_PREFIX"] = str(root)
    env["NAJA_TEST_TMP"] = str(tmp)
    return env


def make_prefix(path: Path, tag: str, env_vars: dict[str, str] | None = None) -> Path:
    """An environment with ``bin/<tag>_tool``, ``conda-meta/{history,state}`` and activate.d /
    deactivate.d scripts (sh, fish and csh) that set and unset ``<tag>_ACTIVATED`` (two scripts, to
    check they are sourced in sorted order)."""
    (path / "bin").mkdir(parents=True)
    (path / "conda-meta").mkdir()
    (path / "conda-meta" / "history").write_text("==> 2026-01-01 00:00:00 <==\n# cmd: naja create\n")
    (path / "conda-meta" / "state").write_text(json.dumps({"env_vars": env_vars or {}}))
    tool = path / "bin" / f"{tag}_tool"
    tool.write_text(f"#!/bin/sh\necho '{tag} tool ran'\n")
    tool.chmod(0o755)
    act = path / "etc" / "conda" / "activate.d"
    deact = path / "etc" / "conda" / "deactivate.d"
    act.mkdir(parents=True)
    deact.mkdir(parents=True)
    var = f"{tag}_ACTIVATED"
    # written second-first so that directory order is not sorted order
    (act / "b-second.sh").write_text(f'export {var}="${var} 2:second"\n')
    (act / "a-first.sh").write_text(f'export {var}="1:first"\n')
    (act / "b-second.fish").write_text(f'set -gx {var} "${var} 2:second"\n')
    (act / "a-first.fish").write_text(f'set -gx {var} "1:first"\n')
    (act / "b-second.csh").write_text(f'setenv {var} "${var} 2:second"\n')
    (act / "a-first.csh").write_text(f'setenv {var} "1:first"\n')
    (deact / "x.sh").write_text(f"unset {var}\n")
    (deact / "x.fish").write_text(f"set -e {var}\n")
    (deact / "x.csh").write_text(f"unsetenv {var}\n")
    return path
