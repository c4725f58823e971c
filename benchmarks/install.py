"""Install benchmark: naja's Transaction vs ``rattler.install`` on the same records, same machine, same run.

Two workloads, each measured cold (empty package cache: download from a loopback HTTP server, verify,
extract, link) and warm (populated cache, new prefix: link only):

* ``real``: every real package in ../shared/data/packages that installs cleanly alongside the others
  (one build per name; clobber fixtures and deliberately failing link scripts left out);
* ``wide``: synthetic packages with many files each (link throughput);
* ``large``: real-looking large packages (numpy, scipy, sympy: thousands of files, ~200 MB) repacked
  as conda packages from their wheels, fetched once with ``pip download`` (PyPI only) and built once
  into ``.naja-bench/large/`` (skipped with a note when the wheels cannot be had).

After every install the prefix's tree (paths, kinds, sizes, outside ``conda-meta``) must equal
rattler's, so the two tools are compared on the same work.

Usage: ``python -m benchmarks install [--repeat N] [--wide-packages N] [--wide-files N] [--large NAME ...]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.channel_server import ChannelServer

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("NAJA_SHARED", REPO.parent / "shared")) / "data"

EXCLUDE_PREFIXES = ("clobber", "ca-certificates", "failing_post_link", "post_link-c", "post_link-d")


def _real_archives() -> list[Path]:
    from naja.errors import PackageError
    from naja.package.info import read_index_json
    from naja.types.archive import PACKAGE_EXTENSIONS

    chosen: dict[str, Path] = {}
    for path in sorted((SHARED_DATA / "packages").rglob("*")):
        if not path.name.endswith(PACKAGE_EXTENSIONS) or path.name.startswith(EXCLUDE_PREFIXES):
            continue
        try:
            index = read_index_json(path)
        except PackageError:
            continue
        if index["name"] == "zlib":
            # the linux/osx builds carry symlinks with empty targets (refused by rattler); the win-64
            # build links the same way on any host
            if index.get("subdir") != "win-64":
                continue
        elif index.get("subdir") not in ("linux-64", "noarch"):
            continue
        chosen.setdefault(index["name"], path)
    return list(chosen.values())


def _wide_channel(root: Path, packages: int, files: int) -> None:
    sys.path.insert(0, str(REPO))
    from tests.support.packages import make_package

    (root / "linux-64").mkdir(parents=True, exist_ok=True)
    (root / "noarch").mkdir(exist_ok=True)
    for i in range(packages):
        content = {f"share/wide{i}/d{j % 16}/f{j}.txt": f"package {i} file {j}\n" * 20 for j in range(files)}
        content[f"lib/wide{i}.pc"] = "prefix=/opt/anaconda1anaconda2anaconda3\n"
        make_package(root / "linux-64", f"wide{i}", "1.0", files=content)


BENCH_DIR = REPO / ".naja-bench"
LARGE_DEFAULT = ("numpy", "scipy", "sympy")


def _wheels(names: tuple[str, ...]) -> list[Path]:
    """One cached wheel per name (``pip download --no-deps`` on first use); missing ones left out."""
    import subprocess

    wheel_dir = BENCH_DIR / "wheels"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        found = sorted(wheel_dir.glob(f"{name}-*.whl"))
        if not found:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "-d", str(wheel_dir), name], check=False)
            found = sorted(wheel_dir.glob(f"{name}-*.whl"))
        if found:
            out.append(found[-1])
        else:
            print(f"# large: no wheel for {name}; left out", file=sys.stderr)
    return out


def _large_archives(names: tuple[str, ...]) -> list[Path]:
    """``.conda`` packages repacked from wheels (files under ``lib/python3.11/site-packages``, a
    linux-64 build without dependencies so no interpreter is needed), built once and cached."""
    import json
    import zipfile

    from naja.package.create import create_conda
    from naja.types.archive import strip_archive_suffix

    built_dir = BENCH_DIR / "large"
    built_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for wheel in _wheels(names):
        name, version = wheel.name.split("-")[:2]
        archive = built_dir / f"{name}-{version}-bench_0.conda"
        if not archive.is_file():
            with tempfile.TemporaryDirectory(prefix="naja-bench-wheel-") as stage_name:
                stage = Path(stage_name)
                with zipfile.ZipFile(wheel) as zf:
                    zf.extractall(stage / "lib" / "python3.11" / "site-packages")
                (stage / "info").mkdir()
                index = {"name": name.lower(), "version": version, "build": "bench_0", "build_number": 0,
                         "depends": [], "subdir": "linux-64", "platform": "linux", "arch": "x86_64"}
                (stage / "info" / "index.json").write_text(json.dumps(index))
                create_conda(stage, built_dir, name=strip_archive_suffix(archive.name))
        out.append(archive)
    return out


def _build_channel(root: Path, archives: list[Path]) -> None:
    from naja.package.info import read_index_json
    from naja.repodata.channel_index import index_channel

    (root / "noarch").mkdir(parents=True, exist_ok=True)
    for archive in archives:
        subdir = read_index_json(archive).get("subdir") or "noarch"
        (root / subdir).mkdir(exist_ok=True)
        shutil.copyfile(archive, root / subdir / archive.name)
    index_channel(root, shards=False, zst=False)


def _naja_records(root: Path, base_url: str) -> list:
    sys.path.insert(0, str(REPO))
    from tests.support.txn import channel_records

    return list(channel_records(root, base_url).values())


def _rattler_records(root: Path, base_url: str) -> list:
    import rattler

    out = []
    for repodata in sorted(root.glob("*/repodata.json")):
        sparse = rattler.SparseRepoData(rattler.Channel(base_url), repodata.parent.name, repodata)
        for name in sparse.package_names():
            out.extend(sparse.load_records(rattler.PackageName(name)))
    return out


#: bookkeeping, not package files: naja's records, rattler's cache tag and its copies of clobbered files
_NOT_COMPARED = ("conda-meta", "CACHEDIR.TAG", "__clobbers__")


def _tree(prefix: Path) -> dict[str, tuple[str, int]]:
    """``{relative path: (kind, size)}`` of a prefix's package files (what both tools link)."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(prefix):
        rel_dir = os.path.relpath(dirpath, prefix)
        if rel_dir.split(os.sep)[0] in _NOT_COMPARED:
            continue
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            if rel_dir == "." and name in _NOT_COMPARED:
                continue
            st = os.lstat(os.path.join(dirpath, name))
            kind = "link" if os.path.islink(os.path.join(dirpath, name)) else "file"
            out[os.path.normpath(os.path.join(rel_dir, name))] = (kind, st.st_size if kind == "file" else 0)
    return out


