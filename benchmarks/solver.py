"""Solver benchmark and cross-check against py-rattler on the shared real channels.

``python -m benchmarks solver [--requests N] [--seed S] [--quick] [--repeat N] [--no-cli] [--plot PATH]
[--sets SET ...] [--scale] [--only ID ...]``

Requests: the curated ones of ``benchmarks/requests.py`` plus ``--requests`` (default 300; 30 with
``--quick``) generated from the channels by ``benchmarks/generate.py`` (seeded), over the real channel
sets and the conda-forge-sized scale channel. For each request:

- naja in-process: the records reachable from the request decoded once (untimed), then ``solve``
  timed (median of ``--repeat``); "e2e" adds ``naja.repodata.load_records`` from its warm per-name
  index. Every solution goes through ``naja.solver.check`` (written apart from the solver).
- py-rattler in-process: ``solve_with_sparse_repodata`` over already opened ``SparseRepoData``
  ("solve"), and open + solve + close ("open+solve"): same records, virtual packages and strict
  channel priority.
- the naja CLI: ``create --dry-run --json`` through the console script of a non-editable install
  (``benchmarks/startup.py``), once per request: wall time of the whole process.
- naja's solution scored against rattler's under conda's objective (``benchmarks/objective.py``):
  "worse" means conda would prefer rattler's environment.

Prints a table per channel set and the requests that need a look, and writes a plot of the time
ratios (``--plot``; needs matplotlib: ``pip install 'naja[bench]'``).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from benchmarks.requests import REQUESTS
from naja.errors import SolverLimitError, UnsatisfiableError
from naja.solver import SolverTask, check, solve
from naja.types.archive import CONDA_EXT, TAR_BZ2_EXT, strip_archive_suffix
from naja.types.match_spec import spec_name
from naja.types.records import PackageRecord

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NAJA_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "repodata"
BENCH = REPO / ".naja-bench"
SUBDIRS = ("linux-64", "noarch")

# channel key -> (source file, format) ; "index" files map fn -> record, "repodata" files are repodata.json
CHANNELS = {
    "defaults": ("conda-defaults-subset/index4.json", "index"),
    "defaults-2017": ("conda-defaults-subset/index2.json", "index"),
    "defaults-2013": ("conda-defaults-subset/index.json", "index"),
    "r": ("r/linux-64/repodata.json", "repodata"),
    "pytorch": ("pytorch/linux-64/repodata.json", "repodata"),
}
VIRTUAL = (("__glibc", "2.28"), ("__unix", "0"), ("__linux", "5.4"), ("__archspec", "1"))


def virtual_records() -> list[PackageRecord]:
    return [PackageRecord(name=n, version=v, build="x86_64" if n == "__archspec" else "0", channel="@")
            for n, v in VIRTUAL]


def channel_dir(key: str) -> Path:
    """Write the channel as ``<dir>/<subdir>/repodata.json`` (once) and return ``<dir>``."""
    root = BENCH / "solver" / key
    if (root / "noarch" / "repodata.json").exists():
        return root
    src, kind = CHANNELS[key]
    raw = json.loads((DATA / src).read_text())
    out: dict[str, dict[str, dict]] = {s: {} for s in SUBDIRS}
    if kind == "index":
        for fn, rec in raw.items():
            sub = rec.get("subdir") or ("noarch" if rec.get("noarch") else "linux-64")
            out.setdefault(sub, {})[fn] = rec
    else:
        out["linux-64"] = {**raw.get("packages", {}), **raw.get("packages.conda", {})}
    for sub in SUBDIRS:
        d = root / sub
        d.mkdir(parents=True, exist_ok=True)
        pk = {k: v for k, v in out[sub].items() if k.endswith(TAR_BZ2_EXT)}
        pc = {k: v for k, v in out[sub].items() if k.endswith(CONDA_EXT)}
        body = {"info": {"subdir": sub}, "packages": pk, "packages.conda": pc, "repodata_version": 1}
        (d / "repodata.json").write_text(json.dumps(body))
    return root


def scale_dir() -> Path:
    from benchmarks.scale import scale_channel

    return scale_channel()


class _Repodata(msgspec.Struct):
    packages: dict[str, msgspec.Raw] = {}
    packages_conda: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict, name="packages.conda")


_RECORD = msgspec.json.Decoder(PackageRecord)


def _name_of(fn: str) -> str:
    stem = strip_archive_suffix(fn)
    return stem.rsplit("-", 2)[0]


class LocalChannel:
    """A channel directory read the sparse way: the repodata is split into raw (undecoded) entries,
    whose file names are sorted so that a name's entries are found by bisection; only the entries of
    names the request reaches are decoded into records."""

    def __init__(self, root: Path) -> None:
        self.url = root.resolve().as_uri()
        self._groups: list[tuple[str, list[str], dict[str, msgspec.Raw]]] = []
        for sub in SUBDIRS:
            path = root / sub / "repodata.json"
            if not path.exists():
                continue
            data = msgspec.json.decode(path.read_bytes(), type=_Repodata)
            for group in (data.packages, data.packages_conda):
                keys = list(group)
                if any(a > b for a, b in itertools.pairwise(keys)):
                    keys.sort()
                self._groups.append((sub, keys, group))

    def records(self, name: str) -> list[PackageRecord]:
        out = []
        lo_key, hi_key = name + "-", name + "."
        for sub, keys, group in self._groups:
            lo = bisect.bisect_left(keys, lo_key)
            hi = bisect.bisect_left(keys, hi_key, lo)
            for fn in keys[lo:hi]:
                if _name_of(fn) != name:
                    continue
                rec = _RECORD.decode(group[fn])
                rec.fn = fn
                rec.subdir = rec.subdir or sub
                rec.channel = self.url
                rec.url = f"{self.url}/{sub}/{fn}"
                out.append(rec)
        return out


_dep_name = spec_name  # the name a request or dependency string is about


def reachable(channels: Sequence[LocalChannel], specs: Iterable[str]) -> list[PackageRecord]:
    """Records of every name reachable from the specs through depends/constrains, in channel order."""
    todo = [_dep_name(s) for s in specs]
    seen: set[str] = set()
    per_channel: list[list[PackageRecord]] = [[] for _ in channels]
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("__"):
            continue
        seen.add(name)
        for i, ch in enumerate(channels):
            for rec in ch.records(name):
                per_channel[i].append(rec)
                for dep in rec.depends:
                    todo.append(_dep_name(dep))
                for dep in rec.constrains:
                    todo.append(_dep_name(dep))
    return [r for recs in per_channel for r in recs]


def naja_task(channels: Sequence[LocalChannel] | Sequence[Path], specs: Sequence[str]) -> SolverTask:
    """The task for a request: records from ``LocalChannel``s, or from ``naja.repodata.load_records``
    when given channel directories."""
    if channels and isinstance(channels[0], Path):
        from naja.repodata import load_records

        dirs = [Path(c) for c in channels]
        available = load_records([str(d) for d in dirs], "linux-64", list(specs),
                                 cache_dir=BENCH / "repodata-cache")
        urls = [d.resolve().as_uri() for d in dirs]
    else:
        available = reachable(channels, specs)  # type: ignore[arg-type]
        urls = [c.url for c in channels]  # type: ignore[union-attr]
    return SolverTask(specs=list(specs), available=available, virtual_packages=virtual_records(), channels=urls)


def run_naja(channels: Sequence[LocalChannel] | Sequence[Path], specs: Sequence[str]
             ) -> tuple[dict[str, str] | str, list[str], float]:
    """(name -> version or the unsat message, checker problems, solve seconds)."""
    task = naja_task(channels, specs)
    t0 = time.perf_counter()
    try:
        sol = solve(task)
    except (UnsatisfiableError, SolverLimitError) as exc:
        return "unsat: " + str(exc), [], time.perf_counter() - t0
    dt = time.perf_counter() - t0
    return {r.name: f"{r.version} {r.build}" for r in sol}, check(sol, specs, task.virtual_packages), dt


def rattler_virtual() -> list:
    import rattler

    return [rattler.GenericVirtualPackage(rattler.PackageName(n), rattler.Version(v),
                                          rattler.BuildString("x86_64" if n == "__archspec" else "0")) for n, v in VIRTUAL]


def open_rattler(dirs: Sequence[Path]) -> list:
    import rattler

    out = []
    for d in dirs:
        ch = rattler.Channel(str(d.resolve()))
        for sub in SUBDIRS:
            out.append(rattler.SparseRepoData(ch, sub, d / sub / "repodata.json"))
    return out


_LOOP = []


def _loop():
    import asyncio

    if not _LOOP:
        _LOOP.append(asyncio.new_event_loop())
    return _LOOP[0]


def run_rattler(sparse: list, specs: Sequence[str]) -> tuple[dict[str, str] | str, float]:
    import rattler

    t0 = time.perf_counter()
    try:
        recs = _loop().run_until_complete(
            rattler.solve_with_sparse_repodata(list(specs), sparse, virtual_packages=rattler_virtual()))
    except Exception as exc:  # rattler raises SolverError
        return "unsat: " + str(exc).splitlines()[0], time.perf_counter() - t0
    return {str(r.name.normalized): f"{r.version} {r.build}" for r in recs}, time.perf_counter() - t0


SETS: dict[str, tuple[str, ...]] = {
    "defaults": ("defaults",),
    "defaults-2017": ("defaults-2017",),
    "defaults-2013": ("defaults-2013",),
    "r": ("r", "defaults"),
    "pytorch": ("pytorch", "defaults"),
}
SCALE = "scale"


@dataclass
class Row:
    """One request's figures (seconds) and verdicts."""

    rid: str
    channel_set: str
    specs: tuple[str, ...]
    expected: str | None
    naja: str = ""  # "sat", "unsat" or "limit"
    rattler: str = ""
    cli: str | None = None
    problems: list[str] = field(default_factory=list)
    vs_rattler: str = "n/a"  # "equal", "better", "worse", "same score" or "n/a"
    tier: str | None = None
    cli_differs: bool = False
    n_solve: float = 0.0
    n_cpu: float = 0.0  # CPU seconds of the solve (steadier than wall time on a shared machine)
    n_e2e: float = 0.0
    r_solve: float = 0.0
    r_cpu: float = 0.0  # CPU seconds of this process, all threads
    r_open_solve: float = 0.0
    cli_time: float | None = None


