"""``clean``, ``package extract|create|transmute`` and ``index``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naja.api.context import Context
from naja.api.options import Options
from naja.errors import NajaError, PackageError
from naja.fs import remove_path, tree_size


@dataclass
class CleanReport:
    """What ``clean`` removed (or would remove with --dry-run), by kind, with sizes in bytes."""

    removed: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def add(self, kind: str, path: Path) -> None:
        self.removed.setdefault(kind, []).append((str(path), tree_size(path)))

    def total(self) -> int:
        return sum(s for items in self.removed.values() for _, s in items)


def clean(options: Options | None = None, *, index_cache: bool = False, packages: bool = False,
          tarballs: bool = False, locks: bool = False, trash: bool = False, all: bool = False,
          force_pkgs_dirs: bool = False) -> CleanReport:
    """Remove repodata caches, extracted packages no known environment uses, tarballs, unheld lock
    files and trash from the writable package caches. ``all`` is ``-i -p -t -l --trash``;
    ``force_pkgs_dirs`` (micromamba's ``clean -f``) removes every writable package cache whole."""
    context = Context.from_options(options or Options())
    from naja.package_cache import CacheUseLock

    timeout = context.lock_timeout
    # the same cache lock a transaction holds while it uses the cache: clean waits for them
    dirs = writable_pkgs_dirs(options)  # only these are locked, so only these are touched
    with CacheUseLock(dirs, exclusive=True, timeout=timeout):
        return _clean(context, dirs, index_cache=index_cache, packages=packages, tarballs=tarballs,
                      locks=locks, trash=trash, all=all, force_pkgs_dirs=force_pkgs_dirs)


def _clean(context: Context, dirs: list[Path], *, index_cache: bool, packages: bool, tarballs: bool,
           locks: bool, trash: bool, all: bool, force_pkgs_dirs: bool) -> CleanReport:
    if force_pkgs_dirs:
        report = CleanReport()
        for d in dirs:
            report.add("pkgs_dirs", d)
            if not context.options.dry_run:
                remove_path(d)
        return report
    if all:
        index_cache = packages = tarballs = locks = trash = True
    if not any((index_cache, packages, tarballs, locks, trash)):
        raise NajaError("nothing to clean: pass -a, -i, -p, -t, -l, --trash or -f")
    from naja import package_cache as pc

    dry_run = context.options.dry_run
    pkgs_dirs = [str(d) for d in dirs]
    report = CleanReport()

    def add(kind: str, items: list[Any]) -> None:
        for item in items:
            report.removed.setdefault(kind, []).append((str(item.path), item.size))

    if index_cache:
        add("index_cache", pc.clean_index_cache(pkgs_dirs, dry_run=dry_run))
    if packages:
        from naja.api.envs import list_envs

        prefixes = [str(e.prefix) for e in list_envs(context.options)]
        add("packages", pc.clean_extracted(pkgs_dirs, prefixes, dry_run=dry_run))
    if packages or trash:
        for d in dirs:
            add("temp", pc.sweep_temp_dirs(d, dry_run=dry_run))
    if tarballs:
        add("tarballs", pc.clean_tarballs(pkgs_dirs, dry_run=dry_run))
    if locks:
        add("locks", pc.clean_locks(pkgs_dirs, dry_run=dry_run))
    if trash:
        for d in dirs:
            for child in sorted(d.iterdir()):
                if child.name.endswith((".mamba_trash", ".naja_trash")):
                    report.add("trash", child)
                    if not dry_run:
                        remove_path(child)
    return report


def writable_pkgs_dirs(options: Options | None = None) -> list[Path]:
    """The package caches that exist and this user may change (what ``clean -f`` removes)."""
    import os

    context = Context.from_options(options or Options())
    return [d for d in context.pkgs_dirs if d.is_dir() and os.access(d, os.W_OK | os.X_OK)]


# ------------------------------------------------------------------------------------------ package


def package_extract(archive: str, dest: str) -> Path:
    from naja import package_streaming as ps

    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    ps.extract(src, dest)
    return Path(dest)


def package_create(source_dir: str, out: str | None = None, *, fmt: str | None = None,
                   compression_level: int | None = None) -> Path:
    """Build an archive from a directory holding ``info/index.json``. ``out`` is a directory or an
    explicit ``.conda``/``.tar.bz2`` path (micromamba's ``package compress FOLDER DEST``)."""
    from naja import package_streaming as ps

    source = Path(source_dir)
    if not (source / "info" / "index.json").is_file():
        raise PackageError(f"{source_dir} has no info/index.json, it is not a package directory")
    out_path = Path(out) if out else Path.cwd()
    name = None
    if ps.is_package_file(out_path.name):
        name = ps.strip_package_extension(out_path.name)
        fmt = out_path.name[len(name):]
        out_path = out_path.parent
    import tempfile

    # the writer fills in missing info/paths.json etc.: do that in a copy, never in the user's tree
    with tempfile.TemporaryDirectory(prefix="naja-package-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(source, work, symlinks=True)
        return ps.create_conda(work, out_path.resolve(), name=name, fmt=fmt or ".conda",
                     compression_level=compression_level)


def package_transmute(archive: str, out: str | None = None, *, compression_level: int | None = None) -> Path:
    from naja import package_streaming as ps

    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    if out is None:
        stem = src.name[:-6] if src.name.endswith(".conda") else src.name[:-8]
        out = str(src.parent / (stem + (".tar.bz2" if src.name.endswith(".conda") else ".conda")))
    return ps.transmute(src, out, compression_level=compression_level)


def index(channel_dir: str, *, zst: bool = True, shards: bool = True, dry_run: bool = False) -> list[Path]:
    """Write repodata (and .zst, CEP-16 shards) for every subdir of a local channel directory.
    Returns the repodata.json files written (with ``dry_run``: that would be written)."""
    from naja import channel_index as ci

    root = Path(channel_dir)
    if not root.is_dir():
        raise NajaError(f"no such channel directory: {channel_dir}")
    if dry_run:
        return [root / subdir / "repodata.json" for subdir in ci.subdirs_to_index(root)]
    ci.index_channel(root, zst=zst, shards=shards)
    return sorted(root.glob("*/repodata.json"))
