"""``safety_checks`` / ``extra_safety_checks``: an extracted package's files against its
``info/paths.json`` (sizes and sha256), as conda and micromamba check them.

As micromamba does, every file's size is compared with ``paths.json``, and its sha256 too only with
``extra_safety_checks`` (the archive itself was verified against the record's checksum before it
was extracted). When a package is extracted, what does not match is remembered, with each file's
size and mtime, in a stamp next to the extraction (in ``<pkgs>/.naja-verified/``, a name no archive
member can reach). Before linking, a stat per file compares the cache with the stamp: a file
changed since extraction (an editor writing through a hard link from an environment, a tampered
cache) is caught without hashing; with ``extra_safety_checks`` every file is hashed again too.
The policy then decides: ``disabled`` checks nothing, ``warn`` reports one warning per mismatching
file and installs it anyway (conda's behaviour), ``enabled`` fails before the prefix changes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec

STAMP_DIR = ".naja-verified"
MODES = ("disabled", "warn", "enabled")


class SafetyChecks(msgspec.Struct, frozen=True):
    """The configured policy (``safety_checks``, ``extra_safety_checks``)."""

    mode: str = "warn"
    extra: bool = False

    @property
    def enabled(self) -> bool:
        return self.mode != "disabled"


class Stamp(msgspec.Struct, frozen=True):
    """What extraction saw: ``{path: (size, mtime_ns)}`` of every regular file paths.json lists,
    and the files whose content disagreed with paths.json (``[path, why]``)."""

    files: dict[str, tuple[int, int]]
    mismatches: list[tuple[str, str]] = msgspec.field(default_factory=list)


_stamp_decoder = msgspec.json.Decoder(Stamp)


def stamp_path(extracted: Path) -> Path:
    return extracted.parent / STAMP_DIR / f"{extracted.name}.json"


def read_stamp(extracted: Path) -> Stamp | None:
    try:
        return _stamp_decoder.decode(stamp_path(extracted).read_bytes())
    except (OSError, msgspec.DecodeError):
        return None


def write_stamp(extracted: Path, stamp: Stamp) -> None:
    from naja.fs import atomic_write

    try:
        atomic_write(stamp_path(extracted), msgspec.json.encode(stamp))
    except OSError:
        pass  # a read-only shared cache: the next run verifies again


def _regular_entries(extracted: Path) -> list[tuple[str, int | None, str | None]]:
    from naja.install.package_plan import read_paths

    return [(e.path, e.size_in_bytes, e.sha256) for e in read_paths(extracted)
            if e.path_type == "hardlink"]


def scan(
    extracted: Path, known: dict[str, tuple[int, int, str | None]] | None = None, *, sha256: bool = False
) -> Stamp:
    """Every regular file of an extracted package against its paths.json: its size, and with
    ``sha256`` its digest. ``known`` is the extraction's ``{path: (size, mtime_ns, sha256 or None)}``,
    from the fstat (and digest) of each file it wrote: what it holds is not stat-ed or read again, which
    would cost more than the check is worth on a directory no one else has seen yet."""
    known = known or {}
    files: dict[str, tuple[int, int]] = {}
    mismatches: list[tuple[str, str]] = []
    root = str(extracted) + os.sep
    for rel, size, sha in _regular_entries(extracted):
        seen = known.get(rel)
        if seen is not None:  # a regular file the extraction just wrote: its own fstat, no second lstat
            files[rel] = (seen[0], seen[1])
            why = _compare(root + rel, seen[0], size, sha if sha256 else None, seen[2])
        else:
            try:
                st = os.lstat(root + rel)
            except OSError:
                mismatches.append((rel, "missing from the package"))
                continue
            if not stat.S_ISREG(st.st_mode):
                mismatches.append((rel, "not a regular file"))
                continue
            files[rel] = (st.st_size, st.st_mtime_ns)
            why = _compare(root + rel, st.st_size, size, sha if sha256 else None)
        if why:
            mismatches.append((rel, why))
    return Stamp(files=files, mismatches=mismatches)


def _compare(path: str, actual_size: int, size: int | None, sha: str | None, digest: str | None = None) -> str:
    if size is not None and actual_size != size:
        return f"size {actual_size} differs from paths.json ({size})"
    if sha:
        from naja.package.download import file_digest  # hashlib: not on a dry run, which only reads stamps

        digest = digest or file_digest(path)
        if digest != sha.lower():
            return f"sha256 {digest[:12]}… differs from paths.json ({sha[:12]}…)"
    return ""


def changed_since(extracted: Path, stamp: Stamp) -> str:
    """The first file whose size or mtime differs from the stamp (one lstat each), else ""."""
    root = str(extracted) + os.sep
    for rel, (size, mtime) in stamp.files.items():
        try:
            st = os.lstat(root + rel)
        except OSError:
            return rel
        if st.st_size != size or st.st_mtime_ns != mtime or not stat.S_ISREG(st.st_mode):
            return rel
    return ""


def rehash(extracted: Path) -> list[tuple[str, str]]:
    """``extra_safety_checks``: every regular file hashed again against paths.json."""
    return scan(extracted, sha256=True).mismatches
