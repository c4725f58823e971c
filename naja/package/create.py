"""Writing conda packages: `create_conda` builds a `.conda` or `.tar.bz2` from a directory, `transmute`
converts an archive between the two formats without extracting it.

Members are written in the order conda-package-handling uses (``info/`` first, so readers find the
small metadata early), and an archive appears at its path only once complete (`_AtomicOutput`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import cast

from naja.errors import PackageError
from naja.package.info import JsonObject, json_object, read_json_file
from naja.package.streaming import (
    CONDA_FORMAT_VERSION,
    COPY_CHUNK,
    archive_kind,
    is_package_file,
    iter_members,
    normalize_relpath,
    strip_package_extension,
)
from naja.types.archive import CONDA_EXT, PACKAGE_EXTENSIONS, TAR_BZ2_EXT
from naja.types.package_metadata import PREFIX_PLACEHOLDER


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
        index = json_object(index_path, "info/index.json", index_path.read_bytes())
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
        # the source's own paths.json, trusted as the documented list of entries (as before: not validated)
        entries = cast("list[JsonObject]", read_json_file(info / "paths.json").get("paths", []))
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


def _path_entry(root: Path, rel: str) -> JsonObject:
    full = root / rel
    if full.is_symlink():
        entry: JsonObject = {"_path": rel, "path_type": "softlink"}
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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
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
                        shutil.copyfileobj(spool, dst, COPY_CHUNK)
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
    kind = archive_kind(archive)
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
                for tf, member in iter_members(archive, kind):
                    rel = normalize_relpath(member.name)  # cph's is_info_member_path: info itself too
                    dest = writer.info if rel == "info" or rel.startswith("info/") else writer.pkg
                    _copy_member(tf, member, dest)
        else:
            level = compression_level or 9
            with tarfile.open(tmp, "w:bz2", compresslevel=level, format=tarfile.PAX_FORMAT) as out_tf:
                for tf, member in iter_members(archive, kind):
                    _copy_member(tf, member, out_tf)
    return out


def _copy_member(src: tarfile.TarFile, member: tarfile.TarInfo, dest: tarfile.TarFile) -> None:
    if member.isreg():
        fh = src.extractfile(member)
        dest.addfile(member, fh)
    else:
        dest.addfile(member)
