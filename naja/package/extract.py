"""Extracting conda packages safely: every member lands inside the destination, or nothing does.

Archives come from the network, so extraction treats them as hostile: no absolute paths, no ``..``,
no links resolving outside, no device files; the payload may not expand beyond what ``info/paths.json``
declares; and extraction happens in a temporary directory beside the destination that is renamed into
place only once complete. Small files are written by a few threads while the stream is parsed;
what each file holds once written (`Digests`: size, mtime and, for ``extra_safety_checks``, its
sha256 hashed from the bytes in memory) is reported so the safety checks need not read them again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

from naja import safe_json
from naja.confine import ConfinementError, Root, is_within
from naja.errors import PackageError
from naja.package.streaming import (
    COPY_CHUNK,
    MAX_EXPANSION_RATIO,
    MIN_STREAM_CAP,
    archive_kind,
    open_conda,
    open_tar_bz2,
)
from naja.types.archive import CONDA_EXT

# the pkg tar may hold the sizes info/paths.json declares plus this much tar overhead
_TAR_OVERHEAD_PER_MEMBER = 8 * 1024
_TAR_OVERHEAD_SLACK = 16 * 1024 * 1024


def extract(
    archive: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    digests: Digests | None = None,
    *,
    sha256: bool = False,
) -> None:
    """Extract a package into ``dest_dir`` (replacing it if present), atomically and safely.

    With ``digests``, it receives ``{path: (size, mtime_ns, sha256 or None)}`` of every regular
    file as it stands after extraction (from the fstat of the file just written): the safety checks
    use it instead of a stat per file. With ``sha256`` too, each file is hashed as it is written (the
    bytes are in memory then, and the writer threads hash while the stream is parsed), so
    ``extra_safety_checks`` need not read the whole package again.

    Raises `PackageError` naming the archive and offending member for anything unsafe or corrupt;
    on failure nothing is left at ``dest_dir`` (a previous directory there is kept).
    """
    archive = Path(archive)
    dest = Path(dest_dir).absolute()
    kind = archive_kind(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_sibling_dir(dest, "naja-extract")
    try:
        extractor = _Extractor(archive, tmp, recording=digests is not None, hashing=sha256)
        try:
            if kind == CONDA_EXT:
                _extract_conda(archive, extractor)
            else:
                with open_tar_bz2(archive) as tf:
                    extractor.extract_all(tf)
            extractor.finish()
        finally:
            extractor.abandon()  # no writer may still be creating files once tmp is removed
        _replace_dir(tmp, dest)
        if digests is not None:
            digests.update(extractor.digests)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _extract_conda(archive: Path, extractor: _Extractor) -> None:
    with open_conda(archive) as layout:
        with layout.open_tar(layout.info) as tf:
            extractor.extract_all(tf)
        if layout.pkg is None:
            return
        cap = extractor.declared_payload_cap(layout.pkg.file_size)
        with layout.open_tar(layout.pkg, cap) as tf:
            extractor.extract_all(tf)


def _make_sibling_dir(dest: Path, suffix: str) -> Path:
    """A fresh hidden directory beside ``dest``; unlike mkdtemp it honours the umask (0o755 usually),
    so the renamed result is readable by others sharing the package cache."""
    for _ in range(100):
        path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.{suffix}"
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:
            continue
        return path
    raise PackageError(f"{dest}: cannot create a temporary directory beside it")


def _replace_dir(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``; an existing ``dest`` is moved aside first, then removed."""
    try:
        os.rename(tmp, dest)
        return
    except OSError:
        if not (dest.exists() or dest.is_symlink()):
            raise
    trash = _make_sibling_dir(dest, "naja-trash")
    os.rename(dest, trash / "old")
    os.rename(tmp, dest)
    shutil.rmtree(trash, ignore_errors=True)


