"""Reproducible environments through the real ``naja`` executable: ``@EXPLICIT`` files written by
``list --explicit`` / ``env export --explicit`` (``#<md5>`` and ``#sha256:<hex>``), environment.yml
round trips (name, channels, dependencies, ``pip:``, ``variables``, ``prefix``), and refusals
(tampered hashes, packages for another platform) that leave nothing installed.

Channels are served over loopback HTTP: real packages from ../shared/data plus make_package ones.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.server import LoopbackServer
from tests.support.txn import fresh_root, prefix_records

RECIPES = "conda-test-recipes"
HOST_ONLY = pytest.mark.skipif(os.name == "nt", reason="the fake python is a POSIX shell script")

# A stand-in python: ``-c 'import pip'`` succeeds, ``-m pip install ...`` records its arguments and
# working directory in the prefix (the placeholder is replaced with the prefix at install).
FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-c" ]; then exit 0; fi
{
  echo "cwd=$(pwd)"; prev=""
  for a in "$@"; do
    echo "arg=$a"
    if [ "$prev" = "-r" ]; then sed 's/^/req=/' "$a"; fi
    prev="$a"
  done
} > /opt/anaconda1anaconda2anaconda3/pip-call.txt
"""
PIPLESS_PYTHON = """#!/bin/sh
echo "No module named pip" >&2
exit 1
"""


@pytest.fixture(scope="module")
def channel(tmp_path_factory, shared_data):
    """Real noarch recipes and real zlib (linux-64 and osx-64 builds), a stand-in libgcc-ng, and a
    fake python/pip, indexed by ``naja index`` and served over HTTP."""
    from tests.support.packages import make_package

    root = tmp_path_factory.mktemp("repro-chan")
    for sub in ("noarch", "linux-64", "osx-64"):
        (root / sub).mkdir()
    for dist in ("dependency-1.0-0", "dependency-2.0-0", "dependent-1.0-0", "dependent-2.0-0"):
        shutil.copy(shared_data / "packages" / RECIPES / f"{dist}.conda", root / "noarch")
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h7b6447c_3.tar.bz2", root / "linux-64")
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h1de35cc_3.conda", root / "osx-64")
    make_package(root / "linux-64", "libgcc-ng", "9.3.0", "h0", files={"lib/libgcc-stand-in.txt": "x\n"})
    make_package(root / "linux-64", "python", "3.12.0", "h0", files={"bin/python": FAKE_PYTHON})
    make_package(root / "linux-64", "python", "3.11.0", "h0", files={"bin/python": PIPLESS_PYTHON})
    make_package(root / "noarch", "pip", "24.0", "pyh0", noarch="generic", depends=["python >=3.8"],
                 files={"share/pip-stand-in.txt": "pip\n"})
    naja("index", root)
    with LoopbackServer(root) as server:
        yield server.url


def _host() -> str:
    from naja.types.platform import Platform

    return str(Platform.host())


@pytest.fixture(autouse=True)
def _linux_only():
    if _host() != "linux-64":
        pytest.skip("the real packages here are linux-64 builds")


def pip_call(prefix: Path) -> dict[str, list[str]]:
    """What the stand-in python was run with: ``cwd``, ``arg`` (argv) and ``req`` (requirements)."""
    out: dict[str, list[str]] = {"cwd": [], "arg": [], "req": []}
    for line in (prefix / "pip-call.txt").read_text().splitlines():
        key, _, value = line.partition("=")
        out[key].append(value)
    return out


def explicit_urls(text: str) -> list[str]:
    lines = text.splitlines()
    return [line for line in lines[lines.index("@EXPLICIT") + 1:] if line and not line.startswith("#")]


# ------------------------------------------------------------------------------ @EXPLICIT files


