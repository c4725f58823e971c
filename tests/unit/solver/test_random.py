"""Random small universes solved by naja and by py-rattler: both must agree on whether a solution
exists, and naja's solutions must pass the independent checker (this exercises conflict analysis,
backjumping and learnt clauses far more than hand-written cases)."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from naja.errors import UnsatisfiableError
from naja.solver import SolverTask, check, solve
from naja.types.records import PackageRecord

rattler = pytest.importorskip("rattler")


def universe(rng: random.Random) -> list[dict]:
    names = [f"p{i}" for i in range(rng.randint(6, 14))]
    out = []
    for name in names:
        for v in range(1, rng.randint(2, 7)):
            deps, cons = [], []
            for other in rng.sample(names, rng.randint(0, 4)):
                if other == name:
                    continue
                lo = rng.randint(1, 6)
                op = rng.choice([">=", "<", "==", ">=", "<="])
                (cons if rng.random() < 0.15 else deps).append(f"{other} {op}{lo}")
            out.append({"name": name, "version": str(v), "build": "0", "build_number": 0,
                        "depends": deps, "constrains": cons, "subdir": "linux-64",
                        "timestamp": 1000 + v})
    return out


def write_channel(root, recs):
    for sub, items in (("linux-64", recs), ("noarch", [])):
        d = root / sub
        d.mkdir(parents=True)
        pk = {f"{r['name']}-{r['version']}-{r['build']}.tar.bz2": r for r in items}
        (d / "repodata.json").write_text(json.dumps({"info": {"subdir": sub}, "packages": pk}))


@pytest.mark.parametrize("seed", range(60))
def test_random_universe_agrees_with_rattler(tmp_path, seed):
    rng = random.Random(seed)
    recs = universe(rng)
    names = sorted({r["name"] for r in recs})
    specs = [f"{n}" if rng.random() < 0.6 else f"{n} >={rng.randint(1, 3)}" for n in rng.sample(names, 3)]
    write_channel(tmp_path, recs)
    url = tmp_path.resolve().as_uri()
    records = [PackageRecord(**r, channel=url, fn=f"{r['name']}-{r['version']}-0.tar.bz2") for r in recs]
    try:
        sol = solve(SolverTask(specs=specs, available=records, channels=[url]))
        ours = "sat"
        assert check(sol, specs) == []
    except UnsatisfiableError as exc:
        ours = "unsat"
        assert exc.explanation
    ch = rattler.Channel(str(tmp_path))
    sparse = [rattler.SparseRepoData(ch, s, tmp_path / s / "repodata.json") for s in ("linux-64", "noarch")]
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(rattler.solve_with_sparse_repodata(specs, sparse))
        theirs = "sat"
    except Exception:
        theirs = "unsat"
    finally:
        loop.close()
    assert ours == theirs, (specs, recs)
