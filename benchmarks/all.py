"""``python -m benchmarks all [--quick]``: every benchmark in one run, then one table of naja/rattler ratios.

Runs, in this process and in order: ``repodata`` (scale channel: cold, warm, index build), ``solver``
on the real channels and on the conda-forge-sized scale channel (median solve-only and end-to-end
ratios, slowest naja end to end), ``footprint`` (installed size, environment and package cache sizes) and
``install`` (real and wide packages, cold and warm). ``--quick``
(under 3 minutes on a shared 2-core machine) uses one repeat and the solver's test subset of requests.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable


def _section(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks all", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one repeat, the solver's test subset (< 3 minutes)")
    args = ap.parse_args(argv)
    # py-rattler's runtime must start before naja's repodata loader runs (see benchmarks/solver.py)
    import rattler  # noqa: F401

    from benchmarks import install, repodata, solver

    quick = args.quick
    table: list[tuple[str, float, str]] = []  # (what, naja/rattler ratio, note)
    failures: list[str] = []
    start = time.perf_counter()

    def run(title: str, fn: Callable[[], int]) -> None:
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

    run("repodata", lambda: repodata.main(["--repeat", "1" if quick else "3"]))
    for label, nw, nc, rw, rc in repodata.LAST_ROWS:
        table.append((f"repodata {label.split(':')[0]} {label.split(':', 1)[-1].split('(')[0].strip()}", nw / rw,
                      f"naja {nw * 1e3:.0f} ms, rattler {rw * 1e3:.0f} ms (cpu ratio {nc / max(rc, 1e-9):.2f})"))

    solver_args = ["--quick"] if quick else []
    for channel, extra in (("real channels", []), ("scale channel", ["--scale"])):
        solver.LAST_SUMMARY.clear()
        run(f"solver, {channel}", lambda extra=extra: solver.main(solver_args + extra))
        s = solver.LAST_SUMMARY
        if s:
            note = f"max naja e2e {s['max_e2e'] * 1e3:.0f} ms, max solve {s['max_solve'] * 1e3:.0f} ms"
            if s["problems"]:
                note += f", {s['problems']:.0f} requests to CHECK"
            table.append((f"solver {channel}: median solve-only", s["solve"], ""))
            table.append((f"solver {channel}: median end to end", s["e2e"], note))

    from benchmarks import footprint

    run("footprint", lambda: footprint.main([]))
    notes: list[str] = []
    if footprint.LAST:
        f = footprint.LAST
        notes.append(f"footprint: installed {f['installed_mb']:.2f} MB, environment {f.get('env_mb', 0):.2f} MB, "
              f"package cache {f.get('cache_mb', 0):.2f} MB -> {f.get('cache_after_clean_mb', 0):.2f} MB after clean -a")

    install_args = ["--repeat", "1"] if quick else []
    run("install", lambda: install.main(install_args))
    for label, n, r in install.LAST_ROWS:
        table.append((f"install {label.split('(')[0].strip()}", n / r, f"naja {n * 1e3:.0f} ms, rattler {r * 1e3:.0f} ms"))

    _section(f"summary: naja/rattler (below 1 means naja is faster), {time.perf_counter() - start:.0f} s in all")
    width = max((len(t[0]) for t in table), default=10)
    print(f"{'benchmark':{width}}  {'ratio':>6}  notes")
    for what, ratio, note in table:
        print(f"{what:{width}}  {ratio:5.2f}x  {note}")
    for note in notes:
        print(note)
    for f in failures:
        print(f"FAILED {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
