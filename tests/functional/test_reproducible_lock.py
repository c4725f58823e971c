"""``naja lock`` and ``naja create -f conda-lock.yml`` against the conda-lock package itself: naja's
lockfiles load in ``conda_lock.lockfile.parse_conda_lock_file``, files written by conda-lock's
``write_conda_lock_file`` install with naja, multi-platform locking on the real pytorch snapshot,
categories, tampered hashes and platforms a lockfile (or a channel) lacks.

Channels are served over loopback HTTP; packages are real (../shared/data) or made by make_package.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.server import LoopbackServer
from tests.support.txn import fresh_root, prefix_records

RECIPES = "conda-test-recipes"
EMPTY_REPODATA = {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}, "repodata_version": 1}


def _host() -> str:
    from naja.types.platform import Platform

    return str(Platform.host())


@pytest.fixture(scope="module")
def snapshot_channel(tmp_path_factory, shared_data):
    """linux-64: a copy of the real pytorch snapshot's repodata (no archives needed to lock);
    osx-arm64: made-up builds of two of its names, one needing ``__osx >=11.0``; noarch: empty."""
    from tests.support.packages import make_package

    root = tmp_path_factory.mktemp("snapshot")
    (root / "linux-64").mkdir()
    shutil.copy(shared_data / "repodata" / "pytorch" / "linux-64" / "repodata.json", root / "linux-64")
    (root / "osx-arm64").mkdir()
    make_package(root / "osx-arm64", "magma-cuda92", "2.5.0", "1", subdir="osx-arm64",
                 depends=["__osx >=11.0"], files={"lib/magma.txt": "m\n"})
    make_package(root / "osx-arm64", "nccl2", "1.0", "0", subdir="osx-arm64", files={"lib/nccl.txt": "n\n"})
    naja("index", root)  # indexes osx-arm64 (the only subdir with archives)
    (root / "noarch").mkdir(exist_ok=True)
    if not (root / "noarch" / "repodata.json").exists():
        (root / "noarch" / "repodata.json").write_text(json.dumps(EMPTY_REPODATA))
    with LoopbackServer(root) as server:
        yield server.url, root


@pytest.fixture(scope="module")
def real_channel(tmp_path_factory, shared_data):
    """Installable real packages: noarch recipes, zlib (linux-64) and a stand-in libgcc-ng."""
    from tests.support.packages import make_package

    root = tmp_path_factory.mktemp("lockchan")
    (root / "noarch").mkdir()
    (root / "linux-64").mkdir()
    for dist in ("dependency-1.0-0", "dependency-2.0-0", "dependent-1.0-0", "dependent-2.0-0"):
        shutil.copy(shared_data / "packages" / RECIPES / f"{dist}.conda", root / "noarch")
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h7b6447c_3.tar.bz2", root / "linux-64")
    make_package(root / "linux-64", "libgcc-ng", "9.3.0", "h0", files={"lib/libgcc-stand-in.txt": "x\n"})
    naja("index", root)
    with LoopbackServer(root) as server:
        yield server.url


def newest(repodata: dict, name: str) -> tuple[str, dict]:
    from naja.types.version import Version

    entries = [(fn, r) for key in ("packages", "packages.conda") for fn, r in repodata.get(key, {}).items()
               if r["name"] == name]
    return max(entries, key=lambda e: (Version(e[1]["version"]), e[1].get("build_number", 0)))


# --------------------------------------------------------------------------- multi-platform lock


def test_lock_real_snapshot_for_two_platforms(snapshot_channel, tmp_path):
    from conda_lock.lockfile import parse_conda_lock_file

    url, root = snapshot_channel
    env_yml = tmp_path / "environment.yml"
    env_yml.write_text(f"name: gpu\nchannels:\n  - {url}\ndependencies:\n  - magma-cuda92\n  - nccl2\n")
    out = tmp_path / "locks" / "conda-lock.yml"
    doc = naja("lock", "-f", env_yml, "-p", "linux-64", "-p", "osx-arm64", "-o", out, "--json").json()
    assert doc["success"] and doc["lockfile"] == str(out)
    assert set(doc["platforms"]) == {"linux-64", "osx-arm64"}

    theirs = parse_conda_lock_file(out)
    assert sorted(theirs.metadata.platforms) == ["linux-64", "osx-arm64"]
    assert [c.url for c in theirs.metadata.channels] == [url]
    by_platform: dict[str, dict] = {}
    for pkg in theirs.package:
        assert pkg.manager == "conda" and pkg.categories == {"main"}
        by_platform.setdefault(pkg.platform, {})[pkg.name] = pkg
    assert set(by_platform["linux-64"]) == {"magma-cuda92", "nccl2"}
    # linux-64 comes from the real repodata: the newest build, with its exact URL and hashes
    real = json.loads((root / "linux-64" / "repodata.json").read_text())
    for name, pkg in by_platform["linux-64"].items():
        fn, rec = newest(real, name)
        assert pkg.url == f"{url}/linux-64/{fn}"
        assert (pkg.version, pkg.hash.md5, pkg.hash.sha256) == (rec["version"], rec["md5"], rec.get("sha256"))
    # osx-arm64 was solved with osx-arm64's virtual packages (__osx defaults to 11.0 there)
    osx = by_platform["osx-arm64"]
    assert set(osx) == {"magma-cuda92", "nccl2"}
    assert osx["magma-cuda92"].url == f"{url}/osx-arm64/magma-cuda92-2.5.0-1.conda"
    assert dict(osx["magma-cuda92"].dependencies) == {"__osx": ">=11.0"}
    assert not any(n.startswith("__") for p in by_platform.values() for n in p)

    # without -p, the environment file's ``platforms:`` (conda-lock's key) chooses them
    env_yml.write_text(env_yml.read_text() + "platforms:\n  - osx-arm64\n  - linux-64\n")
    again = tmp_path / "again.yml"
    doc2 = naja("lock", "-f", env_yml, "-o", again, "--json").json()
    assert doc2["platforms"] == doc["platforms"]

    # naja reads its own lockfile per platform: hashes and subdirs as locked
    from naja.environment.conda_lock import read_lockfile, to_records

    lock = read_lockfile(out)
    linux = {r.name: r for r in to_records(lock.packages_for("linux-64"))}
    assert linux["nccl2"].subdir == "linux-64" and linux["nccl2"].sha256 == by_platform["linux-64"]["nccl2"].hash.sha256


def test_lock_refuses_a_package_missing_for_one_platform(snapshot_channel, tmp_path):
    url, _ = snapshot_channel
    env_yml = tmp_path / "environment.yml"
    env_yml.write_text(f"channels: [{url}]\ndependencies: [cuda92, nccl2]\n")  # cuda92: linux-64 only
    out = tmp_path / "conda-lock.yml"
    out.write_text("# an older lockfile\n")
    res = naja("lock", "-f", env_yml, "-p", "linux-64", "-p", "osx-arm64", "-o", out, ok=False)
    assert_one_line_error(res, "osx-arm64", "cuda92")
    assert out.read_text() == "# an older lockfile\n"  # nothing written
    # the platform's virtual packages count: an older macOS cannot have the osx-arm64 build
    env_yml.write_text(f"channels: [{url}]\ndependencies: [magma-cuda92]\n")
    res = naja("lock", "-f", env_yml, "-p", "osx-arm64", "-o", out, ok=False, env={"CONDA_OVERRIDE_OSX": "10.15"})
    assert_one_line_error(res, "osx-arm64", "magma-cuda92")
    assert out.read_text() == "# an older lockfile\n"
    assert_one_line_error(naja("lock", "-f", env_yml, "-p", "no-such-platform", "-o", out, ok=False),
                          "no-such-platform")


# ------------------------------------------------------------------------- install from lockfiles


@pytest.mark.skipif(_host() != "linux-64", reason="the installable real packages are linux-64 builds")
def test_conda_lock_written_file_installs_like_a_solve(real_channel, tmp_path):
    """naja lock → conda-lock parses and rewrites it (its own writer) → naja create installs that
    file, with a fresh cache, exactly what a solve of the environment file installs."""
    from conda_lock.lockfile import parse_conda_lock_file, write_conda_lock_file

    env_yml = tmp_path / "environment.yml"
    env_yml.write_text(f"name: locked\nchannels: [{real_channel}]\ndependencies: [dependent=1.0, zlib]\n")
    ours = tmp_path / "ours" / "conda-lock.yml"
    naja("lock", "-f", env_yml, "-p", "linux-64", "-o", ours, "-q")
    theirs = tmp_path / "theirs" / "conda-lock.yml"
    theirs.parent.mkdir()
    write_conda_lock_file(parse_conda_lock_file(ours), theirs, metadata_choices=set())
    assert "generated by conda-lock" in theirs.read_text()

    env = tmp_path / "env"
    naja("create", "-p", env, "-f", env_yml, "-y", "-q")
    solved = prefix_records(env)
    assert {r["name"] for r in solved.values()} == {"dependent", "dependency", "zlib", "libgcc-ng"}
    naja("env", "remove", "-p", env, "-y")
    for label, lockfile in (("theirs", theirs), ("ours", ours)):
        naja("create", "-p", env, "-f", lockfile, "-y", "-q", env=fresh_root(tmp_path, label))
        assert prefix_records(env) == solved, label
        naja("env", "remove", "-p", env, "-y")


@pytest.mark.skipif(_host() != "linux-64", reason="the installable real packages are linux-64 builds")
def test_lock_categories_tampered_hash_and_missing_platform(real_channel, tmp_path):
    from conda_lock.lockfile import parse_conda_lock_file
    from ruamel.yaml import YAML

    main_yml = tmp_path / "main.yml"
    main_yml.write_text(f"channels: [{real_channel}]\ndependencies: [dependent=1.0]\n")
    dev_yml = tmp_path / "dev.yml"
    dev_yml.write_text(f"channels: [{real_channel}]\ndependencies: [zlib]\n")
    lockfile = tmp_path / "conda-lock.yml"
    naja("lock", "-f", main_yml, "-p", "linux-64", "-o", lockfile, "-q")
    naja("lock", "-f", dev_yml, "-p", "linux-64", "-o", tmp_path / "dev-lock.yml", "-q")
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(lockfile.read_text())
    for pkg in yaml.load((tmp_path / "dev-lock.yml").read_text())["package"]:
        doc["package"].append({**pkg, "category": "dev", "optional": True})
    with open(lockfile, "w") as fh:
        yaml.dump(doc, fh)
    cats = {p.name: p.categories for p in parse_conda_lock_file(lockfile).package}
    assert cats == {"dependent": {"main"}, "dependency": {"main"}, "zlib": {"dev"}, "libgcc-ng": {"dev"}}

    env = tmp_path / "main-only"
    naja("create", "-p", env, "-f", lockfile, "-y", "-q")
    assert {r["name"] for r in prefix_records(env).values()} == {"dependent", "dependency"}
    env = tmp_path / "with-dev"
    naja("create", "-p", env, "-f", lockfile, "--category", "main", "--category", "dev", "-y", "-q")
    assert {r["name"] for r in prefix_records(env).values()} == {"dependent", "dependency", "zlib", "libgcc-ng"}
    env = tmp_path / "dev-only"  # --category replaces the default main (micromamba)
    naja("create", "-p", env, "-f", lockfile, "--category", "dev", "-y", "-q")
    assert {r["name"] for r in prefix_records(env).values()} == {"zlib", "libgcc-ng"}

    # a forged sha256: refused, nothing created, in this cache and in a fresh one
    dep = next(p for p in doc["package"] if p["name"] == "dependency")
    forged = lockfile.read_text().replace(dep["hash"]["sha256"], "ab" * 32)
    tampered = tmp_path / "tampered-lock.yml"
    tampered.write_text(forged)
    for label in ("same-cache", "fresh-cache"):
        target = tmp_path / f"never-{label}"
        res = naja("create", "-p", target, "-f", tampered, "-y", ok=False,
                   env=fresh_root(tmp_path, label) if label == "fresh-cache" else None)
        assert_one_line_error(res, "dependency", "sha256")
        assert not target.exists()

    # a platform the lockfile does not lock
    target = tmp_path / "osx"
    res = naja("create", "-p", target, "-f", lockfile, "--platform", "osx-arm64", "-y", ok=False)
    assert_one_line_error(res, "osx-arm64", "linux-64")
    assert not target.exists()
    # a lockfile entry whose URL is for another platform than it claims
    wrong = lockfile.read_text().replace(f"{real_channel}/linux-64/", f"{real_channel}/osx-64/")
    (tmp_path / "wrong-lock.yml").write_text(wrong)
    res = naja("create", "-p", target, "-f", tmp_path / "wrong-lock.yml", "--category", "dev", "-y", ok=False)
    assert_one_line_error(res, "osx-64", "linux-64")
    assert not target.exists()
    assert os.path.exists(lockfile)
