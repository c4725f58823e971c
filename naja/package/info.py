"""Reading a package's ``info/`` files (``index.json``, ``paths.json``, ...): from an archive without
extracting it, or from an extracted package directory.

Every reader raises `PackageError` naming the archive or file for anything missing, unreadable or not
a JSON object; callers that can do without a file catch it.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import TypeAlias

from naja import safe_json
from naja.errors import PackageError
from naja.package.streaming import archive_kind, normalize_relpath, open_conda, open_tar_bz2
from naja.types.archive import CONDA_EXT
from naja.types.package_metadata import paths_from_legacy

# A parsed JSON object as read: its keys are known to be strings, its values are checked by whoever
# reads a field (package metadata is not validated as a whole here).
JsonObject: TypeAlias = dict[str, object]


def read_info_files(archive: str | os.PathLike[str], relpaths: Iterable[str]) -> dict[str, bytes]:
    """Read several files (paths relative to the package root, e.g. ``info/index.json``) in one pass.

    For `.conda` only the small info tar is read. Missing files are absent from the result.
    """
    archive = Path(archive)
    wanted = {normalize_relpath(p) for p in relpaths}
    found: dict[str, bytes] = {}
    if archive_kind(archive) == CONDA_EXT:
        with open_conda(archive) as layout, layout.open_tar(layout.info) as tf:
            _collect(tf, wanted, found)
            if wanted - found.keys() and layout.pkg is not None and not all(
                w.startswith("info/") for w in wanted - found.keys()
            ):
                with layout.open_tar(layout.pkg) as ptf:
                    _collect(ptf, wanted, found)
    else:
        with open_tar_bz2(archive) as tf:
            _collect(tf, wanted, found)
    return found


def _collect(tf: tarfile.TarFile, wanted: set[str], found: dict[str, bytes]) -> None:
    for member in tf:
        name = normalize_relpath(member.name)
        if name in wanted and member.isreg():
            fh = tf.extractfile(member)
            if fh is not None:
                found[name] = fh.read()
            if wanted <= found.keys():
                return


def read_info_file(archive: str | os.PathLike[str], relpath: str) -> bytes:
    """The bytes of one file of the package (``info/…`` or bare ``index.json`` meaning ``info/…``)."""
    relpath = normalize_relpath(relpath)
    if "/" not in relpath:
        relpath = "info/" + relpath
    found = read_info_files(archive, [relpath])
    if relpath not in found:
        raise PackageError(f"{archive}: package has no {relpath}")
    return found[relpath]


def json_object(where: object, relpath: str, data: bytes) -> JsonObject:
    """``data`` parsed as a JSON object, else a `PackageError` naming ``where`` and ``relpath``."""
    try:
        value = safe_json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{where}: {relpath} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PackageError(f"{where}: {relpath} is not a JSON object")
    return value


def read_index_json(archive: str | os.PathLike[str]) -> JsonObject:
    """``info/index.json`` of the package, parsed."""
    return json_object(archive, "info/index.json", read_info_file(archive, "info/index.json"))


def read_paths_json(archive: str | os.PathLike[str]) -> JsonObject:
    """``info/paths.json``, or for old packages one synthesized from info/files, has_prefix, no_link."""
    found = read_info_files(
        archive, ["info/paths.json", "info/files", "info/has_prefix", "info/no_link"]
    )
    if "info/paths.json" in found:
        return json_object(archive, "info/paths.json", found["info/paths.json"])
    if "info/files" not in found:
        raise PackageError(f"{archive}: package has neither info/paths.json nor info/files")
    return paths_from_legacy(
        found["info/files"].decode("utf-8", "replace"),
        found.get("info/has_prefix", b"").decode("utf-8", "replace"),
        found.get("info/no_link", b"").decode("utf-8", "replace"),
    )


def read_json_file(path: Path) -> JsonObject:
    """A JSON object from a file (e.g. an extracted package's ``info/index.json``), as a `PackageError`
    naming the file when it is missing, unreadable or not one."""
    try:
        return json_object(path, path.name, path.read_bytes())
    except OSError as exc:
        raise PackageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
