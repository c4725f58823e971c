"""Class 1: paths that come from metadata (a record's ``python_site_packages_path``, a forged
``conda-meta`` record, the transaction journal) never reach outside the prefix or into naja's own
bookkeeping; a refusal names the package or record and the path, and leaves the prefix as it was."""

from __future__ import annotations

import json

import pytest

from naja.errors import NajaError
from naja.install.journal import JOURNAL, recover
from naja.install.prefix import Prefix
from tests.security.conftest import World, snapshot

PY = dict(name="python", version="3.11.0", files={"bin/python3.11": "#!/bin/sh\n"})


@pytest.mark.parametrize("site", ["conda-meta", ".", "conda-meta/sub", "lib/../conda-meta", ".naja-trash"])
def test_python_site_packages_path_cannot_name_naja_bookkeeping(world: World, site: str) -> None:
    recs = world.channel([
        dict(PY, extra_index={"python_site_packages_path": site}),
        dict(name="forger", version="1", noarch="python", depends=["python"],
             files={"site-packages/forged-1-0.json": json.dumps({"name": "forged", "version": "1"}),
                    f"site-packages/{JOURNAL}": "{}"}),
    ])
    assert recs["python"].python_site_packages_path == site
    outside = world.outside()
    with pytest.raises(NajaError) as info:
        world.apply([recs["python"], recs["forger"]], ["forger"])
    assert "python" in str(info.value) and "python_site_packages_path" in str(info.value)
    meta = world.prefix / "conda-meta"
    assert not (meta / "forged-1-0.json").exists() and not (meta / JOURNAL).exists()
    assert not (world.prefix / "forged-1-0.json").exists()
    assert world.outside() == outside


def _forge(world: World, dist: str, files: list[str]) -> None:
    """Rewrite an installed record so its ``files``/``paths_data`` list ``files``."""
    path = world.prefix / "conda-meta" / f"{dist}.json"
    doc = json.loads(path.read_text())
    doc["files"] = files
    doc["paths_data"]["paths"] = [{"_path": f, "path_type": "hardlink"} for f in files]
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "deep-dotdot", "conda-meta", "trash"])
def test_forged_record_cannot_make_remove_delete_outside(world: World, kind: str) -> None:
    recs = world.channel([dict(name="a", version="1", files={"share/a.txt": "a"}),
                          dict(name="b", version="1", files={"share/b.txt": "b"})])
    world.apply([recs["a"], recs["b"]], ["a", "b"])
    victim = str(world.victim / "file.txt")
    bad = {"dotdot": "../victim/file.txt", "absolute": victim, "deep-dotdot": "share/../../victim/dir",
           "conda-meta": "conda-meta/b-1-0.json", "trash": ".naja-trash"}[kind]
    _forge(world, "a-1-0", ["share/a.txt", bad])
    outside, before = world.outside(), snapshot(world.prefix)
    with pytest.raises(NajaError) as info:
        world.apply([recs["b"]], ["b"])
    message = str(info.value)
    assert "a-1-0.json" in message and repr(bad) in message and "\n" not in message
    assert world.outside() == outside
    assert snapshot(world.prefix) == before, "the environment changed"
    assert {r.name for r in Prefix(world.prefix).installed()} == {"a", "b"}


def test_forged_journal_cannot_delete_or_restore_outside(world: World) -> None:
    recs = world.channel([dict(name="a", version="1", files={"share/a.txt": "a"})])
    world.apply([recs["a"]], ["a"])
    # a journal left behind by a "killed" transaction, edited to point outside
    (world.root / "trash-out").mkdir()
    (world.root / "trash-out" / "share").mkdir()
    (world.root / "trash-out" / "share" / "planted").write_text("planted\n")
    header = {"id": "x", "trash": "../trash-out", "unlink": [],
              "link": [{"dist": "a-1-0", "targets": ["../victim/file.txt", str(world.victim / "dir/inner.txt"),
                                                       "share/../../victim/dir", "conda-meta/history"]}]}
    (world.prefix / "conda-meta" / JOURNAL).write_text(json.dumps(header) + "\nbegin a-1-0\n")
    outside = world.outside()
    assert recover(world.prefix) is True
    assert world.outside() == outside
    assert not (world.prefix / "share" / "planted").exists()
    assert (world.prefix / "conda-meta" / "history").exists()
