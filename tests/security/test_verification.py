"""Class 3: ``safety_checks`` and ``extra_safety_checks`` work. A package whose paths.json disagrees
with its files is reported (``warn``: one warning naming package and file, installed anyway;
``enabled``: refused before the prefix changes): a wrong size always, a wrong sha256 with
``extra_safety_checks`` (as micromamba checks them); a package-cache entry changed after extraction
is detected (size+mtime; sha256 with ``extra_safety_checks``) and extracted again from its archive."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from naja.errors import NajaError
from naja.package.cache import PackageCache
from naja.package.verify import SafetyChecks
from tests.security.conftest import World, snapshot
from tests.support.cli import assert_one_line_error, naja


def _lying_package(world: World, lie: str = "size") -> dict:
    """``liar`` declares ``share/liar.txt`` with another sha256 and (``lie="size"``) another size."""
    good = b"the real content\n"
    declared = b"something else, longer\n" if lie == "size" else b"something else!!\n"
    assert (len(declared) != len(good)) == (lie == "size")
    entry = {"_path": "share/liar.txt", "path_type": "hardlink",
             "sha256": hashlib.sha256(declared).hexdigest(), "size_in_bytes": len(declared)}
    ok = {"_path": "share/ok.txt", "path_type": "hardlink", "sha256": hashlib.sha256(b"ok\n").hexdigest(),
          "size_in_bytes": 3}
    return world.channel([
        dict(name="base", version="1", files={"share/base.txt": "base\n"}),
        dict(name="liar", version="1", files={"share/liar.txt": good, "share/ok.txt": "ok\n"},
             info_files={"paths.json": json.dumps({"paths": [entry, ok], "paths_version": 1})}),
    ])


def _cache(world: World, mode: str, extra: bool = False) -> PackageCache:
    cache = PackageCache([world.pkgs])
    cache.safety = SafetyChecks(mode=mode, extra=extra)
    return cache


@pytest.mark.parametrize(("lie", "extra", "what"), [("size", False, "size"), ("sha256", True, "sha256")])
def test_warn_installs_with_one_warning_naming_package_and_file(world: World, lie: str, extra: bool,
                                                                 what: str) -> None:
    recs = _lying_package(world, lie)
    result = world.apply([recs["liar"]], ["liar"], _cache(world, "warn", extra=extra))
    mentions = [w for w in result.warnings if "share/liar.txt" in w]
    assert len(mentions) == 1 and "liar-1-0" in mentions[0] and what in mentions[0]
    assert not any("ok.txt" in w for w in result.warnings)
    assert (world.prefix / "share/liar.txt").exists()


def test_sha256_is_checked_only_with_extra_safety_checks(world: World) -> None:
    """As micromamba: the default checks sizes (the archive's own checksum was verified); the
    digest of every file is the extra check. A stamp made without digests is hashed once they are asked for."""
    recs = _lying_package(world, "sha256")
    result = world.apply([recs["liar"]], ["liar"], _cache(world, "warn"))
    assert not [w for w in result.warnings if "liar.txt" in w]
    world.apply([], [])
    result = world.apply([recs["liar"]], ["liar"], _cache(world, "warn", extra=True))
    assert len([w for w in result.warnings if "share/liar.txt" in w and "sha256" in w]) == 1


def test_enabled_fails_before_the_prefix_changes(world: World) -> None:
    recs = _lying_package(world)
    world.apply([recs["base"]], ["base"])
    before = snapshot(world.prefix)
    with pytest.raises(NajaError) as info:
        world.apply([recs["base"], recs["liar"]], ["liar"], _cache(world, "enabled"))
    assert "liar-1-0" in str(info.value) and "share/liar.txt" in str(info.value)
    assert snapshot(world.prefix) == before
    # disabled: no check, no warning
    result = world.apply([recs["base"], recs["liar"]], ["liar"], _cache(world, "disabled"))
    assert not [w for w in result.warnings if "liar.txt" in w]


def test_cli_safety_checks_enabled_is_one_line_error(world: World) -> None:
    recs = _lying_package(world)
    channel = recs["liar"].channel
    env = {"NAJA_PKGS_DIRS": str(world.pkgs), "CONDA_PKGS_DIRS": str(world.pkgs)}
    res = naja("create", "-y", "-p", world.prefix, "-c", channel, "--override-channels",
               "--safety-checks", "enabled", "liar", ok=False, env=env)
    assert_one_line_error(res, "liar-1-0", "share/liar.txt")
    res = naja("create", "-y", "-p", world.root / "env2", "-c", channel, "--override-channels", "liar", env=env)
    assert sum("share/liar.txt" in line for line in res.stderr.splitlines() + res.stdout.splitlines()) == 1


def _tamper(path, data: bytes, keep_time: bool) -> None:
    st = os.stat(path)
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:  # in place: the inode (and any hard link to it) changes
        fh.write(data)
    if keep_time:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("keep_time", [False, True], ids=["mtime-changed", "mtime-kept-extra-checks"])
def test_cache_entry_changed_since_extraction_is_extracted_again(world: World, keep_time: bool) -> None:
    recs = _lying_package(world)
    world.apply([recs["base"]], ["base"])
    cached = world.pkgs / "base-1-0" / "share/base.txt"
    # break the hard link from the prefix first, so only the cache copy is tampered with
    (world.prefix / "share/base.txt").unlink()
    _tamper(cached, b"EVIL\n", keep_time)
    world.apply([], [])
    world.apply([recs["base"]], ["base"], _cache(world, "warn", extra=keep_time))
    assert (world.prefix / "share/base.txt").read_bytes() == b"base\n"
    assert cached.read_bytes() == b"base\n"


def test_changed_entry_without_its_archive_warns_or_fails(world: World) -> None:
    recs = _lying_package(world)
    world.apply([recs["base"]], ["base"])
    (world.prefix / "share/base.txt").unlink()
    _tamper(world.pkgs / "base-1-0" / "share/base.txt", b"EVIL\n", keep_time=False)
    # the archive is gone and the channel with it (a file:// archive is read where it lies: no copy in the cache)
    (world.pkgs / recs["base"].fn).unlink(missing_ok=True)
    for d in (world.root / "channel").rglob("base-1-0.conda"):
        d.unlink()
    world.apply([], [])
    before = snapshot(world.prefix)
    with pytest.raises(NajaError, match="base-1-0: changed in the package cache since extraction"):
        world.apply([recs["base"]], ["base"], _cache(world, "enabled"))
    assert snapshot(world.prefix) == before
    result = world.apply([recs["base"]], ["base"], _cache(world, "warn"))
    assert [w for w in result.warnings if "base-1-0: changed in the package cache" in w]
