"""``solve(task)``: turn a ``SolverTask`` into the request clauses, search, and return the records of
the final environment."""

from __future__ import annotations

from naja.errors import UnsatisfiableError
from naja.solver._spec import MatchSpec
from naja.solver.core import Search, Unsolvable
from naja.solver.pool import Pool
from naja.solver.task import SolverTask
from naja.types.match_spec import spec_name
from naja.types.records import PackageRecord


def _spec(s: object) -> MatchSpec:
    return s if isinstance(s, MatchSpec) else MatchSpec(str(s))


def _removal_set(task: SolverTask, installed: dict[str, PackageRecord], remove: list[MatchSpec]) -> set[str]:
    """Names to remove: the requested ones plus, transitively, installed packages that need them."""
    removed = {ms.name for ms in remove if ms.name in installed}
    asked = set(removed)
    deps_of = {name: {spec_name(d) for d in rec.depends} for name, rec in installed.items()}
    changed = True
    while changed:
        changed = False
        for name, deps in deps_of.items():
            if name not in removed and deps & removed:
                removed.add(name)
                changed = True
    dependents = sorted(removed - asked)
    if dependents and not task.remove_dependents:
        raise UnsatisfiableError(
            f"cannot remove {', '.join(sorted(asked))}: needed by {', '.join(dependents)}",
            "\n".join(f"{n} depends on it" for n in dependents),
            {"remove": sorted(asked), "dependents": dependents},
        )
    return removed


def solve(task: SolverTask) -> list[PackageRecord]:
    """Solve ``task`` and return every record of the resulting environment.

    Raises ``UnsatisfiableError`` (message: one line; ``explanation``: a readable tree; ``data``:
    the same as JSON-able data) when no environment satisfies the request.
    """
    specs = [_spec(s) for s in task.specs]
    updates = [_spec(s) for s in task.update_specs]
    removes = [_spec(s) for s in task.remove_specs]
    pins = [_spec(s) for s in task.pins]
    installed = {r.name: r for r in task.installed}
    removed = _removal_set(task, installed, removes) if removes else set()

    requested_names = {ms.name for ms in specs} | {ms.name for ms in updates}
    if task.update_all:
        favored: set[str] = set()
    elif task.force_reinstall:
        favored = set(installed)
    else:
        favored = set(installed) - {ms.name for ms in updates}
    pool = Pool(
        task.available,
        installed=[r for r in task.installed if r.name not in removed],
        virtual_packages=task.virtual_packages,
        channels=task.channels,
        channel_priority=task.channel_priority,
        favored=favored,
        add_pip_as_python_dependency=task.add_pip_as_python_dependency,
    )
    search = Search(pool, max_conflicts=task.max_conflicts, time_limit=task.time_limit)
    conflict = _encode_request(search, pool, task, specs, updates, pins, installed, removed, requested_names)
    try:
        if conflict is not None:
            raise Unsolvable(conflict)
        true_vars = search.run()
    except Unsolvable as exc:
        from naja.solver.explain import explain

        message, text, data = explain(search, exc.clause)
        raise UnsatisfiableError(message, text, data) from None

    solved: dict[str, PackageRecord] = {}
    for v in true_vars:  # candidates only: the root (0, no record) is never among them
        rec = pool.records[v]
        if rec is not None and not rec.name.startswith("__"):
            solved[rec.name] = rec
    if task.no_deps:
        result = {n: r for n, r in installed.items() if n not in removed}
        for name in requested_names:
            if name in solved:
                result[name] = solved[name]
        return list(result.values())
    if task.only_deps:
        for name in requested_names:
            if name in installed:
                solved[name] = installed[name]
            else:
                solved.pop(name, None)
    return list(solved.values())


def _encode_request(
    search: Search,
    pool: Pool,
    task: SolverTask,
    specs: list[MatchSpec],
    updates: list[MatchSpec],
    pins: list[MatchSpec],
    installed: dict[str, PackageRecord],
    removed: set[str],
    requested_names: set[str],
) -> int | None:
    """Add the request's clauses: specs, updates, the installed packages to keep, pins, removals."""
    conflicts: list[int | None] = []
    for raw, ms in zip([*task.specs, *task.update_specs], [*specs, *updates]):
        text = str(ms)
        label = raw if isinstance(raw, str) else text
        conflicts.append(search.add_requirement(0, ms, pool.matches(text, ms), ("request", label)))
    for name in installed:
        if name in removed or name in requested_names:
            continue
        if task.freeze_installed:
            start, end = pool.candidates(name)
            cands = tuple(v for v in range(start, end) if pool.var_installed[v])
            conflicts.append(search.add_requirement(0, name, cands, ("installed", name, True)))
        else:
            conflicts.append(search.add_requirement(0, name, pool.matches(name), ("installed", name, False)))
    for raw, ms in zip(task.pins, pins):
        if not pool.known_name(ms.name):
            continue
        text = raw if isinstance(raw, str) else str(ms)
        start, end = pool.candidates(ms.name)
        search.grow()
        good = set(pool.matches(str(ms), ms))
        for v in range(start, end):
            if v not in good and not ms.match(pool.records[v]):
                conflicts.append(search.add_clause([1, 2 * v + 1], ("pin", text)))
    for name in removed:
        start, end = pool.candidates(name)
        search.grow()
        for v in range(start, end):
            conflicts.append(search.add_clause([1, 2 * v + 1], ("removed", name)))
    return next((c for c in conflicts if c is not None), None)
