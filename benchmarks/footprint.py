"""Footprint benchmark: what naja costs in a Docker image or a CI cache.

* installed: a fresh venv (no pip, no setuptools) into which this checkout is pip-installed (not
  editable), one row per distribution (files listed in its RECORD, byte code included);
* environment: a prefix created by ``naja create`` from an ``@EXPLICIT`` file of the real packages in
  ../shared/data/packages (no solve, as from a lockfile), the package cache it leaves, and the cache
  left after ``naja clean -a -y``.

Usage: ``python -m benchmarks footprint [--site-packages DIR] [--limit-mb 12]``. Building the venv
installs the dependencies from the configured package index (network); ``--site-packages`` measures
an existing installation instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOT_COUNTED = frozenset({"pip", "setuptools", "wheel"})

LAST: dict[str, float] = {}  # for ``benchmarks all``: installed_mb, env_mb, cache_mb, cache_after_clean_mb


def tree_size(root: Path) -> tuple[int, int]:
    """Bytes and files under ``root``: regular files once per inode, symlinks by their own size."""
    seen: set[tuple[int, int]] = set()
    total = files = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
            files += 1
    return total, files


def distribution_sizes(site: Path) -> list[tuple[str, str, int]]:
    """``(name, version, bytes)`` of each distribution installed in ``site``, largest first."""
    from importlib import metadata

    rows = []
    for dist in metadata.distributions(path=[str(site)]):
        size = 0
        for f in dist.files or ():
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                size += path.stat().st_size
        rows.append((dist.metadata["Name"], dist.version, size))
    return sorted(rows, key=lambda r: -r[2])


def fresh_install(work: Path) -> Path:
    """A venv without pip holding this checkout and its dependencies; returns its site-packages."""
    env = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-cache-dir",
           "--disable-pip-version-check", str(REPO)]
    subprocess.run(cmd, check=True, cwd=work)  # cwd: the checkout's own naja must not shadow the venv's
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def _mb(n: int) -> str:
    return f"{n / 1e6:7.2f} MB"


def report_installed(site: Path, limit_mb: float) -> bool:
    rows = distribution_sizes(site)
    counted = [r for r in rows if r[0].lower() not in NOT_COUNTED]
    width = max([len(r[0]) for r in rows] + [12])
    print(f"installed in {site} ({', '.join(sorted(NOT_COUNTED))} not counted):")
    for name, version, size in rows:
        note = "" if name.lower() not in NOT_COUNTED else "  (not counted)"
        print(f"  {name:{width}}  {version:12}  {_mb(size)}{note}")
    total = sum(r[2] for r in counted)
    ok = total <= limit_mb * 1e6
    print(f"  {'total':{width}}  {'':12}  {_mb(total)}  ({'within' if ok else 'OVER'} the {limit_mb:g} MB limit)")
    LAST["installed_mb"] = total / 1e6
    return ok


def _explicit_file(work: Path) -> tuple[Path, int]:
    """An ``@EXPLICIT`` file of the real linux-64/noarch packages (one build per name)."""
    from benchmarks.install import _real_archives
    from naja.package.download import file_digest
    from naja.package.info import read_index_json

    archives = [a for a in _real_archives() if read_index_json(a).get("subdir") in ("linux-64", "noarch")
                and not a.name.startswith("private-package")]  # it clobbers post_link-b's bin/file
    lines = ["@EXPLICIT", *(f"{a.resolve().as_uri()}#{file_digest(a, 'md5')}" for a in archives)]
    path = work / "explicit.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(archives)


def _naja(*args: str | os.PathLike[str], root: Path) -> None:
    env = {**os.environ, "NAJA_ROOT_PREFIX": str(root), "PYTHONPATH": str(REPO)}
    for var in ("CONDA_PREFIX", "CONDA_PKGS_DIRS", "NAJA_PKGS_DIRS", "MAMBA_PKGS_DIRS", "MAMBA_ROOT_PREFIX"):
        env.pop(var, None)
    subprocess.run([sys.executable, "-m", "naja", *map(os.fspath, args)], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def report_environment(work: Path) -> None:
    explicit, count = _explicit_file(work)
    root, prefix = work / "root", work / "opt" / "env"
    _naja("create", "-y", "-q", "-p", prefix, "-f", explicit, root=root)
    env_bytes, env_files = tree_size(prefix)
    cache_bytes, cache_files = tree_size(root / "pkgs")
    _naja("clean", "-a", "-y", "-q", root=root)
    left, left_files = tree_size(root / "pkgs") if (root / "pkgs").exists() else (0, 0)
    _naja("clean", "-a", "-f", "-y", "-q", root=root)
    forced, forced_files = tree_size(root / "pkgs") if (root / "pkgs").exists() else (0, 0)
    intact = tree_size(prefix) == (env_bytes, env_files)  # hard links keep the prefix's files alive
    print(f"environment from {count} real packages (../shared/data/packages):")
    print(f"  prefix                       {_mb(env_bytes)}  {env_files} files")
    print(f"  package cache after create   {_mb(cache_bytes)}  {cache_files} files "
          "(extracted packages share their files with the prefix through hard links where possible)")
    print(f"  package cache after clean -a {_mb(left)}  {left_files} files "
          "(extracted packages an environment uses are kept, as micromamba does)")
    print(f"  after clean -a -f            {_mb(forced)}  {forced_files} files"
          + f"; the prefix is {'intact' if intact else 'DAMAGED'}")
    LAST.update(env_mb=env_bytes / 1e6, cache_mb=cache_bytes / 1e6, cache_after_clean_mb=left / 1e6,
                cache_after_force_mb=forced / 1e6)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks footprint", description=__doc__.splitlines()[0])
    ap.add_argument("--site-packages", type=Path, help="measure this installation instead of a fresh venv")
    ap.add_argument("--limit-mb", type=float, default=12.0, help="the installed-size budget (default 12)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory(prefix="naja-footprint-") as tmp:
        work = Path(tmp)
        site = args.site_packages or fresh_install(work)
        ok = report_installed(site, args.limit_mb)
        report_environment(work)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
