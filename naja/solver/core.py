"""The search: CDCL over package variables, with clauses generated lazily.

Literals are ints: ``2*v`` means "install candidate v", ``2*v+1`` "do not install v". Variable 0 is
the request itself (always true). Clauses are created only when they can matter:

- the request's clauses (``¬root ∨ c1 ∨ … ∨ ck``) at the start;
- a candidate's ``depends`` (``¬v ∨ matches…``) and ``constrains`` (``¬v ∨ ¬u`` for each u the
  constraint excludes) when the candidate becomes true, or is about to be chosen by a decision (so a
  candidate whose dependencies already failed is ruled out without a decision);
- "one build per name" is not a clause at all: making v true assigns every other candidate of its
  name false (reason: v), walking from the least preferred, so that the long "requires" clauses,
  whose watched literals sit at the preferred end, move their watches once.

Decisions follow resolvo: the first unsatisfied requirement of the request, else of the installed
packages in the order they were reached (a name that took part in conflicts goes first), and the
first undecided candidate of it in preference order. Conflicts are analysed to the first UIP, the
learnt clause remembers which clauses it came from (for explanations), and the search backjumps.
Assignments that hold regardless of decisions (level 0) survive backjumps, even when they were found
late, while deep in the search. A candidate certain to be installed (level 0) rules out at once, at
level 0, the builds its requirements do not allow (`naja.solver.narrow`). Activities are rescaled
before they overflow, and a conflict/time budget bounds a search.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypeAlias

from naja.errors import SolverLimitError
from naja.solver.narrow import exclude_forbidden
from naja.solver.pool import Pool

if TYPE_CHECKING:
    from collections.abc import Sequence

    from naja.solver._spec import MatchSpec
    from naja.types.records import PackageRecord

# Why a clause exists (``Search.origin``): a tuple whose first item names the kind and whose other
# items depend on it: ("request", spec), ("installed", name, frozen), ("requires", v, dep),
# ("constrains", v, spec), ("pin", spec), ("removed", name), ("forbid", v, u), ("excludes", v, ci),
# ("implied", v, ci, name, requirement clauses), ("learnt", [reasons], [level-0 variables]).
Origin: TypeAlias = "tuple[Any, ...]"
# Why a variable has its value: a clause id, ("forbid", w, v) for a one-build-per-name exclusion
# not stored as a clause, or None for a decision.
Reason: TypeAlias = "int | tuple[str, int, int] | None"

UNSET = 2
_RESCALE = 1e100  # activities above this are scaled down (with the increment) to stay finite


class Unsolvable(Exception):
    """Raised by ``Search.run`` with the id of the clause that conflicts at level 0."""

    def __init__(self, clause: int) -> None:
        super().__init__(clause)
        self.clause = clause


class Search:
    def __init__(self, pool: Pool, *, max_conflicts: int = 100_000, time_limit: float = 60.0) -> None:
        self.pool = pool
        self.max_conflicts = max_conflicts
        self.time_limit = time_limit
        self._started = time.monotonic()
        self.clauses: list[list[int]] = []
        self.origin: list[Origin] = []  # why each clause exists
        self.watches: list[list[int]] = [[], []]
        self.val: list[int] = [1, 0]
        self.level: list[int] = [0]
        self.reason: list[int | None] = [None]
        self.encoded: list[bool] = [True]
        self.trail: list[int] = [0]
        self.trail_lim: list[int] = []
        self.qhead = 0
        self.chosen: dict[str, int] = {}
        self.requires: list[int] = []  # requirement clause ids in registration order
        self.req_by_parent: dict[int, list[int]] = {}
        # Requirements of true candidates, in the order they became true (truncated on backjumps);
        # everything before ``dpos`` is known to be satisfied.
        self.agenda: list[int] = []
        self.agenda_lim: list[int] = []
        self.dpos = 0
        self.req_meta: dict[int, tuple[int, str, tuple[int, ...], frozenset[int]]] = {}
        # Per candidate tuple (requirements share them): its set, and its literals for a clause.
        self._sets: dict[tuple[int, ...], tuple[frozenset[int], list[int]]] = {}
        self.activity: dict[str, float] = {}
        self._inc = 1.0
        self.conflicts = 0
        self.decisions = 0
        self.backjumps = 0  # conflicts that undid more than one decision level

    # -- variables ---------------------------------------------------------------------------
    def grow(self) -> None:
        """Make room for the candidates the pool added since (lazily encoded names)."""
        n = len(self.pool.records)
        have = len(self.level)
        if n == have:
            return
        extra = n - have
        self.val.extend([UNSET] * (2 * extra))
        self.watches.extend([[] for _ in range(2 * extra)])
        self.level.extend([0] * extra)
        self.reason.extend([None] * extra)
        self.encoded.extend([False] * extra)

    def _assign(self, lit: int, lvl: int, reason: int | None) -> None:
        self.val[lit] = 1
        self.val[lit ^ 1] = 0
        v = lit >> 1
        self.level[v] = lvl
        self.reason[v] = reason
        self.trail.append(lit)

    # -- clauses -----------------------------------------------------------------------------
    def add_clause(self, lits: list[int], origin: Origin) -> int | None:
        """Add a clause under the current assignment; returns its id if it conflicts."""
        ci = len(self.clauses)
        self.clauses.append(lits)
        self.origin.append(origin)
        val = self.val
        level = self.level
        if len(lits) == 1:
            lit = lits[0]
            if val[lit] == 0:
                return ci
            if val[lit] == UNSET:
                self._assign(lit, 0, ci)
            elif self.level[lit >> 1]:
                # Already true by a decision's consequence: make it a fact that survives backjumps.
                self.level[lit >> 1] = 0
                self.reason[lit >> 1] = ci
            return None
        n = len(lits)
        # Common case first: two literals not false (the first found) can be watched as they are.
        a = -1
        for k in range(n):
            if val[lits[k]] != 0:
                if a < 0:
                    a = k
                    continue
                la, lb = lits[a], lits[k]
                if a != 0 or k != 1:
                    rest = [lits[j] for j in range(n) if j != a and j != k]
                    lits[:] = [la, lb, *rest]
                self.watches[la].append(ci)
                self.watches[lb].append(ci)
                return None
        # Watch a true literal if there is one, else unset ones, else the false ones set last.
        nf = [k for k in range(n) if val[lits[k]] != 0]
        trues = [k for k in nf if val[lits[k]] == 1]
        falses = None
        if trues:
            a = trues[0]
            others = [k for k in nf if k != a]
            if others:
                b = others[0]
            else:
                falses = sorted((k for k in range(n) if k != a), key=lambda k: level[lits[k] >> 1])
                b = falses[-1]
        elif len(nf) >= 2:
            a, b = nf[0], nf[1]
        else:
            falses = sorted((k for k in range(n) if k not in nf), key=lambda k: level[lits[k] >> 1])
            if nf:
                a, b = nf[0], falses[-1]
            else:
                a, b = falses[-1], falses[-2]
        la, lb = lits[a], lits[b]
        if n > 2:
            rest = [lits[k] for k in range(n) if k != a and k != b]
            lits[:] = [la, lb, *rest]
        else:
            lits[0], lits[1] = la, lb
        self.watches[la].append(ci)
        self.watches[lb].append(ci)
        if not nf:
            return ci
        if len(nf) == 1 and not trues:
            self._assign(la, level[lb >> 1], ci)
        return None

    def add_requirement(self, parent: int, dep: str | MatchSpec, cands: tuple[int, ...], origin: Origin) -> int | None:
        self.grow()
        ci = len(self.clauses)
        known = self._sets.get(cands)
        if known is None:
            known = self._sets[cands] = (frozenset(cands), [2 * u for u in cands])
        cset, pos = known
        conflict = self.add_clause([2 * parent + 1, *pos], origin)
        name = (self.pool.dep_name(dep) or dep) if isinstance(dep, str) else dep.name
        self.req_meta[ci] = (parent, name, cands, cset)
        self.requires.append(ci)
        self.req_by_parent.setdefault(parent, []).append(ci)
        return conflict

    def encode(self, v: int) -> int | None:
        """Add the clauses of candidate v's dependencies and constraints (once)."""
        pool = self.pool
        rec: PackageRecord = pool.records[v]  # type: ignore[assignment]  # a candidate: never the root's None
        conflict = None
        neg = 2 * v + 1
        for dep in pool.depends(v):
            cands = pool.matches(dep)
            c = self.add_requirement(v, dep, cands, ("requires", v, dep))
            if c is not None and conflict is None:
                conflict = c
        for con in rec.constrains:
            ms = pool.try_spec(con)
            if ms is None or not pool.known_name(ms.name):
                continue
            start, end = pool.candidates(ms.name)
            self.grow()
            good = set(pool.matches(con))
            allowed = pool.var_allowed
            for u in range(start, end):
                if u in good or (not allowed[u] and ms.match(pool.records[u])):
                    continue
                c = self.add_clause([neg, 2 * u + 1], ("constrains", v, con))
                if c is not None and conflict is None:
                    conflict = c
        self.encoded[v] = True
        return conflict

    # -- propagation -------------------------------------------------------------------------
    def propagate(self) -> int | None:
        trail = self.trail
        val = self.val
        level = self.level
        reason = self.reason
        watches = self.watches
        clauses = self.clauses
        chosen = self.chosen
        pool = self.pool
        var_name = pool.var_name
        name_range = pool.name_range
        encoded = self.encoded
        while self.qhead < len(trail):
            lit = trail[self.qhead]
            self.qhead += 1
            lvl = len(self.trail_lim)
            if not lit & 1:
                v = lit >> 1
                if v:
                    name = var_name[v]
                    other = chosen.get(name)
                    if other is None:
                        chosen[name] = v
                        start, end = name_range[name]
                        lv = level[v]
                        why = -v - 1
                        for u in range(end - 1, start - 1, -1):
                            x = val[2 * u]
                            if x == UNSET:
                                val[2 * u] = 0
                                val[2 * u + 1] = 1
                                level[u] = lv
                                reason[u] = why
                                trail.append(2 * u + 1)
                            elif x == 1 and u != v:
                                self.qhead -= 1
                                return self.add_clause([2 * v + 1, 2 * u + 1], ("forbid", v, u))
                    elif other != v:
                        self.qhead -= 1
                        return self.add_clause([2 * v + 1, 2 * other + 1], ("forbid", v, other))
                    if not encoded[v]:
                        conflict = self.encode(v)
                        if conflict is not None:
                            self.qhead -= 1
                            return conflict
                if not level[v]:
                    conflict = exclude_forbidden(self, v)
                    if conflict is not None:
                        self.qhead -= 1
                        return conflict
                self.agenda.extend(self.req_by_parent.get(v, ()))
            fl = lit ^ 1
            ws = watches[fl]
            n = len(ws)
            i = j = 0
            while i < n:
                ci = ws[i]
                i += 1
                c = clauses[ci]
                if c[0] == fl:
                    c[0] = c[1]
                    c[1] = fl
                first = c[0]
                if val[first] == 1:
                    ws[j] = ci
                    j += 1
                    continue
                for k in range(2, len(c)):
                    lk = c[k]
                    if val[lk] != 0:
                        c[1] = lk
                        c[k] = fl
                        watches[lk].append(ci)
                        break
                else:
                    ws[j] = ci
                    j += 1
                    if val[first] == 0:
                        while i < n:
                            ws[j] = ws[i]
                            j += 1
                            i += 1
                        del ws[j:]
                        self.qhead -= 1
                        return ci
                    self._assign(first, lvl, ci)
            del ws[j:]
        return None

    # -- conflicts ---------------------------------------------------------------------------
    def backtrack(self, target: int) -> None:
        if len(self.trail_lim) <= target:
            return
        lim = self.trail_lim[target]
        trail = self.trail
        val = self.val
        level = self.level
        keep = []
        chosen = self.chosen
        var_name = self.pool.var_name
        for lit in trail[lim:]:
            v = lit >> 1
            if level[v] <= target:
                keep.append(lit)
                continue
            val[2 * v] = val[2 * v + 1] = UNSET
            self.reason[v] = None
            if not lit & 1 and chosen.get(var_name[v]) == v:
                del chosen[var_name[v]]
        del trail[lim:]
        trail.extend(keep)
        del self.trail_lim[target:]
        del self.agenda[self.agenda_lim[target]:]
        del self.agenda_lim[target:]
        self.dpos = 0
        self.qhead = min(self.qhead, lim)

    def _reason_lits(self, v: int) -> tuple[list[int] | tuple[int, ...], Reason]:
        r = self.reason[v]
        if r is None:
            return (), None
        if r >= 0:
            return self.clauses[r], r
        w = -r - 1
        return (2 * w + 1,), ("forbid", w, v)

    def resolve_conflict(self, ci: int) -> None:
        """Learn from a conflicting clause and backjump; raises ``Unsolvable`` at level 0 and
        ``SolverLimitError`` when the budget is spent."""
        self.conflicts += 1
        if self.conflicts >= self.max_conflicts or (
                not self.conflicts & 255 and time.monotonic() - self._started > self.time_limit):
            raise SolverLimitError(
                f"the solver gave up after {self.conflicts} conflicts in "
                f"{time.monotonic() - self._started:.1f} s (limits: {self.max_conflicts} conflicts, "
                f"{self.time_limit:g} s); constrain the request further (e.g. pin versions)")
        level = self.level
        lits: Sequence[int] = self.clauses[ci]
        top = max(level[lit >> 1] for lit in lits)
        if top == 0:
            raise Unsolvable(ci)
        if top < len(self.trail_lim):
            self.backtrack(top)
        cur = top
        seen: set[int] = set()
        learnt: list[int] = []
        why: list[Reason] = [ci]
        zero: list[int] = []
        path = 0
        idx = len(self.trail) - 1
        p = -1
        trail = self.trail
        bump = self._bump
        var_name = self.pool.var_name
        while True:
            for q in lits:
                if q == p:
                    continue
                v = q >> 1
                if v in seen:
                    continue
                seen.add(v)
                lv = level[v]
                if lv == 0:
                    zero.append(v)
                    continue
                bump(var_name[v])
                if lv >= cur:
                    path += 1
                else:
                    learnt.append(q)
            while True:
                p = trail[idx]
                idx -= 1
                pv = p >> 1
                if pv in seen and level[pv] == cur:
                    break
            path -= 1
            if path == 0:
                break
            lits, r = self._reason_lits(pv)
            why.append(r)
        learnt.insert(0, p ^ 1)
        self._inc *= 1.05
        bj = 0
        if len(learnt) > 1:
            best = max(range(1, len(learnt)), key=lambda k: level[learnt[k] >> 1])
            learnt[1], learnt[best] = learnt[best], learnt[1]
            bj = level[learnt[1] >> 1]
        if bj < top - 1:
            self.backjumps += 1
        self.backtrack(bj)
        origin = ("learnt", why, zero)
        nci = len(self.clauses)
        self.clauses.append(learnt)
        self.origin.append(origin)
        if len(learnt) > 1:
            self.watches[learnt[0]].append(nci)
            self.watches[learnt[1]].append(nci)
        self._assign(learnt[0], bj, nci)

    def _bump(self, name: str) -> None:
        act = self.activity[name] = self.activity.get(name, 0.0) + self._inc
        if act > _RESCALE:
            # Scale every activity (and the increment) down together: the order is kept, and the
            # values never reach inf, where every package would tie.
            for k in self.activity:
                self.activity[k] /= _RESCALE
            self._inc /= _RESCALE

    # -- decisions ---------------------------------------------------------------------------
    def decide(self) -> tuple[int, int] | None:
        """(candidate, 0) to decide, (clause, 1) for a requirement found conflicting, or None.

        The first unsatisfied requirement in agenda order wins (the request's come first); after
        conflicts, a requirement a little further on whose package took part in more conflicts may
        take its place (resolvo's activity rule, with a bounded look-ahead)."""
        val = self.val
        chosen = self.chosen
        meta = self.req_meta
        agenda = self.agenda
        n = len(agenda)
        i = self.dpos
        while i < n:
            parent, name, cands, cset = meta[agenda[i]]
            c = chosen.get(name)
            if c is None or c not in cset:
                break
            i += 1
        self.dpos = i
        if i == n:
            return None
        ci = agenda[i]
        parent, name, cands, cset = meta[ci]
        activity = self.activity
        if activity:
            # resolvo's rule: a later requirement replaces the first one only if its package has a
            # strictly higher activity and it has strictly fewer undecided candidates; the
            # request's requirements are never replaced by a dependency's.
            best_act = activity.get(name, 0.0)
            best_count = -1
            for k in range(i + 1, min(n, i + 256)):
                cj = agenda[k]
                p2, name2, cands2, cset2 = meta[cj]
                if not parent and p2:
                    break
                act = activity.get(name2, 0.0)
                if act <= best_act:
                    continue
                c = chosen.get(name2)
                if c is not None and c in cset2:
                    continue
                if best_count < 0:
                    best_count = sum(1 for u in cands if val[2 * u] == UNSET)
                count = sum(1 for u in cands2 if val[2 * u] == UNSET)
                if count >= best_count:
                    continue
                ci, parent, cands, best_act, best_count = cj, p2, cands2, act, count
        for u in cands:
            if val[2 * u] == UNSET:
                return u, 0
        return ci, 1

    def run(self) -> list[int]:
        """Search until every requirement of an installed candidate holds; returns the true variables."""
        val = self.val
        while True:
            conflict = self.propagate()
            if conflict is not None:
                self.resolve_conflict(conflict)
                continue
            choice = self.decide()
            if choice is None:
                break
            x, kind = choice
            if kind == 1:
                self.resolve_conflict(x)
                continue
            if not self.encoded[x]:
                conflict = self.encode(x)
                if conflict is not None:
                    self.resolve_conflict(conflict)
                    continue
                if self.qhead < len(self.trail):
                    continue
            val = self.val
            if val[2 * x] != UNSET:
                continue
            self.decisions += 1
            self.trail_lim.append(len(self.trail))
            self.agenda_lim.append(len(self.agenda))
            self._assign(2 * x, len(self.trail_lim), None)
        val = self.val
        return [v for v in range(1, len(self.level)) if val[2 * v] == 1]
