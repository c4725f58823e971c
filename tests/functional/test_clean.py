"""``clean`` flags against a real package cache and real environments: each removes what
micromamba's removes (libmamba ``api/clean.cpp``, micromamba ``src/clean.cpp``) and keeps the rest.

- no flag: "Nothing to do.", exit 0;  ``-i``: ``<pkgs>/cache`` and conda's user shard cache;
- ``-p``: extracted packages no environment links;  ``-t``: archives;
- ``-l``: ``<pkgs>/X.lock`` beside an ``X`` or named after the cache, every lock under ``cache/``;
- ``--trash``: ``*.mamba_trash`` files under the root prefix (``conda-meta/mamba_trash.txt`` once empty);
- ``-a``: ``-i -p -t -l`` (not ``--trash``), also in ``$XDG_CACHE_HOME/conda``, which it removes;
- ``-f``: every writable package cache whole, after a prompt whose "no" drops just ``-f``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import naja
from tests.support.packages import make_channel
from tests.support.server import LoopbackServer


@dataclass(frozen=True)
class World:
    root: Path
    pkgs: Path
    env: dict[str, str]
    user_cache: Path  # $XDG_CACHE_HOME/conda

    def run(self, *args: str, input: str | None = None) -> str:
        return naja("clean", *args, env=self.env, input=input).stderr

    def files(self) -> set[str]:
        """Every path below the root prefix and the user cache, relative, for before/after diffs."""
        out = set()
        for top, label in ((self.root, "root"), (self.user_cache, "user")):
            for here, dirs, names in os.walk(top):
                for n in dirs + names:
                    out.add(f"{label}/{Path(here, n).relative_to(top)}")
        return out


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    """Served over loopback HTTP: archives from ``file://`` channels are read in place, not cached."""
    ch = make_channel(tmp_path_factory.mktemp("clean-channel") / "ch", [
        {"name": name, "version": "1.0", "noarch": "generic", "files": {f"share/{name}.txt": name * 100}}
        for name in ("used", "unused")])
    with LoopbackServer(ch.parent) as server:
        yield f"{server.url}/{ch.name}"


@pytest.fixture
def world(channel, tmp_path) -> World:
    root = tmp_path / "root"
    xdg = tmp_path / "xdg"
    env = {"NAJA_ROOT_PREFIX": str(root), "XDG_CACHE_HOME": str(xdg)}
    ch = ["-c", channel, "--override-channels", "-y", "-q"]
    naja("create", "-n", "keep", "used", *ch, env=env)
    naja("create", "-n", "gone", "unused", *ch, env=env)
    naja("env", "remove", "-n", "gone", "-y", "-q", env=env)
    pkgs = root / "pkgs"
    (pkgs / "cache").mkdir(exist_ok=True)
    (pkgs / "cache" / "0123abcd.json").write_text("{}")
    (pkgs / "cache" / "0123abcd.lock").write_text("")
    (pkgs / "used-1.0-0.lock").write_text("")  # micromamba's lock beside its package
    (pkgs / "pkgs.lock").write_text("")  # the cache's own lock
    (pkgs / "stray.lock").write_text("")  # not micromamba's: kept
    keep = root / "envs" / "keep"
    (keep / "lib").mkdir(exist_ok=True)
    (keep / "lib" / "libold.so.mamba_trash").write_text("x")
    (keep / "conda-meta" / "mamba_trash.txt").write_text("lib/libold.so.mamba_trash\n")
    (root / "leftover.mamba_trash").write_text("x")
    user = xdg / "conda"
    (user / "pkgs" / "cache" / "shards").mkdir(parents=True)
    (user / "pkgs" / "cache" / "shards" / "ab.msgpack.zst").write_text("s")
    (user / "pkgs" / "conda-only-2.0-0" / "info").mkdir(parents=True)
    (user / "pkgs" / "conda-only-2.0-0" / "info" / "index.json").write_text("{}")
    (user / "pkgs" / "conda-only-2.0-0.conda").write_text("c")
    (user / "notices").mkdir()
    return World(root, pkgs, env, user)


