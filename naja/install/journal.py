"""The transaction journal, and rolling back (or finishing) what a failed or killed transaction left.

Before the prefix is touched, ``conda-meta/.naja-transaction`` (the journal) is written: a JSON header
naming the transaction's trash (``<prefix>/.naja-trash/<id>/``) and every path each new package will
create. Files being removed or overwritten are *moved* into the trash (same filesystem, so a rename),
never deleted; before each package is linked a ``begin <dist>`` line is appended, and a ``commit``
line marks success, after which the trash is deleted. ``recover(prefix)``, which every entry point
calls under the prefix lock, rolls an uncommitted journal back (delete what the begun packages
created, move the trash back) or finishes a committed one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from pathlib import Path

from naja import safe_json
from naja.confine import ConfinementError, Root, check_relpath, rmtree
from naja.install.prefix import CONDA_META, DEFAULT_LOCK_TIMEOUT, Prefix

log = logging.getLogger("naja.install.transaction")  # one logger for the whole transaction

JOURNAL = ".naja-transaction"
TRASH_DIR = ".naja-trash"


def write(meta_dir: Path, header: dict[str, object]) -> None:
    """Start the journal of a transaction with its header (before anything in the prefix changes)."""
    meta_dir.mkdir(parents=True, exist_ok=True)
    path = meta_dir / JOURNAL
    # no fsync: the journal guards against the process dying (the kernel keeps its writes); the
    # trash directory is created on first use, so a fresh install costs no extra directories
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")


def append(meta_dir: Path, line: str) -> None:
    """Add a progress line (``begin <dist>``, ``commit``) to the journal."""
    with open(meta_dir / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _read_journal(prefix: Prefix) -> tuple[dict[str, object], set[str], bool] | None:
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


def rollback(prefix: Prefix) -> bool:
    """Undo an uncommitted transaction from its journal; True if there was one."""
    state = _read_journal(prefix)
    if state is None:
        return False
    header, begun, committed = state
    root = str(prefix.path)
    if committed:
        commit_cleanup(prefix)
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


def _journal_targets(header: dict[str, object], begun: set[str]) -> list[str]:
    """The paths the begun packages created, as the journal lists them; the journal is a file in the
    prefix like any other, so its entries pass the confinement layer too (a bad one is skipped)."""
    out = []
    links = header.get("link")
    for entry in links if isinstance(links, list) else []:
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


def _trash_dir(prefix: Prefix, header: dict[str, object]) -> str | None:
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


def commit_cleanup(prefix: Prefix) -> None:
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
        found = rollback(prefix)
    else:
        with prefix.lock(lock_timeout):
            found = rollback(prefix)
    if found:
        log.warning("rolled back an interrupted transaction in %s", prefix.path)
    return found
