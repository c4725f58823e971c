"""``clean``, ``package extract|create|transmute`` and ``index``."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from naja.api.context import Context, require
from naja.api.options import Options
from naja.errors import NajaError, PackageError

PACKAGE_SUFFIXES = (".conda", ".tar.bz2")


@dataclass
class CleanReport:
    """What ``clean`` removed (or would remove with --dry-run), by kind, with sizes in bytes."""

    removed: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def add(self, kind: str, path: Path) -> None:
        self.removed.setdefault(kind, []).append((str(path), _size(path)))

    def total(self) -> int:
        return sum(s for items in self.removed.values() for _, s in items)


def _size(path: Path) -> int:
    try:
        if path.is_symlink() or path.is_file():
            return path.lstat().st_size
        total = 0
        for dirpath, _, files in os.walk(path):
            for f in files:
                try:
                    total += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass
        return total
    except OSError:
        return 0


def _rm(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _used_dists(context: Context) -> set[str]:
    """dist names installed in any known environment (their extracted packages must stay)."""
    from naja.api.envs import list_envs

    used: set[str] = set()
    prefix_mod = require("naja.prefix")
    for env in list_envs(context.options):
        try:
            for rec in prefix_mod.Prefix(env.prefix).installed():
                used.add(rec.dist_name)
        except NajaError:
            continue
    return used


def clean(options: Options | None = None, *, index_cache: bool = False, packages: bool = False,
          tarballs: bool = False, locks: bool = False, trash: bool = False, all: bool = False) -> CleanReport:
    """Remove repodata caches, unused extracted packages, tarballs, lock and trash files from the
    writable package caches. ``all`` is ``-i -p -t -l --trash``."""
    context = Context.from_options(options or Options())
    if all:
        index_cache = packages = tarballs = locks = trash = True
    if not any((index_cache, packages, tarballs, locks, trash)):
        raise NajaError("nothing to clean: pass -a, -i, -p, -t, -l or --trash")
    report = CleanReport()
    used = _used_dists(context) if packages else set()
    cache_dirs: list[Path] = []
    rc_cache = getattr(context.config, "repodata_cache_dir", None)
    if rc_cache:
        cache_dirs.append(Path(rc_cache))
    for pkgs in context.pkgs_dirs:
        cache_dirs.append(pkgs / "cache")
        if not pkgs.is_dir():
            continue
        for child in sorted(pkgs.iterdir()):
            name = child.name
            if tarballs and child.is_file() and name.endswith(PACKAGE_SUFFIXES):
                report.add("tarballs", child)
            elif packages and child.is_dir() and (child / "info" / "index.json").is_file() and name not in used:
                report.add("packages", child)
            elif locks and child.is_file() and name.endswith(".lock"):
                report.add("locks", child)
            elif trash and name.endswith((".mamba_trash", ".naja_trash", ".trash")):
                report.add("trash", child)
    for cache in cache_dirs:
        if not cache.is_dir():
            continue
        for child in sorted(cache.iterdir()):
            if locks and child.is_file() and child.name.endswith(".lock"):
                report.add("locks", child)
            elif index_cache and not child.name.endswith(".lock"):
                report.add("index_cache", child)
    if not context.options.dry_run:
        for items in report.removed.values():
            for path, _ in items:
                _rm(Path(path))
    return report


# ------------------------------------------------------------------------------------------ package


def package_extract(archive: str, dest: str) -> Path:
    ps = require("naja.package_streaming")
    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    ps.extract(src, dest)
    return Path(dest)


def package_create(source_dir: str, out: str | None = None, *, fmt: str | None = None,
                   compression_level: int | None = None) -> Path:
    """Build an archive from a directory holding ``info/index.json``. ``out`` is a directory or an
    explicit ``.conda``/``.tar.bz2`` path (micromamba's ``package compress FOLDER DEST``)."""
    ps = require("naja.package_streaming")
    source = Path(source_dir)
    if not (source / "info" / "index.json").is_file():
        raise PackageError(f"{source_dir} has no info/index.json, it is not a package directory")
    out_path = Path(out) if out else Path.cwd()
    name = None
    if out_path.name.endswith(PACKAGE_SUFFIXES):
        fmt = ".conda" if out_path.name.endswith(".conda") else ".tar.bz2"
        name = out_path.name[: -len(fmt)]
        out_path = out_path.parent
    import tempfile

    from naja.api.transact import _call

    # the writer fills in missing info/paths.json etc.: do that in a copy, never in the user's tree
    with tempfile.TemporaryDirectory(prefix="naja-package-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(source, work, symlinks=True)
        return _call(ps.create_conda, work, out_path.resolve(), name=name, fmt=fmt or ".conda",
                     compression_level=compression_level)


def package_transmute(archive: str, out: str | None = None, *, compression_level: int | None = None) -> Path:
    ps = require("naja.package_streaming")
    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    if out is None:
        stem = src.name[:-6] if src.name.endswith(".conda") else src.name[:-8]
        out = str(src.parent / (stem + (".tar.bz2" if src.name.endswith(".conda") else ".conda")))
    return ps.transmute(src, out, compression_level=compression_level)


def index(channel_dir: str, *, zst: bool = True, shards: bool = True) -> list[Path]:
    """Write repodata (and .zst, CEP-16 shards) for every subdir of a local channel directory.
    Returns the repodata.json files written."""
    ci = require("naja.channel_index")
    root = Path(channel_dir)
    if not root.is_dir():
        raise NajaError(f"no such channel directory: {channel_dir}")
    from naja.api.transact import _call

    _call(ci.index_channel, root, zst=zst, shards=shards)
    return sorted(root.glob("*/repodata.json"))
