"""Reading, extracting and creating conda package archives (`.conda` and `.tar.bz2`), safely.

A `.conda` (CEP 35) is an uncompressed zip holding `metadata.json`, `info-<stem>.tar.zst` (the `info/`
directory) and `pkg-<stem>.tar.zst` (everything else); a `.tar.bz2` is one bzip2 tar of the whole
package. Archives come from the network, so extraction treats them as hostile: every member must land
inside the destination (no absolute paths, no `..`, no links resolving outside, no device files),
the amount of data read is capped relative to what the package declares, and extraction happens in a
temporary directory beside the destination that is renamed into place only once complete.
"""

from __future__ import annotations

import bz2
import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

from naja import safe_json
from naja.confine import ConfinementError, Root, is_within
from naja.errors import PackageError
from naja.types.archive import CONDA_EXT, PACKAGE_EXTENSIONS, TAR_BZ2_EXT

CONDA_FORMAT_VERSION = 2
#: the default prefix placeholder conda-build writes into text files (CEP 34)
PREFIX_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"

# Caps against decompression bombs. A stream may expand to at most this many times its compressed size
# when nothing better is known; once `info/paths.json` is known (always first for `.conda`), the package
# payload may not exceed the sizes it declares plus tar overhead.
MAX_EXPANSION_RATIO = 2000
MIN_STREAM_CAP = 256 * 1024 * 1024
_TAR_OVERHEAD_PER_MEMBER = 8 * 1024
_TAR_OVERHEAD_SLACK = 16 * 1024 * 1024
_COPY_CHUNK = 1024 * 1024
_TAR_BUFSIZE = 32 * 1024


# --------------------------------------------------------------------------------------------------
# archive names


def is_package_file(path: str | os.PathLike[str]) -> bool:
    """Whether the file name has a conda package extension."""
    return str(path).endswith(PACKAGE_EXTENSIONS)


def strip_package_extension(filename: str) -> str:
    """``zlib-1.2.11-0.conda`` → ``zlib-1.2.11-0`` (the dist name used for cache directories)."""
    for ext in PACKAGE_EXTENSIONS:
        if filename.endswith(ext):
            return filename[: -len(ext)]
    raise PackageError(f"{filename}: not a conda package file name (expected .conda or .tar.bz2)")