class _Set:
    """The opened channels of one channel set, shared by its requests."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.dirs = [scale_dir()] if key == SCALE else [channel_dir(k) for k in SETS[key]]
        self.local = [LocalChannel(d) for d in self.dirs]
        self.sparse = open_rattler(self.dirs)
        self.urls = [c.url for c in self.local]
        naja_task(self.dirs, ["python"])  # builds naja's per-name index once, untimed

    def close(self) -> None:
        for sp in self.sparse:
            sp.close()


def _verdict(res: dict[str, str] | str) -> str:
    if not isinstance(res, str):
        return "sat"
    return "limit" if "gave up" in res else "unsat"


def _median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _p90(xs: Sequence[float]) -> float:
    if not xs:
        return float("nan")
    ys = sorted(xs)
    return ys[min(len(ys) - 1, round(0.9 * (len(ys) - 1)))]


def _rattler_records(task: SolverTask, res: dict[str, str]) -> list[PackageRecord]:
    """An answer as name -> "version build" turned into the task's records (rattler's answer comes
    from the same channels, so every one is there)."""
    by_key: dict[tuple[str, str, str], PackageRecord] = {}
    for r in task.available:
        by_key.setdefault((r.name, r.version, r.build), r)
    out = []
    for name, vb in res.items():
        version, _, build = vb.partition(" ")
        rec = by_key.get((name, version, build))
        if rec is not None:
            out.append(rec)
    return out


def vs_rattler(task: SolverTask, naja: dict[str, str], rattler: dict[str, str]) -> tuple[str, str | None]:
    """naja's answer against rattler's under conda's objective: ("equal" | "same score" | "better" |
    "worse", the most significant tier where the scores differ)."""
    from benchmarks.objective import first_difference, score

    ours, theirs = _rattler_records(task, naja), _rattler_records(task, rattler)
    specs = [str(s) for s in task.specs]
    a = score(ours, task.available, specs, channels=task.channels)
    b = score(theirs, task.available, specs, channels=task.channels)
    if {(r.name, r.version, r.build) for r in ours} == {(r.name, r.version, r.build) for r in theirs}:
        return "equal", None
    return ("same score" if a == b else "better" if a < b else "worse"), first_difference(a, b)


def _solve_in_process(row: Row, chans: _Set, repeat: int) -> dict[str, str] | str:
    task = naja_task(chans.local, row.specs)
    times, cpus = [], []
    sol: list[PackageRecord] = []
    res: dict[str, str] | str = ""
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            sol = solve(task)
            res = {r.name: f"{r.version} {r.build}" for r in sol}
        except (UnsatisfiableError, SolverLimitError) as exc:
            res = "unsat: " + str(exc)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    row.n_solve, row.n_cpu = _median(times), _median(cpus)
    row.naja = _verdict(res)
    if not isinstance(res, str):
        row.problems = check(sol, row.specs, task.virtual_packages)
    t0 = time.perf_counter()
    run_naja(chans.dirs, row.specs)
    row.n_e2e = time.perf_counter() - t0
    r_times, o_times, r_cpus = [], [], []
    r_res: dict[str, str] | str = ""
    for _ in range(repeat):
        c0 = time.process_time()
        r_res, dt = run_rattler(chans.sparse, row.specs)
        r_cpus.append(time.process_time() - c0)
        r_times.append(dt)
        t0 = time.perf_counter()
        sparse = open_rattler(chans.dirs)
        run_rattler(sparse, row.specs)
        for sp in sparse:
            sp.close()
        o_times.append(time.perf_counter() - t0)
    row.r_solve, row.r_open_solve, row.r_cpu = _median(r_times), _median(o_times), _median(r_cpus)
    row.rattler = _verdict(r_res)
    if not isinstance(res, str) and not isinstance(r_res, str):
        row.vs_rattler, row.tier = vs_rattler(task, res, r_res)
    return res


class _Cli:
    """``naja create --dry-run --json`` through the console script of a non-editable install."""

    def __init__(self) -> None:
        from benchmarks.startup import SITE, install

        self.script = install()
        work = BENCH / "solver-cli"
        work.mkdir(parents=True, exist_ok=True)
        self.work = work
        rc = work / "condarc.yml"
        # same problem as in-process and rattler: no pip added to python, the same virtual packages
        rc.write_text("add_pip_as_python_dependency: false\nchannel_priority: strict\n")
        self.rc = rc
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "NAJA"))}
        self.env.update(PYTHONPATH=str(SITE), HOME=str(work), CONDA_PKGS_DIRS=str(work / "pkgs"),
                        CONDA_OVERRIDE_GLIBC="2.28", CONDA_OVERRIDE_CUDA="")

    def run(self, dirs: Sequence[Path], specs: Sequence[str]) -> tuple[str, set[tuple[str, str, str]], float]:
        import subprocess
        import sys

        cmd = [sys.executable, str(self.script), "create", "--dry-run", "--json", "--rc-file", str(self.rc),
               "-p", str(self.work / "env"), "--override-channels"]
        for d in dirs:
            cmd += ["-c", d.resolve().as_uri()]
        t0 = time.perf_counter()
        proc = subprocess.run([*cmd, *specs], capture_output=True, text=True, env=self.env, cwd=self.work)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            return ("limit" if "gave up" in proc.stderr else "unsat"), set(), dt
        link = json.loads(proc.stdout).get("actions", {}).get("LINK", [])
        return "sat", {(r["name"], r["version"], r["build"]) for r in link}, dt


def _requests(args: argparse.Namespace) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    """(id, channel set, specs, expected verdict or None) for the curated and generated requests."""
    from benchmarks.generate import generate

    out: list[tuple[str, str, tuple[str, ...], str | None]] = []
    curated = REQUESTS
    if args.quick:
        from benchmarks.requests import TEST_SUBSET

        curated = [r for r in REQUESTS if r[0] in TEST_SUBSET]
    for rid, keys, specs, expected in curated:
        key = next(k for k, v in SETS.items() if v == keys or v[:1] == keys[:1])
        out.append((rid, key, tuple(specs), expected))
    dirs = {k: [channel_dir(x) for x in v] for k, v in SETS.items()}
    for req in generate(dirs, args.requests, seed=args.seed):
        out.append((req.rid, req.channel_set, req.specs, None))
    if args.sets:
        out = [r for r in out if r[1] in args.sets]
    if args.only:
        out = [r for r in out if r[0] in args.only]
    return out


def _table(rows: Sequence[Row]) -> list[str]:
    head = (f"{'channel set':14} {'reqs':>4} {'sat':>4} {'agree':>5} {'invalid':>7} {'worse':>5} {'better':>6} "
            f"{'naja ms med/p90/max':>20} {'rattler ms':>10} {'solve ratio med/p90':>19} {'cli ms':>7} "
            f"{'cli/r-open':>10}")
    lines = [head]
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.channel_set, []).append(r)
    for key, rs in [*groups.items(), ("all", list(rows))]:
        ratios = [r.n_solve / r.r_solve for r in rs if r.r_solve > 0]
        cli = [r.cli_time for r in rs if r.cli_time is not None]
        cli_ratio = [r.cli_time / r.r_open_solve for r in rs if r.cli_time is not None and r.r_open_solve > 0]
        ns = [r.n_solve for r in rs]
        lines.append(
            f"{key:14} {len(rs):4d} {sum(r.naja == 'sat' for r in rs):4d} "
            f"{sum(r.naja == r.rattler for r in rs):5d} {sum(bool(r.problems) for r in rs):7d} "
            f"{sum(r.vs_rattler == 'worse' for r in rs):5d} {sum(r.vs_rattler == 'better' for r in rs):6d} "
            f"{_median(ns) * 1e3:6.1f}/{_p90(ns) * 1e3:5.1f}/{max(ns) * 1e3:6.0f} "
            f"{_median([r.r_solve for r in rs]) * 1e3:10.1f} {_median(ratios):9.2f}/{_p90(ratios):9.2f} "
            f"{_median(cli) * 1e3 if cli else float('nan'):7.0f} {_median(cli_ratio) if cli_ratio else float('nan'):10.2f}")
    return lines


def plot(rows: Sequence[Row], path: Path) -> str:
    """Time ratios per channel set (log scale): naja in-process solve / rattler solve, and the naja
    CLI / rattler open+solve. Returns what was done (matplotlib is an optional dependency)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install 'naja[bench]')"
    keys = list(dict.fromkeys(r.channel_set for r in rows))
    solve = [[r.n_solve / r.r_solve for r in rows if r.channel_set == k and r.r_solve > 0] for k in keys]
    cli = [[r.cli_time / r.r_open_solve for r in rows if r.channel_set == k and r.cli_time and r.r_open_solve > 0]
           for k in keys]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    pos = range(len(keys))
    ax.boxplot(solve, positions=[p - 0.18 for p in pos], widths=0.3, patch_artist=True,
               boxprops={"facecolor": "#9ecae1"}, showfliers=True)
    if any(cli):
        ax.boxplot([c or [float("nan")] for c in cli], positions=[p + 0.18 for p in pos], widths=0.3,
                   patch_artist=True, boxprops={"facecolor": "#fdae6b"}, showfliers=True)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(pos), [f"{k}\n({sum(r.channel_set == k for r in rows)})" for k in keys])
    ax.set_ylabel("naja / rattler time")
    ax.set_title("blue: in-process solve / rattler solve;  orange: naja CLI dry run / rattler open+solve")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks solver")
    ap.add_argument("--requests", type=int, default=None, help="generated requests (default 300, --quick 30)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--sets", nargs="*", help=f"channel sets: {', '.join([*SETS, SCALE])}")
    ap.add_argument("--scale", action="store_true", help="only the scale channel's requests")
    ap.add_argument("--only", nargs="*", help="request ids")
    ap.add_argument("--repeat", type=int, default=3, help="in-process timings: median of this many")
    ap.add_argument("--quick", action="store_true", help="the curated test subset and 30 generated requests, "
                    "in-process timings once")
    ap.add_argument("--no-cli", action="store_true", help="skip the naja CLI runs")
    ap.add_argument("--plot", type=Path, default=BENCH / "solver-ratios.png")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 when a naja solution is invalid or worse than "
                    "rattler's, or a verdict differs (for CI)")
    args = ap.parse_args(argv)
    if args.requests is None:
        args.requests = 30 if args.quick else 300
    if args.quick:
        args.repeat = 1
    if args.scale:
        args.sets = [SCALE]
    # py-rattler's runtime must start before naja.repodata's loader runs, or the interpreter can
    # crash while finalizing (seen with py-rattler 0.28); opening it first avoids that.
    import rattler  # noqa: F401

    _loop()
    requests = _requests(args)
    cli = None if args.no_cli else _Cli()
    sets: dict[str, _Set] = {}
    rows: list[Row] = []
    t_start = time.perf_counter()
    for rid, key, specs, expected in requests:
        chans = sets.get(key)
        if chans is None:
            chans = sets[key] = _Set(key)
            if cli is not None:
                cli.run(chans.dirs, ["python"])  # the CLI's own repodata index, built once, untimed
        row = Row(rid, key, specs, expected)
        res = _solve_in_process(row, chans, args.repeat)
        if cli is not None:
            row.cli, cli_sol, row.cli_time = cli.run(chans.dirs, specs)
            if row.cli == "sat" and not isinstance(res, str):
                ours = {tuple([n, *vb.split(" ", 1)]) for n, vb in res.items() if not n.startswith("__")}
                row.cli_differs = cli_sol != ours
        rows.append(row)
        flag = _flag(row)
        if args.verbose or flag:
            print(f"{rid:36s} {row.naja:5s} naja {row.n_solve * 1e3:7.1f}ms rattler {row.r_solve * 1e3:7.1f}ms "
                  f"cli {row.cli_time * 1e3 if row.cli_time else 0:6.0f}ms {row.vs_rattler}"
                  f"{f' ({row.tier})' if row.tier else ''}{flag}  {' '.join(specs)}", flush=True)
            for p in row.problems:
                print("    problem:", p)
    for s in sets.values():
        s.close()
    if _LOOP:
        _LOOP.pop().close()
    if not rows:
        return 0
    print(f"\n{len(rows)} requests in {time.perf_counter() - t_start:.0f} s (timings: median of {args.repeat})")
    for line in _table(rows):
        print(line)
    cpu = [r.n_cpu / r.r_cpu for r in rows if r.r_cpu > 0]
    print(f"CPU time, naja solve / rattler solve: median {_median(cpu):.2f}, p90 {_p90(cpu):.2f}; slowest naja "
          f"solve {max(r.n_cpu for r in rows) * 1e3:.0f} ms CPU")
    print(plot(rows, args.plot))
    summarize(rows)
    s = LAST_SUMMARY
    bad = s["invalid"] + s["disagree"] + s["worse"] + s["cli_disagree"]
    if args.check and bad:
        print(f"error: {s['invalid']:.0f} invalid, {s['worse']:.0f} worse than rattler, {s['disagree']:.0f} "
              f"verdicts and {s['cli_disagree']:.0f} CLI answers differing")
        return 1
    return 0


