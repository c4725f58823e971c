"""hatch-conda and metaflow's ``@conda`` driving naja as ``micromamba`` (issue 16), offline.

Both ask the channel for real Python packages: ``pip`` (every ``python`` depends on it under
``add_pip_as_python_dependency``, which metaflow sets through ``MAMBA_ADD_PIP_AS_PYTHON_DEPENDENCY``
and hatch-conda requests) and, for metaflow, ``requests`` (pinned into every ``@conda`` environment).
They are repackaged from this interpreter's installed distributions (``tests.support.dists``) into a
copy of the example channel, whose ``python`` runs this interpreter.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.clients.test_clients import client, run
from tests.support.cli import example_channel as shared_example_channel
from tests.support.micromamba import install_micromamba, path_env, require_client

require_client("hatch_conda")
require_client("metaflow")

pytestmark = pytest.mark.slow

REQUESTS = [("pip", []), ("requests", ["charset-normalizer", "idna", "urllib3", "certifi"]),
            ("urllib3", []), ("idna", []), ("certifi", []), ("charset_normalizer", [])]


@pytest.fixture
def env(tmp_path):
    """PATH starts with a ``micromamba`` running naja; HOME and the root prefix are the test's own."""
    bin_dir = install_micromamba(tmp_path / "bin")
    return path_env(bin_dir, tmp_path / "root", {"HOME": str(tmp_path / "home"),
                                                 "XDG_DATA_HOME": str(tmp_path / "home" / "data")})


@pytest.fixture(scope="module")
def py_channel(tmp_path_factory):
    from naja.repodata.channel_index import index_channel
    from tests.support.dists import package_distribution

    local = tmp_path_factory.mktemp("py-channel") / "channel"
    shutil.copytree(shared_example_channel(tmp_path_factory), local)
    for dist, depends in REQUESTS:
        package_distribution(local, dist, depends=depends)
    index_channel(local)
    return local


def _mambarc(env: dict[str, str], channel: Path) -> None:
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".mambarc").write_text(f"channels:\n  - {channel.as_uri()}\n")


def test_hatch_conda_env_create_and_run(py_channel, tmp_path, env):
    """``hatch run`` creates the environment with ``micromamba create -y python=X.Y pip -n NAME``,
    finds it through ``info --name`` (``env location : PATH``) and runs the program with
    ``micromamba run -n NAME``; ``hatch env remove`` removes it."""
    _mambarc(env, py_channel)
    env = {**env, "HATCH_DATA_DIR": str(tmp_path / "hatch-data"), "HATCH_CACHE_DIR": str(tmp_path / "hc")}
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\n\n'
        '[tool.hatch.envs.default]\ntype = "conda"\ncommand = "micromamba"\n'
        'conda-forge = false\nskip-install = true\n')
    out = run([client("hatch"), "run", "python", "-c",
               "import sys, pip; print(sys.prefix); print(pip.__file__)"], env, cwd=project).stdout
    prefix = Path(env["MAMBA_ROOT_PREFIX"]) / "envs"
    lines = out.strip().splitlines()
    assert lines[-2].startswith(str(prefix)), out
    env_prefix = Path(lines[-2])
    assert lines[-1].startswith(str(env_prefix / "lib")), out  # pip from the environment
    assert list((env_prefix / "conda-meta").glob("python-*.json"))
    run([client("hatch"), "env", "remove", "default"], env, cwd=project)
    assert not (env_prefix / "conda-meta").exists()


FLOW = '''
import sys
from metaflow import FlowSpec, step, conda_base


@conda_base(libraries={"greet": "%s"})
class HelloFlow(FlowSpec):
    @step
    def start(self):
        import requests
        print("PREFIX", sys.prefix)
        print("REQUESTS", requests.__file__)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    HelloFlow()
'''


def _metaflow_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**env, "USERNAME": "t", "METAFLOW_HOME": str(tmp_path / "mf-home"),
            "METAFLOW_DEFAULT_DATASTORE": "local", "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(tmp_path / "ds")}


def test_metaflow_conda_flow_runs_in_its_environment(py_channel, tmp_path, env):
    """``python flow.py --environment=conda run``: metaflow solves with ``create --dry-run`` under
    MAMBA_JSON, downloads and creates with ``--no-deps`` from the solved URLs, finds the prefix in
    ``env list``; the step runs with the environment's python and imports its ``requests``."""
    _mambarc(env, py_channel)
    env = _metaflow_env(env, tmp_path)
    (tmp_path / "flow.py").write_text(FLOW % "0.1.0")
    proc = run([sys.executable, "flow.py", "--no-pylint",
                "--environment=conda", "run"], env, cwd=tmp_path)
    text = proc.stdout + proc.stderr
    prefixes = list((Path(env["MAMBA_ROOT_PREFIX"]) / "envs" / "metaflow").glob("*/*"))
    assert len(prefixes) == 1, text
    prefix = prefixes[0]
    assert f"PREFIX {prefix}" in text
    assert f"REQUESTS {prefix}/lib/" in text
    names = {json.loads(p.read_text())["name"] for p in (prefix / "conda-meta").glob("*.json")}
    assert {"python", "pip", "greet", "requests", "urllib3"} <= names  # pip: add_pip_as_python_dependency


def test_metaflow_shows_solver_problems(py_channel, tmp_path, env):
    """An unsatisfiable ``@conda``: metaflow reads ``solver_problems`` (strings) from the error JSON
    and shows them."""
    import subprocess

    _mambarc(env, py_channel)
    env = _metaflow_env(env, tmp_path)
    (tmp_path / "flow.py").write_text(FLOW % "9.9")
    proc = subprocess.run([sys.executable, "flow.py", "--no-pylint", "--environment=conda", "run"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "nothing provides requested greet==9.9" in proc.stdout + proc.stderr
