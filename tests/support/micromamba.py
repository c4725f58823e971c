"""A ``micromamba`` (and ``mamba``) executable on PATH that runs this checkout's naja.

It is what the console script does (``naja.cli.main:main``), under the name a client or a
micromamba user's script calls: the name in ``argv[0]`` is what switches naja's version identity.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.support.cli import REPO, subprocess_env

SCRIPT = f"""#!{sys.executable}
import sys
sys.path.insert(0, {str(REPO)!r})
from naja.cli.main import main
sys.exit(main())
"""


def install_micromamba(bin_dir: Path, names: tuple[str, ...] = ("micromamba", "mamba", "naja")) -> Path:
    """Write the executables into ``bin_dir``; returns ``bin_dir`` (prepend it to PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = bin_dir / name
        path.write_text(SCRIPT)
        path.chmod(0o755)
    return bin_dir


def path_env(bin_dir: Path, root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment with ``bin_dir`` first on PATH, ``root`` as MAMBA_ROOT_PREFIX and no
    CONDA_/MAMBA_/NAJA_ variables of the caller's."""
    env = {k: v for k, v in subprocess_env().items() if not k.startswith(("CONDA_", "MAMBA_", "NAJA_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["MAMBA_ROOT_PREFIX"] = str(root)
    env.update(extra or {})
    return env


def mm(bin_dir: Path, *args: str | os.PathLike[str], env: dict[str, str], input: str = "",
       name: str = "micromamba", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``micromamba ARGS`` (the script under that name) and return the completed process."""
    return subprocess.run([str(bin_dir / name), *map(os.fspath, args)], input=input, capture_output=True,
                          text=True, env=env, timeout=timeout)


def require_client(module: str) -> ModuleType:
    """Import a client from the ``test`` extra: skipped where it is missing, except in CI, where every
    client must run (``.ci/run`` installs them), so a missing one fails instead of passing silently."""
    import importlib

    import pytest

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"client {module} is not installed in CI: {exc}", pytrace=False)
        pytest.skip(f"client {module} is not installed (pip install -e '.[test]')", allow_module_level=True)
