"""``python -m benchmarks all [--quick]``: every benchmark in one run, then the issue's targets, each
with the measured value, its limit and PASS/FAIL, and the CPU model.

Runs, in this process and in order: ``startup`` (console script of a non-editable install, median of
21 runs, or 7 with ``--quick``), ``repodata`` (scale channel: cold, warm, index build), ``solver``
(curated and generated requests over the real channel sets and the scale channel: verdicts,
validity, conda-objective score and time ratios against py-rattler, the CLI), the scale channel's
whole ``create --dry-run --json`` cold and warm, ``footprint`` (installed size, environment and
package cache sizes) and ``install`` (real, wide and large packages, cold and warm).
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    what: str
    value: float
    limit: float
    unit: str = "x"  # "x" for ratios, "" for counts, "s" for seconds, " MB" for sizes

    @property
    def ok(self) -> bool:
        return not math.isnan(self.value) and self.value <= self.limit

    def line(self, width: int) -> str:
        fmt = (lambda v: f"{v:.2f}x") if self.unit == "x" else (lambda v: f"{v:.3f} s") if self.unit == "s" \
            else (lambda v: f"{v:.2f} MB") if self.unit == " MB" else (lambda v: f"{v:.0f}")
        return f"{self.what:{width}}  {fmt(self.value):>9}  <= {fmt(self.limit):>8}  {'PASS' if self.ok else 'FAIL'}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _section(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


_INSTALL_LIMITS = {("real", "cold"): 1.2, ("wide", "cold"): 1.5, ("large", "cold"): 1.2,
                   ("real", "warm"): 1.0, ("wide", "warm"): 1.0, ("large", "warm"): 1.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks all", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and requests")
    ap.add_argument("--skip", nargs="*", default=[], choices=("startup", "repodata", "solver", "dry-run", "install"))
    args = ap.parse_args(argv)
    # py-rattler's runtime must start before naja's repodata loader runs (see benchmarks/solver.py)
    import rattler  # noqa: F401

    from benchmarks import dry_run, install, repodata, solver, startup

    quick = args.quick
    targets: list[Target] = []
    failures: list[str] = []
    notes: list[str] = []
    start = time.perf_counter()

    def run(title: str, fn: Callable[[], int]) -> None:
        if title.split()[0] in args.skip:
            return
        _section(title)
        t0 = time.perf_counter()
        try:
            code = fn()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failures.append(f"{title}: {type(exc).__name__}: {exc}")
            print(f"error: {title}: {exc}")
            return
        if code:
            failures.append(f"{title}: exit status {code}")
        print(f"({title}: {time.perf_counter() - t0:.0f} s)")

    run("startup", lambda: startup.main(["--runs", "7" if quick else "21"]))
    if startup.LAST:
        m = startup.LAST
        targets.append(Target("naja --version / python -c pass (wall)", m["version"] / m["python"], 1.5))
        targets.append(Target("naja create --dry-run (small local channel) / python -c pass (wall)",
                              m["dry_run"] / m["python"], 3.0))
        print(f"CPU time ratios (steadier on a shared machine): --version "
              f"{m['version_cpu'] / m['python_cpu']:.2f}x, dry run {m['dry_run_cpu'] / m['python_cpu']:.2f}x")

    run("repodata", lambda: repodata.main(["--repeat", "1" if quick else "3"]))

    run("solver", lambda: solver.main(["--quick"] if quick else []))
    s = solver.LAST_SUMMARY
    if s:
        targets += [
            Target(f"requests where naja is worse than rattler (of {s['requests']:.0f})", s["worse"], 0, ""),
            Target("invalid naja solutions", s["invalid"], 0, ""),
            Target("verdicts differing from rattler's", s["disagree"], 0, ""),
            Target("CLI answers differing from in-process naja", s["cli_disagree"], 0, ""),
            Target("in-process solve / rattler: median", s["solve_median"], 1.0),
            Target("in-process solve / rattler: p90", s["solve_p90"], 2.0),
            Target("slowest in-process solve", s["max_solve"], 0.5, "s"),
            Target("CLI dry run / rattler in-process open+solve: median", s["cli_median"], 4.0),
        ]
        print(f"CPU time, in-process solve / rattler: median {s['cpu_median']:.2f}x, p90 {s['cpu_p90']:.2f}x, "
              f"slowest naja solve {s['max_cpu']:.3f} s CPU")
        if startup.LAST and s.get("r_open_solve_median"):
            # the CLI target's floor: any Python command line pays the interpreter's own start first
            floor = startup.LAST["python"] / s["r_open_solve_median"]
            notes.append(f"CLI floor: python -c pass alone is {floor:.1f}x rattler's median in-process "
                         f"open+solve ({startup.LAST['python'] * 1e3:.0f} ms / "
                         f"{s['r_open_solve_median'] * 1e3:.1f} ms; the CLI limit is 4x)")

    run("dry-run", lambda: dry_run.main(["--repeat", "1" if quick else "3"]))
    if dry_run.LAST:
        targets.append(Target("scale channel create --dry-run --json, warm / rattler", dry_run.LAST["warm"], 1.0))
        targets.append(Target("scale channel create --dry-run --json, cold / rattler", dry_run.LAST["cold"], 2.0))

    from benchmarks import footprint

    run("footprint", lambda: footprint.main([]))
    if footprint.LAST:
        f = footprint.LAST
        targets.append(Target("installed size in a fresh venv (MB)", f["installed_mb"], 12.0, " MB"))
        notes.append(f"footprint: installed {f['installed_mb']:.2f} MB, environment {f.get('env_mb', 0):.2f} MB, "
                     f"package cache {f.get('cache_mb', 0):.2f} MB -> {f.get('cache_after_clean_mb', 0):.2f} MB "
                     "after clean -a")

    run("install", lambda: install.main(["--repeat", "1"] if quick else []))
    for label, n, r in install.LAST_ROWS:
        kind = label.split(":")[0].strip()
        temp = "warm" if "warm" in label else "cold"
        limit = _INSTALL_LIMITS.get((kind, temp))
        if limit is not None:
            targets.append(Target(f"install {kind} {temp} / rattler", n / r, limit))

    _section(f"targets ({time.perf_counter() - start:.0f} s in all; CPU: {cpu_model()}, "
             f"{_cpus()} logical CPUs)")
    width = max((len(t.what) for t in targets), default=10)
    for t in targets:
        print(t.line(width))
    for note in notes:
        print(note)
    for f in failures:
        print(f"FAILED {f}")
    print(f"{sum(t.ok for t in targets)} of {len(targets)} targets met")
    return 1 if failures else 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
