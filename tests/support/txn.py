"""Helpers for transaction/link/cache tests: build channels from real or synthetic packages and turn
their repodata into ``PackageRecord`` lists (what the solver would hand to a transaction)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from naja.errors import PackageError
from naja.package.info import read_index_json
from naja.types.records import PackageRecord, record_from_dict


def real_channel(root: Path, archives: Iterable[Path]) -> Path:
    """Copy real archives into ``root/<subdir>/`` (subdir from their index.json) and index it."""
    from naja.repodata.channel_index import index_channel

    root.mkdir(parents=True, exist_ok=True)
    (root / "noarch").mkdir(exist_ok=True)
    for archive in archives:
        try:
            subdir = read_index_json(archive).get("subdir") or "noarch"
        except PackageError:  # unreadable (malformed) archives are left out of the index
            subdir = "linux-64"
        (root / subdir).mkdir(exist_ok=True)
        dest = root / subdir / archive.name
        try:
            os.link(archive, dest)
        except OSError:
            shutil.copyfile(archive, dest)
    index_channel(root, shards=False, zst=False)
    return root


def channel_records(root: Path, base_url: str) -> dict[str, PackageRecord]:
    """Every record of the channel at ``root`` as served from ``base_url``, keyed by file name."""
    out: dict[str, PackageRecord] = {}
    base_url = base_url.rstrip("/")
    for repodata in sorted(root.glob("*/repodata.json")):
        subdir = repodata.parent.name
        data = json.loads(repodata.read_bytes())
        for key in ("packages", "packages.conda"):
            for fn, rec in data.get(key, {}).items():
                rec = dict(rec)
                rec.update(fn=fn, url=f"{base_url}/{subdir}/{fn}", channel=base_url, subdir=subdir)
                out[fn] = record_from_dict(rec)
    return out


def pick(records: dict[str, PackageRecord], *fns: str) -> list[PackageRecord]:
    return [records[fn] for fn in fns]


def tree(prefix: Path, *, skip: Iterable[str] = ("conda-meta",)) -> dict[str, tuple]:
    """``{relpath: (kind, content-or-target, executable)}`` for comparing environments."""
    skip = set(skip)
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(prefix):
        rel_dir = os.path.relpath(dirpath, prefix)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel in skip:
                continue
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full), False)
            else:
                with open(full, "rb") as fh:
                    data = fh.read()
                out[rel] = ("file", data, os.access(full, os.X_OK))
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if not os.path.islink(full) and not os.listdir(full):
                out[os.path.normpath(os.path.join(rel_dir, d))] = ("dir", b"", False)
    return out


# What differs legitimately between two installs of the same packages from different package caches:
# where the cache is (link source, extracted dir, tarball) and what the user typed (requested specs).
# Nothing in a prefix record is time-dependent besides these: ``timestamp`` is the package's.
CACHE_OR_REQUEST_FIELDS = frozenset(
    {"link", "extracted_package_dir", "package_tarball_full_path", "requested_spec", "requested_specs"})


def prefix_records(prefix: Path) -> dict[str, dict]:
    """conda-meta records by file name, without the cache- and request-dependent fields."""
    out = {}
    for f in sorted((prefix / "conda-meta").glob("*.json")):
        data = json.loads(f.read_text())
        out[f.name] = {k: v for k, v in data.items() if k not in CACHE_OR_REQUEST_FIELDS}
    return out


def fresh_root(tmp_path: Path, label: str) -> dict[str, str]:
    """Another machine, as far as naja can tell: a fresh root prefix and package cache."""
    return {"NAJA_ROOT_PREFIX": str(tmp_path / f"root-{label}")}
