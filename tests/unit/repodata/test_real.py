"""Real channel snapshots: naja's reachable records agree with py-rattler's SparseRepoData."""

from __future__ import annotations

import pytest

from naja.repodata import dep_name, load_records
from tests.unit.repodata.test_fetch import cfg

rattler = pytest.importorskip("rattler")


def rattler_records(path, names):
    from rattler import Channel, PackageName, SparseRepoData

    sparse = SparseRepoData(Channel("snapshot"), "linux-64", str(path))
    (found,) = SparseRepoData.load_records_recursive([sparse], [PackageName(n) for n in names])
    return {r.file_name: r for r in found}


@pytest.mark.parametrize(("channel", "specs"), [("pytorch", ["pytorch", "torchvision"]), ("r", ["r-base", "r-ggplot2"])])
def test_reachable_records_match_rattler(shared_data, tmp_path, channel, specs):
    root = shared_data / "repodata" / channel
    ours = load_records([root.as_uri()], "linux-64", specs, options=cfg(tmp_path))
    theirs = rattler_records(root / "linux-64" / "repodata.json", specs)
    assert theirs, "rattler found nothing: the snapshot or request is wrong"
    by_fn = {r.fn: r for r in ours}
    assert len(by_fn) == len(ours)
    # rattler follows depends only; naja also follows constrains names (the solver needs them)
    assert set(theirs) <= set(by_fn)
    their_names = {r.name.normalized for r in theirs.values()}
    for fn, r in by_fn.items():
        if r.name in their_names:
            assert fn in theirs, f"{fn} found by naja but not by rattler"
    extra = {r.name for r in ours} - their_names
    constrained = {dep_name(c) for r in ours for c in r.constrains}
    extra_deps = {dep_name(d) for r in ours if r.name in extra for d in r.depends}
    assert extra <= constrained | extra_deps
    for fn, theirs_rec in list(theirs.items())[:200]:
        mine = by_fn[fn]
        assert (mine.name, mine.version, mine.build) == (theirs_rec.name.source, str(theirs_rec.version), str(theirs_rec.build))
        assert mine.depends == list(theirs_rec.depends)
        assert mine.md5 == (theirs_rec.md5.hex() if isinstance(theirs_rec.md5, bytes) else theirs_rec.md5)
        assert mine.url == f"{root.as_uri()}/linux-64/{fn}"
