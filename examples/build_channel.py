"""Build the example channel with naja itself: ``python examples/build_channel.py [OUT_DIR]``.

Every directory in ``examples/recipes/`` holds a package's ``info/index.json`` and its files; each is
packed with ``naja package create`` and the channel is indexed with ``naja index``. A ``python``
package is generated for this machine: it reuses the interpreter running this script (a venv-style
``pyvenv.cfg`` plus a ``bin/python`` link made by its post-link script), so that the ``noarch: python`` example (``greet``) can be
installed and run offline. The default output is ``examples/channel`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def naja(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "naja", *args], check=True)


def host_subdir() -> str:
    from naja.types.platform import Platform

    return str(Platform.host())


def make_python_recipe(root: Path, subdir: str) -> Path:
    """A ``python`` package whose interpreter is this one, set up like a venv.

    A package may not ship a link to an absolute path, so its post-link script makes
    ``bin/python3.X`` point at this interpreter (and its pre-unlink script removes it); the
    ``pyvenv.cfg`` it ships makes that interpreter use the environment's site-packages.
    """
    version = ".".join(str(v) for v in sys.version_info[:3])
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    recipe = root / "python"
    (recipe / "info").mkdir(parents=True)
    (recipe / "bin").mkdir()
    site = recipe / "lib" / f"python{short}" / "site-packages"
    site.mkdir(parents=True)
    (site / "README.txt").write_text("site-packages of the example python\n")
    index = {
        "name": "python", "version": version, "build": "host_0", "build_number": 0,
        "depends": [], "license": "PSF-2.0", "subdir": subdir, "timestamp": 1700000000000,
    }
    (recipe / "info" / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    real = os.path.realpath(sys.executable)
    (recipe / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(real)}\ninclude-system-site-packages = false\nversion = {version}\n")
    links = (f'ln -sf "{real}" "$PREFIX/bin/python{short}"\n'
             f'ln -sf "python{short}" "$PREFIX/bin/python3"\n'
             f'ln -sf "python{short}" "$PREFIX/bin/python"\n')
    (recipe / "bin" / ".python-post-link.sh").write_text("#!/bin/sh\nset -e\n" + links)
    (recipe / "bin" / ".python-pre-unlink.sh").write_text(
        f'#!/bin/sh\nrm -f "$PREFIX/bin/python{short}" "$PREFIX/bin/python3" "$PREFIX/bin/python"\n')
    return recipe


def build(out: Path) -> Path:
    out = out.resolve()
    subdir = host_subdir()
    for d in ("noarch", subdir):
        (out / d).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        recipes = []
        for src in sorted((HERE / "recipes").iterdir()):
            if (src / "info" / "index.json").is_file():
                dst = work / src.name
                shutil.copytree(src, dst, symlinks=True)  # package create adds info/paths.json
                recipes.append(dst)
        recipes.append(make_python_recipe(work, subdir))
        for recipe in recipes:
            index = json.loads((recipe / "info" / "index.json").read_text())
            naja("package", "create", "-q", str(recipe), str(out / index.get("subdir", "noarch")))
    naja("index", "-q", str(out))
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE / "channel"
    path = build(out)
    print(f"example channel ready: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
