"""Solver benchmark and cross-check against py-rattler on the shared real channels.

``python -m benchmarks solver [--scale] [--only ID ...] [--repeat N] [--quick] [--loader naja|sparse]``

For every request in ``benchmarks/requests.py`` it loads the records reachable from the request,
solves with naja and with py-rattler (same records, same virtual packages, strict channel priority),
checks naja's answer with ``naja.solver.check``, compares versions with rattler's, and prints the
times (median of ``--repeat``): "solve" with the records already loaded, "e2e" including reading
the repodata. naja's e2e goes through ``naja.repodata.load_records`` reading its on-disk cache and
per-name index, as a user's second solve does (the first, untimed pass builds them); rattler's
through its fastest equivalent, ``SparseRepoData`` over the same repodata.json files with
``solve_with_sparse_repodata`` (lazy, only the names the solve reaches).
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
from pathlib import Path

import msgspec

from benchmarks.requests import REQUESTS
from naja.errors import UnsatisfiableError
from naja.match_spec import spec_name
from naja.records import PackageRecord
from naja.solver import SolverTask, check, solve

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
        pk = {k: v for k, v in out[sub].items() if k.endswith(".tar.bz2")}
        pc = {k: v for k, v in out[sub].items() if k.endswith(".conda")}
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
    stem = fn[:-8] if fn.endswith(".tar.bz2") else fn[:-6]
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
    except UnsatisfiableError as exc:
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


def compare(naja: dict[str, str] | str, rattler: dict[str, str] | str, specs: Sequence[str]) -> tuple[bool, list[str]]:
    """(requested versions >= rattler's, names whose version differs)."""
    from naja.solver._spec import Version

    if isinstance(naja, str) or isinstance(rattler, str):
        return isinstance(naja, str) == isinstance(rattler, str), []
    ok = True
    for s in specs:
        n = _dep_name(s)
        if n in rattler and (n not in naja or Version(naja[n].split()[0]) < Version(rattler[n].split()[0])):
            ok = False
    differ = sorted(n for n in set(naja) | set(rattler) if naja.get(n) != rattler.get(n) and not n.startswith("__"))
    return ok, differ


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks solver")
    ap.add_argument("--scale", action="store_true", help="use the conda-forge-sized generated channel")
    ap.add_argument("--only", nargs="*", help="request ids")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="the test subset of requests, one run each")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--loader", choices=("sparse", "naja"), default="naja",
                    help="naja's side of end to end: 'sparse' reads repodata.json like rattler's sparse "
                         "reader (nothing cached); 'naja' uses naja.repodata.load_records (its local "
                         "per-name index, built on a first untimed pass)")
    args = ap.parse_args(argv)
    if args.quick:
        from benchmarks.requests import TEST_SUBSET

        args.repeat = 1
        args.only = args.only or list(TEST_SUBSET)
    # py-rattler's runtime must start before naja.repodata's loader runs, or the interpreter can
    # crash while finalizing (seen with py-rattler 0.28); opening it first avoids that.
    import rattler  # noqa: F401

    _loop()
    rows = []
    for rid, keys, specs, expected in REQUESTS:
        if args.only and rid not in args.only:
            continue
        dirs = [scale_dir()] if args.scale else [channel_dir(k) for k in keys]
        times: dict[str, list[float]] = {"n_solve": [], "n_e2e": [], "r_solve": [], "r_e2e": []}
        if args.loader == "naja":
            naja_task(dirs, specs)  # builds the local index once, untimed
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            chans = [LocalChannel(d) for d in dirs] if args.loader == "sparse" else dirs
            n_res, problems, n_solve = run_naja(chans, specs)
            n_e2e = time.perf_counter() - t0
            t0 = time.perf_counter()
            sparse = open_rattler(dirs)
            r_res, r_solve = run_rattler(sparse, specs)
            r_e2e = time.perf_counter() - t0
            for sp in sparse:
                sp.close()
            for k, v in (("n_solve", n_solve), ("n_e2e", n_e2e), ("r_solve", r_solve), ("r_e2e", r_e2e)):
                times[k].append(v)
        best = {k: statistics.median(v) for k, v in times.items()}
        ok, differ = compare(n_res, r_res, specs)
        status = "unsat" if isinstance(n_res, str) else "sat"
        if args.scale:  # the scale channel merges every real channel: only agreement with rattler counts
            expected = "unsat" if isinstance(r_res, str) else "sat"
        rows.append((rid, status, expected, ok, differ, problems, best))
        flag = "" if (ok and not problems and status == expected) else "  <-- CHECK"
        print(f"{rid:28s} {status:5s} naja {best['n_solve']*1e3:7.1f}ms e2e {best['n_e2e']*1e3:7.1f}ms | "
              f"rattler {best['r_solve']*1e3:7.1f}ms e2e {best['r_e2e']*1e3:7.1f}ms | "
              f"ratio solve {best['n_solve']/best['r_solve']:5.2f} e2e {best['n_e2e']/best['r_e2e']:5.2f} | "
              f"differ {len(differ)}{flag}", flush=True)
        if args.verbose or flag:
            if differ and not isinstance(n_res, str) and not isinstance(r_res, str):
                print("    " + ", ".join(f"{n}: {n_res.get(n)} vs {r_res.get(n)}" for n in differ))
            if isinstance(n_res, str) != isinstance(r_res, str):
                print("    naja:", n_res if isinstance(n_res, str) else "sat", "| rattler:",
                      r_res if isinstance(r_res, str) else "sat")
            for p in problems:
                print("    problem:", p)
    if _LOOP:
        _LOOP.pop().close()
    if rows:
        ratios = [r[6]["n_e2e"] / r[6]["r_e2e"] for r in rows]
        sratios = [r[6]["n_solve"] / r[6]["r_solve"] for r in rows]
        print(f"\n{len(rows)} requests; differ from rattler in any package: {sum(1 for r in rows if r[4])}; "
              f"requested older than rattler: {sum(1 for r in rows if not r[3])}; checker failures: "
              f"{sum(1 for r in rows if r[5])}; unexpected sat/unsat: {sum(1 for r in rows if r[1] != r[2])}")
        print(f"median ratio naja/rattler: e2e {statistics.median(ratios):.2f}, solve-only "
              f"{statistics.median(sratios):.2f}; max naja e2e {max(r[6]['n_e2e'] for r in rows):.2f}s, "
              f"max solve {max(r[6]['n_solve'] for r in rows):.2f}s")
        LAST_SUMMARY.update(solve=statistics.median(sratios), e2e=statistics.median(ratios),
                            max_e2e=max(r[6]["n_e2e"] for r in rows), max_solve=max(r[6]["n_solve"] for r in rows),
                            problems=sum(1 for r in rows if r[5] or r[1] != r[2] or not r[3]))
    return 0


#: the last run's summary (median ratios, max naja seconds), for ``python -m benchmarks all``
LAST_SUMMARY: dict[str, float] = {}


if __name__ == "__main__":
    raise SystemExit(main())
