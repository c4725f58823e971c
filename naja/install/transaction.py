"""Turning a solution into an environment: diff against what is installed, fetch and verify every
package, then unlink and link with a journal so a failure, or a process killed half-way, never
leaves a half-installed environment.

Crash safety works like this. Before the prefix is touched, ``conda-meta/.naja-transaction`` (the
journal) is written with every path the new packages will create. Files being removed or
overwritten are *moved* into ``<prefix>/.naja-trash/<id>/`` (same filesystem, so a rename), never
deleted; before each package is linked a ``begin <dist>`` line is appended, and every pre-existing
file in its way is moved to the trash first. A ``commit`` line marks success, after which the trash
is deleted. ``recover(prefix)``, which every entry point calls under the prefix lock, rolls an
uncommitted journal back (delete what the begun packages created, move the trash back) or finishes
a committed one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naja import safe_json
from naja.confine import ConfinementError, Root, check_name, check_relpath, rmtree
from naja.errors import NajaError, TransactionError
from naja.install.link import (
    Linker,
    LinkOptions,
    PackagePlan,
    PythonInfo,
    compile_pyc,
    link_script_path,
    plan_package,
    run_link_script,
)
from naja.install.prefix import (
    CONDA_META,
    DEFAULT_LOCK_TIMEOUT,
    Prefix,
    PrefixRecord,
    history_dist_string,
    write_prefix_record,
)
from naja.solver import solution as solution_mod
from naja.solver.solution import ActionKind, Solution
from naja.types.package_metadata import Link, PathData, PathsData
from naja.types.records import PackageRecord

log = logging.getLogger("naja.install.transaction")

JOURNAL = ".naja-transaction"
TRASH_DIR = ".naja-trash"
MESSAGES = ".messages.txt"
_TEST_SLEEP_ENV = "NAJA_TEST_LINK_SLEEP"  # seconds to sleep after each linked package (tests only)


# ------------------------------------------------------------------------------------------ summary


@dataclass(frozen=True)
class Clobber:
    """A file written by more than one package (the last one linked wins)."""

    path: str
    previous: str | None  # dist that owned it (None: a file no package owned)
    new: str


@dataclass
class TransactionResult:
    linked: list[PackageRecord] = field(default_factory=list)
    unlinked: list[PrefixRecord] = field(default_factory=list)
    clobbers: list[Clobber] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
        requested_specs: Iterable[Any] = (),
        *,
        remove_specs: Iterable[Any] = (),
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

    def summary(self) -> dict[str, Any]:
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
        package_cache: Any,
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

    def _execute(self, package_cache: Any, link_options: LinkOptions | None,
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
            runner = _Runner(self, package_cache, extracted, link_options or LinkOptions(), result)
            runner.execute_link_scripts = execute_link_scripts
            runner.root_prefix = root_prefix
            runner.cmd = cmd if cmd is not None else " ".join(sys.argv)
            runner.prepare()
            runner.run()
        return result

    def _refresh(
        self, package_cache: Any, extracted: dict[str, Path], progress: Any
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


class _Runner:
    """One execution of a transaction (state shared by the steps)."""

    def __init__(
        self,
        tx: Transaction,
        cache: Any,
        extracted: dict[str, Path],
        options: LinkOptions,
        result: TransactionResult,
    ) -> None:
        self.tx = tx
        self.cache = cache
        self.extracted = extracted
        self.options = options
        self.result = result
        self.prefix = tx.prefix
        self.root = str(tx.prefix.path)
        self.execute_link_scripts = True
        self.root_prefix: str | None = None
        self.cmd = ""
        self.plans: list[PackagePlan] = []
        self.python: PythonInfo | None = None
        self.txid = uuid.uuid4().hex[:12]
        self.trash_rel = f"{TRASH_DIR}/{self.txid}"
        self.trash = os.path.join(self.root, self.trash_rel)
        self.confined = Root(self.root)
        self.trash_root = Root(self.trash, kind="trash")
        self.unlink_paths: dict[str, list[str]] = {}
        self.created: set[str] = set()
        self.owner_of_created: dict[str, str] = {}
        self._owners: dict[str, str] | None = None

    # -- preparation (nothing in the prefix changes) -------------------------------------------------

    def prepare(self) -> None:
        py = next((r for r in self.tx.solution if r.name == "python"), None)
        self.python = PythonInfo.from_record(py) if py is not None else None
        for record in self.tx.to_link:
            pkg_dir = self.extracted.get(record.dist_name)
            if pkg_dir is None:
                raise TransactionError(f"{record.dist_name} was not fetched into the package cache")
            plan = plan_package(pkg_dir, record, self.python)
            self._check_binary_prefix(plan)
            self.plans.append(plan)
        for old in self.tx.to_unlink:
            self.unlink_paths[old.dist_name] = record_paths(old)

    def _check_binary_prefix(self, plan: PackagePlan) -> None:
        written = self.options.relocate_prefix or self.root  # what the files will hold
        for pf in plan.files:
            e = pf.entry
            if e.file_mode == "binary" and e.prefix_placeholder and len(written.encode()) > len(
                e.prefix_placeholder.encode()
            ):
                raise TransactionError(
                    f"cannot install {plan.record.dist_name}: the prefix {written!r} is longer than its "
                    f"binary placeholder ({len(e.prefix_placeholder)} bytes, in {e.path}); use a shorter path"
                )

    # -- running -------------------------------------------------------------------------------------

    def run(self) -> None:
        self._run_pre_link_scripts()
        self._write_journal()
        try:
            self._backup_history()
            self._unlink_all()
            self._link_all()
            self._finish()
        except BaseException as exc:
            try:
                _rollback(self.prefix)
            except Exception as rb_exc:  # pragma: no cover - the journal stays for recover()
                log.error("rollback of %s failed: %s", self.root, rb_exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            if isinstance(exc, TransactionError):
                raise TransactionError(f"{exc} (the environment was rolled back)") from None
            if isinstance(exc, NajaError):
                raise TransactionError(f"{exc} (the environment was rolled back)") from None
            if isinstance(exc, OSError):
                what = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)
                raise TransactionError(f"transaction failed ({what}); the environment was rolled back") from None
            raise
        _commit_cleanup(self.prefix)
        self._collect_messages()

    def _write_journal(self) -> None:
        links = []
        for plan in self.plans:
            targets = [*plan.targets(), f"{CONDA_META}/{plan.record.dist_name}.json"]
            links.append({"dist": plan.record.dist_name, "targets": targets})
        header = {
            "id": self.txid,
            "trash": self.trash_rel,
            "unlink": [r.dist_name for r in self.tx.to_unlink],
            "link": links,
            "time": time.time(),
        }
        meta = self.prefix.meta_dir
        meta.mkdir(parents=True, exist_ok=True)
        path = meta / JOURNAL
        # no fsync: the journal guards against the process dying (the kernel keeps its writes); the
        # trash directory is created on first use, so a fresh install costs no extra directories
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header) + "\n")

    def _journal(self, line: str) -> None:
        with open(self.prefix.meta_dir / JOURNAL, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def _to_trash(self, rel: str) -> None:
        """Move an existing path into the trash (first copy wins: it is the pre-transaction state)."""
        if rel in self.created or self.trash_root.lexists(rel):
            self.confined.remove(rel)
            return
        self.confined.rename(rel, self.trash_root, rel)

    def _backup_history(self) -> None:
        hist = self.prefix.history.path
        if hist.exists():
            dst = os.path.join(self.trash, CONDA_META, "history")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(hist, dst)

    def _unlink_all(self) -> None:
        unlinking = topological_order(self.tx.to_unlink)[::-1]
        for record in unlinking:
            assert isinstance(record, PrefixRecord)
            self._run_script(record, "pre-unlink", Path(self.root))
            rels = self.unlink_paths[record.dist_name]
            owners = self._owners_map()
            parents = set()
            owner = f"{CONDA_META}/{record.dist_name}.json"
            for rel in rels:
                if rel in owners:
                    continue  # also written by a package that stays (it clobbered this one): keep it
                if self.confined.is_real_dir(rel, owner):
                    parents.add(rel)
                    continue
                if self.confined.lexists(rel, owner):
                    self._to_trash(rel)
                parents.add(rel.rpartition("/")[0])
            meta_rel = f"{CONDA_META}/{record.dist_name}.json"
            if os.path.lexists(os.path.join(self.root, meta_rel)):
                self._to_trash(meta_rel)
            self.confined.rmdir_empty(parents)
            self.result.unlinked.append(record)

    def _owners_map(self) -> dict[str, str]:
        if self._owners is None:
            gone = {r.dist_name for r in self.tx.to_unlink}
            owners: dict[str, str] = {}
            for rec in self.tx.installed:
                if rec.dist_name in gone:
                    continue
                for rel in rec.files or [p.path for p in rec.paths_data.paths]:
                    owners[rel] = rec.dist_name
            self._owners = owners
        return self._owners

    def _link_all(self) -> None:
        linker = Linker(self.root, self.options, before_write=self._to_trash, assume_clear=True)
        sleep = float(os.environ.get(_TEST_SLEEP_ENV, "0") or 0)
        self.linked: list[tuple[PackagePlan, list[PathData]]] = []
        for plan in self.plans:
            dist = plan.record.dist_name
            # first move whatever is in the way to the trash, then log "begin": a rollback deletes
            # the targets of begun packages only, and by then none of them is an original file
            for rel in self._existing_targets(plan):
                if self.confined.is_real_dir(rel, dist):
                    continue
                previous = self.owner_of_created.get(rel) if rel in self.created else self._owners_map().get(rel)
                if previous != dist:
                    self.result.clobbers.append(Clobber(rel, previous, dist))
                self._to_trash(rel)
            self._journal(f"begin {dist}")
            paths = linker.link(plan)
            for pd in paths:
                self.created.add(pd.path)
                self.owner_of_created[pd.path] = dist
            self.linked.append((plan, paths))
            if sleep:
                time.sleep(sleep)
        if self.result.clobbers:
            listed = ", ".join(f"{c.path} ({c.previous or 'unowned'} -> {c.new})" for c in self.result.clobbers[:20])
            more = len(self.result.clobbers) - 20
            msg = f"files clobbered by later packages (last one wins): {listed}" + (
                f" and {more} more" if more > 0 else ""
            )
            self.result.warnings.append(msg)
            log.warning(msg)
        self._compile_pyc()
        for plan, paths in self.linked:
            self._write_record(plan, paths, linker.link_type)
        for plan, _ in self.linked:
            self._run_script(plan.record, "post-link", Path(self.root))

    def _existing_targets(self, plan: PackagePlan) -> list[str]:
        """Targets of ``plan`` that exist now: one directory listing per directory instead of one
        lstat per file (most directories of a fresh environment do not exist yet)."""
        listings: dict[str, set[str] | None] = {}
        out = []
        for rel in plan.targets():
            head, _, name = rel.rpartition("/")
            names = listings.get(head, False)
            if names is False:
                try:
                    if head:
                        self.confined.check_dir(head, plan.record.dist_name)
                    names = set(os.listdir(self.confined.base + head))
                except (FileNotFoundError, NotADirectoryError):
                    names = None
                listings[head] = names
            if names is None:
                # the parent is missing or a file (a file where a directory goes is cleared by the linker)
                continue
            if name in names:
                out.append(rel)
        return out

    def _compile_pyc(self) -> None:
        if self.python is None or not self.options.compile_pyc:
            return
        py_files = [
            pd.path
            for plan, paths in self.linked
            if plan.noarch_python
            for pd in paths
            if pd.path.endswith(".py") and pd.path.startswith(self.python.site_packages + "/")
        ]
        if not py_files:
            return
        compiled = compile_pyc(self.root, self.python, py_files)
        if not compiled:
            return
        for plan, paths in self.linked:
            if not plan.noarch_python:
                continue
            sources = {pd.path.rpartition("/")[0] + "/__pycache__/" + pd.path.rpartition("/")[2][:-3] + "."
                       for pd in paths if pd.path.endswith(".py")}
            for pyc in sorted(compiled):
                head, _, tail = pyc.rpartition("/")
                stem = tail.split(".", 1)[0] + "."
                if head + "/" + stem in sources:
                    full = os.path.join(self.root, pyc)
                    paths.append(PathData(path=pyc, path_type="pyc_file", size_in_bytes=os.path.getsize(full)))

    def _requested_spec(self, record: PackageRecord) -> str:
        from naja.types.match_spec import spec_name

        for spec in self.tx.requested_specs:
            if spec_name(spec) == record.name:
                return spec
        return ""

    def _write_record(self, plan: PackagePlan, paths: list[PathData], link_type: int) -> None:
        record = plan.record
        base = {f: getattr(record, f) for f in PackageRecord.__struct_fields__}
        spec = self._requested_spec(record)
        try:
            tarball = str(self.cache.tarball_path(record))
        except Exception:
            tarball = ""
        prefix_record = PrefixRecord(
            **base,
            files=[p.path for p in paths if p.path_type != "directory"],
            paths_data=PathsData(paths=paths),
            link=Link(source=str(plan.package_dir), type=link_type),
            requested_spec=spec,
            requested_specs=[spec] if spec else [],
            extracted_package_dir=str(plan.package_dir),
            package_tarball_full_path=tarball,
        )
        write_prefix_record(self.root, prefix_record)
        self.result.linked.append(record)

    def _run_pre_link_scripts(self) -> None:
        for plan in self.plans:
            self._collect_prelink_messages(plan)
            self._run_script(plan.record, "pre-link", plan.package_dir)

    def _collect_prelink_messages(self, plan: PackagePlan) -> None:
        """``info/prelink_messages/*`` (conda ≥ 4.13): text a package wants shown when installed."""
        folder = plan.package_dir / "info" / "prelink_messages"
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            with contextlib.suppress(OSError):
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    self.result.messages.append(f"{plan.record.dist_name}: {text}")

    def _run_script(self, record: PackageRecord, action: str, where: Path) -> None:
        script = link_script_path(where, record.name, action)
        if not script.is_file():
            return
        if not self.execute_link_scripts:
            msg = f"{record.dist_name}: {action} script not run (link scripts are disabled)"
            self.result.warnings.append(msg)
            log.warning(msg)
            return
        run_link_script(
            script,
            self.root,
            record,
            action,
            root_prefix=self.root_prefix,
            source_dir=str(self.extracted.get(record.dist_name, "")) or None,
        )

    def _finish(self) -> None:
        hist = self.prefix.history
        hist.append(
            cmd=self.cmd,
            linked=[history_dist_string(r) for r in self.tx.to_link],
            unlinked=[history_dist_string(r) for r in self.tx.to_unlink],
            update_specs=self.tx.requested_specs,
            remove_specs=self.tx.remove_specs,
        )
        self._journal("commit")

    def _collect_messages(self) -> None:
        path = os.path.join(self.root, MESSAGES)
        try:  # written by link scripts; a link there must not make naja read (or print) another file
            with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), encoding="utf-8",
                           errors="replace") as fh:
                text = fh.read(1 << 20).strip()
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return
        if text:
            self.result.messages.append(text)
        with contextlib.suppress(OSError):
            os.unlink(path)


def record_paths(record: PrefixRecord) -> list[str]:
    """The files a prefix record says its package installed, each checked by the confinement layer:
    an edited record naming ``../x``, an absolute path or naja's bookkeeping is refused before
    anything is removed."""
    owner = f"{CONDA_META}/{record.dist_name}.json"
    check_name(record.name, f"package name in {owner}")
    rels = [p.path for p in record.paths_data.paths] or list(record.files)
    return [check_relpath(rel, owner) for rel in rels]


# ----------------------------------------------------------------------------------------- recovery


def _read_journal(prefix: Prefix) -> tuple[dict[str, Any], set[str], bool] | None:
    path = prefix.meta_dir / JOURNAL
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    try:
        header = safe_json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        # the journal itself was cut short: nothing had been changed yet
        return {"trash": None, "link": []}, set(), False
    begun = {line[6:] for line in lines[1:] if line.startswith("begin ")}
    committed = any(line == "commit" for line in lines[1:])
    header["_targets_removed"] = any(line == "targets-removed" for line in lines[1:])
    return header, begun, committed


def _rollback(prefix: Prefix) -> bool:
    """Undo an uncommitted transaction from its journal; True if there was one."""
    state = _read_journal(prefix)
    if state is None:
        return False
    header, begun, committed = state
    root = str(prefix.path)
    if committed:
        _commit_cleanup(prefix)
        return True
    confined = Root(root)
    parents: set[str] = set()
    for rel in _journal_targets(header, begun):
        parents.add(rel.rpartition("/")[0])
        if header.get("_targets_removed"):
            continue  # a previous recovery got this far: what is there now was restored
        if not confined.unlink(rel) and confined.is_real_dir(rel):
            parents.add(rel)
    if not header.get("_targets_removed"):
        with open(prefix.meta_dir / JOURNAL, "a", encoding="utf-8") as fh:
            fh.write("targets-removed\n")
    trash = _trash_dir(prefix, header)
    if trash:
        _restore_tree(trash, root)
        with contextlib.suppress(OSError):
            rmtree(trash)
    confined.rmdir_empty(parents)
    _remove_trash_root(root)
    with contextlib.suppress(FileNotFoundError):
        (prefix.meta_dir / JOURNAL).unlink()
    return True


def _journal_targets(header: dict[str, Any], begun: set[str]) -> list[str]:
    """The paths the begun packages created, as the journal lists them; the journal is a file in the
    prefix like any other, so its entries pass the confinement layer too (a bad one is skipped)."""
    out = []
    for entry in header.get("link", []):
        if not isinstance(entry, dict) or entry.get("dist") not in begun:
            continue  # nothing of it was written (records are written after every package is linked)
        for rel in entry.get("targets", []):
            try:
                rel = check_relpath(rel, "transaction journal", reserved=frozenset({TRASH_DIR}))
            except ConfinementError as exc:
                log.warning("%s", exc)
                continue
            head, _, name = rel.partition("/")
            if head != CONDA_META or (name.endswith(".json") and "/" not in name and name[0] != "."):
                out.append(rel)  # of conda-meta, only the package records the transaction wrote
    return out


def _trash_dir(prefix: Prefix, header: dict[str, Any]) -> str | None:
    """The transaction's trash, only when the journal names it the way naja does."""
    trash_rel = header.get("trash")
    if not isinstance(trash_rel, str) or not re.fullmatch(re.escape(TRASH_DIR) + r"/[A-Za-z0-9_-]{1,64}", trash_rel):
        return None
    return os.path.join(prefix.path, trash_rel)


def _restore_tree(trash: str, root: str) -> None:
    """Move everything in the trash back to its place (links as links; nothing outside the prefix)."""
    confined = Root(root)
    for dirpath, dirnames, filenames in os.walk(trash):
        rel_dir = os.path.relpath(dirpath, trash)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            try:
                rel = check_relpath(rel, "transaction trash", reserved=frozenset({TRASH_DIR}))
                head = rel.rpartition("/")[0]
                if head:
                    confined.makedirs(head)
                if confined.lexists(rel):
                    confined.remove(rel)
                os.rename(os.path.join(dirpath, name), confined.full(rel))
            except ConfinementError as exc:
                log.warning("%s", exc)


def _commit_cleanup(prefix: Prefix) -> None:
    state = _read_journal(prefix)
    trash = _trash_dir(prefix, state[0]) if state is not None else None
    if trash:
        with contextlib.suppress(OSError):
            rmtree(trash)
    _remove_trash_root(str(prefix.path))
    with contextlib.suppress(FileNotFoundError):
        (prefix.meta_dir / JOURNAL).unlink()


def _remove_trash_root(root: str) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(os.path.join(root, TRASH_DIR))


def recover(prefix: str | os.PathLike[str] | Prefix, *, locked: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> bool:
    """Roll back (or finish) a transaction that a killed process left in ``prefix``; True if one was
    found. Every command that reads or changes an environment calls this first."""
    prefix = prefix if isinstance(prefix, Prefix) else Prefix(prefix)
    if not (prefix.meta_dir / JOURNAL).exists():
        return False
    if locked:
        found = _rollback(prefix)
    else:
        with prefix.lock(lock_timeout):
            found = _rollback(prefix)
    if found:
        log.warning("rolled back an interrupted transaction in %s", prefix.path)
    return found
