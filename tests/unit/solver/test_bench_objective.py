"""The solver benchmark's scorer (conda's objective): one case per tier, each where the tier decides
although every later tier favours the other solution."""

from __future__ import annotations

import pytest

from benchmarks.objective import TIERS, first_difference, score
from naja.types.records import PackageRecord

A, B = "https://c.example/a", "https://c.example/b"


def rec(name: str, version: str = "1.0", bn: int = 0, channel: str = A, **kw) -> PackageRecord:
    return PackageRecord(name=name, version=version, build=kw.pop("build", f"h_{bn}"), build_number=bn,
                         channel=channel, **kw)


# tier -> (available, specs, better solution, worse solution, keyword arguments)
def _cases() -> dict[str, tuple]:
    app1, app2 = rec("app", "1.0"), rec("app", "2.0")
    dep1, dep2 = rec("dep", "1.0"), rec("dep", "2.0")
    c = {}
    c["removals"] = ([app1, dep1], ["app"], [app1, dep1], [app1], {"installed": [dep1]})
    ca, cb = rec("app", "1.0", channel=A), rec("app", "2.0", channel=B)
    c["requested channel"] = ([ca, cb], ["app"], [ca], [cb], {"channels": [A, B]})
    # the older app needs an older dependency: requested versions outrank dependency versions
    c["requested versions"] = ([app1, app2, dep1, dep2], ["app"], [app2, dep1], [app1, dep2], {})
    tf, plain = rec("app", "1.0", 1, track_features="mkl"), rec("app", "1.0", 0)
    c["track_features"] = ([tf, plain], ["app"], [plain], [tf], {})
    # one featured record in each: where a featureless build of the same version exists, it counts
    f1, f0, only = rec("lib", "1.0", 1, track_features="x"), rec("lib", "1.0", 0), rec("o", track_features="x")
    c["feature metric"] = ([f1, f0, only], ["lib"], [f0, only], [f1], {})
    b0, b1 = rec("app", "1.0", 0, depends=["dep 2.*"]), rec("app", "1.0", 1, depends=["dep 1.*"])
    c["requested builds"] = ([b0, b1, dep1, dep2], ["app"], [b1, dep1], [b0, dep2], {})
    arch, noarch = rec("app", "1.0", 0), rec("app", "1.0", 0, noarch="python", timestamp=10)
    c["requested noarch"] = ([arch, noarch], ["app"], [arch], [noarch], {})
    c["optional installs"] = ([app1, dep1], ["app"], [app1], [app1, dep1], {"optional": ["dep"]})
    c["updates"] = ([app1, app2, dep1, dep2], ["dep"], [app1, dep2], [app2, dep2], {"installed": [app1]})
    da, db = rec("dep", "1.0", channel=A), rec("dep", "2.0", channel=B)
    c["dependency channel"] = ([app1, da, db], ["app"], [app1, da], [app1, db], {"channels": [A, B]})
    lo, hi = rec("x", "1.0", 5), rec("x", "2.0", 0)
    c["dependency versions"] = ([app1, lo, hi], ["app"], [app1, hi], [app1, lo], {})
    n0, n1 = rec("x", "1.0", 0, timestamp=50), rec("x", "1.0", 1, timestamp=10)
    c["dependency builds"] = ([app1, n0, n1], ["app"], [app1, n1], [app1, n0], {})
    c["packages"] = ([app1, dep1], ["app"], [app1], [app1, dep1], {})
    t_old, t_new = rec("x", "1.0", 0, build="a", timestamp=1), rec("x", "1.0", 0, build="b", timestamp=2)
    c["timestamps"] = ([app1, t_old, t_new], ["app"], [app1, t_new], [app1, t_old], {})
    return c


CASES = _cases()


def test_every_tier_has_a_case():
    assert set(CASES) == set(TIERS)


@pytest.mark.parametrize("tier", TIERS)
def test_tier_decides(tier: str) -> None:
    available, specs, better, worse, kw = CASES[tier]
    good, bad = score(better, available, specs, **kw), score(worse, available, specs, **kw)
    assert good < bad
    assert first_difference(good, bad) == tier
    assert first_difference(good, good) is None
