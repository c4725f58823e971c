"""The confinement layer itself (``naja.confine``), which every class above relies on: text checks,
parents resolved without leaving the root, removal that never follows a link."""

from __future__ import annotations

import os

import pytest

from naja.confine import ConfinementError, Root, check_name, check_relpath, rmtree
from tests.security.conftest import World


@pytest.mark.parametrize("rel, why", [
    ("../x", "outside"), ("a/../../x", "outside"), ("/etc/passwd", "outside"), ("a\x00b", "outside"),
    ("", "empty"), (".", "root itself"), ("a/..", "root itself"), ("conda-meta/x.json", "bookkeeping"),
    ("share/../conda-meta/x", "bookkeeping"), (".naja-trash/t", "bookkeeping"),
])
def test_check_relpath_refuses(rel: str, why: str) -> None:
    with pytest.raises(ConfinementError, match=why) as info:
        check_relpath(rel, "pkg-1-0")
    assert "pkg-1-0" in str(info.value)


def test_check_relpath_tidies_plain_paths() -> None:
    assert check_relpath("./lib//x/./y", "p") == "lib/x/y"
    assert check_relpath("lib/a/../b", "p") == "lib/b"
    for bad in ("", ".", "..", "a/b", "a\\b", "a\x00"):
        with pytest.raises(ConfinementError):
            check_name(bad, "environment name")


def test_root_never_follows_links_out(world: World) -> None:
    root = world.root / "r"
    (root / "lib").mkdir(parents=True)
    os.symlink(world.victim, root / "out")           # a link leading outside
    os.symlink("lib", root / "lib64")                # a link staying inside
    r = Root(root)
    with pytest.raises(ConfinementError, match="symlink leading outside"):
        r.full("out/file.txt")
    with pytest.raises(ConfinementError):
        r.makedirs("out/sub")
    r.makedirs("lib64/sub")
    assert (root / "lib" / "sub").is_dir() and (root / "lib64").is_symlink()
    assert r.unlink("out") and not os.path.lexists(root / "out")
    os.symlink(world.victim, root / "lib" / "sub" / "v")
    outside = world.outside()
    rmtree(root)
    assert not root.exists()
    assert world.outside() == {k: v for k, v in outside.items() if not k.startswith("r")}
    assert (world.victim / "file.txt").read_text() == "victim\n"
