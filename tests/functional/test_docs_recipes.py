"""The Docker and CI recipes of ``docs/docker.md`` and ``docs/ci.md``, run command by command as the
docs show them, without a container engine or a CI service.

naja is pip-installed (not editable) from a copy of this checkout into a venv that plays the base
image's Python; ``pip install naja`` is the one command rewritten (the index off, the source local:
tests never reach the internet). The channel is the example channel on a loopback server, locked by
the docs' own ``naja lock`` command.

Docker: ``/`` of the image is a directory of the test; each ``RUN`` runs in ``sh`` with only ``PATH``
and ``HOME``; a new ``FROM`` starts an empty filesystem (the previous stage kept aside for ``COPY
--from``); the final stage's ``CMD`` runs after naja's venv and the build stage are deleted.
CI: each job runs twice in fresh workspaces and homes, the cache saved under the key the recipe
computes and restored the second time, when no package may be downloaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.support.cli import REPO
from tests.support.cli import example_channel as shared_example_channel

DOCS = REPO / "docs"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # docker's default PATH
IMAGE_ROOTS = ("/opt/", "/tmp/")  # the absolute paths the recipes may use inside an image


def code_blocks(doc: Path, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", doc.read_text(encoding="utf-8"), flags=re.S | re.M)


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def example_channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


@pytest.fixture(scope="module")
def base_python(tmp_path_factory) -> Path:
    """A venv standing for the base image's Python: no naja until a recipe pip-installs it (its
    dependencies come from this interpreter's site-packages, with no index)."""
    root = tmp_path_factory.mktemp("base-python")
    src = root / "src"
    src.mkdir()
    shutil.copytree(REPO / "naja", src / "naja", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root / "venv")
    return root


def pip_install(command: str, base: Path) -> None:
    """``pip install [options] naja``, from the local copy with no index."""
    args = shlex.split(command)
    assert args[:2] == ["pip", "install"] and args[-1] == "naja", command
    subprocess.run([sys.executable, "-m", "pip", "--python", str(base / "venv" / "bin" / "python"), "install",
                    "-q", "--disable-pip-version-check", "--no-index", "--no-build-isolation", *args[2:-1],
                    str(base / "src")], check=True, cwd=base, capture_output=True)


