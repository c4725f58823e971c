"""An independent checker for solutions: written apart from the solver (no shared caches or
encodings), so that the tests can trust it to catch the solver's mistakes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from naja.errors import InvalidSpec
from naja.solver._spec import MatchSpec
from naja.types.records import PackageRecord


def _spec(s: object) -> MatchSpec | None:
    if isinstance(s, MatchSpec):
        return s
    try:
        return MatchSpec(str(s))
    except InvalidSpec:
        return None


def check(
    solution: Sequence[PackageRecord],
    specs: Iterable[object],
    virtual_packages: Sequence[PackageRecord] = (),
    *,
    pins: Iterable[object] = (),
    absent: Iterable[str] = (),
) -> list[str]:
    """Return what is wrong with ``solution`` (empty when it is a valid environment).

    Valid means: one record per name; every ``depends`` entry of every record matched by a record of
    the solution or a virtual package; every ``constrains`` entry satisfied by whatever record of
    that name is present; every requested spec satisfied; every pin satisfied where its package is
    present; no name listed in ``absent`` present.
    """
    problems: list[str] = []
    by_name: dict[str, PackageRecord] = {}
    for rec in solution:
        if rec.name in by_name:
            problems.append(f"two records for {rec.name}: {by_name[rec.name].dist_name} and {rec.dist_name}")
        by_name[rec.name] = rec
    virtual: dict[str, list[PackageRecord]] = {}
    for rec in virtual_packages:
        virtual.setdefault(rec.name, []).append(rec)

    def present(name: str) -> list[PackageRecord]:
        rec = by_name.get(name)
        return [rec] if rec is not None else virtual.get(name, [])

    for rec in solution:
        for dep in rec.depends:
            ms = _spec(dep)
            if ms is None:
                problems.append(f"{rec.dist_name} has an invalid dependency {dep!r}")
                continue
            have = present(ms.name)
            if not have:
                problems.append(f"{rec.dist_name} requires {dep}, but no {ms.name} is installed")
            elif not any(ms.match(h) for h in have):
                problems.append(f"{rec.dist_name} requires {dep}, but {have[0].dist_name} is installed")
        for con in rec.constrains:
            ms = _spec(con)
            if ms is None:
                problems.append(f"{rec.dist_name} has an invalid constraint {con!r}")
                continue
            have = present(ms.name)
            if have and not any(ms.match(h) for h in have):
                problems.append(f"{rec.dist_name} constrains {con}, but {have[0].dist_name} is installed")
    for s in specs:
        ms = _spec(s)
        if ms is None:
            problems.append(f"invalid spec {s!r}")
            continue
        have = present(ms.name)
        if not have:
            problems.append(f"requested {s} is not installed")
        elif not any(ms.match(h) for h in have):
            problems.append(f"requested {s}, but {have[0].dist_name} is installed")
    for s in pins:
        ms = _spec(s)
        if ms is None:
            problems.append(f"invalid pin {s!r}")
            continue
        pinned = by_name.get(ms.name)
        if pinned is not None and not ms.match(pinned):
            problems.append(f"pinned {s}, but {pinned.dist_name} is installed")
    for name in absent:
        if name in by_name:
            problems.append(f"{name} should have been removed, but {by_name[name].dist_name} is installed")
    return problems
