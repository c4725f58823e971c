"""Explanations for unsolvable requests.

When the search fails at level 0, the clauses that prove it (the failing clause, the reasons of the
facts it rests on, and the clauses every learnt clause came from) form a small conflict graph. It is
printed from the request down, like mamba 1.x and resolvo: each requirement lists its candidates,
candidates that fail for the same reasons are merged into one line ("foo 1.0 | 1.1 would require
…"), and a requirement whose candidates only clash with another requested package says so instead of
recursing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from naja.solver.core import Origin, Reason, Search
    from naja.solver.pool import Pool

MAX_DEPTH = 6
MAX_GROUPS = 6

# A group of candidates shown on one line: (name, names they require, why they are excluded,
# names they clash with, specs they constrain).
GroupKey = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class RequirementNode(TypedDict, total=False):
    """One requirement of the explanation's JSON tree, and what became of its candidates."""

    requirement: str
    candidates: list[str]
    problem: str
    requested: bool
    conflicts_with: str
    options: list[GroupNode]


class GroupNode(TypedDict, total=False):
    """Candidates of one name that fail for the same reasons (one line of the tree)."""

    package: str
    versions: list[str]
    builds: list[str]
    reasons: list[str]
    requires: list[RequirementNode]


class MissingNode(TypedDict):
    dependency: str
    needed_by: str


class Explanation(TypedDict):
    """``explain``'s JSON-able data (``UnsatisfiableError.data``)."""

    message: str
    requested: list[str]
    tree: list[RequirementNode]
    missing: list[MissingNode]


class _Core:
    def __init__(self, search: Search, clause: int) -> None:
        self.search = search
        self.pool = search.pool
        self.roots: list[tuple[str, tuple[int, ...], str]] = []  # (spec, candidates, kind)
        self.requires: dict[int, dict[str, list[tuple[str, tuple[int, ...]]]]] = {}
        self.conflicts: dict[int, set[int]] = {}
        self.excluded: dict[int, list[str]] = {}
        self.constrains: dict[int, dict[str, set[int]]] = {}
        self.missing: list[tuple[int, str]] = []
        self._root_clause: dict[str, int] = {}
        self._collect(clause)
        # in the order of the request, whichever clause the search happened to meet first
        self.roots.sort(key=lambda r: self._root_clause.get(r[0], 0))

    def _collect(self, clause: int) -> None:
        s = self.search
        stack: list[Reason] = [clause]
        done: set[Reason] = set()
        done_vars: set[int] = set()
        while stack:
            x = stack.pop()
            if x is None or x in done:
                continue
            done.add(x)
            if isinstance(x, tuple):
                _, w, v = x
                self._forbid(w, v)
                if w not in done_vars and s.level[w] == 0:
                    done_vars.add(w)
                    stack.append(self._reason_of(w))
                continue
            origin = s.origin[x]
            kind = origin[0]
            if kind == "learnt":
                stack.extend(origin[1])
                for v in origin[2]:
                    stack.append(self._reason_of(v))
            elif kind == "implied":
                # every candidate of the certain requirement needs another build of u's name: those
                # requirements, and one build per name, explain it
                stack.append(origin[2])
                stack.extend(origin[4])
                u = s.clauses[x][0] >> 1
                for r in origin[4]:
                    for w in s.req_meta[r][2]:
                        self._forbid(u, w)
            elif kind == "excludes":
                # u is out because certain v requires another build of u's name: that requirement,
                # and the one-build-per-name rule between u and its builds, explain it
                stack.append(origin[2])
                u = s.clauses[x][0] >> 1
                for w in s.req_meta[origin[2]][2]:
                    self._forbid(u, w)
            else:
                self._add(x, origin)
            for lit in s.clauses[x]:
                v = lit >> 1
                if v and v not in done_vars and s.level[v] == 0 and s.val[2 * v] != 2:
                    done_vars.add(v)
                    stack.append(self._reason_of(v))

    def _reason_of(self, v: int) -> Reason:
        r = self.search.reason[v]
        if r is None or r >= 0:
            return r
        return ("forbid", -r - 1, v)

    def _forbid(self, a: int, b: int) -> None:
        self.conflicts.setdefault(a, set()).add(b)
        self.conflicts.setdefault(b, set()).add(a)

    def _add(self, ci: int, origin: Origin) -> None:
        kind = origin[0]
        meta = self.search.req_meta.get(ci)
        if kind in ("request", "installed"):
            spec = origin[1]
            label = spec if kind == "request" else f"{spec} (installed{', frozen' if origin[2] else ''})"
            cands = meta[2] if meta else ()
            if all(r[0] != label for r in self.roots):
                self.roots.append((label, cands, kind))
                self._root_clause[label] = ci
        elif kind == "requires":
            parent, dep = origin[1], origin[2]
            cands = meta[2] if meta else ()
            ms = self.pool.try_spec(dep)
            name = ms.name if ms is not None else dep
            lst = self.requires.setdefault(parent, {}).setdefault(name, [])
            if all(d != dep for d, _ in lst):
                lst.append((dep, cands))
            if not cands:
                self.missing.append((parent, dep))
        elif kind == "constrains":
            parent, spec = origin[1], origin[2]
            lits = self.search.clauses[ci]
            other = next((lit >> 1 for lit in lits if lit >> 1 != parent), None)
            if other is not None:
                text = f"{spec} (a constraint of {self.pool.candidate(parent).name})"
                if text not in self.excluded.get(other, ()):
                    self.excluded.setdefault(other, []).append(text)
                self.constrains.setdefault(parent, {}).setdefault(spec, set()).add(other)
        elif kind == "forbid":
            self._forbid(origin[1], origin[2])
        elif kind == "pin":
            for lit in self.search.clauses[ci]:
                if lit >> 1:
                    self.excluded.setdefault(lit >> 1, []).append(f"the pin {origin[1]}")
        elif kind == "removed":
            for lit in self.search.clauses[ci]:
                if lit >> 1:
                    self.excluded.setdefault(lit >> 1, []).append("its removal")


