"""Class 8: ``-n`` (and ``name:`` in an environment file) is a bare environment name, never a path:
separators, ``.``, ``..``, empty names and NUL are a one-line error and nothing is created."""

from __future__ import annotations

import pytest

from tests.security.conftest import World
from tests.support.cli import assert_one_line_error, naja

BAD = ["../x", ".", "..", "a/b", "", "a\\b", "../../victim"]


def _env(world: World) -> dict[str, str]:
    return {"NAJA_ROOT_PREFIX": str(world.root / "root"), "CONDA_PKGS_DIRS": str(world.pkgs)}


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused(world: World, name: str) -> None:
    (world.root / "root" / "envs").mkdir(parents=True)
    outside = world.outside()
    for args in (["create", "-y", "-n", name], ["install", "-y", "-n", name, "x"], ["list", "-n", name],
                 ["env", "remove", "-y", "-n", name]):
        res = naja(*args, ok=False, env=_env(world))
        assert_one_line_error(res, "environment name")
    assert world.outside() == outside


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "a\\0b", "."])
def test_bad_names_in_environment_files_are_refused(world: World, name: str) -> None:
    (world.root / "root" / "envs").mkdir(parents=True)
    envfile = world.root / "env.yml"
    envfile.write_text(f'name: "{name}"\ndependencies: []\n')
    outside = world.outside()
    res = naja("env", "create", "-y", "-f", envfile, ok=False, env=_env(world))
    assert_one_line_error(res, "environment name")
    assert world.outside() == outside
