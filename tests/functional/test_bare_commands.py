"""A command group run without its subcommand, as micromamba 2.8 runs it.

micromamba's CLI11 tree requires a subcommand only at the top level (``umamba.cpp``:
``require_subcommand(0, 1)``); ``env``, ``env config``, ``env config vars`` and ``package`` have no
callback of their own (``micromamba/src/env.cpp``, ``package.cpp``), so ``micromamba env`` parses,
runs nothing, prints nothing and exits 0. naja does the same on stdout and exit status, and shows
the group's help on stderr (not with ``-q``). An unknown subcommand is still a usage error.
"""

from __future__ import annotations

import pytest

from tests.support.micromamba import install_micromamba, mm, path_env


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory):
    return install_micromamba(tmp_path_factory.mktemp("bare-bin"))


@pytest.fixture
def env(bin_dir, tmp_path):
    return path_env(bin_dir, tmp_path / "root")


@pytest.mark.parametrize(("argv", "group"), [
    (["env"], "env"), (["env", "config"], "env config"), (["env", "config", "vars"], "env config vars"),
    (["package"], "package"), (["--json", "env"], "env"), (["env", "--json"], "env"),
    (["-r", "/tmp/elsewhere", "package"], "package"),
])
def test_bare_group_succeeds_with_nothing_on_stdout(bin_dir, env, argv, group):
    proc = mm(bin_dir, *argv, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"usage: naja {group} [-h]"), proc.stderr


def test_quiet_bare_group_prints_nothing(bin_dir, env):
    proc = mm(bin_dir, "-q", "env", env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize("argv", [["env", "bogus"], ["package", "bogus"], ["env", "config", "vars", "bogus"]])
def test_unknown_subcommand_is_a_usage_error(bin_dir, env, argv):
    proc = mm(bin_dir, *argv, env=env)
    assert proc.returncode != 0 and "bogus" in proc.stderr and "Traceback" not in proc.stderr


def test_bare_env_leaves_the_root_prefix_alone(bin_dir, env, tmp_path):
    assert mm(bin_dir, "env", env=env).returncode == 0
    assert not (tmp_path / "root").exists()