def _archive_kind(archive: Path) -> str:
    name = archive.name
    if name.endswith(CONDA_EXT):
        return CONDA_EXT
    if name.endswith(TAR_BZ2_EXT):
        return TAR_BZ2_EXT
    # Fall back on content so temporary download names (`x.conda.partial`) still work.
    try:
        with open(archive, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise PackageError(f"{archive}: cannot read package: {exc.strerror or exc}") from exc
    if magic.startswith(b"PK"):
        return CONDA_EXT
    if magic.startswith(b"BZh"):
        return TAR_BZ2_EXT
    raise PackageError(f"{archive}: not a conda package (neither .conda nor .tar.bz2)")


# --------------------------------------------------------------------------------------------------
# capped streams


class _CappedReader(io.RawIOBase):
    """A read-only stream that raises once more than ``cap`` bytes came through (bomb guard)."""

    def __init__(self, raw: IO[bytes], cap: int, archive: Path, what: str) -> None:
        self._raw = raw
        self.cap = cap
        self.count = 0
        self._archive = archive
        self._what = what

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        if self.count > self.cap:
            raise PackageError(
                f"{self._archive}: {self._what} expands beyond {self.cap} bytes, more than the package "
                "declares (corrupt archive or decompression bomb)"
            )
        return data

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _octal(field: bytes) -> int:
    """A NUL-terminated octal number field of a tar header (``tarfile.nti`` for the usual form)."""
    end = field.find(b"\0")
    if end != -1:
        field = field[:end]
    field = field.strip()
    return int(field, 8) if field else 0


class _FastTarInfo(tarfile.TarInfo):
    """``TarInfo`` whose header parsing takes a short path for the usual ustar header of a file,
    directory or link (a third of extraction time otherwise goes to ``tarfile``'s generic parser).
    Anything else (pax/GNU headers, base-256 numbers, a checksum that only matches signed, empty or
    end blocks, any parse error) goes to ``tarfile``'s own ``frombuf``, which decides and raises."""

    __slots__ = ()

    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> tarfile.TarInfo:
        kind = buf[156:157]
        if len(buf) != tarfile.BLOCKSIZE or kind not in _FAST_TYPES or any(
            buf[i] >= 0o200 for i in _NUMBER_STARTS
        ):
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = _octal(buf[148:156])
            if chksum != 256 + sum(buf[:148]) + sum(buf[156:]):
                return super().frombuf(buf, encoding, errors)
            obj = cls()
            obj.name = _nts(buf[0:100], encoding, errors)
            obj.mode = _octal(buf[100:108])
            obj.uid = _octal(buf[108:116])
            obj.gid = _octal(buf[116:124])
            obj.size = _octal(buf[124:136])
            obj.mtime = _octal(buf[136:148])
            obj.chksum = chksum
            obj.type = kind
            obj.linkname = _nts(buf[157:257], encoding, errors)
            obj.uname = _nts(buf[265:297], encoding, errors)
            obj.gname = _nts(buf[297:329], encoding, errors)
            obj.devmajor = _octal(buf[329:337])
            obj.devminor = _octal(buf[337:345])
            prefix = _nts(buf[345:500], encoding, errors)
        except ValueError:  # UnicodeDecodeError included
            return super().frombuf(buf, encoding, errors)
        if kind == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix:
            obj.name = prefix + "/" + obj.name
        return obj


def _nts(field: bytes, encoding: str, errors: str) -> str:
    end = field.find(b"\0")
    return (field if end == -1 else field[:end]).decode(encoding, errors)


_FAST_TYPES = frozenset((tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE))
_NUMBER_STARTS = (100, 108, 116, 124, 136, 148, 329, 337)  # base-256 numbers start with 0o200/0o377


def _zstd_reader(raw: IO[bytes]) -> IO[bytes]:
    from naja import _zstd

    # The default window limit (128 MiB) keeps memory bounded even for hostile frames.
    return _zstd.reader(raw)


# --------------------------------------------------------------------------------------------------
# `.conda` layout


class _CondaLayout:
    """The validated members of a `.conda` zip."""

    def __init__(self, zf: zipfile.ZipFile, archive: Path) -> None:
        self.zf = zf
        self.archive = archive
        info: list[zipfile.ZipInfo] = []
        pkg: list[zipfile.ZipInfo] = []
        metadata: zipfile.ZipInfo | None = None
        seen: set[str] = set()
        for zi in zf.infolist():
            name = zi.filename
            if name in seen:
                raise PackageError(f"{archive}: duplicate zip member {name!r}")
            seen.add(name)
            if "/" in name or "\\" in name:
                raise PackageError(
                    f"{archive}: unexpected zip member {name!r} (a .conda holds metadata.json, "
                    "info-*.tar.zst and pkg-*.tar.zst at its top level)"
                )
            if name == "metadata.json":
                metadata = zi
            elif name.startswith("info-") and name.endswith(".tar.zst"):
                info.append(zi)
            elif name.startswith("pkg-") and name.endswith(".tar.zst"):
                pkg.append(zi)
            elif name.endswith(".tar.zst"):
                raise PackageError(f"{archive}: unexpected zip member {name!r} in .conda package")
            # other top-level members are ignored, as rattler does (room for future CEP 35 additions)
        if len(info) != 1:
            raise PackageError(f"{archive}: expected one info-*.tar.zst member, found {len(info)}")
        if len(pkg) > 1:
            raise PackageError(f"{archive}: expected one pkg-*.tar.zst member, found {len(pkg)}")
        self.info = info[0]
        self.pkg = pkg[0] if pkg else None
        # Inner names that disagree with each other or with the zip's file name are accepted, as
        # rattler and conda-package-streaming do: the file name is not part of the package's identity.
        self.stem = self.info.filename[len("info-") : -len(".tar.zst")]
        if metadata is not None:
            self._check_metadata(metadata)

    def _check_metadata(self, zi: zipfile.ZipInfo) -> None:
        if zi.file_size > 1024 * 1024:
            raise PackageError(f"{self.archive}: metadata.json is implausibly large")
        try:
            data = safe_json.loads(self.zf.read(zi))
            version = data.get("conda_pkg_format_version")
        except (ValueError, AttributeError) as exc:
            raise PackageError(f"{self.archive}: unreadable metadata.json: {exc}") from exc
        if version is not None and version != CONDA_FORMAT_VERSION:
            raise PackageError(
                f"{self.archive}: unsupported conda_pkg_format_version {version!r} "
                f"(naja reads version {CONDA_FORMAT_VERSION})"
            )

    @contextlib.contextmanager
    def open_tar(self, zi: zipfile.ZipInfo, cap: int | None = None) -> Iterator[tarfile.TarFile]:
        """Stream the zstd tar in member ``zi`` (never loading it whole)."""
        if cap is None:
            cap = max(MIN_STREAM_CAP, zi.file_size * MAX_EXPANSION_RATIO)
        with self.zf.open(zi) as raw, _zstd_reader(raw) as zst:
            capped = _CappedReader(zst, cap, self.archive, zi.filename)
            with tarfile.open(fileobj=capped, mode="r|", bufsize=_TAR_BUFSIZE,  # type: ignore[call-overload]
                              tarinfo=_FastTarInfo) as tf:
                yield tf


@contextlib.contextmanager
def _open_zip(archive: Path) -> Iterator[_CondaLayout]:
    try:
        with zipfile.ZipFile(archive) as zf:
            yield _CondaLayout(zf, archive)
    except PackageError:
        raise
    except FileNotFoundError as exc:
        raise PackageError(f"{archive}: package file not found") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError, KeyError, zlib.error) as exc:
        raise PackageError(f"{archive}: corrupt .conda package: {exc}") from exc
    except _zstd_error() as exc:
        raise PackageError(f"{archive}: corrupt zstd stream in .conda package: {exc}") from exc
    except OSError as exc:
        raise PackageError(f"{archive}: cannot read .conda package: {exc.strerror or exc}") from exc


