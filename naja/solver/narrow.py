"""Level-0 narrowing: what a candidate certain to be installed rules out for good.

When a candidate becomes true at level 0 (whatever the decisions), each of its requirements allows
only some builds of the name it is about: every other build is false at once, at level 0 (one build
per name), instead of being tried and refuted by its own conflict, thousands of times for an old
pinned interpreter. And when every build such a requirement allows needs some name, that name is
narrowed at level 0 to the builds some of them allow. These facts survive every backjump; their
clauses name their origin (``("excludes", v, ci)``, ``("implied", v, ci, name, requirement
clauses)``) for explanations. ``Search.propagate`` calls `exclude_forbidden`; the rest is its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.solver.core import Origin, Search

_IMPLIED_MAX = 2000  # candidates of a certain requirement looked through for names they all require


def exclude_forbidden(search: Search, v: int) -> int | None:
    """v is certain (level 0): every candidate of a name v requires that the requirement does not
    allow is false for good (``¬v ∨ ¬u``, kept as the reason, origin ``("excludes", v, ci)``)."""
    pool = search.pool
    val = search.val
    name_range = pool.name_range
    search.grow()
    for ci in search.req_by_parent.get(v, ()):
        _, name, _, cset = search.req_meta[ci]
        rng = name_range.get(name)
        if rng is None:
            continue
        for u in range(rng[0], rng[1]):
            if u in cset or u == v or val[2 * u] == 0:
                continue
            if val[2 * u] == 1:
                return search.add_clause([2 * v + 1, 2 * u + 1], ("excludes", v, ci))
            _fact_false(search, u, v, ("excludes", v, ci))
        if search.origin[ci][0] == "installed":
            continue  # every build of an installed name: rarely narrows anything, costly to look through
        live = [d for d in search.req_meta[ci][2] if val[2 * d] != 0]
        if 1 < len(live) <= _IMPLIED_MAX:
            conflict = _exclude_implied(search, v, ci, live)
            if conflict is not None:
                return conflict
    return None


def _fact_false(search: Search, u: int, v: int, origin: Origin) -> None:
    """u is false for good (level 0) because v is certain."""
    nci = len(search.clauses)
    search.clauses.append([2 * u + 1, 2 * v + 1])  # a level-0 fact's reason: never watched
    search.origin.append(origin)
    search._assign(2 * u + 1, 0, nci)


def _exclude_implied(search: Search, v: int, ci: int, live: list[int]) -> int | None:
    """v is certain and needs one of ``live``: a name every one of them requires can only be one of
    the builds some of them allow; the others are false for good (origin ``("implied", v, ci,
    name)``). An old interpreter pinned through a requested package thus rules out, at once,
    every newer interpreter build, instead of one conflict per build."""
    pool = search.pool
    common: dict[str, None] | None = None
    per: list[dict[str, list[str]]] = []
    for d in live:
        by_name: dict[str, list[str]] = {}
        for dep in pool.depends(d):
            nm = pool.dep_name(dep)
            if nm is None:
                return None
            by_name.setdefault(nm, []).append(dep)
        per.append(by_name)
        common = dict.fromkeys(by_name) if common is None else {n: None for n in common if n in by_name}
        if not common:
            return None
    val = search.val
    for name in common or ():
        if not pool.known_name(name):
            continue
        start, end = pool.candidates(name)
        search.grow()
        allowed: set[int] = set()
        for by_name in per:
            deps = by_name[name]
            ok = set(pool.matches(deps[0]))
            for dep in deps[1:]:
                ok &= set(pool.matches(dep))
            allowed |= ok
            if len(allowed) == end - start:
                break
        else:
            out = [u for u in range(start, end) if u not in allowed and u != v and val[2 * u] != 0]
            if not out:
                continue
            origin = ("implied", v, ci, name, _requirements_on(search, live, name))
            for u in out:
                if val[2 * u] == 1:
                    return search.add_clause([2 * v + 1, 2 * u + 1], origin)
                _fact_false(search, u, v, origin)
    return None


def _requirements_on(search: Search, cands: list[int], name: str) -> tuple[int, ...]:
    """The requirement clauses of ``cands`` on ``name`` (encoding them if need be), so that an
    explanation can name the dependencies behind an implied exclusion."""
    out = []
    for d in cands:
        if not search.encoded[d]:
            search.encode(d)
        out += [c for c in search.req_by_parent.get(d, ()) if search.req_meta[c][1] == name]
    return tuple(out)
