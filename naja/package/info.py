"""Reading a package's ``info/`` files (``index.json``, ``paths.json``, ...): from an archive without
extracting it, or from an extracted package directory.

Every reader raises `PackageError` naming the archive or file for anything missing, unreadable or not
a JSON object; callers that can do without a file catch it (or use `read_json_file_or_none`).

The archive code (``naja.package.streaming``: tarfile, zipfile, bz2) is imported when an archive is
read: the package cache reads extracted packages through this module on every dry run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from naja import safe_json
from naja.errors import PackageError
from naja.types.archive import CONDA_EXT
from naja.types.package_metadata import paths_from_legacy

if TYPE_CHECKING:
    import tarfile

# A parsed JSON object as read: its keys are known to be strings, its values are checked by whoever
# reads a field (package metadata is not validated as a whole here).
JsonObject: TypeAlias = dict[str, object]


def read_info_files(archive: str | os.PathLike[str], relpaths: Iterable[str]) -> dict[str, bytes]:
    """Read several files (paths relative to the package root, e.g. ``info/index.json``) in one pass.

    For `.conda` only the small info tar is read. Missing files are absent from the result.
    """
    from naja.package.streaming import archive_kind, normalize_relpath, open_conda, open_tar_bz2

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
    from naja.package.streaming import normalize_relpath

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
    from naja.package.streaming import normalize_relpath

    relpath = normalize_relpath(relpath)
    if "/" not in relpath:
        relpath = "info/" + relpath
    found = read_info_files(archive, [relpath])
    if relpath not in found:
        raise PackageError(f"{archive}: package has no {relpath}")
    return found[relpath]


def json_value(where: object, relpath: str, data: bytes) -> object:
    """``data`` parsed as JSON (any value), else a `PackageError` naming ``where`` and ``relpath``."""
    try:
        return safe_json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{where}: {relpath} is not valid JSON: {exc}") from exc


def json_object(where: object, relpath: str, data: bytes) -> JsonObject:
    """``data`` parsed as a JSON object, else a `PackageError` naming ``where`` and ``relpath``."""
    value = json_value(where, relpath, data)
    if not isinstance(value, dict):
        raise PackageError(f"{where}: {relpath} is not a JSON object")
    return value


def read_info_json(archive: str | os.PathLike[str], relpaths: Iterable[str]) -> dict[str, object]:
    """Several JSON files of the package read in one pass, each parsed as any JSON value (the caller
    checks the shape it needs, e.g. with `index_json`). A missing file is absent from the result."""
    return {rel: json_value(archive, rel, data) for rel, data in read_info_files(archive, relpaths).items()}


def index_json(archive: str | os.PathLike[str], parsed: Mapping[str, object]) -> JsonObject:
    """``info/index.json`` out of what `read_info_json` parsed, a `PackageError` when the package has
    none or it is not a JSON object."""
    if "info/index.json" not in parsed:
        raise PackageError(f"{archive}: package has no info/index.json")
    index = parsed["info/index.json"]
    if not isinstance(index, dict):
        raise PackageError(f"{archive}: info/index.json is not a JSON object")
    return index


def read_index_json(archive: str | os.PathLike[str]) -> JsonObject:
    """``info/index.json`` of the package, parsed."""
    return index_json(archive, read_info_json(archive, ["info/index.json"]))


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


def read_json_file_or_none(path: Path) -> JsonObject | None:
    """`read_json_file` for a file whose absence or damage just means "not there" (an entry of a
    shared package cache that another tool left half-written): None where it would raise."""
    try:
        return read_json_file(path)
    except PackageError:
        return None
