"""Confinement: the one way naja turns a path that came from data (a package's ``paths.json``, a
``conda-meta`` record, the journal, an environment name) into a place on disk under a root naja
owns (a prefix or a package cache), and the one way it creates, renames and removes there.

A relative path is checked as text first (no absolute path, ``..``, NUL, backslash, empty or
reserved name), then resolved against the root one component at a time without trusting the
filesystem: every existing parent is ``lstat``-ed; a parent that is a symlink is allowed only when
it resolves to a directory inside the root (a package's ``lib64 -> lib`` keeps working), so a link
another package, a user or an attacker left in the prefix can never carry a write or a removal
outside it. The last component is never followed: removing a link removes the link, trees are
removed without descending through links, and the writers (linker, extractor) open files with
``O_NOFOLLOW``.
"""

from __future__ import annotations

import os
import shutil
import stat

from naja.errors import PackageError

# names at the top of a prefix that only naja writes: the records (and the journal, the lock and
# the history inside conda-meta) and the transaction's trash
RESERVED_TOP = frozenset({"conda-meta", ".naja-trash"})
_WINDOWS = os.name == "nt"


class ConfinementError(PackageError):
    """A path from data that would leave (or reach into naja's bookkeeping of) its root."""


def check_relpath(rel: str, owner: str, *, reserved: frozenset[str] = RESERVED_TOP) -> str:
    """``rel`` as a clean ``a/b/c`` path below a root, or ``ConfinementError`` naming ``owner``
    (the package or record it came from). ``./``, doubled slashes and inner ``..`` are resolved as
    text; a ``..`` above the root, absolute paths (and on Windows backslashes and drives), NUL and the root itself are refused,
    as is any name in ``reserved`` as first component."""
    if not isinstance(rel, str) or not rel:
        raise ConfinementError(f"{owner}: refusing path {rel!r}: it is empty")
    if "\x00" in rel or rel[0] == "/" or (_WINDOWS and ("\\" in rel or rel[1:2] == ":")):
        raise ConfinementError(f"{owner}: refusing path outside the prefix: {rel!r}")
    parts: list[str] = []
    for part in rel.split("/"):
        if part == "..":
            if not parts:
                raise ConfinementError(f"{owner}: refusing path outside the prefix: {rel!r}")
            parts.pop()  # lexically: the filesystem never sees a "..", so no link can redirect it
        elif part and part != ".":
            parts.append(part)
    if not parts:
        raise ConfinementError(f"{owner}: refusing path {rel!r}: it names the root itself")
    if parts[0] in reserved:
        raise ConfinementError(
            f"{owner}: refusing path {rel!r}: {parts[0]} is naja's own bookkeeping, not a package file"
        )
    return "/".join(parts)