class _Extractor:
    """Writes tar members under ``root`` after checking each one cannot escape it."""

    def __init__(self, archive: Path, root: Path, *, recording: bool = False, hashing: bool = False) -> None:
        self.archive = archive
        self.recording = recording
        self.hashing = recording and hashing
        self.digests: Digests = {}  # what each regular file holds once written (when recording)
        self.root = root
        self.real_root = os.path.realpath(root)
        self.confined = Root(root, owner=str(archive), kind="destination")
        self._prefix = str(root) + os.sep
        self._umask = _current_umask()
        self.regular: set[str] = set()
        self.symlinks: list[str] = []
        self._safe_dirs: set[str] = {""}
        self._batch: list[_Pending] = []
        self._batch_bytes = 0
        self._queued: set[str] = set()  # names queued since the last drain
        self._written = 0  # files written in order: a small package never pays for the handoffs
        self._in_flight: list[Future[_BatchResult]] = []

    def fail(self, member: str, why: str) -> PackageError:
        return PackageError(f"{self.archive}: refusing member {member!r}: {why}")

    def extract_all(self, tf: tarfile.TarFile) -> None:
        from naja.interrupt import check

        for member in tf:
            check()  # Ctrl-C: stop before the next member (the caller removes the partial tree)
            try:
                self.extract_member(tf, member)
            except OSError as exc:  # disk full, a file where a directory must go, ...
                reason = exc.strerror or str(exc)
                raise PackageError(f"{self.archive}: cannot extract member {member.name!r}: {reason}") from exc
        self.drain()  # callers read what was extracted (info/paths.json) right after

    # -- batched writes: small files are created by a few threads while the stream is parsed, so
    # the filesystem's per-file latency (create, write, utime, close) overlaps with decompression.
    # Order is kept where it matters: every directory, link and repeated name waits for the
    # writes queued before it (drain), so no write can go through a name made later.

    def _queue(self, rel: str, path: str, data: bytes, mode: int, mtime: float) -> None:
        self._batch.append((rel, path, data, mode, mtime))
        self._queued.add(rel)
        self._batch_bytes += len(data)
        self.regular.add(rel)
        if len(self._batch) >= _BATCH_FILES or self._batch_bytes >= _BATCH_BYTES:
            self._submit()

    def _submit(self) -> None:
        if not self._batch:
            return
        while len(self._in_flight) >= _BATCHES_IN_FLIGHT:  # memory bound: a few batches per package
            self._wait_oldest()
        self._in_flight.append(
            _writer_pool().submit(_write_batch, self._batch, self._umask, self.recording, self.hashing)
        )
        self._batch, self._batch_bytes = [], 0

    def drain(self) -> None:
        """Wait for every queued write; the first failure is raised (as ``extract_all`` reports it)."""
        self._submit()
        while self._in_flight:
            self._wait_oldest()
        self._queued.clear()

    def _wait_oldest(self) -> None:
        try:
            taken, digests = self._in_flight.pop(0).result()
        except _BatchError as exc:
            reason = exc.error.strerror or str(exc.error)
            raise PackageError(f"{self.archive}: cannot extract member {exc.member!r}: {reason}") from exc.error
        self.digests.update(digests)
        for rel, path, data, mode, mtime in taken:  # the name was taken (by a directory or link): as tar does
            try:
                self._remove_existing(rel, path)
                fd = os.open(path, _CREATE_FLAGS, mode)
                try:
                    _write_all(fd, data)
                    os.chmod(fd if _FD_CHMOD else path, mode)
                    with contextlib.suppress(OSError):
                        os.utime(fd if _FD_UTIME else path, (mtime, mtime))
                    if self.recording:
                        self.digests[rel] = _digest_entry(fd, _sha256(data) if self.hashing else None)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise PackageError(f"{self.archive}: cannot extract member {rel!r}: {exc.strerror or exc}") from exc
            self.regular.add(rel)

    def abandon(self) -> None:
        """Wait for the writers without raising (after a failure, before the directory is removed)."""
        self._batch = []
        for f in self._in_flight:
            with contextlib.suppress(BaseException):
                f.result()
        self._in_flight = []

    def declared_payload_cap(self, compressed_size: int) -> int:
        """Bytes the pkg tar may expand to: the sizes ``info/paths.json`` declares plus tar overhead.

        Without a complete declaration (no paths.json, or entries without ``size_in_bytes``) the
        generic expansion-ratio cap applies instead.
        """
        fallback = max(MIN_STREAM_CAP, compressed_size * MAX_EXPANSION_RATIO)
        paths_file = self.root / "info" / "paths.json"
        try:
            paths = safe_json.loads(paths_file.read_bytes())["paths"]
            total = 0
            for entry in paths:
                if entry.get("path_type", "hardlink") == "hardlink":
                    size = entry.get("size_in_bytes")
                    if not isinstance(size, int) or size < 0:
                        return fallback
                    total += size
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return fallback
        return total + len(paths) * _TAR_OVERHEAD_PER_MEMBER + _TAR_OVERHEAD_SLACK

    def _relname(self, raw: str) -> str:
        if "\x00" in raw:
            raise self.fail(raw, "NUL byte in name")
        name = raw.replace("\\", "/") if os.sep == "\\" else raw
        if name.startswith("/") or (len(name) > 1 and name[1] == ":" and os.sep == "\\"):
            raise self.fail(raw, "absolute path")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise self.fail(raw, "path contains '..'")
        return "/".join(parts)

    def _check_parent(self, raw: str, rel: str) -> str:
        """Create the parent directory of ``rel`` through the confinement layer (every existing
        parent lstat-ed; a link among them must resolve inside the root)."""
        parent = rel.rpartition("/")[0]
        if parent in self._safe_dirs:
            return self._prefix + rel
        if self._queued and any(d in self._queued for d in _ancestors(parent)):
            self.drain()  # a file queued at a name this directory needs: written (and refused) first
        if parent.rpartition("/")[0] in self._safe_dirs:
            # one syscall for the usual new directory: its parent is known to be a directory inside,
            # and mkdir makes a plain directory or fails on any existing name (a link included)
            try:
                os.mkdir(self._prefix + parent)
                self._safe_dirs.add(parent)
                return self._prefix + rel
            except OSError:
                pass  # exists (perhaps as a link) or cannot be made: the confinement layer decides
        try:
            self.confined.makedirs(parent)
        except ConfinementError:
            raise self.fail(raw, "its directory resolves outside the destination through a symlink") from None
        self._safe_dirs.add(parent)
        return self._prefix + rel

    def extract_member(self, tf: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        raw = member.name
        rel = self._relname(raw)
        if not rel:
            return  # the root itself
        if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
            raise self.fail(raw, "device or fifo files are not allowed in packages")
        if member.isreg() and member.sparse is None and member.size <= _QUEUE_MAX and rel not in self.regular \
                and self._written > _SYNC_FILES:
            path = self._check_parent(raw, rel)
            self._queue(rel, path, _read_data(tf, member), _file_mode(member.mode), member.mtime)
            return
        self.drain()
        path = self._check_parent(raw, rel)
        if member.isdir():
            self._make_dir(raw, path, member.mode)
            return
        if member.issym():
            self._make_symlink(raw, rel, path, member.linkname)
            return
        if member.islnk():
            self._make_hardlink(raw, rel, path, member.linkname)
            return
        if not member.isreg():
            raise self.fail(raw, f"unsupported tar member type {member.type!r}")
        mode = _file_mode(member.mode)
        try:  # O_EXCL | O_NOFOLLOW: never writes through an existing name, symlink or not
            fd = os.open(path, _CREATE_FLAGS, mode)
        except FileExistsError:
            self._remove_existing(raw, path)
            fd = os.open(path, _CREATE_FLAGS, mode)
        try:
            sha = self._write_data(tf, member, fd, self.hashing)
            if self._umask is None or mode & self._umask:  # the umask took bits: set them exactly
                os.chmod(fd if _FD_CHMOD else path, mode)
            with contextlib.suppress(OSError):
                os.utime(fd if _FD_UTIME else path, (member.mtime, member.mtime))
            if self.recording:
                self.digests[rel] = _digest_entry(fd, sha)
        finally:
            os.close(fd)
        self.regular.add(rel)
        self._written += 1

    @staticmethod
    def _write_data(tf: tarfile.TarFile, member: tarfile.TarInfo, fd: int, hashing: bool) -> str | None:
        """Copy the member's data straight from the tar stream to ``fd`` (no file objects: this
        runs once per file of every package); with ``hashing``, return its sha256."""
        sha = hashlib.sha256() if hashing else None
        if member.sparse is not None:  # GNU sparse members need tarfile's reassembly
            src = tf.extractfile(member)
            if src is not None:
                while chunk := src.read(COPY_CHUNK):
                    _write_all(fd, chunk)
                    if sha is not None:
                        sha.update(chunk)
            return None if sha is None else sha.hexdigest()
        stream = tf.fileobj
        if stream.tell() != member.offset_data:
            stream.seek(member.offset_data)
        left = member.size
        while left > 0:
            chunk = stream.read(min(left, COPY_CHUNK))
            if not chunk:
                raise tarfile.ReadError("unexpected end of data")
            _write_all(fd, chunk)
            if sha is not None:
                sha.update(chunk)
            left -= len(chunk)
        return None if sha is None else sha.hexdigest()

    def _remove_existing(self, raw: str, path: str) -> None:
        """A later member with the same name replaces an earlier file (as tar does); not a directory."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            raise self.fail(raw, "would replace a directory")
        os.unlink(path)
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        self.regular.discard(rel)
        self.digests.pop(rel, None)

    def _make_dir(self, raw: str, path: str, mode: int) -> None:
        if os.path.islink(path):
            raise self.fail(raw, "directory member would replace a symlink")
        os.makedirs(path, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(path, (mode & 0o777) | 0o700)

    def _make_symlink(self, raw: str, rel: str, path: str, target: str) -> None:
        if not target:
            raise self.fail(raw, "symlink with an empty target")
        if "\x00" in target:
            raise self.fail(raw, "NUL byte in symlink target")
        if target.startswith("/") or (os.sep == "\\" and len(target) > 1 and target[1] == ":"):
            raise self.fail(raw, f"symlink to absolute path {target!r}")
        lexical = os.path.normpath(os.path.join(os.path.dirname(rel), target))
        if lexical == ".." or lexical.startswith("../"):
            raise self.fail(raw, f"symlink target {target!r} points outside the destination")
        self._remove_existing(raw, path)
        os.symlink(target, path)
        self.symlinks.append(rel)
        self._safe_dirs = {""}  # a new symlink may change what existing names resolve to
        self.confined.forget(rel)
        self._check_symlink(raw, rel)

    def _check_symlink(self, raw: str, rel: str) -> None:
        real = os.path.realpath(self.root / rel)
        if not is_within(real, self.real_root):
            raise self.fail(raw, "symlink resolves outside the destination")

    def _make_hardlink(self, raw: str, rel: str, path: str, target: str) -> None:
        target_rel = self._relname(target) if target else ""
        if not target_rel or target_rel not in self.regular:
            raise self.fail(raw, f"hard link to {target!r}, which is not a file extracted from this package")
        source = str(self.root / target_rel)
        if not is_within(os.path.realpath(source), self.real_root):
            raise self.fail(raw, f"hard link target {target!r} resolves outside the destination")
        self._remove_existing(raw, path)
        try:
            os.link(source, path, follow_symlinks=False)
        except OSError:
            shutil.copy2(source, path, follow_symlinks=False)
        self.regular.add(rel)
        if target_rel in self.digests:  # the same bytes (same inode, or a copy with its times)
            self.digests[rel] = self.digests[target_rel]

    def finish(self) -> None:
        """Re-check every symlink once all members exist (chains can only be judged at the end)."""
        self.drain()
        for rel in self.symlinks:
            self._check_symlink(rel, rel)


_Pending = tuple[str, str, bytes, int, float]  # (rel, full path, data, mode, mtime: pax may give a fraction)
#: ``{path: (size, mtime_ns, sha256 when hashed)}`` of the regular files an extraction wrote
Digests = dict[str, tuple[int, int, str | None]]
_BatchResult = tuple[list[_Pending], Digests]  # (names found taken, digests of the files written)
_SYNC_FILES = 64  # files of a package written in order before the pool takes over
_QUEUE_MAX = 1024 * 1024  # members up to this size are written by the pool; bigger ones in order
_BATCH_FILES = 32
_BATCH_BYTES = 4 * 1024 * 1024
_BATCHES_IN_FLIGHT = 4
_WRITER_THREADS = 2  # more only add GIL contention: the parsing thread is the bound


def _writer_pool() -> ThreadPoolExecutor:
    """One small pool for the process (shared by concurrent extractions; threads made on demand)."""
    from naja.pools import shared_pool

    return shared_pool("extract", _WRITER_THREADS)


class _BatchError(Exception):
    def __init__(self, member: str, error: OSError) -> None:
        super().__init__(member)
        self.member = member
        self.error = error


def _ancestors(rel_dir: str) -> Iterator[str]:
    """``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``."""
    end = rel_dir.find("/")
    while end != -1:
        yield rel_dir[:end]
        end = rel_dir.find("/", end + 1)
    if rel_dir:
        yield rel_dir


def _read_data(tf: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A small member's bytes straight from the tar stream."""
    stream = tf.fileobj
    if stream.tell() != member.offset_data:
        stream.seek(member.offset_data)
    data = stream.read(member.size) if member.size else b""
    if len(data) != member.size:
        raise tarfile.ReadError("unexpected end of data")
    return data


def _digest_entry(fd: int, sha: str | None) -> tuple[int, int, str | None]:
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns, sha


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_batch(batch: list[_Pending], umask: int | None, recording: bool, hashing: bool) -> _BatchResult:
    """Create each file exclusively (O_EXCL | O_NOFOLLOW: never through an existing name) with its
    mode and mtime; its directory was made, through the confinement layer, before it was queued.
    Returns the files whose name was taken, for the extractor to judge in order, and (``recording``)
    what the files written hold (their sha256 too with ``hashing``)."""
    taken = []
    digests: Digests = {}
    for item in batch:
        rel, path, data, mode, mtime = item
        try:
            try:
                fd = os.open(path, _CREATE_FLAGS, mode)
            except FileExistsError:
                taken.append(item)
                continue
            try:
                if data:
                    _write_all(fd, data)
                if umask is None or mode & umask:
                    os.chmod(fd if _FD_CHMOD else path, mode)
                with contextlib.suppress(OSError):
                    os.utime(fd if _FD_UTIME else path, (mtime, mtime))
                if recording:
                    digests[rel] = _digest_entry(fd, _sha256(data) if hashing else None)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _BatchError(rel, exc) from exc
    return taken, digests


_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_FD_CHMOD = os.chmod in os.supports_fd
_FD_UTIME = os.utime in os.supports_fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _current_umask() -> int | None:
    """The process umask without changing it (``os.umask`` would race with other threads creating
    files); None where it cannot be read, and then every file's mode is set explicitly."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _file_mode(mode: int) -> int:
    """Permission bits to keep: rwx for everyone as archived (read-only files stay read-only, as
    rattler keeps them), never setuid/setgid/sticky."""
    return mode & 0o777
