"""Real clients of micromamba driving naja (issue 16): conda-lock, pre-commit, ensureconda, nox, conda-pack.

Each client is the PyPI package pinned in the ``test`` extra, run as its users run it, offline, with
a ``micromamba`` on PATH that runs this checkout's naja and a local channel built by naja
(``examples/build_channel.py``). Each test asserts the environment exists and its program runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import example_channel as shared_example_channel
from tests.support.micromamba import install_micromamba, path_env, require_client

conda_lock = require_client("conda_lock")


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


@pytest.fixture
def bin_dir(tmp_path):
    return install_micromamba(tmp_path / "bin")


@pytest.fixture
def env(bin_dir, tmp_path):
    # conda-lock looks for micromamba on PATH (through ensureconda) and in its own install directory
    return path_env(bin_dir, tmp_path / "root", {"HOME": str(tmp_path / "home"),
                                                 "XDG_DATA_HOME": str(tmp_path / "home" / "data")})


def run(argv, env, cwd=None, timeout=300):
    proc = subprocess.run([str(a) for a in argv], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{argv}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def client(name: str) -> str:
    """The client's console script beside this interpreter (where pip put it), else on PATH."""
    here = Path(sys.executable).with_name(name)
    found = str(here) if here.is_file() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def greet_runs(prefix: Path, env: dict[str, str]) -> None:
    out = run([prefix / "bin" / "greet", "naja"], env).stdout
    assert out.strip() == f"greetings, naja, from {prefix}"


def test_conda_lock_lock_and_install(channel, tmp_path, env):
    """``conda-lock lock --micromamba`` then ``install -p`` and ``install -n`` (the latter needs
    micromamba's version: conda-lock < 0.17 would point MAMBA_ROOT_PREFIX at a temporary directory)."""
    work = tmp_path / "project"
    work.mkdir()
    (work / "environment.yml").write_text(f"channels:\n  - {channel.as_uri()}\ndependencies:\n  - greet\n")
    run([client("conda-lock"), "lock", "--micromamba", "-f", "environment.yml", "-p", "linux-64"], env, cwd=work)
    lock = (work / "conda-lock.yml").read_text()
    assert "name: greet" in lock and "name: python" in lock
    prefix = tmp_path / "by-path"
    run([client("conda-lock"), "install", "--micromamba", "-p", prefix, "conda-lock.yml"], env, cwd=work)
    greet_runs(prefix, env)
    run([client("conda-lock"), "install", "--micromamba", "-n", "named", "conda-lock.yml"], env, cwd=work)
    greet_runs(tmp_path / "root" / "envs" / "named", env)


def test_pre_commit_conda_hook(channel, tmp_path, env):
    """``language: conda`` with PRE_COMMIT_USE_MICROMAMBA: ``env create -p ENV --file environment.yml``
    without -y and stdin at end of file, then ``install -p ENV`` for additional_dependencies."""
    git = shutil.which("git")
    if git is None:
        pytest.fail("git is needed for the pre-commit test")
    env = {**env, "PRE_COMMIT_USE_MICROMAMBA": "1", "PRE_COMMIT_HOME": str(tmp_path / "pc-home"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}
    # the additional dependencies are installed from the configured channels, as with micromamba
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".mambarc").write_text(f"channels:\n  - {channel.as_uri()}\n")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "environment.yml").write_text(f"channels:\n  - {channel.as_uri()}\ndependencies:\n  - greet\n")
    (hooks / ".pre-commit-hooks.yaml").write_text(
        "- id: greet\n  name: greet\n  entry: greet pre-commit\n  language: conda\n"
        "  pass_filenames: false\n  always_run: true\n  verbose: true\n")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "hooks"]):
        run([git, *argv], env, cwd=hooks)
    rev = run([git, "rev-parse", "HEAD"], env, cwd=hooks).stdout.strip()
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: greet\n"
        "    additional_dependencies: [libhello]\n")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "config"]):
        run([git, *argv], env, cwd=project)
    out = run([client("pre-commit"), "run", "--all-files"], env, cwd=project).stdout
    assert "greetings, pre-commit, from" in out
    prefixes = list((tmp_path / "pc-home").glob("repo*/conda-default"))
    assert len(prefixes) == 1
    assert (prefixes[0] / "share" / "hello" / "greeting.txt").is_file()  # libhello, the extra dependency
    greet_runs(prefixes[0], env)


def test_ensureconda_finds_naja_as_micromamba_and_mamba(tmp_path, env, bin_dir):
    """ensureconda keeps an executable only if ``--version`` is at least its minimum (0.7.3 by
    default): naja must answer with the micromamba version it implements."""
    base = [client("ensureconda"), "--no-conda", "--no-conda-exe", "--no-install"]
    out = run([*base, "--micromamba", "--no-mamba", "--min-mamba-version", "2.0"], env).stdout
    assert out.strip() == str(bin_dir / "micromamba")
    out = run([*base, "--no-micromamba", "--mamba", "--min-mamba-version", "2.0"], env).stdout
    assert out.strip() == str(bin_dir / "mamba")


def test_conda_pack_pack_unpack(channel, tmp_path, env, bin_dir):
    """conda-pack packs an environment naja created; after ``conda-unpack`` the moved environment's
    files name the new location."""
    import tarfile

    prefix = tmp_path / "env"
    run([bin_dir / "micromamba", "create", "-y", "-q", "-p", prefix, "-c", channel, "hello"], env)
    archive = tmp_path / "env.tar.gz"
    run([client("conda-pack"), "-p", prefix, "-o", archive], env)
    moved = tmp_path / "moved"
    moved.mkdir()
    with tarfile.open(archive) as tf:
        tf.extractall(moved, filter="tar")
    run([moved / "bin" / "conda-unpack"], env)
    assert str(prefix) not in (moved / "bin" / "hello").read_text()
    assert run([moved / "bin" / "hello"], env).stdout.strip() == "Hello from naja!"


def test_nox_micromamba_backend(channel, tmp_path, env):
    """nox's ``venv_backend="micromamba"``: ``create --yes --prefix P --channel=CH pip python`` then
    ``install --yes --channel=CH --prefix P greet``; the session runs greet from the environment."""
    from naja.repodata.channel_index import index_channel
    from tests.support.packages import make_package

    local = tmp_path / "channel"
    shutil.copytree(channel, local)
    make_package(local / "noarch", "pip", "24.0", noarch="generic", files={"share/pip-marker": "pip"})
    index_channel(local)
    project = tmp_path / "project"
    project.mkdir()
    (project / "noxfile.py").write_text(
        "import nox\n\n"
        f"CH = {local.as_uri()!r}\n\n"
        "@nox.session(venv_backend='micromamba', venv_params=['--channel', CH])\n"
        "def hi(session):\n"
        "    session.conda_install('greet', channel=CH)\n"
        "    session.run('greet', 'nox')\n")
    out = run([client("nox"), "-f", "noxfile.py", "--no-color"], env, cwd=project)
    assert "Session hi was successful" in out.stdout + out.stderr
    prefix = project / ".nox" / "hi"
    assert (prefix / "share" / "pip-marker").is_file()
    greet_runs(prefix, env)