def _flag(row: Row) -> str:
    why = []
    if row.problems:
        why.append("INVALID")
    if row.naja != row.rattler:
        why.append(f"verdict naja {row.naja} rattler {row.rattler}")
    if row.expected and row.naja != row.expected:
        why.append(f"expected {row.expected}")
    if row.vs_rattler == "worse":
        why.append("WORSE")
    if row.cli is not None and (row.cli != row.naja or row.cli_differs):
        why.append("CLI differs")
    if row.n_solve > 0.5:
        why.append("SLOW")
    return f"  <-- {', '.join(why)}" if why else ""


def summarize(rows: Sequence[Row]) -> None:
    """Fill ``LAST_SUMMARY`` (for ``python -m benchmarks all``)."""
    ratios = [r.n_solve / r.r_solve for r in rows if r.r_solve > 0]
    cpu_ratios = [r.n_cpu / r.r_cpu for r in rows if r.r_cpu > 0]
    cli_ratio = [r.cli_time / r.r_open_solve for r in rows if r.cli_time is not None and r.r_open_solve > 0]
    LAST_SUMMARY.clear()
    LAST_SUMMARY.update(
        requests=len(rows), worse=sum(r.vs_rattler == "worse" for r in rows),
        better=sum(r.vs_rattler == "better" for r in rows),
        invalid=sum(bool(r.problems) for r in rows), disagree=sum(r.naja != r.rattler for r in rows),
        cli_disagree=sum(r.cli is not None and (r.cli != r.naja or r.cli_differs) for r in rows),
        solve_median=_median(ratios), solve_p90=_p90(ratios), max_solve=max(r.n_solve for r in rows),
        cpu_median=_median(cpu_ratios), cpu_p90=_p90(cpu_ratios), max_cpu=max(r.n_cpu for r in rows),
        cli_median=_median(cli_ratio) if cli_ratio else float("nan"),
        e2e_median=_median([r.n_e2e / r.r_open_solve for r in rows if r.r_open_solve > 0]),
        r_open_solve_median=_median([r.r_open_solve for r in rows if r.r_open_solve > 0]),
    )


#: the last run's summary, for ``python -m benchmarks all``
LAST_SUMMARY: dict[str, float] = {}


if __name__ == "__main__":
    raise SystemExit(main())
