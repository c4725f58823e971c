"""Turning a solution into an environment: diff against what is installed, fetch and verify every
package, then unlink and link with a journal so a failure, or a process killed half-way, never
leaves a half-installed environment.

``Transaction`` is the difference between a prefix and a solution (the summary the CLI shows) and
its ``execute``: fetch, then take the prefix lock, finish or roll back what an earlier process left
(``journal.recover``), diff again if another process changed the prefix meanwhile, and hand the
changes to ``unlink_link.UnlinkLink``, which applies them under the journal.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import msgspec

from naja.errors import TransactionError
from naja.install.journal import recover
from naja.install.prefix import DEFAULT_LOCK_TIMEOUT, Prefix, PrefixRecord
from naja.solver import solution as solution_mod
from naja.solver.solution import ActionKind, Solution
from naja.types.records import PackageRecord

if TYPE_CHECKING:  # linking is loaded when a transaction runs, not for a dry run
    from naja.install.link import LinkOptions
    from naja.package.cache import PackageCache
    from naja.types.match_spec import MatchSpec

Progress = Callable[[str, int, "int | None"], None]


class TransactionSummary(TypedDict):
    """``Transaction.summary``: the records to link and unlink, and the classified changes by dist."""

    PREFIX: str
    LINK: list[dict[str, object]]
    UNLINK: list[dict[str, object]]
    install: list[str]
    remove: list[str]
    upgrade: list[tuple[str, str]]
    downgrade: list[tuple[str, str]]
    reinstall: list[str]
    change: list[tuple[str, str]]

# ------------------------------------------------------------------------------------------ summary


class Clobber(msgspec.Struct, frozen=True):
    """A file written by more than one package (the last one linked wins)."""

    path: str
    previous: str | None  # dist that owned it (None: a file no package owned)
    new: str


class TransactionResult(msgspec.Struct):
    linked: list[PackageRecord] = msgspec.field(default_factory=list)
    unlinked: list[PrefixRecord] = msgspec.field(default_factory=list)
    clobbers: list[Clobber] = msgspec.field(default_factory=list)
    messages: list[str] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)


def _python_minor(record: PackageRecord | None) -> str | None:
    if record is None:
        return None
    parts = record.version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else record.version


def _noarch_relinks(installed: Sequence[PackageRecord], solution: Sequence[PackageRecord]) -> set[str]:
    """noarch python packages are compiled for one python: when the python minor version changes,
    every installed one is linked again (even when the solution keeps its file)."""
    old = {r.name: r for r in installed}
    new = {r.name: r for r in solution}
    if "python" not in old or _python_minor(old.get("python")) == _python_minor(new.get("python")):
        return set()
    return {name for name, r in old.items() if r.noarch_kind == "python"}


def topological_order(records: Sequence[PackageRecord]) -> list[PackageRecord]:
    """Dependencies before dependents (python first), stable by name, cycles broken arbitrarily."""
    from naja.types.match_spec import spec_name

    by_name = {r.name: r for r in records}
    order: list[PackageRecord] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        stack = [(name, iter(sorted({spec_name(d) for d in by_name[name].depends})))]
        state[name] = 1
        while stack:
            current, deps = stack[-1]
            for dep in deps:
                if dep in by_name and dep not in state:
                    state[dep] = 1
                    stack.append((dep, iter(sorted({spec_name(d) for d in by_name[dep].depends}))))
                    break
            else:
                stack.pop()
                state[current] = 2
                order.append(by_name[current])

    if "python" in by_name:
        visit("python")
    for name in sorted(by_name):
        if name not in state:
            visit(name)
    return order


# -------------------------------------------------------------------------------------- transaction


class Transaction:
    """The difference between a prefix and a solution, and how to apply it."""

    def __init__(
        self,
        prefix: Prefix,
        solution: Sequence[PackageRecord],
        changes: Solution,
        requested_specs: Sequence[str] = (),
        remove_specs: Sequence[str] = (),
        installed: Sequence[PrefixRecord] = (),
    ) -> None:
        self.prefix = prefix
        self.solution = list(solution)
        self.installed = list(installed)
        self._set_changes(changes)
        self.requested_specs = [str(s) for s in requested_specs]
        self.remove_specs = [str(s) for s in remove_specs]
        self.force_reinstall: Iterable[str] | bool = ()

    def _set_changes(self, changes: Solution) -> None:
        """The actions, and the lists the runner works from: records to link (dependencies first)
        and the installed records to unlink (as read from ``conda-meta``)."""
        self.changes = changes
        by_name = {r.name: r for r in self.installed}
        self.to_unlink: list[PrefixRecord] = [by_name[r.name] for r in changes.to_unlink]
        self.to_link = topological_order(changes.to_link)

    @classmethod
    def from_solution(
        cls,
        prefix: str | os.PathLike[str] | Prefix,
        solution: Iterable[PackageRecord],
        requested_specs: Iterable[MatchSpec | str] = (),
        *,
        remove_specs: Iterable[MatchSpec | str] = (),
        force_reinstall: Iterable[str] | bool = (),
        installed: Sequence[PrefixRecord] | None = None,
    ) -> Transaction:
        """Diff the installed records of ``prefix`` against ``solution`` (the complete final state).

        ``installed``: the records the solution was computed from (default: read the prefix now). Pass
        them when solving read the prefix earlier: if another process changed it since, ``execute``
        then applies this transaction's own changes on top of theirs instead of undoing them."""
        prefix = prefix if isinstance(prefix, Prefix) else Prefix(prefix)
        if installed is None:
            installed = prefix.installed() if prefix.meta_dir.is_dir() else []
        installed = list(installed)
        solution = list(solution)
        reinstall = ({r.name for r in solution} if force_reinstall is True
                     else {str(n) for n in force_reinstall or ()})
        changes = Solution.diff(installed, solution, relink=reinstall | _noarch_relinks(installed, solution))
        tx = cls(
            prefix,
            solution,
            changes,
            [str(s) for s in requested_specs],
            [str(s) for s in remove_specs],
            installed,
        )
        tx.force_reinstall = force_reinstall if force_reinstall is True else sorted(reinstall)
        return tx

    # -- summary for the CLI ---------------------------------------------------------------------------

    @property
    def nothing_to_do(self) -> bool:
        return not self.to_link and not self.to_unlink

    @property
    def install(self) -> list[PackageRecord]:
        return [a.install for a in self.changes.of_kind("install") if isinstance(a, solution_mod.Install)]

    @property
    def remove(self) -> list[PrefixRecord]:
        unlink = {r.name: r for r in self.to_unlink}
        return [unlink[a.remove.name] for a in self.changes.of_kind("remove") if isinstance(a, solution_mod.Remove)]

    def _changed(self, kind: ActionKind) -> list[tuple[PrefixRecord, PackageRecord]]:
        unlink = {r.name: r for r in self.to_unlink}
        return [(unlink[a.remove.name], a.install) for a in self.changes.of_kind(kind)
                if isinstance(a, (solution_mod.Upgrade, solution_mod.Downgrade, solution_mod.Change,
                                  solution_mod.Reinstall))]

    @property
    def upgrade(self) -> list[tuple[PrefixRecord, PackageRecord]]:
        return self._changed("upgrade")

    @property
    def downgrade(self) -> list[tuple[PrefixRecord, PackageRecord]]:
        return self._changed("downgrade")

    @property
    def reinstall(self) -> list[tuple[PrefixRecord, PackageRecord]]:
        return self._changed("reinstall")

    @property
    def change(self) -> list[tuple[PrefixRecord, PackageRecord]]:
        """Same version and build number, different build or channel."""
        return self._changed("change")

    def summary(self) -> TransactionSummary:
        """JSON-ready ``{"LINK": [...], "UNLINK": [...]}`` plus the classified lists, by dist."""
        return {
            "PREFIX": str(self.prefix.path),
            "LINK": [r.to_dict() for r in self.to_link],
            "UNLINK": [r.to_dict() for r in self.to_unlink],
            "install": [r.dist_name for r in self.install],
            "remove": [r.dist_name for r in self.remove],
            "upgrade": [(a.dist_name, b.dist_name) for a, b in self.upgrade],
            "downgrade": [(a.dist_name, b.dist_name) for a, b in self.downgrade],
            "reinstall": [a.dist_name for a, _ in self.reinstall],
            "change": [(a.dist_name, b.dist_name) for a, b in self.change],
        }

    # -- execution -----------------------------------------------------------------------------------

    def execute(
        self,
        package_cache: PackageCache,
        *,
        link_options: LinkOptions | None = None,
        progress: Callable[[str, int, int | None], None] | None = None,
        execute_link_scripts: bool = True,
        cmd: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        root_prefix: str | None = None,
    ) -> TransactionResult:
        """Fetch everything, then unlink and link under the prefix lock; roll back on any failure.

        Raises ``TransactionError`` (or the ``NajaError`` of the failing download/extraction, in
        which case the prefix was not touched).
        """
        with package_cache.in_use() if self.to_link else contextlib.nullcontext():
            return self._execute(package_cache, link_options, progress, execute_link_scripts, cmd,
                                 lock_timeout, root_prefix)

    def _execute(self, package_cache: PackageCache, link_options: LinkOptions | None,
                 progress: Callable[[str, int, int | None], None] | None, execute_link_scripts: bool,
                 cmd: str | None, lock_timeout: float, root_prefix: str | None) -> TransactionResult:
        prefix = self.prefix
        existed = prefix.path.exists()
        result = TransactionResult()
        try:
            extracted = (
                package_cache.fetch_and_extract(self.to_link, progress=progress) if self.to_link else {}
            )
        except BaseException:
            if not existed and prefix.path.exists():
                shutil.rmtree(prefix.path, ignore_errors=True)
            raise
        with prefix.lock(lock_timeout):
            recover(prefix, locked=True)
            extracted = self._refresh(package_cache, extracted, progress)
            if self.nothing_to_do:
                prefix.history.touch()
                return result
            extracted, result.warnings[:0] = package_cache.verify_extracted(self.to_link, extracted)
            from naja.install.link import LinkOptions
            from naja.install.unlink_link import UnlinkLink  # it builds on this module

            runner = UnlinkLink(self, package_cache, extracted, link_options or LinkOptions(), result)
            runner.execute_link_scripts = execute_link_scripts
            runner.root_prefix = root_prefix
            runner.cmd = cmd if cmd is not None else " ".join(sys.argv)
            runner.prepare()
            runner.run()
        return result

    def _refresh(
        self, package_cache: PackageCache, extracted: dict[str, Path], progress: Progress | None
    ) -> dict[str, Path]:
        """Another process may have changed the prefix while we waited for its lock: diff again
        against what is installed now (same solution), fetching anything newly needed."""
        current = self.prefix.installed() if self.prefix.meta_dir.is_dir() else []
        if {r.dist_name for r in current} == {r.dist_name for r in self.installed}:
            return extracted
        # Apply our own changes on top of theirs, never our whole planned state: diffing the old plan
        # against the new state would undo the other process's work (a lost update).
        unlinking = {r.name for r in self.to_unlink} - {r.name for r in self.to_link}
        merged: dict[str, PackageRecord] = {r.name: r.package_record() for r in current if r.name not in unlinking}
        merged.update({r.name: r for r in self.to_link})
        broken = _unmet_dependencies(merged)
        if broken:
            raise TransactionError(
                f"{self.prefix.path} was changed by another process while this one waited for its lock, and "
                f"the changes conflict ({broken[0]}); nothing was changed: run the command again"
            )
        self.solution = list(merged.values())
        fresh = Transaction.from_solution(
            self.prefix, self.solution, self.requested_specs,
            remove_specs=self.remove_specs, force_reinstall=self.force_reinstall,
        )
        self.installed = fresh.installed
        self._set_changes(fresh.changes)
        missing = [r for r in self.to_link if r.dist_name not in extracted]
        if missing:
            extracted = {**extracted, **package_cache.fetch_and_extract(missing, progress=progress)}
        return extracted


def _unmet_dependencies(records: dict[str, PackageRecord]) -> list[str]:
    """``"<dist> needs <dep>"`` for every dependency (virtual packages aside) nothing in ``records`` meets."""
    from naja.types.match_spec import MatchSpec

    out = []
    for record in records.values():
        for dep in record.depends:
            spec = MatchSpec(dep)
            if spec.name.startswith("__"):
                continue
            have = records.get(spec.name)
            if have is None or not spec.match(have):
                out.append(f"{record.dist_name} needs {dep}")
    return out
