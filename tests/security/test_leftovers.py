"""Class 9: nothing half-made. A failed ``create`` removes the prefix it created; hidden temp dirs an
interrupted extraction left in the package cache are removed by the next run and by ``clean``;
commands that read a prefix (``env export``, ``create --clone``) roll back an interrupted
transaction before they look."""

from __future__ import annotations

import json

from naja.install.journal import JOURNAL
from naja.package.cache import PackageCache
from tests.security.conftest import World
from tests.support.cli import assert_one_line_error, naja


def _env(world: World) -> dict[str, str]:
    return {"NAJA_ROOT_PREFIX": str(world.root / "root"), "CONDA_PKGS_DIRS": str(world.pkgs)}


def test_failed_create_leaves_no_prefix(world: World) -> None:
    recs = world.channel([
        dict(name="ok", version="1", files={"share/ok.txt": "ok"}),
        dict(name="bad", version="1", depends=["ok"], files={"bin/x": "x"},
             info_files={"paths.json": json.dumps({"paths": [{"_path": "../escape", "path_type": "hardlink"}]})}),
    ])
    channel = recs["ok"].channel
    res = naja("create", "-y", "-p", world.prefix, "-c", channel, "--override-channels", "bad",
               ok=False, env=_env(world))
    assert_one_line_error(res, "bad-1-0", "../escape")
    assert not world.prefix.exists(), sorted(p.name for p in world.prefix.rglob("*"))


def test_stale_extraction_dirs_are_swept_by_the_next_run_and_by_clean(world: World) -> None:
    recs = world.channel([dict(name="a", version="1", files={"share/a.txt": "a"})])
    world.pkgs.mkdir()
    stale = [world.pkgs / ".a-1-0.0badc0de.naja-extract", world.pkgs / ".zz-2-0.12345678.naja-trash"]
    for d in stale:
        (d / "info").mkdir(parents=True)
        (d / "info" / "junk").write_text("half")
    world.apply([recs["a"]], ["a"], PackageCache([world.pkgs]))
    assert not any(d.exists() for d in stale)
    later = world.pkgs / ".b-1-0.abcdef01.naja-extract"
    (later / "lib").mkdir(parents=True)
    naja("clean", "-a", "-y", env=_env(world))
    assert not later.exists()
    assert (world.prefix / "share/a.txt").read_text() == "a"


def _interrupt(world: World, dist: str, targets: list[str]) -> None:
    """Leave a journal as a process killed while linking ``dist`` would."""
    header = {"id": "k", "trash": ".naja-trash/k", "unlink": [],
              "link": [{"dist": dist, "targets": [*targets, f"conda-meta/{dist}.json"]}]}
    (world.prefix / "conda-meta" / JOURNAL).write_text(json.dumps(header) + f"\nbegin {dist}\n")


def test_export_and_clone_recover_an_interrupted_transaction_first(world: World) -> None:
    recs = world.channel([dict(name="a", version="1", files={"share/a.txt": "a"}),
                          dict(name="b", version="1", files={"share/b.txt": "b"})])
    world.apply([recs["a"], recs["b"]], ["a", "b"])
    _interrupt(world, "b-1-0", ["share/b.txt"])
    exported = naja("env", "export", "-p", world.prefix, "--json", env=_env(world)).json()
    deps = " ".join(map(str, exported["dependencies"]))
    assert "a=1" in deps and "b=1" not in deps
    assert not (world.prefix / "share/b.txt").exists()
    # clone: the same, from a source interrupted again
    world.apply([recs["a"], recs["b"]], ["a", "b"])
    _interrupt(world, "b-1-0", ["share/b.txt"])
    clone = world.root / "clone"
    naja("create", "-y", "--clone", world.prefix, "-p", clone, "--offline", env=_env(world))
    assert (clone / "share/a.txt").exists() and not (clone / "share/b.txt").exists()
