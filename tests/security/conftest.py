"""A temporary world for the containment tests: a prefix, a package cache, a channel and ``victim/``
(files naja must never touch) side by side under one root, so "nothing outside changed" is a
snapshot comparison of everything under the root but the prefix and the cache."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from naja.install.transaction import Transaction, TransactionResult
from naja.package.cache import PackageCache
from naja.types.records import PackageRecord
from tests.support.packages import make_channel
from tests.support.txn import channel_records


def snapshot(root: Path, skip: Iterable[str] = ()) -> dict[str, tuple[str, bytes | str, int]]:
    """``{relpath: (kind, content-or-target, mode)}`` of everything under ``root`` (links not
    followed), leaving out the top-level names in ``skip``."""
    skip = set(skip)
    out: dict[str, tuple[str, bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
            filenames = [f for f in filenames if f not in skip]
        for name in filenames + dirnames:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full), 0)
            elif os.path.isdir(full):
                out[rel] = ("dir", b"", st.st_mode)
            else:
                with open(full, "rb") as fh:
                    out[rel] = ("file", fh.read(), st.st_mode)
    return out


@dataclass
class World:
    root: Path

    @property
    def prefix(self) -> Path:
        return self.root / "env"

    @property
    def pkgs(self) -> Path:
        return self.root / "pkgs"

    @property
    def victim(self) -> Path:
        return self.root / "victim"

    def outside(self) -> dict[str, tuple[str, bytes | str, int]]:
        """Everything but the prefix and the package cache."""
        return snapshot(self.root, skip=("env", "pkgs"))

    def channel(self, packages: Iterable[Mapping[str, object]], name: str = "channel") -> dict[str, PackageRecord]:
        root = make_channel(self.root / name, list(packages))
        return {r.name: r for r in channel_records(root, root.as_uri()).values()}

    def apply(self, solution: Iterable[PackageRecord], specs: Iterable[str] = (),
              cache: PackageCache | None = None) -> TransactionResult:
        tx = Transaction.from_solution(self.prefix, list(solution), list(specs))
        return tx.execute(cache or PackageCache([self.pkgs]))


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    (w.victim / "dir").mkdir(parents=True)
    (w.victim / "file.txt").write_text("victim\n")
    (w.victim / "dir" / "inner.txt").write_text("inner\n")
    return w
