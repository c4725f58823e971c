"""``python -m benchmarks dry_run [--repeat N]``: a whole ``naja create --dry-run --json`` of ``python
numpy pandas scipy matplotlib`` on the conda-forge-sized scale channel, against py-rattler doing the
same work in a fresh process (start, import, open the sparse repodata, solve).

cold: naja with an empty repodata cache (its per-name index is built in the run); warm: the index
already built. rattler has nothing to cache, so its one figure serves for both. Medians of
``--repeat`` runs, each a fresh process through the console script of a non-editable install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.scale import BENCH_DIR, scale_channel

SPECS = ("python", "numpy", "pandas", "scipy", "matplotlib")
LAST: dict[str, float] = {}  # "cold", "warm": naja/rattler ratios; "naja_cold", "naja_warm", "rattler": seconds

_RATTLER = """
import asyncio, os, sys
import rattler
ch = rattler.Channel(sys.argv[1])
sparse = [rattler.SparseRepoData(ch, s, sys.argv[1] + "/" + s + "/repodata.json") for s in ("linux-64", "noarch")]
virtual = [rattler.GenericVirtualPackage(rattler.PackageName(n), rattler.Version(v), rattler.BuildString(b))
           for n, v, b in (("__glibc", "2.28", "0"), ("__unix", "0", "0"), ("__linux", "5.4", "0"))]
recs = asyncio.run(rattler.solve_with_sparse_repodata(sys.argv[2:], sparse, virtual_packages=virtual))
print(len(recs), flush=True)
os._exit(0)  # py-rattler 0.28 can crash while the interpreter finalizes; the work is done
"""


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed: {proc.stderr.strip().splitlines()[-1:]}")
    return dt


def main(argv: list[str] | None = None) -> int:
    from benchmarks.startup import SITE, install

    ap = argparse.ArgumentParser(prog="python -m benchmarks dry_run")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    channel = scale_channel()
    script = install()
    work = BENCH_DIR / "dry-run"
    work.mkdir(parents=True, exist_ok=True)
    rc = work / "condarc.yml"
    rc.write_text("add_pip_as_python_dependency: false\nchannel_priority: strict\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "NAJA"))}
    env.update(PYTHONPATH=str(SITE), HOME=str(work), CONDA_OVERRIDE_GLIBC="2.28", CONDA_OVERRIDE_CUDA="")
    pkgs = work / "pkgs"
    env["CONDA_PKGS_DIRS"] = str(pkgs)
    naja = [sys.executable, str(script), "create", "--dry-run", "--json", "--rc-file", str(rc), "-p",
            str(work / "env"), "--override-channels", "-c", channel.resolve().as_uri(), *SPECS]
    rattler = [sys.executable, "-c", _RATTLER, str(channel.resolve()), *SPECS]
    r_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cold, warm, ratt = [], [], []
    for _ in range(args.repeat):
        shutil.rmtree(pkgs, ignore_errors=True)
        cold.append(_run(naja, env, work))
        warm.append(_run(naja, env, work))
        ratt.append(_run(rattler, r_env, work))
    n_cold, n_warm, r = (statistics.median(x) for x in (cold, warm, ratt))
    LAST.clear()
    LAST.update(cold=n_cold / r, warm=n_warm / r, naja_cold=n_cold, naja_warm=n_warm, rattler=r)
    print(f"scale channel, create --dry-run --json {' '.join(SPECS)} (median of {args.repeat}):")
    print(f"naja cold (index built) {n_cold * 1e3:8.0f} ms  {n_cold / r:5.2f}x")
    print(f"naja warm               {n_warm * 1e3:8.0f} ms  {n_warm / r:5.2f}x")
    print(f"rattler (fresh process) {r * 1e3:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