def test_explicit_round_trip_md5_and_sha256(channel, tmp_path):
    env = tmp_path / "env"
    naja("create", "-p", env, "-c", channel, "dependent=1.0", "zlib", "-y", "-q")
    original = prefix_records(env)
    assert {r["name"] for r in original.values()} == {"dependent", "dependency", "zlib", "libgcc-ng"}

    by_sha = naja("list", "-p", env, "--explicit", "--sha256").stdout
    by_md5 = naja("env", "export", "-p", env, "--explicit").stdout  # #md5 is env export's default
    plain = naja("list", "-p", env, "--explicit").stdout
    assert "# platform: linux-64" in by_sha and "# platform: linux-64" in by_md5
    sha = {r["url"]: r["sha256"] for r in original.values()}
    md5 = {r["url"]: r["md5"] for r in original.values()}
    assert sorted(explicit_urls(by_sha)) == sorted(f"{u}#sha256:{h}" for u, h in sha.items())
    assert sorted(explicit_urls(by_md5)) == sorted(f"{u}#{h}" for u, h in md5.items())
    assert sorted(explicit_urls(plain)) == sorted(sha)
    # dependencies come before what needs them (CEP 23: SHOULD be topologically sorted)
    order = [u.rsplit("/", 1)[1] for u in explicit_urls(by_sha)]
    assert order.index("dependency-1.0-0.conda#sha256:" + sha[f"{channel}/noarch/dependency-1.0-0.conda"]) \
        < order.index("dependent-1.0-0.conda#sha256:" + sha[f"{channel}/noarch/dependent-1.0-0.conda"])
    sha256_with = naja("env", "export", "-p", env, "--explicit", "--sha256").stdout
    assert sorted(explicit_urls(sha256_with)) == sorted(explicit_urls(by_sha))

    files = {"sha": by_sha, "md5": by_md5, "plain": plain}
    naja("env", "remove", "-p", env, "-y")
    (tmp_path / "sha.txt").write_text(by_sha)
    # --dry-run shows what would be fetched and linked, and downloads nothing
    dry = naja("create", "-p", env, "-f", tmp_path / "sha.txt", "--dry-run", "--json",
               env=fresh_root(tmp_path, "dry")).json()
    wanted = {r["name"] for r in original.values()}
    assert {a["name"] for a in dry["actions"]["LINK"]} == wanted == {a["name"] for a in dry["actions"]["FETCH"]}
    assert not env.exists() and not (tmp_path / "root-dry" / "pkgs").exists()
    for label, text in files.items():
        path = tmp_path / f"{label}.txt"
        path.write_text(text)
        # same target path (prefix replacement depends on it), a fresh package cache
        naja("create", "-p", env, "-f", path, "-y", "-q", env=fresh_root(tmp_path, label))
        assert prefix_records(env) == original, label
        history = (env / "conda-meta" / "history").read_text()
        assert "+" in history and "dependent-1.0-0" in history
        naja("env", "remove", "-p", env, "-y")


def test_explicit_accepts_bare_sha256_and_installs_without_a_solve(channel, tmp_path):
    """A bare 64-digit hash is a sha256 (conda's ``list --explicit --sha256`` writes it so), and
    no dependency is added: exactly the listed packages are installed."""
    env = tmp_path / "src"
    naja("create", "-p", env, "-c", channel, "dependent=2.0", "-y", "-q")
    dep = next(r for r in prefix_records(env).values() if r["name"] == "dependent")
    path = tmp_path / "one.txt"
    path.write_text(f"# platform: linux-64\n@EXPLICIT\n{dep['url']}#{dep['sha256']}\n")
    target = tmp_path / "one"
    naja("create", "-p", target, "-f", path, "-y", "-q", env=fresh_root(tmp_path, "one"))
    assert [r["name"] for r in prefix_records(target).values()] == ["dependent"]
    assert prefix_records(target)["dependent-2.0-0.json"]["depends"] == dep["depends"]


def test_tampered_hash_refused_nothing_installed(channel, tmp_path):
    env = tmp_path / "good"
    naja("create", "-p", env, "-c", channel, "dependent=1.0", "-y", "-q")
    text = naja("list", "-p", env, "--explicit", "--sha256").stdout
    dep = next(r for r in prefix_records(env).values() if r["name"] == "dependency")
    forged = "0" * 64
    tampered = tmp_path / "tampered.txt"
    tampered.write_text(text.replace(dep["sha256"], forged))
    target = tmp_path / "never"
    # the package is in this cache (extracted and as a tarball): neither may be taken for the forgery
    res = naja("create", "-p", target, "-f", tampered, "-y", ok=False)
    assert_one_line_error(res, "dependency", forged[:16])
    assert not target.exists()
    # a fresh cache: the download itself is refused
    res = naja("create", "-p", target, "-f", tampered, "-y", ok=False, env=fresh_root(tmp_path, "t"))
    assert_one_line_error(res, "dependency", "sha256")
    assert not target.exists()

    md5_text = naja("env", "export", "-p", env, "--explicit").stdout
    bad_md5 = tmp_path / "bad-md5.txt"
    bad_md5.write_text(md5_text.replace(dep["md5"], "f" * 32))
    assert_one_line_error(naja("create", "-p", target, "-f", bad_md5, "-y", ok=False), "md5")
    assert not target.exists()

    # into an existing environment: it is left exactly as it was
    before = prefix_records(env)
    other = tmp_path / "other"
    naja("create", "-p", other, "-c", channel, "dependent=2.0", "-y", "-q")
    text2 = naja("list", "-p", other, "--explicit", "--md5").stdout
    dep2 = next(r for r in prefix_records(other).values() if r["name"] == "dependent")
    bad2 = tmp_path / "bad2.txt"
    bad2.write_text(text2.replace(dep2["md5"], "e" * 32))
    assert_one_line_error(naja("install", "-p", env, "-f", bad2, "-y", ok=False), "md5")
    assert prefix_records(env) == before

    garbage = tmp_path / "garbage.txt"
    garbage.write_text(f"@EXPLICIT\n{dep['url']}#not-a-hash\n")
    assert_one_line_error(naja("create", "-p", target, "-f", garbage, "-y", ok=False), "garbage.txt", "hash")
    assert not target.exists()