def _zstd_error() -> type[Exception]:
    from naja import _zstd

    return _zstd.ZstdError


@contextlib.contextmanager
def _open_tar_bz2(archive: Path) -> Iterator[tarfile.TarFile]:
    try:
        size = archive.stat().st_size
        with open(archive, "rb") as fh, bz2.BZ2File(fh) as bz:
            cap = max(MIN_STREAM_CAP, size * MAX_EXPANSION_RATIO)
            capped = _CappedReader(bz, cap, archive, "tar.bz2 stream")
            with tarfile.open(fileobj=capped, mode="r|", bufsize=_TAR_BUFSIZE,  # type: ignore[call-overload]
                              tarinfo=_FastTarInfo) as tf:
                yield tf
    except PackageError:
        raise
    except FileNotFoundError as exc:
        raise PackageError(f"{archive}: package file not found") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise PackageError(f"{archive}: corrupt .tar.bz2 package: {exc}") from exc


# --------------------------------------------------------------------------------------------------
# reading info/ files


def read_info_files(archive: str | os.PathLike[str], relpaths: Iterable[str]) -> dict[str, bytes]:
    """Read several files (paths relative to the package root, e.g. ``info/index.json``) in one pass.

    For `.conda` only the small info tar is read. Missing files are absent from the result.
    """
    archive = Path(archive)
    wanted = {_normalize_relpath(p) for p in relpaths}
    found: dict[str, bytes] = {}
    if _archive_kind(archive) == CONDA_EXT:
        with _open_zip(archive) as layout, layout.open_tar(layout.info) as tf:
            _collect(tf, wanted, found)
            if wanted - found.keys() and layout.pkg is not None and not all(
                w.startswith("info/") for w in wanted - found.keys()
            ):
                with layout.open_tar(layout.pkg) as ptf:
                    _collect(ptf, wanted, found)
    else:
        with _open_tar_bz2(archive) as tf:
            _collect(tf, wanted, found)
    return found