def _same_trees(name: str, ours: Path, theirs: Path) -> None:
    a, b = _tree(ours), _tree(theirs)
    if a != b:
        only_a = sorted(set(a) - set(b))[:5]
        only_b = sorted(set(b) - set(a))[:5]
        differ = sorted(k for k in set(a) & set(b) if a[k] != b[k])[:5]
        raise AssertionError(f"{name}: naja's tree differs from rattler's: only naja {only_a}, only rattler "
                             f"{only_b}, different {differ}")


def _time(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _bench(name: str, root: Path, url: str, work: Path, repeat: int) -> list[tuple[str, float, float]]:
    import rattler

    from naja.install.transaction import Transaction
    from naja.package.cache import PackageCache

    ours = _naja_records(root, url)
    theirs = _rattler_records(root, url)
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    run = 0

    def fresh(kind: str) -> Path:
        nonlocal run
        run += 1
        return work / f"{kind}{run:03d}"

    def naja_install(cache: Path, prefix: Path) -> None:
        Transaction.from_solution(prefix, ours, []).execute(PackageCache([cache]))

    def rattler_install(cache: Path, prefix: Path) -> None:
        asyncio.run(rattler.install(theirs, prefix, cache_dir=cache, show_progress=False, execute_link_scripts=True))

    results = []
    checked = False
    for label, warm in (("cold (download+extract+link)", False), ("warm (link only)", True)):
        times: dict[str, list[float]] = {"naja": [], "rattler": []}
        warm_caches = {"naja": fresh("nc"), "rattler": fresh("rc")}
        if warm:
            naja_install(warm_caches["naja"], fresh("ne"))
            rattler_install(warm_caches["rattler"], fresh("re"))
        cpu: dict[str, list[float]] = {"naja": [], "rattler": []}
        for _ in range(repeat):
            prefixes, used = {}, []
            for tool, fn in (("naja", naja_install), ("rattler", rattler_install)):
                cache = warm_caches[tool] if warm else fresh(tool[0] + "c")
                prefix = prefixes[tool] = fresh(tool[0] + "e")
                used += [prefix] if warm else [prefix, cache]
                c0 = time.process_time()
                times[tool].append(_time(lambda fn=fn, cache=cache, prefix=prefix: fn(cache, prefix)))
                cpu[tool].append(time.process_time() - c0)
            if not checked:
                _same_trees(name, prefixes["naja"], prefixes["rattler"])
                checked = True
            for path in used:  # keep the disk from filling up with the large workload
                shutil.rmtree(path, ignore_errors=True)
        n, r = statistics.median(times["naja"]), statistics.median(times["rattler"])
        results.append((f"{name}: {label}", n, r))
        CPU_ROWS.append((f"{name}: {label}", statistics.median(cpu["naja"]), statistics.median(cpu["rattler"])))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks install", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wide-packages", type=int, default=10)
    parser.add_argument("--wide-files", type=int, default=300)
    parser.add_argument("--large", nargs="*", default=list(LARGE_DEFAULT),
                        help="wheels repacked for the large workload (none: skip it)")
    args = parser.parse_args(argv)
    try:
        import rattler  # noqa: F401
    except ImportError:
        print("py-rattler is not installed; nothing to compare against", file=sys.stderr)
        return 1
    if not (SHARED_DATA / "packages").is_dir():
        print(f"real packages not found at {SHARED_DATA}/packages", file=sys.stderr)
        return 1
    sys.path.insert(0, str(REPO))
    import logging

    logging.getLogger("naja").setLevel(logging.ERROR)  # clobber warnings of the fixtures are expected

    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="naja-bench-install-") as tmp:
        tmpdir = Path(tmp)
        real_root = tmpdir / "real"
        archives = _real_archives()
        _build_channel(real_root, archives)
        wide_root = tmpdir / "wide"
        _wide_channel(wide_root, args.wide_packages, args.wide_files)
        from naja.repodata.channel_index import index_channel

        index_channel(wide_root, shards=False, zst=False)
        workloads = [
            ("real", real_root, f"{len(archives)} real packages"),
            ("wide", wide_root, f"{args.wide_packages} packages x {args.wide_files} files"),
        ]
        large = _large_archives(tuple(args.large)) if args.large else []
        if large:
            large_root = tmpdir / "large"
            _build_channel(large_root, large)
            workloads.append(("large", large_root, f"{len(large)} packages repacked from wheels "
                              f"({', '.join(a.name.split('-')[0] for a in large)}), {_files(large)} files"))
        CPU_ROWS.clear()
        for name, root, desc in workloads:
            with ChannelServer(root) as server:
                print(f"# {name}: {desc}, served from {server.url}, median of {args.repeat}")
                rows += _bench(name, root, server.url, tmpdir / f"work-{name}", args.repeat)
    LAST_ROWS[:] = rows
    width = max(len(r[0]) for r in rows)
    print(f"{'workload':{width}}  {'naja':>9}  {'rattler':>9}  {'naja/rattler':>12}")
    for label, n, r in rows:
        print(f"{label:{width}}  {n * 1000:7.1f}ms  {r * 1000:7.1f}ms  {n / r:11.2f}x")
    print("CPU time (this process, all threads; steadier on a shared machine):")
    for label, n, r in CPU_ROWS:
        print(f"{label:{width}}  {n * 1000:7.1f}ms  {r * 1000:7.1f}ms  {n / r:11.2f}x")
    return 0


def _files(archives: list[Path]) -> int:
    from naja.package.info import read_paths_json

    return sum(len(read_paths_json(a).get("paths", [])) for a in archives)


#: the last run's rows ``(workload, naja seconds, rattler seconds)``, for ``python -m benchmarks all``
LAST_ROWS: list[tuple[str, float, float]] = []
#: the same rows in CPU seconds of this process (naja's threads, rattler's runtime threads)
CPU_ROWS: list[tuple[str, float, float]] = []


if __name__ == "__main__":
    raise SystemExit(main())