def _versions(pool: Pool, vs: list[int]) -> str:
    seen: list[str] = []
    for v in vs:
        ver = pool.candidate(v).version
        if ver not in seen:
            seen.append(ver)
    if len(seen) > 8:
        seen = [*seen[:3], "…", *seen[-2:]]
    return " | ".join(seen)


class _Printer:
    def __init__(self, core: _Core) -> None:
        self.core = core
        self.pool = core.pool
        self.lines: list[str] = []
        self.expanded: set[tuple[str, tuple[int, ...]]] = set()
        self.root_of: dict[int, str] = {}
        for spec, cands, _ in core.roots:
            for v in cands:
                self.root_of.setdefault(v, spec)
        self.required_by: dict[int, tuple[str, int]] = {}
        for parent, by_name in core.requires.items():
            for deps in by_name.values():
                for dep, dc in deps:
                    for v in dc:
                        self.required_by.setdefault(v, (dep, parent))

    def _clash(self, partners: set[int]) -> str:
        pool = self.pool
        roots = sorted({self.root_of[w] for w in partners if w in self.root_of})
        if roots:
            return ", ".join(f"{r} (requested)" if "(installed" not in r else r for r in roots)
        by: dict[str, list[int]] = {}
        for w in sorted(partners):
            if w in self.required_by:
                dep, parent = self.required_by[w]
                who = pool.records[parent]
                text = f"{dep} (required by {who.name} {who.version})" if who is not None else dep
            else:
                text = pool.candidate(w).name
            lst = by.setdefault(text, [])
            lst.append(w)
        parts = list(by)
        if len(parts) > 3:
            parts = [*parts[:3], f"… ({len(parts) - 3} more)"]
        return ", ".join(parts)

    def requirement(self, label: str, cands: tuple[int, ...], prefix: str, last: bool, depth: int,
                    path: frozenset[str]) -> RequirementNode:
        pool = self.pool
        core = self.core
        branch = "└─ " if last else "├─ "
        child_prefix = prefix + ("   " if last else "│  ")
        node: RequirementNode = {"requirement": label, "candidates": [pool.describe(v) for v in cands]}
        if not cands:
            self.lines.append(f"{prefix}{branch}{label} does not exist (no package in the channels matches it)")
            node["problem"] = "missing"
            return node
        # Only clashes with other requirements: say so instead of recursing.
        if all(v not in core.requires and v not in core.excluded and v not in core.constrains
               for v in cands) and any(
                v in core.conflicts for v in cands):
            partners = set().union(*(core.conflicts.get(v, set()) for v in cands)) - set(cands)
            if partners and depth == 0 and not all(w in self.root_of for w in partners):
                if "(installed" in label:
                    frozen = " and frozen" if "frozen" in label else ""
                    self.lines.append(f"{prefix}{branch}{pool.candidate(cands[0]).name} "
                                      f"{_versions(pool, list(cands))} is installed{frozen}")
                else:
                    self.lines.append(f"{prefix}{branch}{label} is requested and can be installed")
                node["requested"] = True
                return node
            if partners:
                text = self._clash(partners)
                self.lines.append(f"{prefix}{branch}{label}, which conflicts with {text}")
                node["conflicts_with"] = text
                return node
        key = (label, cands)
        name = pool.candidate(cands[0]).name
        if key in self.expanded or name in path or depth >= MAX_DEPTH:
            self.lines.append(f"{prefix}{branch}{label} (see above)" if key in self.expanded or name in path
                              else f"{prefix}{branch}{label} …")
            return node
        self.expanded.add(key)
        self.lines.append(f"{prefix}{branch}{label} can be installed with any of the following options:"
                          if len(cands) > 1 else f"{prefix}{branch}{label} can only be:")
        groups: dict[GroupKey, list[int]] = {}
        for v in cands:
            reqs = core.requires.get(v, {})
            partners = core.conflicts.get(v, set()) - set(cands)
            gkey = (pool.candidate(v).name, tuple(sorted(reqs)), tuple(sorted(core.excluded.get(v, ()))),
                    tuple(sorted({pool.candidate(w).name for w in partners})),
                    tuple(sorted(core.constrains.get(v, {}))))
            groups.setdefault(gkey, []).append(v)
        items = list(groups.items())
        extra = len(items) - MAX_GROUPS
        items = items[:MAX_GROUPS]
        children: list[GroupNode] = []
        node["options"] = children
        for gi, (gkey, members) in enumerate(items):
            glast = gi == len(items) - 1 and extra <= 0
            children.append(self._group(gkey, members, child_prefix, glast, depth, path | {name}))
        if extra > 0:
            self.lines.append(f"{child_prefix}└─ … and {extra} more")
        return node

    def _group(self, gkey: GroupKey, members: list[int], prefix: str, last: bool, depth: int,
               path: frozenset[str]) -> GroupNode:
        pool = self.pool
        core = self.core
        name, req_names, excluded, _clash_names, con_specs = gkey
        branch = "└─ " if last else "├─ "
        child_prefix = prefix + ("   " if last else "│  ")
        head = f"{name} {_versions(pool, members)}"
        node: GroupNode = {"package": name, "versions": sorted({pool.candidate(v).version for v in members}),
                                "builds": [pool.describe(v) for v in members]}
        reasons: list[str] = list(excluded)
        for spec in con_specs:
            hit = set().union(*(core.constrains.get(v, {}).get(spec, set()) for v in members))
            reasons.append(f"constrains {spec}, which conflicts with {self._clash(hit)}")
        partners = set().union(*(core.conflicts.get(v, set()) for v in members)) - set(members)
        if partners and not req_names:
            reasons.append(f"conflicts with {self._clash(partners)}")
        if not req_names:
            text = "; ".join(reasons) if reasons else "cannot be installed"
            self.lines.append(f"{prefix}{branch}{head} is excluded by {text}" if excluded and not con_specs
                              else f"{prefix}{branch}{head} {text}")
            node["reasons"] = reasons
            return node
        self.lines.append(f"{prefix}{branch}{head} would require" if not reasons
                          else f"{prefix}{branch}{head} {'; '.join(reasons)}, and would require")
        subs: list[RequirementNode] = []
        node["requires"] = subs
        for ri, dep_name in enumerate(req_names):
            deps: list[str] = []
            cands: list[int] = []
            for v in members:
                for dep, dc in core.requires[v][dep_name]:
                    if dep not in deps:
                        deps.append(dep)
                    cands.extend(c for c in dc if c not in cands)
            cands.sort()
            specs = [d[len(dep_name):].strip() or "*" for d in deps]
            if len(specs) > 4:
                specs = [*specs[:3], "…"]
            label = dep_name if specs == ["*"] else f"{dep_name} {' | '.join(specs)}"
            rlast = ri == len(req_names) - 1
            subs.append(self.requirement(label, tuple(cands), child_prefix, rlast, depth + 1, path))
        return node


