"""Conda packages made from Python distributions installed in this interpreter.

Clients such as hatch-conda and metaflow ask the channel for real Python packages (``pip``, which
``add_pip_as_python_dependency`` makes every ``python`` depend on; ``requests``, which metaflow pins
into every ``@conda`` environment). Tests run offline, so these are repackaged from the installed
distributions: the same code, in a conda package whose files are the distribution's files. A pure
distribution becomes ``noarch: python`` (naja links it into ``lib/pythonX.Y/site-packages``); one
with compiled extensions is built for this machine's subdir and pinned to this interpreter's
``python X.Y``, as conda-forge builds are.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Iterable
from pathlib import Path

from tests.support.packages import make_package


def _site_files(dist: importlib.metadata.Distribution) -> dict[str, bytes]:
    """The distribution's files inside site-packages (not its scripts, not byte code), relative
    to site-packages; ``INSTALLER`` says conda, so ``list`` does not report it as a pip install."""
    files: dict[str, bytes] = {}
    for entry in dist.files or ():
        rel = entry.as_posix()
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        path = Path(str(entry.locate()))
        if not path.is_file():
            continue
        if rel.endswith(".dist-info/INSTALLER"):
            files[rel] = b"conda\n"
        elif rel.endswith(".dist-info/direct_url.json"):
            continue
        else:
            files[rel] = path.read_bytes()
    return files


def package_distribution(channel: Path, dist_name: str, conda_name: str | None = None,
                         depends: Iterable[str] = ()) -> Path:
    """Write a conda package of the installed distribution ``dist_name`` into ``channel``
    (``noarch`` or the host subdir; index the channel afterwards) and return its path."""
    from naja.types.platform import Platform

    dist = importlib.metadata.distribution(dist_name)
    files = _site_files(dist)
    name = conda_name or dist_name.lower().replace("_", "-")
    compiled = any(rel.endswith((".so", ".pyd")) for rel in files)
    if not compiled:
        return make_package(channel / "noarch", name, dist.version, build="pyh_0", noarch="python",
                            depends=["python >=3", *depends],
                            files={f"site-packages/{rel}": data for rel, data in files.items()})
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    subdir = str(Platform.host())
    site = f"lib/python{short}/site-packages"
    return make_package(channel / subdir, name, dist.version, build=f"py{short.replace('.', '')}_0",
                        subdir=subdir, depends=[f"python {short}.*", *depends],
                        files={f"{site}/{rel}": data for rel, data in files.items()},
                        prefix_placeholder_files={})