def _collect(tf: tarfile.TarFile, wanted: set[str], found: dict[str, bytes]) -> None:
    for member in tf:
        name = _normalize_relpath(member.name)
        if name in wanted and member.isreg():
            fh = tf.extractfile(member)
            if fh is not None:
                found[name] = fh.read()
            if wanted <= found.keys():
                return


def _normalize_relpath(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def read_info_file(archive: str | os.PathLike[str], relpath: str) -> bytes:
    """The bytes of one file of the package (``info/…`` or bare ``index.json`` meaning ``info/…``)."""
    relpath = _normalize_relpath(relpath)
    if "/" not in relpath:
        relpath = "info/" + relpath
    found = read_info_files(archive, [relpath])
    if relpath not in found:
        raise PackageError(f"{archive}: package has no {relpath}")
    return found[relpath]


def _json(archive: object, relpath: str, data: bytes) -> dict:
    try:
        value = safe_json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{archive}: {relpath} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PackageError(f"{archive}: {relpath} is not a JSON object")
    return value


def read_index_json(archive: str | os.PathLike[str]) -> dict:
    """``info/index.json`` of the package, parsed."""
    return _json(archive, "info/index.json", read_info_file(archive, "info/index.json"))


def read_paths_json(archive: str | os.PathLike[str]) -> dict:
    """``info/paths.json``, or for old packages one synthesized from info/files, has_prefix, no_link."""
    found = read_info_files(
        archive, ["info/paths.json", "info/files", "info/has_prefix", "info/no_link"]
    )
    if "info/paths.json" in found:
        return _json(archive, "info/paths.json", found["info/paths.json"])
    if "info/files" not in found:
        raise PackageError(f"{archive}: package has neither info/paths.json nor info/files")
    return paths_from_legacy(
        found["info/files"].decode("utf-8", "replace"),
        found.get("info/has_prefix", b"").decode("utf-8", "replace"),
        found.get("info/no_link", b"").decode("utf-8", "replace"),
    )


def paths_from_legacy(files: str, has_prefix: str = "", no_link: str = "") -> dict:
    """Build a paths.json-shaped dict from legacy ``info/files``/``has_prefix``/``no_link`` text."""
    prefixes: dict[str, tuple[str, str]] = {}
    for line in has_prefix.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = _split_has_prefix_line(line)
        if len(parts) == 3:
            placeholder, mode, path = parts
        else:
            placeholder, mode, path = PREFIX_PLACEHOLDER, "text", parts[-1]
        prefixes[path] = (placeholder, mode)
    no_links = {line.strip() for line in no_link.splitlines() if line.strip()}
    paths = []
    for line in files.splitlines():
        path = line.strip()
        if not path:
            continue
        entry: dict = {"_path": path, "path_type": "hardlink"}
        if path in prefixes:
            entry["prefix_placeholder"], entry["file_mode"] = prefixes[path]
        if path in no_links:
            entry["no_link"] = True
        paths.append(entry)
    return {"paths": paths, "paths_version": 1}


def _split_has_prefix_line(line: str) -> list[str]:
    """``placeholder mode path`` where placeholder or path may be double-quoted."""
    import shlex

    try:
        parts = shlex.split(line)
    except ValueError:
        parts = line.split()
    if len(parts) > 3:
        parts = [parts[0], parts[1], " ".join(parts[2:])]
    return parts


# --------------------------------------------------------------------------------------------------
# extraction


def extract(
    archive: str | os.PathLike[str], dest_dir: str | os.PathLike[str], digests: Digests | None = None
) -> None:
    """Extract a package into ``dest_dir`` (replacing it if present), atomically and safely.

    With ``digests``, every regular file is hashed as it is written (the bytes are in memory then,
    and the writer threads hash while the stream is parsed) and ``digests`` receives
    ``{path: (size, mtime_ns, sha256)}`` as the file stands after extraction: the safety checks use
    it instead of reading the whole package again.

    Raises `PackageError` naming the archive and offending member for anything unsafe or corrupt;
    on failure nothing is left at ``dest_dir`` (a previous directory there is kept).
    """
    archive = Path(archive)
    dest = Path(dest_dir).absolute()
    kind = _archive_kind(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_sibling_dir(dest, "naja-extract")
    try:
        extractor = _Extractor(archive, tmp, hashing=digests is not None)
        try:
            if kind == CONDA_EXT:
                _extract_conda(archive, extractor)
            else:
                with _open_tar_bz2(archive) as tf:
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
    with _open_zip(archive) as layout:
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

    def __init__(self, archive: Path, root: Path, *, hashing: bool = False) -> None:
        self.archive = archive
        self.hashing = hashing
        self.digests: Digests = {}  # what each regular file holds once written (when hashing)
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

    def _queue(self, rel: str, path: str, data: bytes, mode: int, mtime: int) -> None:
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
        self._in_flight.append(_writer_pool().submit(_write_batch, self._batch, self._umask, self.hashing))
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
                    if self.hashing:
                        self.digests[rel] = _digest_entry(fd, hashlib.sha256(data).hexdigest())
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
            if sha is not None:
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
                while chunk := src.read(_COPY_CHUNK):
                    _write_all(fd, chunk)
                    if sha is not None:
                        sha.update(chunk)
            return None if sha is None else sha.hexdigest()
        stream = tf.fileobj
        if stream.tell() != member.offset_data:  # type: ignore[union-attr]
            stream.seek(member.offset_data)  # type: ignore[union-attr]
        left = member.size
        while left > 0:
            chunk = stream.read(min(left, _COPY_CHUNK))  # type: ignore[union-attr]
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
        if not _is_within(real, self.real_root):
            raise self.fail(raw, "symlink resolves outside the destination")

    def _make_hardlink(self, raw: str, rel: str, path: str, target: str) -> None:
        target_rel = self._relname(target) if target else ""
        if not target_rel or target_rel not in self.regular:
            raise self.fail(raw, f"hard link to {target!r}, which is not a file extracted from this package")
        source = str(self.root / target_rel)
        if not _is_within(os.path.realpath(source), self.real_root):
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


_Pending = tuple[str, str, bytes, int, int]  # (rel, full path, data, mode, mtime)
#: ``{path: (size, mtime_ns, sha256)}`` of the regular files an extraction wrote
Digests = dict[str, tuple[int, int, str]]
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
    if stream.tell() != member.offset_data:  # type: ignore[union-attr]
        stream.seek(member.offset_data)  # type: ignore[union-attr]
    data = stream.read(member.size) if member.size else b""  # type: ignore[union-attr]
    if len(data) != member.size:
        raise tarfile.ReadError("unexpected end of data")
    return data


def _digest_entry(fd: int, sha: str) -> tuple[int, int, str]:
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns, sha


def _write_batch(batch: list[_Pending], umask: int | None, hashing: bool) -> _BatchResult:
    """Create each file exclusively (O_EXCL | O_NOFOLLOW: never through an existing name) with its
    mode and mtime; its directory was made, through the confinement layer, before it was queued.
    Returns the files whose name was taken, for the extractor to judge in order, and (``hashing``)
    the digests of the files written."""
    taken = []
    digests: Digests = {}
    sha256 = hashlib.sha256
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
                if hashing:
                    digests[rel] = _digest_entry(fd, sha256(data).hexdigest())
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


_is_within = is_within


# --------------------------------------------------------------------------------------------------
# hashing


def hash_file(path: str | os.PathLike[str]) -> tuple[str, str, int]:
    """``(md5, sha256, size)`` of a file, read once (hashlib releases the GIL, so threads help)."""
    md5 = hashlib.md5()
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_COPY_CHUNK):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), sha.hexdigest(), size