def sh(command: str, *, cwd: Path, env: dict[str, str], base: Path) -> subprocess.CompletedProcess[str]:
    if command.startswith("pip install"):
        pip_install(command, base)
        return subprocess.CompletedProcess(command, 0, "", "")
    res = subprocess.run(["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"{command}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture
def project(tmp_path, example_channel, serve, base_python):
    """A project directory with ``environment.yml`` and the ``conda-lock.yml`` the docs' lock command
    writes from it; returns (directory, channel server)."""
    server = serve(example_channel)
    proj = tmp_path / "project"
    proj.mkdir()
    (proj / "environment.yml").write_text(
        f"name: app\nchannels:\n  - {server.url}\ndependencies:\n  - python\n  - greet\n  - hello\n")
    pip_install("pip install naja", base_python)
    env = {"PATH": f"{base_python / 'venv' / 'bin'}:{BASE_PATH}", "HOME": str(tmp_path / "lock-home")}
    (lock_cmd,) = [line.split("#")[0].strip() for block in code_blocks(DOCS / "docker.md", "bash")
                   for line in block.splitlines() if line.strip()]
    sh(lock_cmd, cwd=proj, env=env, base=base_python)
    assert (proj / "conda-lock.yml").is_file()
    return proj, server


def _downloads(server) -> list[str]:
    return [p for _, p, _ in server.requests if p.endswith((".conda", ".tar.bz2"))]


# ------------------------------------------------------------------------------------------- docker


def _map(text: str, fs: Path) -> str:
    """Image paths (``/opt/...``, ``/tmp/...``) to the test's image root; any other absolute path in a
    recipe would escape the emulation, so it fails the test."""
    stray = [w for w in re.findall(r"(?<![\w.$/])/[\w./-]+", text) if not w.startswith(IMAGE_ROOTS)]
    assert not stray, f"unmapped absolute paths {stray} in {text!r}"
    return re.sub(r"(?<![\w.$/])/(opt|tmp)/", lambda m: f"{fs}/{m.group(1)}/", text)


def play_dockerfile(dockerfile: str, *, context: Path, work: Path, base: Path) -> str:
    """Play the instructions; returns the final ``CMD``'s stdout."""
    fs = work / "fs"
    stages: dict[str, Path] = {}
    env: dict[str, str] = {}
    prev_from = ""
    cmd: list[str] = []
    lines = dockerfile.replace("\\\n", " ").splitlines()
    for line in filter(None, (raw.strip() for raw in lines)):
        if line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        if op == "FROM":
            if fs.exists():  # a new stage: the previous one is kept aside for COPY --from
                stages[str(len(stages))] = aside = work / f"stage{len(stages)}"
                fs.rename(aside)
                for name in re.findall(r"AS (\w+)", prev_from):
                    stages[name] = aside
            prev_from = rest
            fs.mkdir(parents=True)
            (fs / "root").mkdir()
            env = {"PATH": BASE_PATH, "HOME": str(fs / "root")}
            python_base = rest.split()[0].startswith("python:")
            if python_base:  # the base image's Python (naja gets pip-installed into it)
                env["PATH"] = f"{base / 'venv' / 'bin'}:{BASE_PATH}"
        elif op == "RUN":
            sh(_map(rest, fs), cwd=fs, env=env, base=base)
        elif op == "COPY":
            args = rest.split()
            source_root = context
            if args[0].startswith("--from="):
                source_root = stages[args.pop(0).removeprefix("--from=")]
            src, dst = args
            src_path = source_root / src.lstrip("/")
            dst_path = Path(_map(dst, fs))
            dst_path.parent.mkdir(parents=True, exist_ok=True)
            if src_path.is_dir():
                shutil.copytree(src_path, dst_path, symlinks=True)
            else:
                shutil.copy2(src_path, dst_path)
        elif op == "ENV":
            key, _, value = rest.partition("=")
            env[key] = _map(value, fs).replace("$PATH", env["PATH"])
        elif op == "CMD":
            cmd = [_map(word, fs) for word in json.loads(rest)]
        else:
            raise AssertionError(f"instruction {op} not emulated: {line}")
    for aside in set(stages.values()):  # only the last stage is the image
        shutil.rmtree(aside)
    away = base / "venv-away"
    if not python_base:
        (base / "venv").rename(away)  # the final image has no naja and no build-stage Python
    try:
        res = subprocess.run(cmd, cwd=fs, env=env, capture_output=True, text=True, timeout=60)
    finally:
        if away.exists():
            away.rename(base / "venv")
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.slow
def test_docker_recipes_build_and_the_final_stage_runs_without_naja(project, tmp_path, base_python):
    proj, server = project
    multi, single = code_blocks(DOCS / "docker.md", "dockerfile")
    out = play_dockerfile(single, context=proj, work=tmp_path / "single", base=base_python)
    fs = tmp_path / "single" / "fs"
    assert out.strip() == str(fs / "opt" / "env")  # the environment's python, not the base image's
    assert (base_python / "venv" / "bin" / "naja").exists()  # single stage: naja stays in the image
    pkgs = fs / "root" / ".local" / "share" / "naja" / "pkgs"
    assert not list(pkgs.rglob("*.conda")) and not list(pkgs.rglob("*.tar.bz2"))  # clean -a: no tarballs
    assert (fs / "opt" / "env" / "bin" / "hello").is_file()

    out = play_dockerfile(multi, context=proj, work=tmp_path / "multi", base=base_python)
    fs = tmp_path / "multi" / "fs"
    assert out.strip() == str(fs / "opt" / "env")  # through the activation script, no naja, no Python
    assert (fs / "opt" / "env" / "activate").is_file()
    assert sorted(p.name for p in fs.iterdir()) == ["opt", "root"] and not any((fs / "root").iterdir())
    assert not list((fs / "opt").rglob("naja/__init__.py"))  # naja itself stayed in the build stage
    hello = subprocess.run([str(fs / "opt" / "env" / "bin" / "hello")], capture_output=True, text=True,
                           env={"PATH": BASE_PATH})
    assert hello.returncode == 0 and hello.stdout.strip(), hello.stderr
    assert _downloads(server)


# ----------------------------------------------------------------------------------------------- CI


def _github_expr(expr: str, workspace: Path) -> str:
    expr = expr.strip()
    if expr == "github.workspace":
        return str(workspace)
    if expr == "runner.os":
        return "Linux"
    m = re.fullmatch(r"hashFiles\('([^']+)'\)", expr)
    if m:
        return hashlib.sha256((workspace / m.group(1)).read_bytes()).hexdigest()
    raise AssertionError(f"expression not emulated: {expr}")


def run_github_job(job: dict, *, project: Path, work: Path, cache: dict[str, Path], base: Path) -> None:
    workspace, home = work / "workspace", work / "home"
    workspace.mkdir(parents=True)
    home.mkdir()

    def expand(value: object) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _github_expr(m.group(1), workspace), str(value))

    env = {"PATH": f"{base / 'venv' / 'bin'}:{BASE_PATH}", "HOME": str(home)}
    env.update({k: expand(v) for k, v in job.get("env", {}).items()})
    saves: list[tuple[str, Path]] = []
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            shutil.copy(project / "conda-lock.yml", workspace / "conda-lock.yml")
        elif uses.startswith("actions/setup-python@"):
            pass  # the venv is the runner's Python
        elif uses.startswith("actions/cache@"):
            key, path = expand(step["with"]["key"]), workspace / step["with"]["path"]
            if key in cache:
                shutil.copytree(cache[key], path, symlinks=True)
            else:
                saves.append((key, path))  # the action saves in its post step, when the job succeeded
        elif "run" in step:
            sh(step["run"], cwd=workspace, env=env, base=base)
        else:
            raise AssertionError(f"step not emulated: {step}")
    for key, path in saves:
        cache[key] = work / "saved-cache"
        shutil.copytree(path, cache[key], symlinks=True)


def run_gitlab_job(job: dict, *, project: Path, work: Path, cache: dict[str, Path], base: Path) -> None:
    workspace, home = work / "workspace", work / "home"
    workspace.mkdir(parents=True)
    home.mkdir()
    shutil.copy(project / "conda-lock.yml", workspace / "conda-lock.yml")
    env = {"PATH": f"{base / 'venv' / 'bin'}:{BASE_PATH}", "HOME": str(home), "CI_PROJECT_DIR": str(workspace)}
    env.update({k: str(v).replace("$CI_PROJECT_DIR", str(workspace)) for k, v in job.get("variables", {}).items()})
    files = job["cache"]["key"]["files"]
    key = hashlib.sha256(b"".join((workspace / f).read_bytes() for f in files)).hexdigest()
    (path,) = (workspace / p for p in job["cache"]["paths"])
    hit = key in cache
    if hit:
        shutil.copytree(cache[key], path, symlinks=True)
    for command in job["script"]:
        sh(command, cwd=workspace, env=env, base=base)
    if not hit:
        cache[key] = work / "saved-cache"
        shutil.copytree(path, cache[key], symlinks=True)


@pytest.mark.slow
def test_ci_recipes_cache_packages_by_the_lockfile_hash(project, tmp_path, base_python):
    from ruamel.yaml import YAML

    proj, server = project
    github, gitlab = (YAML(typ="safe").load(block) for block in code_blocks(DOCS / "ci.md", "yaml"))
    for name, job, play in (("github", github["jobs"]["test"], run_github_job),
                            ("gitlab", gitlab["test"], run_gitlab_job)):
        cache: dict[str, Path] = {}
        before = len(_downloads(server))
        play(job, project=proj, work=tmp_path / name / "run1", cache=cache, base=base_python)
        first = len(_downloads(server)) - before
        assert first >= 3 and len(cache) == 1, (name, first, cache)  # python, greet, hello and dependencies
        env_python = tmp_path / name / "run1" / "workspace" / "env" / "bin" / "python"
        assert env_python.exists()
        play(job, project=proj, work=tmp_path / name / "run2", cache=cache, base=base_python)
        assert len(_downloads(server)) - before == first, name  # the second run downloads nothing
        assert (tmp_path / name / "run2" / "workspace" / "env" / "bin" / "hello").is_file()
        assert not (tmp_path / name / "run2" / "home" / ".local" / "share" / "naja" / "pkgs").exists()
