"""Placing an extracted package's files into a prefix, and removing them again.

Files are hard-linked from the package cache when possible, else copied (``always_copy``,
``always_softlink`` and ``allow_softlinks`` change that); big packages are hard-linked from a few
threads. Files carrying a prefix placeholder are always written fresh with the placeholder replaced
(``prefix_replacement``); the entry points of ``noarch: python`` packages are written as scripts
(``noarch_python``). Where each file goes was decided beforehand (``package_plan``).

The functions here only touch the files they are given; the transaction decides the order, backs up
anything overwritten and records the result in ``conda-meta``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from naja.confine import ConfinementError, Root, is_within
from naja.errors import PackageError
from naja.install.noarch_python import python_entry_point_script
from naja.install.package_plan import PackagePlan, PlannedFile
from naja.install.prefix_replacement import (
    codesign,
    needs_codesign,
    replace_prefix_binary,
    replace_prefix_text,
)
from naja.package.download import file_digest
from naja.types.package_metadata import (
    LINK_COPY,
    LINK_HARD,
    LINK_SOFT,
    PREFIX_PLACEHOLDER,
    PathData,
    PathEntry,
)
from naja.types.records import PackageRecord

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

PARALLEL_LINK_MIN = 256  # files in one package before hard links are made from several threads
_LINK_THREADS = max(4, min(8, os.cpu_count() or 1))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _plain(e: PathEntry) -> bool:
    """A file that is simply hard-linked: no placeholder, not no_link, hashes known."""
    return (
        e.path_type == "hardlink"
        and not e.prefix_placeholder
        and not e.no_link
        and e.sha256 is not None
        and e.size_in_bytes is not None
    )


@dataclass(frozen=True)
class LinkOptions:
    """How files get into the prefix (``always_copy`` wins over ``always_softlink``)."""

    always_copy: bool = False
    always_softlink: bool = False
    allow_softlinks: bool = False
    compile_pyc: bool = True  # byte-compile the .py files of noarch: python packages (--no-pyc)
    # --relocate-prefix: the absolute prefix written into files (placeholders, entry-point shebangs)
    # when the environment is built in one place to be moved to another; None is the install location
    relocate_prefix: str | None = None


# ------------------------------------------------------------------------------------------- linking


def _sha256_symlink(path: str) -> str:
    try:
        return file_digest(path)
    except OSError:
        return hashlib.sha256(b"").hexdigest()  # broken link: as conda/mamba record it


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except IsADirectoryError:
        shutil.rmtree(path)
    except PermissionError:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            raise


def _open_new(dst: str) -> BinaryIO:
    """Open a prefix file for writing without following a link at ``dst`` (a link left there
    fails with ELOOP instead of redirecting the write)."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o644)
    return os.fdopen(fd, "wb")


def _copy(src: str, dst: str) -> None:
    with open(src, "rb") as fin, _open_new(dst) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    shutil.copymode(src, dst)


def _link_pool() -> ThreadPoolExecutor:
    """One pool for the process's big packages (not a new one, and new threads, per package)."""
    from naja.pools import shared_pool

    return shared_pool("link", _LINK_THREADS)


_LINK_CHUNK = 128  # files of one directory linked by one task


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


@dataclass(frozen=True)
class _DirTree:
    """The directories a package's files need: the known ones the walk starts from, and for every
    directory (known or not) its missing subdirectories on the way to some file."""

    known: list[str]
    children: dict[str, list[str]]

    @classmethod
    def of(cls, heads: Iterable[str], known: set[str]) -> _DirTree:
        children: dict[str, list[str]] = {}
        starts: list[str] = []
        seen: set[str] = set()
        for head in heads:
            d = head
            while d not in seen:
                seen.add(d)
                if d in known:
                    starts.append(d)
                    break
                parent = d.rpartition("/")[0]
                children.setdefault(parent, []).append(d)
                d = parent
        return cls(known=starts, children=children)