def test_package_for_another_platform_refused(channel, tmp_path):
    path = tmp_path / "osx.txt"
    path.write_text(f"# platform: osx-64\n@EXPLICIT\n{channel}/noarch/dependency-1.0-0.conda\n"
                    f"{channel}/osx-64/zlib-1.2.11-h1de35cc_3.conda\n")
    target = tmp_path / "osx"
    res = naja("create", "-p", target, "-f", path, "-y", ok=False)
    assert_one_line_error(res, "zlib-1.2.11-h1de35cc_3.conda", "osx-64", "linux-64")
    assert not target.exists()


# ---------------------------------------------------------------------------- environment.yml


@HOST_ONLY
def test_environment_yml_round_trip_with_pip_and_variables(channel, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    yml = project / "environment.yml"
    yml.write_text(f"name: repro\nchannels:\n  - {channel}\ndependencies:\n  - python=3.12\n  - dependent=1.0\n"
                   "  - pip:\n    - requests==2.31.0\n    - -e ./src\nvariables:\n  FOO: bar\n  LEVEL: '3'\n")
    naja("env", "create", "-f", yml, "-y", "-q")
    prefix = Path(os.environ["NAJA_ROOT_PREFIX"]) / "envs" / "repro"
    names = {r["name"] for r in prefix_records(prefix).values()}
    assert names == {"python", "pip", "dependent", "dependency"}  # pip is added for the pip: section
    # pip ran with the environment's python, after the conda packages, from the file's directory
    call = pip_call(prefix)
    assert call["cwd"] == [str(project)]
    assert call["arg"][:5] == ["-m", "pip", "install", "-U", "-r"]
    assert call["req"] == ["requests==2.31.0", "-e ./src"]
    requirements = Path(call["arg"][5])
    assert requirements.parent == project and not requirements.exists()  # next to the file, then removed
    state = json.loads((prefix / "conda-meta" / "state").read_text())
    assert state["env_vars"] == {"FOO": "bar", "LEVEL": "3"}

    # what pip installed shows in the export's pip: section (conda-installed dists do not)
    site = prefix / "lib" / "python3.12" / "site-packages"
    for name, version, installer in (("requests", "2.31.0", "pip"), ("condaone", "1.0", "conda")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
        (info / "INSTALLER").write_text(installer + "\n")
    exported = naja("env", "export", "-n", "repro").stdout
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(exported)
    assert doc["name"] == "repro" and doc["channels"] == [channel] and doc["prefix"] == str(prefix)
    assert doc["variables"] == {"FOO": "bar", "LEVEL": "3"}
    assert {"pip": ["requests==2.31.0"]} in doc["dependencies"]
    assert "dependent=1.0=0" in doc["dependencies"] and "python=3.12.0=h0" in doc["dependencies"]
    no_build = YAML(typ="safe").load(naja("env", "export", "-n", "repro", "--no-build").stdout)
    assert "dependent=1.0" in no_build["dependencies"]
    hist = YAML(typ="safe").load(naja("env", "export", "-n", "repro", "--from-history").stdout)
    assert {"python=3.12", "dependent=1.0"} <= {d for d in hist["dependencies"] if isinstance(d, str)}

    # the export recreates the environment elsewhere: same packages, variables, pip section
    out = tmp_path / "exported.yml"
    out.write_text(exported)
    copy = tmp_path / "copy"
    naja("env", "create", "-p", copy, "-f", out, "-y", "-q", env=fresh_root(tmp_path, "yml"))
    mine = {n: {k: v for k, v in r.items() if k != "paths_data" and k != "files"} for n, r in prefix_records(copy).items()}
    theirs = {n: {k: v for k, v in r.items() if k != "paths_data" and k != "files"}
              for n, r in prefix_records(prefix).items()}
    assert mine == theirs
    assert json.loads((copy / "conda-meta" / "state").read_text())["env_vars"] == {"FOO": "bar", "LEVEL": "3"}
    call = pip_call(copy)
    assert call["cwd"] == [str(tmp_path)] and call["req"] == ["requests==2.31.0"]


def test_environment_yml_prefix_key(channel, tmp_path):
    """``prefix:`` places the environment when the file has no name and no -n/-p is given."""
    target = tmp_path / "by-prefix"
    yml = tmp_path / "env.yml"
    yml.write_text(f"channels: [{channel}]\ndependencies: [dependency=2.0]\nprefix: {target}\n")
    naja("create", "-f", yml, "-y", "-q")
    assert [r["version"] for r in prefix_records(target).values()] == ["2.0"]
    other = tmp_path / "by-flag"
    naja("create", "-p", other, "-f", yml, "-y", "-q")  # -p wins over the file's prefix
    assert [r["name"] for r in prefix_records(other).values()] == ["dependency"]


@HOST_ONLY
def test_pip_section_without_pip_is_a_clear_error(channel, tmp_path):
    yml = tmp_path / "env.yml"
    yml.write_text(f"channels: [{channel}]\ndependencies:\n  - python=3.11\n  - pip:\n    - requests\n")
    res = naja("create", "-p", tmp_path / "nopip", "-f", yml, "-y", ok=False)
    assert_one_line_error(res, "pip is not installed", str(tmp_path / "nopip"))


def test_install_explicit_into_an_existing_environment_keeps_the_rest(channel, tmp_path):
    """``install -f explicit.txt`` links the listed packages (replacing same-named ones) and leaves the
    other packages alone, as conda's explicit install does."""
    src = tmp_path / "src"
    naja("create", "-p", src, "-c", channel, "zlib", "dependency=2.0", "-y", "-q")
    text = naja("list", "-p", src, "--explicit", "--sha256").stdout
    env = tmp_path / "env"
    naja("create", "-p", env, "-c", channel, "dependent=1.0", "-y", "-q")
    path = tmp_path / "add.txt"
    path.write_text(text)
    naja("install", "-p", env, "-f", path, "-y", "-q")
    got = {r["name"]: r["version"] for r in prefix_records(env).values()}
    assert got == {"dependent": "1.0", "dependency": "2.0", "zlib": "1.2.11", "libgcc-ng": "9.3.0"}
    mine, theirs = (prefix_records(p)["zlib-1.2.11-h7b6447c_3.json"] for p in (env, src))
    mine.pop("paths_data")  # holds hashes of files with the prefix (which differs) written into them
    theirs.pop("paths_data")
    assert mine == theirs


@HOST_ONLY
def test_lockfile_pip_entries_installed_after_conda_with_hashes(channel, tmp_path):
    """pip entries of a conda-lock file go to the environment's pip once the conda packages are in,
    pinned to their URL and sha256 (pip's hash-checking mode)."""
    from ruamel.yaml import YAML

    yml = tmp_path / "environment.yml"
    yml.write_text(f"channels: [{channel}]\ndependencies: [python=3.12, pip]\n")
    lockfile = tmp_path / "conda-lock.yml"
    naja("lock", "-f", yml, "-p", "linux-64", "-o", lockfile, "-q")
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(lockfile.read_text())
    wheel = "https://files.example.invalid/requests-2.31.0-py3-none-any.whl"
    doc["package"].append({"name": "requests", "version": "2.31.0", "manager": "pip", "platform": "linux-64",
                           "dependencies": {}, "url": wheel, "hash": {"sha256": "cd" * 32},
                           "category": "main", "optional": False})
    with open(lockfile, "w") as fh:
        yaml.dump(doc, fh)
    from conda_lock.lockfile import parse_conda_lock_file

    assert {p.manager for p in parse_conda_lock_file(lockfile).package} == {"conda", "pip"}
    env = tmp_path / "env"
    naja("create", "-p", env, "-f", lockfile, "-y", "-q")
    assert {r["name"] for r in prefix_records(env).values()} == {"python", "pip"}
    assert pip_call(env)["req"] == [f"requests @ {wheel} --hash=sha256:{'cd' * 32}"]


def test_explicit_local_paths_with_variables(shared_data, tmp_path):
    """CEP 23: a line may be a local path, with ``~`` and environment variables expanded; the
    subdir then comes from the package, not from the directory it happens to sit in."""
    pkgs = tmp_path / "downloads"
    pkgs.mkdir()
    shutil.copy(shared_data / "packages" / RECIPES / "dependency-1.0-0.conda", pkgs)
    home = Path(os.environ["HOME"])
    shutil.copy(shared_data / "packages" / RECIPES / "dependent-1.0-0.conda", home)
    path = tmp_path / "local.txt"
    path.write_text("@EXPLICIT\n$REPRO_PKGS/dependency-1.0-0.conda\n~/dependent-1.0-0.conda\n")
    env = tmp_path / "env"
    naja("create", "-p", env, "-f", path, "-y", "-q", env={"REPRO_PKGS": str(pkgs)})
    got = prefix_records(env)
    assert got["dependency-1.0-0.json"]["url"] == (pkgs / "dependency-1.0-0.conda").as_uri()
    assert got["dependent-1.0-0.json"]["url"] == (home / "dependent-1.0-0.conda").as_uri()
    assert {r["subdir"] for r in got.values()} == {"noarch"}
    assert got["dependent-1.0-0.json"]["depends"] == ["dependency >=1.0,<2.0a0"]
