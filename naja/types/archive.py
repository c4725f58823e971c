"""conda package file names: the two archive formats (``.conda``, ``.tar.bz2``) and their suffixes.

The one home for the suffixes: specs, channel URLs, the package cache, repodata and lockfiles all ask
here whether a name is a package file and what its stem is. Pure and cheap to import (no ``tarfile``),
so start-up paths can use it.
"""

from __future__ import annotations

__all__ = ["CONDA_EXT", "PACKAGE_EXTENSIONS", "TAR_BZ2_EXT", "archive_suffix", "strip_archive_suffix"]

CONDA_EXT = ".conda"
TAR_BZ2_EXT = ".tar.bz2"
PACKAGE_EXTENSIONS: tuple[str, str] = (CONDA_EXT, TAR_BZ2_EXT)


def archive_suffix(name: str) -> str | None:
    """``.conda`` or ``.tar.bz2`` when ``name`` (a file name, path or URL) ends with it, else None."""
    if name.endswith(CONDA_EXT):
        return CONDA_EXT
    if name.endswith(TAR_BZ2_EXT):
        return TAR_BZ2_EXT
    return None


def strip_archive_suffix(name: str) -> str:
    """``zlib-1.2.11-0.conda`` → ``zlib-1.2.11-0`` (the dist name); a name without a package suffix
    is returned unchanged."""
    suffix = archive_suffix(name)
    return name[: -len(suffix)] if suffix else name