# --------------------------------------------------------------------------------------------------
# creating packages


def create_conda(
    source_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    fmt: str = CONDA_EXT,
    compression_level: int | None = None,
) -> Path:
    """Build a package from ``source_dir`` (holding ``info/index.json`` plus the package's files).

    Missing ``info/paths.json``, ``info/files`` and ``info/has_prefix`` are generated into the archive
    (sha256, sizes, prefix placeholders detected in file contents); ``source_dir`` is not modified. ``name`` is the archive's stem (default
    ``<name>-<version>-<build>`` from index.json); ``fmt`` is ``.conda`` or ``.tar.bz2``. ``out_dir`` may
    instead be the archive's path (ending in ``.conda``/``.tar.bz2``, which then sets the format), as
    in ``micromamba package compress <folder> <file>``. Returns the archive's path.
    """
    source = Path(source_dir)
    if fmt not in PACKAGE_EXTENSIONS:
        raise PackageError(f"unknown package format {fmt!r} (expected .conda or .tar.bz2)")
    index_path = source / "info" / "index.json"
    try:
        index = _json(index_path, "info/index.json", index_path.read_bytes())
    except OSError as exc:
        raise PackageError(f"{source}: cannot read info/index.json: {exc.strerror or exc}") from exc
    missing = [key for key in ("name", "version", "build") if not index.get(key)]
    if missing:
        raise PackageError(f"{index_path}: missing {', '.join(missing)}")
    out = Path(out_dir)
    if is_package_file(out) and not out.is_dir():  # an explicit archive path (micromamba's form)
        out_path = out
        stem = strip_package_extension(out.name)
    else:
        stem = name or f"{index['name']}-{index['version']}-{index['build']}"
        out_path = out / f"{stem}{fmt}"
    members = _walk_members(source)
    generated = _generated_info(source, members)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _write_archive(out_path, source, members, stem, compression_level, generated)
    return out_path


