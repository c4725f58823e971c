"""``python -m benchmarks repodata``: loading the records a request can reach, naja vs py-rattler.

On the conda-forge-sized scale channel (``benchmarks/scale.py``), for ``python numpy pandas scipy
matplotlib`` on linux-64 + noarch:

(a) cold: from the raw ``repodata.json`` files to the reachable records. naja: index build
    (one pass over the JSON) + load, through ``load_records`` on a ``file://`` channel with an empty
    cache. rattler: ``SparseRepoData`` open + ``load_records_recursive``.
(b) warm: the same with naja's index already built (rattler has nothing more to cache: its warm path
    is the same sparse open + load).
(c) full index build of linux-64: naja ``local_index.build`` + write vs rattler ``SparseRepoData`` open.

Each figure is the best of ``--repeat`` runs, as wall time and as CPU time of the process (the
machine is shared: the minimum, and CPU time, are the least noisy). Ratios are naja/rattler.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.scale import scale_channel

SPECS = ["python", "numpy", "pandas", "scipy", "matplotlib"]


def _timed(fn: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None) -> tuple[float, float, object]:
    """(best wall time, best CPU time of this process, last result) over ``repeat`` runs. CPU time
    (user + system, all threads) is the steadier figure on a shared machine."""
    walls, cpus = [], []
    result: object = None
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        c0 = time.process_time()
        start = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks repodata", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--specs", nargs="*", default=SPECS)
    args = ap.parse_args(argv)

    from rattler import Channel as RChannel
    from rattler import PackageName, SparseRepoData

    from naja.repodata import load_records
    from naja.repodata import local_index as li

    root = scale_channel()
    channel_url = root.as_uri()
    specs = args.specs
    work = Path(tempfile.mkdtemp(prefix="naja-bench-repodata-"))
    try:
        cache = work / "cache"

        def fresh_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def naja_load() -> list:
            return load_records([channel_url], "linux-64", specs, cache_dir=cache)

        def rattler_load() -> list:
            rch = RChannel("scale")
            sparse = [SparseRepoData(rch, s, str(root / s / "repodata.json")) for s in ("linux-64", "noarch")]
            found = SparseRepoData.load_records_recursive(sparse, [PackageName(n) for n in specs])
            return [r for group in found for r in group]

        rows = []
        rattler_best, rattler_cpu, theirs = _timed(rattler_load, args.repeat)
        cold_best, cold_cpu, ours = _timed(naja_load, args.repeat, setup=fresh_cache)
        rows.append(("(a) cold: raw repodata.json -> reachable records", cold_best, cold_cpu, rattler_best, rattler_cpu))
        warm_best, warm_cpu, ours = _timed(naja_load, args.repeat * 3)
        rows.append(("(b) warm: from the local index", warm_best, warm_cpu, rattler_best, rattler_cpu))

        source = root / "linux-64" / "repodata.json"

        def naja_build() -> None:
            header = li.build_from_file(source, li.source_key(source))
            li.write(header, work / "bench.naja-index")

        def rattler_open() -> object:
            return SparseRepoData(RChannel("scale"), "linux-64", str(source))

        b_best, b_cpu, _ = _timed(naja_build, args.repeat)
        r_best, r_cpu, _ = _timed(rattler_open, args.repeat)
        rows.append(("(c) full index build, linux-64 (rattler: sparse open)", b_best, b_cpu, r_best, r_cpu))

        n_ours = len(ours)  # type: ignore[arg-type]
        n_theirs = len(theirs)  # type: ignore[arg-type]
        size_mb = sum((root / s / "repodata.json").stat().st_size for s in ("linux-64", "noarch")) / 1e6
        print(f"repodata benchmark: {root} ({size_mb:.0f} MB JSON), specs: {' '.join(specs)}")
        print(f"records: naja {n_ours}, rattler {n_theirs} (naja also follows constrains)")
        print(f"{'best of ' + str(args.repeat):55} {'naja':>9} {'rattler':>9} {'ratio':>7}"
              f"   {'naja cpu':>9} {'rattler cpu':>11} {'ratio':>6}")
        LAST_ROWS[:] = rows
        for label, nw, nc, rw, rc in rows:
            print(f"{label:55} {nw * 1000:7.1f}ms {rw * 1000:7.1f}ms {nw / rw:6.2f}x"
                  f"   {nc * 1000:7.1f}ms {rc * 1000:9.1f}ms {nc / max(rc, 1e-9):5.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


#: the last run's rows ``(label, naja wall, naja cpu, rattler wall, rattler cpu)``, for ``benchmarks all``
LAST_ROWS: list[tuple[str, float, float, float, float]] = []
