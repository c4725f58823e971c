"""conda's objective as a score, to compare two solutions of one request (lower is better).

conda's ``Resolve.solve`` (``conda/resolve.py``) minimises, one tier after the other: removals,
requested packages' channel priority, their versions, the number of track_features, the feature
metric (featured builds where a featureless one exists), requested build numbers, arch over
noarch for requested packages, optional installs, updates of installed packages, then the
dependencies' channel, version and build ranks, the number of packages (pruning) and timestamps.
Ranks come as in its ``generate_version_metrics``: a name's records sorted best first by (channel,
version, build number, arch, timestamp); a rank counts the changes of its own field since the last
change of a more significant one. ``score`` returns one integer per tier, in that order, so tuples
compare as conda does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from naja.types.match_spec import MatchSpec
from naja.types.records import PackageRecord
from naja.types.version import Version

TIERS = ("removals", "requested channel", "requested versions", "track_features", "feature metric",
         "requested builds", "requested noarch", "optional installs", "updates", "dependency channel",
         "dependency versions", "dependency builds", "packages", "timestamps")


def _ranks(recs: Sequence[PackageRecord], channels: Mapping[str, int]) -> dict[int, tuple[int, int, int, int, int]]:
    """id(record) -> (channel, version, build, arch, timestamp) ranks, conda's way."""
    def key(r: PackageRecord) -> tuple:
        return (channels.get(r.channel.rstrip("/"), len(channels)), _neg(Version(r.version)),
                -r.build_number, 1 if r.noarch_kind else 0, -r.timestamp_ms)

    out: dict[int, tuple[int, int, int, int, int]] = {}
    prev = None
    ic = iv = ib = ia = it = 0
    for r in sorted(recs, key=key):
        k = key(r)
        if prev is not None:
            if k[0] != prev[0]:
                ic, iv, ib, ia, it = ic + 1, 0, 0, 0, 0
            elif k[1] != prev[1]:
                iv, ib, ia, it = iv + 1, 0, 0, 0
            elif k[2] != prev[2]:
                ib, ia, it = ib + 1, 0, 0
            elif k[3] != prev[3]:
                ia, it = ia + 1, 0
            elif k[4] != prev[4]:
                it += 1
        out[id(r)] = (ic, iv, ib, ia, it)
        prev = k
    return out


class _neg:
    """Reverses a version's order (so sorting ascending puts the newest first)."""

    __slots__ = ("v",)

    def __init__(self, v: Version) -> None:
        self.v = v

    def __lt__(self, other: _neg) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _neg) and self.v == other.v

    def __hash__(self) -> int:
        return hash(self.v)


def score(solution: Iterable[PackageRecord], available: Iterable[PackageRecord], specs: Iterable[str], *,
          channels: Sequence[str] = (), installed: Iterable[PackageRecord] = (),
          optional: Iterable[str] = ()) -> tuple[int, ...]:
    """One integer per tier of ``TIERS`` for ``solution`` (lower is better in each)."""
    chan = {c.rstrip("/"): i for i, c in enumerate(channels)}
    sol = {r.name: r for r in solution if not r.name.startswith("__")}
    by_name: dict[str, list[PackageRecord]] = {}
    for r in available:
        by_name.setdefault(r.name, []).append(r)
    requested: dict[str, list[MatchSpec]] = {}
    for s in specs:
        ms = MatchSpec(s)
        requested.setdefault(ms.name, []).append(ms)
    inst = {r.name: r for r in installed}
    t = dict.fromkeys(TIERS, 0)
    t["removals"] = sum(1 for n in inst if n not in sol)
    t["updates"] = sum(1 for n, r in inst.items() if n in sol and
                       (sol[n].version, sol[n].build) != (r.version, r.build))
    t["optional installs"] = sum(1 for n in set(optional) if n in sol and n not in requested)
    t["packages"] = len(sol)
    for name, rec in sol.items():
        pool = by_name.get(name) or [rec]
        if name in requested:
            pool = [r for r in pool if all(ms.match(r) for ms in requested[name])] or [rec]
        if all(r is not rec for r in pool):
            pool = [*pool, rec]
        ic, iv, ib, ia, it = _ranks(pool, chan)[id(rec)]
        tf = len(rec.track_features_list) if rec.track_features else 0
        t["track_features"] += tf
        if tf and any(not r.track_features and r.version == rec.version for r in pool):
            t["feature metric"] += 1
        t["timestamps"] += it
        if name in requested:
            t["requested channel"] += ic
            t["requested versions"] += iv
            t["requested builds"] += ib
            t["requested noarch"] += ia
        else:
            t["dependency channel"] += ic
            t["dependency versions"] += iv
            t["dependency builds"] += ib
    return tuple(t[k] for k in TIERS)


def first_difference(a: Sequence[int], b: Sequence[int]) -> str | None:
    """The most significant tier where two scores differ (None when equal)."""
    return next((TIERS[i] for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