TARBALLS = {"root/pkgs/used-1.0-0.conda", "root/pkgs/unused-1.0-0.conda"}
TRASH = {"root/envs/keep/lib/libold.so.mamba_trash", "root/envs/keep/conda-meta/mamba_trash.txt",
         "root/leftover.mamba_trash"}
MAMBA_LOCKS = {"root/pkgs/used-1.0-0.lock", "root/pkgs/pkgs.lock", "root/pkgs/cache/0123abcd.lock"}


def removed_by(world: World, *flags: str, input: str | None = None) -> set[str]:
    before = world.files()
    world.run(*flags, input=input)
    after = world.files()
    assert after <= before
    return before - after


def tops(paths: set[str]) -> set[str]:
    """Paths whose parent was not removed too (what was removed, without everything inside it)."""
    return {p for p in paths if str(Path(p).parent) not in paths}


def test_no_flag_is_nothing_to_do(world):
    before = world.files()
    assert "Nothing to do." in world.run()
    assert world.files() == before


def test_tarballs(world):
    assert removed_by(world, "-t") == TARBALLS  # not conda's user cache without -a


def test_packages_keep_what_an_environment_links(world):
    assert tops(removed_by(world, "-p")) == {"root/pkgs/unused-1.0-0"}
    assert (world.root / "envs" / "keep" / "share" / "used.txt").is_file()


def test_index_cache(world):
    gone = tops(removed_by(world, "-i"))
    assert gone == {"root/pkgs/cache", "user/pkgs/cache/shards"}


def test_locks(world):
    gone = removed_by(world, "-l")
    assert gone >= MAMBA_LOCKS
    assert "root/pkgs/stray.lock" not in gone
    assert all(p.endswith(".lock") for p in gone)


def test_trash_in_the_root_prefix_and_environments(world):
    assert removed_by(world, "--trash") == TRASH


def test_all_is_four_flags_and_the_user_conda_cache(world):
    gone = removed_by(world, "-a")
    assert TARBALLS | MAMBA_LOCKS | {"root/pkgs/unused-1.0-0", "root/pkgs/cache", "user/pkgs"} <= gone
    assert not gone & TRASH  # --trash is not part of -a
    assert not world.user_cache.exists()
    assert (world.pkgs / "used-1.0-0" / "info" / "index.json").is_file()


def test_force_pkgs_dirs_and_its_prompt(world):
    assert removed_by(world, "-f", input="n\n") == set()  # "no": -f dropped, nothing else asked
    assert tops(removed_by(world, "-f", "-t", input="n\n")) == TARBALLS  # the other flags still apply
    assert tops(removed_by(world, "-f", "-y")) == {"root/pkgs"}
    assert (world.root / "envs" / "keep" / "conda-meta").is_dir()
    assert (world.user_cache / "pkgs").is_dir()  # not a configured cache: -f leaves it


def test_json_and_dry_run(world):
    before = world.files()
    doc = naja("clean", "-a", "--trash", "--dry-run", "--json", env=world.env).json()
    assert world.files() == before
    assert doc["success"] is True and doc["dry_run"] is True
    assert set(doc["removed"]) == {"index_cache", "locks", "packages", "tarballs", "trash"}
    assert all(isinstance(p, str) for paths in doc["removed"].values() for p in paths)
    assert str(world.pkgs / "unused-1.0-0") in doc["removed"]["packages"]
    assert isinstance(doc["freed_bytes"], int) and doc["freed_bytes"] > 0
    doc = naja("clean", "-a", "--json", env=world.env).json()
    assert doc["dry_run"] is False and {str(world.pkgs / "used-1.0-0.conda")} <= set(doc["removed"]["tarballs"])
    assert naja("clean", "--json", env=world.env).json() == {"success": True, "dry_run": False, "removed": {},
                                                             "freed_bytes": 0}
