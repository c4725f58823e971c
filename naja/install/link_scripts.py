"""Link scripts: the ``pre-link``, ``post-link`` and ``pre-unlink`` shell scripts a package may ship
(``bin/.<name>-<action>.sh``), run with conda's variables in the activated environment, and the text
packages want shown: ``info/prelink_messages/*`` and what scripts append to ``.messages.txt``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from naja.errors import TransactionError
from naja.types.records import PackageRecord

MESSAGES = ".messages.txt"


def link_script_path(prefix_or_pkg: str | os.PathLike[str], name: str, action: str) -> Path:
    return Path(prefix_or_pkg) / "bin" / f".{name}-{action}.sh"


def run_link_script(
    script: Path,
    prefix: str | os.PathLike[str],
    record: PackageRecord,
    action: str,
    *,
    root_prefix: str | None = None,
    source_dir: str | None = None,
) -> None:
    """Run a pre-link/post-link/pre-unlink script with conda's variables; a non-zero exit is a
    ``TransactionError`` naming the package (its output is included)."""
    prefix = os.fspath(prefix)
    env = dict(os.environ)
    env.update(
        PREFIX=prefix,
        PKG_NAME=record.name,
        PKG_VERSION=record.version,
        PKG_BUILDNUM=str(record.build_number),
        ROOT_PREFIX=root_prefix or os.environ.get("NAJA_ROOT_PREFIX", prefix),
        SOURCE_DIR=source_dir or prefix,
    )
    env["CONDA_PREFIX"] = prefix
    env["PATH"] = os.pathsep.join([str(script.parent), os.path.join(prefix, "bin"), env.get("PATH", "")])
    shell = shutil.which("bash") or "/bin/sh"
    # like conda, the script runs in the activated environment (activate.d scripts sourced first); it
    # is sourced so that scripts ending in a top-level ``return`` behave as under conda
    wrapper = 'for f in "$PREFIX"/etc/conda/activate.d/*.sh; do [ -f "$f" ] && . "$f"; done; . "$0"'
    proc = subprocess.run(
        [shell, "-c", wrapper, str(script)], env=env, cwd=prefix, capture_output=True, check=False
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip().splitlines()
        tail = " | ".join(output[-5:])
        raise TransactionError(
            f"{action} script of {record.dist_name} failed with exit code {proc.returncode}"
            + (f": {tail}" if tail else "")
        )


def prelink_messages(package_dir: Path, dist_name: str) -> list[str]:
    """``info/prelink_messages/*`` (conda ≥ 4.13): text a package wants shown when installed."""
    folder = package_dir / "info" / "prelink_messages"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        with contextlib.suppress(OSError):
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                out.append(f"{dist_name}: {text}")
    return out


def take_messages(root: str) -> str:
    """The text link scripts left in ``<prefix>/.messages.txt`` (at most 1 MiB), deleting the file."""
    path = os.path.join(root, MESSAGES)
    try:  # written by link scripts; a link there must not make naja read (or print) another file
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), encoding="utf-8",
                       errors="replace") as fh:
            text = fh.read(1 << 20).strip()
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return ""
    with contextlib.suppress(OSError):
        os.unlink(path)
    return text
