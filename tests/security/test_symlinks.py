"""Class 2: symlinks across packages. A link in the prefix that leads outside never carries a write
or a removal with it; removing a link removes the link; a directory link a package ships inside the
prefix (``lib64 -> lib``) stays a link when other packages install through it."""

from __future__ import annotations

import json
import os

import pytest

from naja.errors import NajaError
from naja.install.prefix import Prefix
from tests.security.conftest import World, snapshot


def _own(world: World, dist: str, rel: str) -> None:
    """Make the installed record of ``dist`` claim ``rel`` (as a package from another tool would)."""
    path = world.prefix / "conda-meta" / f"{dist}.json"
    doc = json.loads(path.read_text())
    doc["files"].append(rel)
    doc["paths_data"]["paths"].append({"_path": rel, "path_type": "softlink"})
    path.write_text(json.dumps(doc))


@pytest.fixture
def escaped(world: World) -> World:
    """``a`` owns ``lib/x -> <outside>`` (left by another tool); ``b`` claims ``lib/x/file.txt``."""
    recs = world.channel([dict(name="a", version="1", files={"lib/a.txt": "a"}),
                          dict(name="b", version="1", files={"share/b.txt": "b"}),
                          dict(name="c", version="1", files={"lib/x/c.txt": "c"})])
    world.apply([recs["a"], recs["b"]], ["a", "b"])
    os.symlink(os.path.relpath(world.victim, world.prefix / "lib"), world.prefix / "lib" / "x")
    _own(world, "a-1-0", "lib/x")
    _own(world, "b-1-0", "lib/x/file.txt")
    world.recs = recs  # type: ignore[attr-defined]
    return world


def test_remove_never_follows_a_link_out_of_the_prefix(escaped: World) -> None:
    recs = escaped.recs  # type: ignore[attr-defined]
    outside = escaped.outside()
    with pytest.raises(NajaError) as info:
        escaped.apply([recs["a"]], ["a"])  # removes b, whose record claims lib/x/file.txt
    assert "b-1-0" in str(info.value) and "lib/x" in str(info.value) and "symlink" in str(info.value)
    assert escaped.outside() == outside
    assert {r.name for r in Prefix(escaped.prefix).installed()} == {"a", "b"}
    # once b's record is honest again, removing a (which owns the link) removes the link only
    _forge_back(escaped, "b-1-0")
    escaped.apply([recs["b"]], ["b"])
    assert not os.path.lexists(escaped.prefix / "lib" / "x")
    assert escaped.outside() == outside


def _forge_back(world: World, dist: str) -> None:
    path = world.prefix / "conda-meta" / f"{dist}.json"
    doc = json.loads(path.read_text())
    doc["files"] = [f for f in doc["files"] if not f.startswith("lib/x")]
    doc["paths_data"]["paths"] = [p for p in doc["paths_data"]["paths"] if not p["_path"].startswith("lib/x")]
    path.write_text(json.dumps(doc))


def test_install_through_a_link_out_of_the_prefix_is_refused(escaped: World) -> None:
    recs = escaped.recs  # type: ignore[attr-defined]
    outside, before = escaped.outside(), snapshot(escaped.prefix)
    with pytest.raises(NajaError) as info:
        escaped.apply([recs["a"], recs["b"], recs["c"]], ["c"])
    assert "c-1-0" in str(info.value) and "lib/x" in str(info.value)
    assert escaped.outside() == outside and snapshot(escaped.prefix) == before


def test_directory_link_inside_the_prefix_stays_a_link(world: World) -> None:
    recs = world.channel([dict(name="base", version="1", files={"lib/libbase.so": "base"},
                               symlinks={"lib64": "lib"}),
                          dict(name="ext", version="1", depends=["base"], files={"lib64/libext.so": "ext"})])
    world.apply([recs["base"], recs["ext"]], ["ext"])
    lib64 = world.prefix / "lib64"
    assert lib64.is_symlink() and os.readlink(lib64) == "lib"
    assert (world.prefix / "lib" / "libext.so").read_text() == "ext"
    world.apply([recs["base"]], ["base"])  # remove ext: through the link, which stays
    assert lib64.is_symlink() and not (world.prefix / "lib" / "libext.so").exists()
    assert (world.prefix / "lib" / "libbase.so").exists()
