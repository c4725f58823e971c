"""Applying a transaction to the prefix: one run of unlinking and linking under the journal.

``UnlinkLink`` plans every package to link (nothing in the prefix changes yet), runs the pre-link
scripts, writes the journal, then unlinks the packages going away (dependents first), links the new
ones (dependencies first) moving whatever is in their way to the trash, compiles the byte code of
``noarch: python`` packages, writes the ``conda-meta`` records and commits. Any failure rolls the
prefix back from the journal (``journal.rollback``).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from naja.confine import Root, check_name, check_relpath
from naja.errors import NajaError, TransactionError
from naja.install import journal
from naja.install.link import Linker, LinkOptions
from naja.install.link_scripts import link_script_path, prelink_messages, run_link_script, take_messages
from naja.install.noarch_python import PythonInfo, compile_pyc
from naja.install.package_plan import PackagePlan, plan_package
from naja.install.prefix import CONDA_META, PrefixRecord, history_dist_string, write_prefix_record
from naja.install.transaction import Clobber, TransactionResult, topological_order
from naja.types.package_metadata import Link, PathData, PathsData
from naja.types.records import PackageRecord

if TYPE_CHECKING:
    from naja.install.transaction import Transaction
    from naja.package.cache import PackageCache

log = logging.getLogger("naja.install.transaction")  # one logger for the whole transaction

_TEST_SLEEP_ENV = "NAJA_TEST_LINK_SLEEP"  # seconds to sleep after each linked package (tests only)


class UnlinkLink:
    """One execution of a transaction (state shared by the steps)."""

    def __init__(
        self,
        tx: Transaction,
        cache: PackageCache,
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
        self.trash_rel = f"{journal.TRASH_DIR}/{self.txid}"
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
                journal.rollback(self.prefix)
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
        journal.commit_cleanup(self.prefix)
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
        journal.write(self.prefix.meta_dir, header)

    def _journal(self, line: str) -> None:
        journal.append(self.prefix.meta_dir, line)

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
            if head in listings:
                names = listings[head]
            else:
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
        self.result.messages.extend(prelink_messages(plan.package_dir, plan.record.dist_name))

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
        text = take_messages(self.root)
        if text:
            self.result.messages.append(text)


def record_paths(record: PrefixRecord) -> list[str]:
    """The files a prefix record says its package installed, each checked by the confinement layer:
    an edited record naming ``../x``, an absolute path or naja's bookkeeping is refused before
    anything is removed."""
    owner = f"{CONDA_META}/{record.dist_name}.json"
    check_name(record.name, f"package name in {owner}")
    rels = [p.path for p in record.paths_data.paths] or list(record.files)
    return [check_relpath(rel, owner) for rel in rels]
