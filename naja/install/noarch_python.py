"""``noarch: python`` packages: built once, installed into whatever python the environment has.

Their files are remapped (``site-packages/`` to the environment's site-packages, ``python-scripts/``
to ``bin/``, see ``package_plan``), their entry points (``info/link.json``) are written as console
scripts, and their ``.py`` files are compiled by the environment's python in one batched subprocess.
``PythonInfo`` is the environment's python, which decides all of that.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from naja.confine import ConfinementError, check_relpath
from naja.errors import PackageError, TransactionError
from naja.install.prefix_replacement import MAX_SHEBANG_LENGTH
from naja.types.records import PackageRecord


@dataclass(frozen=True)
class PythonInfo:
    """The environment's python, which decides where ``noarch: python`` files go."""

    version: str  # "3.11"
    site_packages: str  # "lib/python3.11/site-packages"

    @property
    def executable(self) -> str:
        """Relative path of the interpreter used in entry-point shebangs and for compiling."""
        return f"bin/python{self.version}"

    @property
    def cache_tag(self) -> str:
        return "cpython-" + self.version.replace(".", "")

    @classmethod
    def from_record(cls, record: PackageRecord) -> PythonInfo:
        parts = record.version.split(".")
        if len(parts) < 2 or not parts[0].isdigit():
            raise TransactionError(f"cannot tell the python version from {record.dist_name}")
        version = f"{parts[0]}.{parts[1]}"
        site = record.python_site_packages_path or f"lib/python{version}/site-packages"
        try:  # a record's value of "conda-meta" or "." would send noarch files into naja's records
            norm = check_relpath(site, f"{record.dist_name}: python_site_packages_path")
        except ConfinementError as exc:
            raise TransactionError(str(exc)) from None
        return cls(version=version, site_packages=norm)


def is_noarch_python(record: PackageRecord, package_dir: Path) -> bool:
    if record.noarch_kind == "python":
        return True
    from naja.package.info import read_json_file

    try:
        index = read_json_file(package_dir / "info" / "index.json")
    except PackageError:  # no or a broken index.json: the record alone says the package is not noarch
        return False
    return index.get("noarch") == "python"


def parse_entry_point(record: PackageRecord, spec: str) -> tuple[str, str, str]:
    """``"cmd = pkg.mod:func"`` -> (``bin/cmd``, ``pkg.mod``, ``func``), refusing anything odd."""
    cmd, eq, rest = spec.partition("=")
    module, colon, func = rest.strip().partition(":")
    cmd, module, func = cmd.strip(), module.strip(), func.strip()
    ok_cmd = cmd and "/" not in cmd and "\\" not in cmd and cmd not in (".", "..")
    ok_names = all(part.isidentifier() for part in (module + "." + func).split("."))
    if not (eq and colon and ok_cmd and ok_names):
        raise PackageError(f"{record.dist_name}: invalid entry point {spec!r}")
    return f"bin/{cmd}", module, func


def python_shebang(python: str) -> str:
    """``#!<python>``, or the ``/bin/sh`` trampoline when the path is too long or has spaces."""
    line = f"#!{python}"
    if len(line) <= MAX_SHEBANG_LENGTH and " " not in python:
        return line + "\n"
    return f"#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\" #'''\n"


def python_entry_point_script(python: str, module: str, func: str) -> str:
    """The console script conda writes for a ``noarch: python`` entry point."""
    return (
        python_shebang(python)
        + "# -*- coding: utf-8 -*-\n"
        + "import re\n"
        + "import sys\n\n"
        + f"from {module} import {func.split('.')[0]}\n\n"
        + "if __name__ == '__main__':\n"
        + "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
        + f"    sys.exit({func}())\n"
    )


def compile_pyc(prefix: str | os.PathLike[str], python: PythonInfo, py_files: Iterable[str]) -> set[str]:
    """Compile ``py_files`` (prefix-relative) with the environment's python in one subprocess; return
    the relative paths of the byte-code files that exist afterwards. Without a python, nothing."""
    prefix = os.fspath(prefix)
    exe = os.path.join(prefix, python.executable)
    if not os.path.exists(exe):
        exe = os.path.join(prefix, "bin", "python")
        if not os.path.exists(exe):
            return set()
    files = [f for f in py_files if f.endswith(".py")]
    if not files:
        return set()
    stdin = "\n".join(os.path.join(prefix, f) for f in files) + "\n"
    subprocess.run(
        [exe, "-Wi", "-m", "compileall", "-q", "-l", "-i", "-"],
        input=stdin.encode(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=prefix,
        check=False,
        # the byte code belongs next to the sources in the prefix, not in the user's pycache tree
        env={k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"},
    )
    # whatever interpreter ran, record the byte code it wrote (its cache tag may differ from ours)
    listings: dict[str, list[str]] = {}
    out: set[str] = set()
    for f in files:
        head, _, tail = f.rpartition("/")
        cache_dir = f"{head}/__pycache__"
        if cache_dir not in listings:
            try:
                listings[cache_dir] = os.listdir(os.path.join(prefix, cache_dir))
            except OSError:
                listings[cache_dir] = []
        stem = tail[:-3] + "."
        out.update(f"{cache_dir}/{n}" for n in listings[cache_dir] if n.startswith(stem) and n.endswith(".pyc")
                   and n.count(".") == stem.count(".") + 1)
    return out