def _walk_members(root: Path) -> list[str]:
    """Relative paths of every file, symlink and empty directory under root, sorted (info/ first)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        for d in list(dirnames):
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                found.append(f"{rel_dir}/{d}" if rel_dir else d)
                dirnames.remove(d)
            elif not os.listdir(full):
                found.append(f"{rel_dir}/{d}" if rel_dir else d)
        found.extend(f"{rel_dir}/{f}" if rel_dir else f for f in filenames)
    return sorted(found, key=lambda p: (not p.startswith("info/"), p))


def _generated_info(root: Path, members: list[str]) -> dict[str, bytes]:
    """The info files ``source_dir`` lacks (paths.json, files, has_prefix), built in memory so the
    source directory is never modified."""
    info = root / "info"
    payload = [m for m in members if not m.startswith("info/")]
    out: dict[str, bytes] = {}
    if not (info / "paths.json").exists():
        entries = [_path_entry(root, rel) for rel in payload]
        doc = {"paths": entries, "paths_version": 1}
        out["info/paths.json"] = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    else:
        entries = read_json_file(info / "paths.json").get("paths", [])
    if not (info / "files").exists():
        files = [m for m in payload if not (root / m).is_dir() or (root / m).is_symlink()]
        out["info/files"] = "".join(f"{m}\n" for m in files).encode()
    if not (info / "has_prefix").exists():
        lines = [
            f"{e['prefix_placeholder']} {e.get('file_mode', 'text')} {e['_path']}"
            for e in entries
            if e.get("prefix_placeholder")
        ]
        if lines:
            out["info/has_prefix"] = ("\n".join(lines) + "\n").encode()
    return out


def read_json_file(path: Path) -> dict:
    """A JSON object from a file, as a `PackageError` naming the file when it is not one."""
    try:
        return _json(path, path.name, path.read_bytes())
    except OSError as exc:
        raise PackageError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _path_entry(root: Path, rel: str) -> dict:
    full = root / rel
    if full.is_symlink():
        entry: dict = {"_path": rel, "path_type": "softlink"}
        target = full.resolve()
        data = target.read_bytes() if target.is_file() else os.readlink(full).encode()
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["size_in_bytes"] = len(data)
        return entry
    if full.is_dir():
        return {"_path": rel, "path_type": "directory"}
    data = full.read_bytes()
    entry = {
        "_path": rel,
        "path_type": "hardlink",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_in_bytes": len(data),
    }
    if PREFIX_PLACEHOLDER.encode() in data:
        entry["prefix_placeholder"] = PREFIX_PLACEHOLDER
        entry["file_mode"] = "binary" if b"\x00" in data else "text"
    return entry


def _tarinfo(root: Path, rel: str) -> tuple[tarfile.TarInfo, Path | None]:
    full = root / rel
    st = os.lstat(full)
    ti = tarfile.TarInfo(rel)
    ti.mtime = int(st.st_mtime)
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    if stat.S_ISLNK(st.st_mode):
        ti.type = tarfile.SYMTYPE
        ti.linkname = os.readlink(full)
        return ti, None
    if stat.S_ISDIR(st.st_mode):
        ti.type = tarfile.DIRTYPE
        return ti, None
    if not stat.S_ISREG(st.st_mode):
        raise PackageError(f"{full}: only regular files, directories and symlinks can be packaged")
    ti.size = st.st_size
    return ti, full


def _add_members(tf: tarfile.TarFile, root: Path, members: Iterable[str], generated: dict[str, bytes]) -> None:
    for rel in members:
        if rel in generated:
            ti = tarfile.TarInfo(rel)
            ti.size = len(generated[rel])
            ti.mode = 0o644
            ti.mtime = int(os.stat(root / "info" / "index.json").st_mtime)
            tf.addfile(ti, io.BytesIO(generated[rel]))
            continue
        ti, full = _tarinfo(root, rel)
        if full is None:
            tf.addfile(ti)
        else:
            with open(full, "rb") as fh:
                tf.addfile(ti, fh)


def _write_archive(
    out_path: Path, root: Path, members: list[str], stem: str, level: int | None, generated: dict[str, bytes]
) -> None:
    members = sorted({*members, *generated}, key=lambda p: (not p.startswith("info/"), p))
    info = [m for m in members if m.startswith("info/")]
    pkg = [m for m in members if not m.startswith("info/")]
    with _AtomicOutput(out_path) as tmp:
        if out_path.name.endswith(TAR_BZ2_EXT):
            with tarfile.open(tmp, "w:bz2", compresslevel=level or 9, format=tarfile.PAX_FORMAT) as tf:
                _add_members(tf, root, _tar_bz2_order(root, members, generated), generated)
        else:
            with _CondaWriter(tmp, stem, level) as writer:
                _add_members(writer.info, root, info, generated)
                _add_members(writer.pkg, root, pkg, generated)


def _tar_bz2_order(root: Path, members: list[str], generated: dict[str, bytes]) -> list[str]:
    """conda-package-handling's ``.tar.bz2`` member order (``tarball.py`` ``_sort_file_order``), so that
    a reader finds the small metadata first: ``info/`` first, then the payload grouped by extension
    (``.dylib`` counts as ``.so``; ``libz.so.1.2`` is in group ``.2``, as cph's code has it; files
    without one are grouped by directory), each group by
    increasing size, an empty file counted as 100000 bytes. cph orders the groups by Python's salted
    ``hash`` (differently on every run); here they are in the order of their keys, so the output is
    reproducible."""
    import re

    def size(rel: str) -> int:
        n = len(generated[rel]) if rel in generated else os.lstat(root / rel).st_size
        return n or 100000

    def key(rel: str) -> tuple[int, str, str, int]:
        if rel.startswith("info/"):
            return 0, "", "", size(rel)
        ext = re.sub(r"(\.dylib|\.so).*$", ".so", os.path.splitext(rel)[1])
        return 1, ext, "" if ext else os.path.dirname(rel), size(rel)

    return sorted(members, key=key)


class _AtomicOutput:
    """A temporary path beside ``target`` that is renamed onto it on success, removed on failure."""

    def __init__(self, target: Path) -> None:
        self.target = target
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
        self.tmp = Path(name)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.target)
        else:
            with contextlib.suppress(OSError):
                self.tmp.unlink()


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class _CondaWriter:
    """Two streaming tar writers (``info`` and ``pkg``) compressed with zstd into temporary files,
    zipped (stored, as CEP 35 requires) with ``metadata.json`` on close."""

    def __init__(self, out_path: Path, stem: str, level: int | None) -> None:
        from naja import _zstd

        self.out_path = out_path
        self.stem = stem
        self._spools = [tempfile.TemporaryFile(dir=out_path.parent) for _ in range(2)]  # noqa: SIM115
        # one compressor per stream: a zstd context cannot interleave two frames
        self._zst = [
            _zstd.writer(s, level=19 if level is None else level)
            for s in self._spools
        ]
        self.info = tarfile.open(fileobj=self._zst[0], mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.pkg = tarfile.open(fileobj=self._zst[1], mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def __enter__(self) -> _CondaWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                return
            for tf, zst in ((self.info, self._zst[0]), (self.pkg, self._zst[1])):
                tf.close()
                zst.close()
            with zipfile.ZipFile(self.out_path, "w", compression=zipfile.ZIP_STORED) as zf:
                meta = zipfile.ZipInfo("metadata.json", date_time=_ZIP_EPOCH)
                zf.writestr(meta, json.dumps({"conda_pkg_format_version": CONDA_FORMAT_VERSION}))
                # pkg before info, as conda-package-handling and conda-package-streaming write them
                for prefix, spool in (("pkg", self._spools[1]), ("info", self._spools[0])):
                    size = spool.seek(0, os.SEEK_END)
                    spool.seek(0)
                    zi = zipfile.ZipInfo(f"{prefix}-{self.stem}.tar.zst", date_time=_ZIP_EPOCH)
                    zi.file_size = size
                    with zf.open(zi, "w", force_zip64=size >= 0x7FFFFFFF) as dst:
                        shutil.copyfileobj(spool, dst, _COPY_CHUNK)
        finally:
            for spool in self._spools:
                spool.close()


def transmute(archive: str | os.PathLike[str], out_path: str | os.PathLike[str], *,
              compression_level: int | None = None) -> Path:
    """Convert between `.tar.bz2` and `.conda` (either direction, or re-compress the same format).

    Members are streamed across unchanged (names, modes, mtimes, links, order within info/ and the
    payload); nothing is extracted to disk. ``out_path`` may be a directory, in which case the archive
    keeps its stem and takes the other format's extension.
    """
    archive = Path(archive)
    out = Path(out_path)
    kind = _archive_kind(archive)
    if out.is_dir():
        stem = strip_package_extension(archive.name)
        out = out / (stem + (TAR_BZ2_EXT if kind == CONDA_EXT else CONDA_EXT))
    if not is_package_file(out):
        raise PackageError(f"{out}: output must end in .conda or .tar.bz2")
    if out.resolve() == archive.resolve():
        raise PackageError(f"{out}: refusing to transmute a package onto itself")
    stem = strip_package_extension(out.name)
    with _AtomicOutput(out) as tmp:
        if out.name.endswith(CONDA_EXT):
            with _CondaWriter(tmp, stem, compression_level) as writer:
                for tf, member in _iter_source(archive, kind):
                    rel = _normalize_relpath(member.name)  # cph's is_info_member_path: info itself too
                    dest = writer.info if rel == "info" or rel.startswith("info/") else writer.pkg
                    _copy_member(tf, member, dest)
        else:
            level = compression_level or 9
            with tarfile.open(tmp, "w:bz2", compresslevel=level, format=tarfile.PAX_FORMAT) as out_tf:
                for tf, member in _iter_source(archive, kind):
                    _copy_member(tf, member, out_tf)
    return out


def _iter_source(archive: Path, kind: str) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    if kind == CONDA_EXT:
        with _open_zip(archive) as layout:
            for zi in (layout.info, layout.pkg):
                if zi is None:
                    continue
                with layout.open_tar(zi) as tf:
                    for member in tf:
                        yield tf, member
    else:
        with _open_tar_bz2(archive) as tf:
            for member in tf:
                yield tf, member


def _copy_member(src: tarfile.TarFile, member: tarfile.TarInfo, dest: tarfile.TarFile) -> None:
    if member.isreg():
        fh = src.extractfile(member)
        dest.addfile(member, fh)
    else:
        dest.addfile(member)
