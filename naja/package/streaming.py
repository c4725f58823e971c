"""Opening conda package archives (`.conda` and `.tar.bz2`) as capped streams of tar members.

A `.conda` (CEP 35) is an uncompressed zip holding `metadata.json`, `info-<stem>.tar.zst` (the `info/`
directory) and `pkg-<stem>.tar.zst` (everything else); a `.tar.bz2` is one bzip2 tar of the whole
package. Archives come from the network, so every stream opened here is capped: the amount of data
read may not exceed what the package can plausibly hold (a decompression bomb is a `PackageError`),
and every way an archive can be corrupt is a `PackageError` naming it. Reading `info/`
(`naja.package.info`), extraction (`naja.package.extract`) and writing (`naja.package.create`) are
built on these streams.
"""

from __future__ import annotations

import bz2
import contextlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from naja import safe_json
from naja.errors import PackageError
from naja.package.tar_header import FastTarInfo
from naja.types.archive import CONDA_EXT, TAR_BZ2_EXT, archive_suffix

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CONDA_FORMAT_VERSION = 2

# Caps against decompression bombs. A stream may expand to at most this many times its compressed size
# when nothing better is known; once `info/paths.json` is known (always first for `.conda`), the package
# payload may not exceed the sizes it declares plus tar overhead (`naja.package.extract`).
MAX_EXPANSION_RATIO = 2000
MIN_STREAM_CAP = 256 * 1024 * 1024
COPY_CHUNK = 1024 * 1024
_TAR_BUFSIZE = 32 * 1024


# --------------------------------------------------------------------------------------------------
# archive names


def is_package_file(path: str | os.PathLike[str]) -> bool:
    """Whether the file name has a conda package extension."""
    return archive_suffix(str(path)) is not None


def strip_package_extension(filename: str) -> str:
    """``zlib-1.2.11-0.conda`` → ``zlib-1.2.11-0``; unlike ``strip_archive_suffix``, a name that is not a
    package file is an error (the dist name of a cache directory must come from a package)."""
    suffix = archive_suffix(filename)
    if suffix is None:
        raise PackageError(f"{filename}: not a conda package file name (expected .conda or .tar.bz2)")
    return filename[: -len(suffix)]


def archive_kind(archive: Path) -> str:
    """``.conda`` or ``.tar.bz2``: by file name, else by content."""
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

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)  # any writable buffer, as ``RawIOBase`` allows (tarfile only reads)
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def _zstd_reader(raw: IO[bytes]) -> IO[bytes]:
    from naja import _zstd

    # The default window limit (128 MiB) keeps memory bounded even for hostile frames.
    return _zstd.reader(raw)


# --------------------------------------------------------------------------------------------------
# `.conda` layout


class CondaLayout:
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
            with tarfile.open(fileobj=capped, mode="r|", bufsize=_TAR_BUFSIZE, tarinfo=FastTarInfo) as tf:
                yield tf


@contextlib.contextmanager
def open_conda(archive: Path) -> Iterator[CondaLayout]:
    """The validated layout of a `.conda`; any corruption (zip, zstd, tar) is a `PackageError`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            yield CondaLayout(zf, archive)
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
def open_tar_bz2(archive: Path) -> Iterator[tarfile.TarFile]:
    """The capped tar stream of a `.tar.bz2`; any corruption is a `PackageError`."""
    try:
        size = archive.stat().st_size
        with open(archive, "rb") as fh, bz2.BZ2File(fh) as bz:
            cap = max(MIN_STREAM_CAP, size * MAX_EXPANSION_RATIO)
            capped = _CappedReader(bz, cap, archive, "tar.bz2 stream")
            with tarfile.open(fileobj=capped, mode="r|", bufsize=_TAR_BUFSIZE, tarinfo=FastTarInfo) as tf:
                yield tf
    except PackageError:
        raise
    except FileNotFoundError as exc:
        raise PackageError(f"{archive}: package file not found") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise PackageError(f"{archive}: corrupt .tar.bz2 package: {exc}") from exc


# --------------------------------------------------------------------------------------------------
# members


def normalize_relpath(path: str) -> str:
    """A member name without leading ``./`` or trailing ``/`` (as ``info/paths.json`` spells paths)."""
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def iter_members(archive: Path, kind: str) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """Every member of the package in archive order (for `.conda`: info, then pkg) with its tar."""
    if kind == CONDA_EXT:
        with open_conda(archive) as layout:
            for zi in (layout.info, layout.pkg):
                if zi is None:
                    continue
                with layout.open_tar(zi) as tf:
                    for member in tf:
                        yield tf, member
    else:
        with open_tar_bz2(archive) as tf:
            for member in tf:
                yield tf, member