class _Tasks:
    """Tasks that start further tasks on a pool, and one wait for all of them (no task ever waits,
    so a pool shared with other work cannot deadlock). The first unexpected error is re-raised by
    ``wait``; ``OSError``s are the tasks' own business."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        import threading

        self._pool = pool
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._pending = 1  # the starting thread's own share, given up by ``wait``
        self._error: BaseException | None = None

    def start(self, fn: Callable[..., None], *args: object) -> None:
        with self._lock:
            self._pending += 1
        self._pool.submit(self._run, fn, args)

    def _run(self, fn: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            if self._error is None:
                fn(*args)
        except BaseException as exc:  # handed to the waiting thread
            self._error = self._error or exc
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._done.set()

    def wait(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._done.set()
        self._done.wait()
        if self._error is not None:
            raise self._error


class Linker:
    """Links planned packages into one prefix.

    ``before_write(rel)`` is called for every target that already exists (the transaction moves it
    to its trash so it can be restored); by default the existing file is removed.
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str],
        options: LinkOptions | None = None,
        before_write: Callable[[str], None] | None = None,
        *,
        assume_clear: bool = False,
    ) -> None:
        self.prefix = os.path.abspath(os.fspath(prefix))
        # the caller already moved every existing target away: skip the per-file existence check
        # and rely on FileExistsError for the rare leftovers
        self.assume_clear = assume_clear
        self.options = options or LinkOptions()
        self.written_prefix = self.options.relocate_prefix or self.prefix  # what files will say
        self.before_write = before_write
        self._root = self.prefix.rstrip("/") + "/"  # string concatenation is the hot path's join
        self.confined = Root(self.prefix)
        self._dirs: set[str] = {""}  # known directories inside the prefix (its root included)
        self.owner = ""  # the package being linked, named in refusals
        self._linked: set[str] = set()  # targets this linker wrote
        self.link_type = LINK_COPY if self.options.always_copy else (
            LINK_SOFT if self.options.always_softlink else LINK_HARD
        )

    def _makedirs(self, rel_dir: str, owner: str = "") -> None:
        """Make ``rel_dir`` through the confinement layer: an existing symlink to a directory inside
        the prefix (a package's ``lib64 -> lib``) is kept and used; one leading outside is refused; a
        file (or a link to a file) where a directory must go is handed to the transaction."""
        if not rel_dir or rel_dir in self._dirs:
            return
        if rel_dir.rpartition("/")[0] in self._dirs:
            # one syscall for the usual new directory: its parent is known to be a directory inside
            # the prefix, and mkdir makes a plain directory or fails on any existing name (links too)
            try:
                os.mkdir(self._root + rel_dir)
                self._dirs.add(rel_dir)
                return
            except OSError:
                pass  # exists, perhaps as a file or a link: the checks below decide
        owner = owner or self.owner
        self.confined.check_dir(rel_dir, owner)
        full = self._root + rel_dir
        try:
            mode = os.lstat(full).st_mode
        except (FileNotFoundError, NotADirectoryError):
            mode = None
        if mode is not None and not stat.S_ISDIR(mode) and not (stat.S_ISLNK(mode) and os.path.isdir(full)):
            self._clear(rel_dir, full)
        self.confined.makedirs(rel_dir, owner)
        self._dirs.add(rel_dir)

    def _forget(self, rel: str) -> None:
        """``rel`` changed kind (now a symlink, or moved away): drop what was known under it."""
        below = rel + "/"
        self._dirs.difference_update([d for d in self._dirs if d == rel or d.startswith(below)])
        self.confined.forget(rel)

    def _check_inside(self, rel: str, full: str, owner: str = "") -> None:
        """Refuse a symlink whose target resolves outside the prefix through symlinks earlier packages
        created (each harmless in its own package, they can combine into an escape)."""
        real = os.path.realpath(full)
        if not is_within(real, self.confined.real):
            raise ConfinementError(
                f"{owner or 'package'}: refusing {rel!r}: it resolves outside the prefix through a symlink ({real})"
            )

    def _clear(self, rel: str, full: str) -> None:
        self._forget(rel)
        if self.before_write is not None and rel not in self._linked:
            self.before_write(rel)  # not ours: the caller backs it up
        if os.path.lexists(full):
            _remove(full)

    def _prepare_target(self, rel: str, check: bool = True) -> str:
        self._makedirs(rel.rpartition("/")[0])
        full = self._root + rel
        if check and os.path.lexists(full):
            self._clear(rel, full)
        return full

    def link(self, plan: PackagePlan) -> list[PathData]:
        """Place the package's files and entry points; return their ``paths_data`` entries."""
        files = plan.files
        self.owner = plan.record.dist_name
        out: list[PathData | None] = [None] * len(files)
        src_root = str(plan.package_dir) + "/"
        root = self._root
        dirs = self._dirs
        linked = self._linked
        # the common case inlined (plain file, hard link, hashes known, target cleared by the caller);
        # anything unusual, or any error, goes through the general path
        fast = self.assume_clear and not self.options.always_copy and not self.options.always_softlink
        if fast and len(files) >= PARALLEL_LINK_MIN and _LINK_THREADS > 1:
            self._link_parallel(plan, out)
        link = os.link
        for i, pf in enumerate(files):
            if out[i] is not None:
                continue
            e = pf.entry
            if fast and _plain(e):
                target = pf.target
                head = target.rpartition("/")[0]
                try:
                    if head not in dirs:
                        self._makedirs(head)
                    link(src_root + e.path, root + target)
                    linked.add(target)
                    out[i] = PathData(path=target, sha256=e.sha256, size_in_bytes=e.size_in_bytes)
                    continue
                except OSError:
                    pass
            try:
                out[i] = self._link_one(src_root, pf, plan.record, not self.assume_clear)
            except FileExistsError:  # a target the caller did not clear (e.g. listed twice)
                out[i] = self._link_one(src_root, pf, plan.record, True)
            linked.add(pf.target)
        result = [p for p in out if p is not None]
        for target, module, func in plan.entry_points:
            result.append(self._write_entry_point(target, module, func, plan))
        return result

    def _link_parallel(self, plan: PackagePlan, out: list[PathData | None]) -> None:
        """Hard-link a big package's plain files from a few threads (``link(2)`` and ``mkdir(2)``
        release the GIL and the kernel overlaps them). The work is one task per directory: make it
        (one ``mkdir``; its parent is known to be a directory inside the prefix), link its files,
        start its subdirectories' tasks; no task waits for another, so no depth or package-wide
        barrier holds the threads. A name that exists as anything but a plain directory stops its
        subtree; that, and whatever else fails here, is left to the sequential pass and its checks,
        in order. Packages with symlinks or directory entries stay sequential, so resolution never
        depends on timing."""
        files = plan.files
        if any(pf.entry.path_type != "hardlink" for pf in files):
            return
        by_dir: dict[str, list[int]] = {}
        count = 0
        for i, pf in enumerate(files):
            if _plain(pf.entry):
                by_dir.setdefault(pf.target.rpartition("/")[0], []).append(i)
                count += 1
        if count < PARALLEL_LINK_MIN:
            return
        tree = _DirTree.of(by_dir, self._dirs)
        src_root = str(plan.package_dir) + "/"
        root = self._root
        dirs = self._dirs
        linked = self._linked

        def link_files(chunk: list[int]) -> None:
            link = os.link
            for i in chunk:
                pf = files[i]
                e = pf.entry
                try:
                    link(src_root + e.path, root + pf.target)
                except OSError:
                    continue
                linked.add(pf.target)
                out[i] = PathData(path=pf.target, sha256=e.sha256, size_in_bytes=e.size_in_bytes)

        def make_dir(d: str) -> bool:
            try:
                os.mkdir(root + d)
            except FileExistsError:
                try:  # a plain directory below a known one is as safe as one made here
                    if not stat.S_ISDIR(os.lstat(root + d).st_mode):
                        return False
                except OSError:
                    return False
            except OSError:
                return False
            dirs.add(d)
            return True

        def visit(d: str, make: bool) -> None:
            if make and not make_dir(d):
                refused.append(d)  # its files and subdirectories go through the sequential pass
                return
            for child in tree.children.get(d, ()):
                tasks.start(visit, child, True)
            chunks = _chunks(by_dir.get(d, []), _LINK_CHUNK)
            for chunk in chunks[1:]:
                tasks.start(link_files, chunk)
            if chunks:
                link_files(chunks[0])

        refused: list[str] = []
        tasks = _Tasks(_link_pool())
        for d in tree.known:
            tasks.start(visit, d, False)
        tasks.wait()
        for d in sorted(refused):  # a link or a file at the name: judged here, in order, with the checks
            self._makedirs(d)

    def _link_one(self, src_root: str, pf: PlannedFile, record: PackageRecord, check: bool) -> PathData:
        entry = pf.entry
        rel = pf.target
        src = src_root + entry.path
        if entry.path_type == "directory":
            self._makedirs(rel)
            return PathData(path=rel, path_type="directory")
        if entry.path_type == "softlink" and os.path.islink(src):
            dst = self._prepare_target(rel, check)
            link_target = os.readlink(src)
            self._check_inside(rel, os.path.join(os.path.dirname(dst), link_target), record.dist_name)
            os.symlink(link_target, dst)
            self._forget(rel)  # names under it now resolve through the new symlink
            return PathData(
                path=rel,
                path_type="softlink",
                sha256=entry.sha256 or _sha256_symlink(src),
                size_in_bytes=entry.size_in_bytes if entry.size_in_bytes is not None else 0,
            )
        try:
            if entry.prefix_placeholder:
                return self._write_replaced(src, self._prepare_target(rel), rel, entry, record)
            dst = self._prepare_target(rel, check and not entry.no_link and not self.options.always_copy)
            self._place(src, dst, entry.no_link)
        except FileNotFoundError:
            if not os.path.lexists(src):
                raise PackageError(
                    f"{record.dist_name}: file {entry.path} listed in info/ is missing from {src_root}"
                ) from None
            raise
        sha = entry.sha256
        size = entry.size_in_bytes
        if sha is None or size is None:
            sha = sha or file_digest(src)
            size = size if size is not None else os.path.getsize(src)
        return PathData(path=rel, path_type="hardlink", sha256=sha, size_in_bytes=size, no_link=entry.no_link)

    def _place(self, src: str, dst: str, no_link: bool) -> int:
        opts = self.options
        if not no_link and not opts.always_copy:
            if opts.always_softlink:
                os.symlink(src, dst)
                return LINK_SOFT
            try:
                os.link(src, dst)
                return LINK_HARD
            except FileExistsError:
                raise
            except OSError:
                if opts.allow_softlinks:
                    try:
                        os.symlink(src, dst)
                        return LINK_SOFT
                    except OSError:
                        pass
        _copy(src, dst)
        return LINK_COPY

    def _write_replaced(
        self, src: str, dst: str, rel: str, entry: PathEntry, record: PackageRecord
    ) -> PathData:
        with open(src, "rb") as fh:
            data = fh.read()
        placeholder = entry.prefix_placeholder or PREFIX_PLACEHOLDER
        if entry.file_mode == "binary":
            new = replace_prefix_binary(data, placeholder, self.written_prefix, f"{record.dist_name} ({entry.path})")
        else:
            new = replace_prefix_text(data, placeholder, self.written_prefix)
        with _open_new(dst) as fh:
            fh.write(new)
        os.chmod(dst, stat.S_IMODE(os.stat(src).st_mode))
        if entry.file_mode == "binary" and new != data and needs_codesign(new):
            new = codesign(dst)
        return PathData(
            path=rel,
            path_type="hardlink",
            sha256=entry.sha256 or hashlib.sha256(data).hexdigest(),
            sha256_in_prefix=hashlib.sha256(new).hexdigest(),
            size_in_bytes=entry.size_in_bytes if entry.size_in_bytes is not None else len(data),
            file_mode=entry.file_mode or "text",
            prefix_placeholder=placeholder,
            no_link=entry.no_link,
        )

    def _write_entry_point(self, target: str, module: str, func: str, plan: PackagePlan) -> PathData:
        assert plan.python is not None
        dst = self._prepare_target(target)
        text = python_entry_point_script(os.path.join(self.written_prefix, plan.python.executable), module, func)
        data = text.encode()
        with _open_new(dst) as fh:
            fh.write(data)
        os.chmod(dst, 0o755)
        return PathData(
            path=target,
            path_type="unix_python_entry_point",
            sha256=hashlib.sha256(data).hexdigest(),
            size_in_bytes=len(data),
        )