def check_name(name: str, what: str) -> str:
    """A single path component (an environment name, a package file name): no separators, not
    ``.``/``..``, not empty, no NUL."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00"):
        raise ConfinementError(f"invalid {what} {name!r}: it must be a plain name, not a path")
    return name


def is_within(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it (both already real paths)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Root:
    """A directory naja owns; every path below it is resolved through ``path``."""

    def __init__(self, path: str | os.PathLike[str], owner: str = "", kind: str = "prefix") -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.kind = kind
        self.base = self.path.rstrip(os.sep) + os.sep
        self.owner = owner or self.path
        self._real: str | None = None
        self._safe: set[str] = {""}  # relative directories known to lie inside

    @property
    def real(self) -> str:
        if self._real is None:
            self._real = os.path.realpath(self.path)
        return self._real

    def forget(self, rel: str) -> None:
        """``rel`` changed (replaced, removed, became a link): re-check what lies under it."""
        if rel not in self._safe:
            return  # the known set is closed under parents: nothing below rel is in it either
        below = rel + "/"
        self._safe = {d for d in self._safe if d != rel and not d.startswith(below)}

    def check_dir(self, rel_dir: str, owner: str = "") -> None:
        """Every existing component of ``rel_dir`` is a directory, or a symlink resolving to a
        directory inside the root; a missing component ends the walk (it will be created plain)."""
        if rel_dir in self._safe:
            return
        parts = rel_dir.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub in self._safe:
                continue
            try:
                mode = os.lstat(self.base + sub).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return
            if stat.S_ISLNK(mode):
                real = os.path.realpath(self.base + sub)
                if not is_within(real, self.real):
                    raise ConfinementError(
                        f"{owner or self.owner}: refusing {rel_dir!r}: {sub} is a symlink leading outside the "
                        f"{self.kind} {self.path} ({real})"
                    )
                if not os.path.isdir(real):
                    return  # a link to a file, or dangling, where a directory goes: as a file
            elif not stat.S_ISDIR(mode):
                return  # a file where a directory goes: the caller clears it or fails plainly
            self._safe.add(sub)

    def full(self, rel: str, owner: str = "") -> str:
        """The absolute path of ``rel`` (already checked with ``check_relpath``) after checking its
        parents; the last component itself is not followed by any operation here."""
        head = rel.rpartition("/")[0]
        if head:
            self.check_dir(head, owner)
        return self.base + rel

    def makedirs(self, rel_dir: str, owner: str = "") -> None:
        """Create ``rel_dir`` and its missing parents; an existing symlink to a directory inside the
        root is kept (and used), anything else that is not a directory is an error for the caller."""
        if not rel_dir or rel_dir in self._safe:
            return
        self.check_dir(rel_dir, owner)
        os.makedirs(self.base + rel_dir, exist_ok=True)
        self.check_dir(rel_dir, owner)  # a component created meanwhile by someone else

    def lexists(self, rel: str, owner: str = "") -> bool:
        return os.path.lexists(self.full(rel, owner))

    def is_real_dir(self, rel: str, owner: str = "") -> bool:
        """A directory and not a symlink to one."""
        try:
            return stat.S_ISDIR(os.lstat(self.full(rel, owner)).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False

    def unlink(self, rel: str, owner: str = "") -> bool:
        """Remove the file or link ``rel`` (never a link's target); False when it is missing or a
        real directory (left for ``rmdir``/``remove``)."""
        full = self.full(rel, owner)
        try:
            if stat.S_ISDIR(os.lstat(full).st_mode):
                return False
            os.unlink(full)
        except (FileNotFoundError, NotADirectoryError):
            return False
        self.forget(rel)
        return True

    def remove(self, rel: str, owner: str = "") -> None:
        """Remove ``rel`` whatever it is; a directory tree is removed without following links."""
        full = self.full(rel, owner)
        if not self.unlink(rel, owner) and os.path.lexists(full):
            rmtree(full)
            self.forget(rel)

    def rename(self, rel: str, dest: Root, dest_rel: str, owner: str = "") -> None:
        """Move ``rel`` (the name itself, link or not) to ``dest_rel`` under ``dest``."""
        src = self.full(rel, owner)
        head = dest_rel.rpartition("/")[0]
        if head:
            dest.makedirs(head, owner)
        os.rename(src, dest.full(dest_rel, owner))
        self.forget(rel)

    def rmdir_empty(self, rel_dirs: set[str], keep: frozenset[str] = frozenset({""})) -> None:
        """Remove each directory (and its parents) while empty, deepest first; links are left."""
        todo: set[str] = set()
        for d in rel_dirs:
            while d and d not in keep and d.partition("/")[0] not in RESERVED_TOP:
                todo.add(d)
                d = d.rpartition("/")[0]
        for d in sorted(todo, key=lambda s: s.count("/"), reverse=True):
            try:
                if self.is_real_dir(d):
                    os.rmdir(self.base + d)
                    self.forget(d)
            except (OSError, ConfinementError):
                pass


def rmtree(path: str | os.PathLike[str]) -> None:
    """Remove a tree without ever descending through a symlink (a link at ``path`` is unlinked)."""
    path = os.fspath(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        os.unlink(path)
        return
    if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover - platforms without fd walks
        for dirpath, dirnames, filenames in os.walk(path, topdown=False):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                os.unlink(os.path.join(dirpath, name))
            for name in dirnames:
                if not os.path.islink(os.path.join(dirpath, name)):
                    os.rmdir(os.path.join(dirpath, name))
        os.rmdir(path)
        return
    shutil.rmtree(path)