def explain(search: Search, clause: int) -> tuple[str, str, Explanation]:
    """(one-line message, readable tree, JSON-able data) for a failed search."""
    core = _Core(search, clause)
    pool = search.pool
    printer = _Printer(core)
    printer.lines.append("The following packages are incompatible")
    roots = [r for r in core.roots if r[2] == "request"] + [r for r in core.roots if r[2] != "request"]
    tree = []
    for i, (label, cands, _) in enumerate(roots):
        tree.append(printer.requirement(label, cands, "", i == len(roots) - 1, 0, frozenset()))
    if not roots:
        printer.lines.append("└─ (no requested package is involved)")
    missing_roots = [label for label, cands, kind in roots if not cands and kind == "request"]
    if missing_roots:
        message = f"nothing provides requested {', '.join(missing_roots)}"
    elif len(roots) == 1 and core.missing:
        parent, dep = core.missing[0]
        message = f"nothing provides {dep} needed by {pool.describe(parent)}"
    elif len(roots) == 1:
        message = f"{roots[0][0]} cannot be installed"
    else:
        message = f"{', '.join(r[0] for r in roots)} cannot be installed together"
    text = "\n".join(printer.lines)
    data: Explanation = {"message": message, "requested": [r[0] for r in roots], "tree": tree,
            "missing": [{"dependency": d, "needed_by": pool.describe(p)} for p, d in core.missing]}
    return "could not solve the request: " + message, text, data
