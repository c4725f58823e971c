"""The solver on real repodata (Anaconda defaults subsets, r, pytorch), cross-checked with py-rattler:
every solution passes the independent checker and is at least as good as rattler's under conda's
objective; unsatisfiable requests are unsatisfiable for both and come with an explanation."""

from __future__ import annotations

import pytest

from benchmarks import solver as bench
from benchmarks.requests import REQUESTS, TEST_SUBSET

CASES = [r for r in REQUESTS if r[0] in TEST_SUBSET]


@pytest.fixture(scope="module")
def channels(shared_data, tmp_path_factory):
    old = bench.DATA, bench.BENCH
    bench.DATA = shared_data / "repodata"
    bench.BENCH = tmp_path_factory.mktemp("solver-bench")
    cache: dict[str, tuple] = {}

    def get(keys):
        if keys not in cache:
            dirs = [bench.channel_dir(k) for k in keys]
            cache[keys] = ([bench.LocalChannel(d) for d in dirs], bench.open_rattler(dirs))
        return cache[keys]

    yield get
    bench.DATA, bench.BENCH = old
    if bench._LOOP:
        bench._LOOP.pop().close()


def test_subset_covers_every_channel():
    assert len(REQUESTS) >= 40
    assert {k for r in CASES for k in r[1]} == set(bench.CHANNELS)
    assert {r[3] for r in CASES} == {"sat", "unsat"}


@pytest.mark.parametrize("rid,keys,specs,expected", CASES, ids=[c[0] for c in CASES])
def test_real_request_matches_rattler(channels, rid, keys, specs, expected):
    naja_chans, sparse = channels(keys)
    naja, problems, _ = bench.run_naja(naja_chans, specs)
    theirs, _ = bench.run_rattler(sparse, specs)
    if expected == "unsat":
        assert isinstance(naja, str) and isinstance(theirs, str), (naja, theirs)
        assert "\n" not in naja
        return
    assert isinstance(naja, dict), naja
    assert isinstance(theirs, dict), theirs
    assert problems == []
    verdict, tier = bench.vs_rattler(bench.naja_task(naja_chans, specs), naja, theirs)
    assert verdict != "worse", (tier, {n: (naja.get(n), theirs.get(n)) for n in set(naja) | set(theirs)
                                       if naja.get(n) != theirs.get(n)})


def test_real_unsat_explanation(channels):
    from naja.errors import UnsatisfiableError
    from naja.solver import solve

    naja_chans, _ = channels(("defaults",))
    task = bench.naja_task(naja_chans, ["python=3.7", "pandas=0.20"])
    with pytest.raises(UnsatisfiableError) as err:
        solve(task)
    assert str(err.value) == "could not solve the request: python=3.7, pandas=0.20 cannot be installed together"
    text = err.value.explanation
    assert "pandas 0.20.3 would require" in text
    assert "which conflicts with python=3.7 (requested)" in text
    assert len(text.splitlines()) < 15
