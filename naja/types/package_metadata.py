"""What a package says about its files, and what a prefix records about them: the typed forms of
``info/paths.json`` (`PathEntry`, `PathsJson`) and of a prefix record's ``paths_data`` and ``link``
(`PathData`, `PathsData`, `Link`), plus the default prefix placeholder.

Pure (msgspec structs, no I/O): the package layer reads these files, the install layer writes the
records. Old packages without ``paths.json`` describe their files in ``info/files``, ``has_prefix``
and ``no_link``; `paths_from_legacy` turns those into the ``paths.json`` shape.
"""

from __future__ import annotations

import msgspec

#: the default prefix placeholder conda-build writes into text files (CEP 34)
PREFIX_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"

# link.type values (conda's LinkType enum)
LINK_HARD = 1
LINK_SOFT = 2
LINK_COPY = 3
LINK_DIRECTORY = 4


class PathEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One file of a package, as ``info/paths.json`` (or the legacy files) describes it."""

    path: str = msgspec.field(name="_path")
    path_type: str = "hardlink"
    sha256: str | None = None
    size_in_bytes: int | None = None
    file_mode: str | None = None
    prefix_placeholder: str | None = None
    no_link: bool = False


class PathsJson(msgspec.Struct):
    """``info/paths.json``: the package's files (other keys, such as ``paths_version``, are ignored)."""

    paths: list[PathEntry] = msgspec.field(default_factory=list)


class PathData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of ``paths_data.paths`` in a prefix record: a `PathEntry` as installed (with the
    digest of the file in the prefix when prefix replacement changed it)."""

    path: str = msgspec.field(name="_path")
    path_type: str = "hardlink"
    sha256: str | None = None
    sha256_in_prefix: str | None = None
    size_in_bytes: int | None = None
    file_mode: str | None = None
    prefix_placeholder: str | None = None
    no_link: bool = False


class PathsData(msgspec.Struct, kw_only=True):
    """A prefix record's ``paths_data``."""

    paths_version: int = 1
    paths: list[PathData] = msgspec.field(default_factory=list)


class Link(msgspec.Struct, kw_only=True):
    """A prefix record's ``link``: the extracted package the files came from and how they were placed."""

    source: str = ""
    type: int = LINK_HARD


def paths_from_legacy(files: str, has_prefix: str = "", no_link: str = "") -> dict[str, object]:
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
    paths: list[dict[str, object]] = []
    for line in files.splitlines():
        path = line.strip()
        if not path:
            continue
        entry: dict[str, object] = {"_path": path, "path_type": "hardlink"}
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
