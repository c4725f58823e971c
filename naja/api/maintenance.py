"""``clean``, ``package extract|create|transmute`` and ``index``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from naja.api.context import Context
from naja.api.options import Options
from naja.errors import NajaError, PackageError
from naja.fs import remove_path, tree_size

if TYPE_CHECKING:
    from naja.package.pkgs_dirs import CleanedItem


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
    """What micromamba's ``clean`` removes (libmamba ``api/clean.cpp``), from the writable package
    caches: ``index_cache`` their ``cache/`` directories, ``packages`` extracted packages no known
    environment links, ``tarballs`` archives, ``locks`` lock files, ``trash`` ``*.mamba_trash`` files
    anywhere under the root prefix and the environments. ``all`` is the first four (not ``trash``)
    and also takes conda's user cache (``$XDG_CACHE_HOME/conda``), as micromamba's ``-a``;
    ``force_pkgs_dirs`` (``-f``) then removes every writable package cache whole. No flag: an empty
    report (micromamba prints "Nothing to do." and succeeds)."""
    context = Context.from_options(options or Options())
    from naja.package.pkgs_dirs import CacheUseLock

    if not any((index_cache, packages, tarballs, locks, trash, all, force_pkgs_dirs)):
        return CleanReport()
    # the same cache lock a transaction holds while it uses the cache: clean waits for them
    dirs = writable_pkgs_dirs(options)  # only these are locked, so only these are touched
    with CacheUseLock(dirs, exclusive=True, timeout=context.lock_timeout):
        report = _clean(context, dirs, index_cache=index_cache or all, packages=packages or all,
                        tarballs=tarballs or all, locks=locks or all, trash=trash, all=all)
        if force_pkgs_dirs:
            for d in dirs:
                report.add("pkgs_dirs", d)
                if not context.options.dry_run:
                    remove_path(d)
        return report


def user_conda_cache() -> Path:
    """``$XDG_CACHE_HOME/conda`` (``~/.cache/conda``; ``%LOCALAPPDATA%/conda`` on Windows): where
    conda 25 and micromamba keep their shard caches and a per-user package cache (``pkgs/``)."""
    import os

    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "conda"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "conda"
    return Path.home() / ".cache" / "conda"


def _clean(context: Context, dirs: list[Path], *, index_cache: bool, packages: bool, tarballs: bool,
           locks: bool, trash: bool, all: bool) -> CleanReport:
    from naja.package import pkgs_dirs as pc

    dry_run = context.options.dry_run
    user_cache = user_conda_cache()
    roots = list(dirs)
    if all and (user_cache / "pkgs").is_dir() and (user_cache / "pkgs") not in roots:
        roots.append(user_cache / "pkgs")  # micromamba's -a also cleans conda's per-user package cache
    pkgs_dirs = [str(d) for d in roots]
    report = CleanReport()

    def add(kind: str, items: list[CleanedItem]) -> None:
        for item in items:
            report.removed.setdefault(kind, []).append((str(item.path), item.size))

    def drop(kind: str, path: Path) -> None:
        report.add(kind, path)
        if not dry_run:
            remove_path(path)

    if index_cache:
        for root in roots:
            if (root / "cache").is_dir():
                drop("index_cache", root / "cache")  # the directory itself, as micromamba
        if (user_cache / "pkgs" / "cache" / "shards").is_dir():
            drop("index_cache", user_cache / "pkgs" / "cache" / "shards")
        if all and user_cache.is_dir():
            drop("index_cache", user_cache)
    if locks:
        add("locks", pc.clean_locks(pkgs_dirs, dry_run=dry_run))
        for root in roots:
            for path in _mamba_locks(root):
                drop("locks", path)
    if packages:
        from naja.api.envs import list_envs

        prefixes = [str(e.prefix) for e in list_envs(context.options)]
        add("packages", pc.clean_extracted(pkgs_dirs, prefixes, dry_run=dry_run))
    if packages or trash:
        for d in dirs:
            add("temp", pc.sweep_temp_dirs(d, dry_run=dry_run))
    if tarballs:
        add("tarballs", pc.clean_tarballs(pkgs_dirs, dry_run=dry_run))
    if trash:
        _clean_trash(context, dirs, drop)
    return report


def _mamba_locks(root: Path) -> list[Path]:
    """micromamba's lock files in a package cache: ``<root>/X.lock`` beside an ``X`` (or named after the
    cache itself) and every ``*.lock`` below ``<root>/cache``; one another process holds is kept."""
    import filelock

    if not root.is_dir():
        return []
    found = [p for p in sorted(root.glob("*.lock"))
             if p.is_file() and ((root / p.name[:-5]).exists() or p.name[:-5] == root.name)]
    if (root / "cache").is_dir():
        found += sorted(p for p in (root / "cache").rglob("*.lock") if p.is_file())
    free = []
    for path in found:
        lock = filelock.FileLock(str(path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            continue
        lock.release()
        free.append(path)
    return free


def _clean_trash(context: Context, dirs: list[Path], drop: Callable[[str, Path], None]) -> None:
    """Every ``*.mamba_trash`` (and naja's ``*.naja_trash``) file under the root prefix, as micromamba's
    deep ``clean_trash_files``, and under each known environment outside it and each package cache;
    an environment left with no trash loses its ``conda-meta/mamba_trash.txt`` list."""
    import os

    from naja.api.envs import list_envs

    prefixes = list(dict.fromkeys([context.root_prefix, *(e.prefix for e in list_envs(context.options))]))
    tops: list[Path] = []
    for top in [*prefixes, *dirs]:
        if top.is_dir() and not any(top == t or t in top.parents for t in tops):
            tops.append(top)
    for top in tops:
        for here, _subdirs, files in os.walk(top):  # links to directories are not followed
            for name in sorted(files):
                if name.endswith((".mamba_trash", ".naja_trash")):
                    drop("trash", Path(here) / name)
    for prefix in prefixes:
        listing = prefix / "conda-meta" / "mamba_trash.txt"
        if listing.is_file() and (context.options.dry_run or not _trash_left(prefix, listing)):
            drop("trash", listing)


def _trash_left(prefix: Path, listing: Path) -> bool:
    """Whether a file ``mamba_trash.txt`` lists (relative to ``prefix``) is still there."""
    try:
        lines = listing.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return True
    return any(line.strip() and (prefix / line.strip()).exists() for line in lines)


def writable_pkgs_dirs(options: Options | None = None) -> list[Path]:
    """The package caches that exist and this user may change (what ``clean -f`` removes)."""
    import os

    context = Context.from_options(options or Options())
    return [d for d in context.pkgs_dirs if d.is_dir() and os.access(d, os.W_OK | os.X_OK)]


# ------------------------------------------------------------------------------------------ package


def package_extract(archive: str, dest: str) -> Path:
    from naja.package.extract import extract

    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    extract(src, dest)
    return Path(dest)


def package_create(source_dir: str, out: str | None = None, *, fmt: str | None = None,
                   compression_level: int | None = None) -> Path:
    """Build an archive from a directory holding ``info/index.json``. ``out`` is a directory or an
    explicit ``.conda``/``.tar.bz2`` path (micromamba's ``package compress FOLDER DEST``)."""
    from naja.package.create import create_conda
    from naja.package.streaming import is_package_file, strip_package_extension
    from naja.types.archive import CONDA_EXT

    source = Path(source_dir)
    if not (source / "info" / "index.json").is_file():
        raise PackageError(f"{source_dir} has no info/index.json, it is not a package directory")
    out_path = Path(out) if out else Path.cwd()
    name = None
    if is_package_file(out_path.name):
        name = strip_package_extension(out_path.name)
        fmt = out_path.name[len(name):]
        out_path = out_path.parent
    import tempfile

    # the writer fills in missing info/paths.json etc.: do that in a copy, never in the user's tree
    with tempfile.TemporaryDirectory(prefix="naja-package-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(source, work, symlinks=True)
        return create_conda(work, out_path.resolve(), name=name, fmt=fmt or CONDA_EXT,
                            compression_level=compression_level)


def package_transmute(archive: str, out: str | None = None, *, compression_level: int | None = None) -> Path:
    from naja.package.create import transmute

    src = Path(archive)
    if not src.is_file():
        raise PackageError(f"no such package archive: {archive}")
    if out is None:
        from naja.types.archive import CONDA_EXT, TAR_BZ2_EXT, archive_suffix

        # a name without a package suffix is taken for a .tar.bz2 (transmute reads its real kind from its bytes)
        suffix = archive_suffix(src.name)
        stem = src.name[: -len(suffix or TAR_BZ2_EXT)]
        out = str(src.parent / (stem + (TAR_BZ2_EXT if suffix == CONDA_EXT else CONDA_EXT)))
    return transmute(src, out, compression_level=compression_level)


def index(channel_dir: str, *, zst: bool = True, shards: bool = True, dry_run: bool = False) -> list[Path]:
    """Write repodata (and .zst, CEP-16 shards) for every subdir of a local channel directory.
    Returns the repodata.json files written (with ``dry_run``: that would be written)."""
    from naja.repodata import channel_index as ci

    root = Path(channel_dir)
    if not root.is_dir():
        raise NajaError(f"no such channel directory: {channel_dir}")
    if dry_run:
        return [root / subdir / "repodata.json" for subdir in ci.subdirs_to_index(root)]
    ci.index_channel(root, zst=zst, shards=shards)
    return sorted(root.glob("*/repodata.json"))
