"""create / install / update / remove / list / env through the real ``naja`` executable, against
channels served over loopback HTTP (real packages from ../shared/data plus packages made here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.cli import example_channel as shared_example_channel
from tests.support.server import LoopbackServer

RECIPES = "conda-test-recipes"
REAL_NOARCH = ("dependency-1.0-0", "dependency-2.0-0", "dependent-1.0-0", "dependent-2.0-0",
               "another_dependent-1.0-0", "unsatisfiable-1.0-0", "versioned-1.0-0", "versioned-2.0-0")


def _host_subdir() -> str:
    from naja.types.platform import Platform

    return str(Platform.host())


@pytest.fixture(scope="module")
def real_channel(tmp_path_factory, shared_data):
    """Real conda-test-recipes (noarch) and zlib (linux-64), plus a stand-in libgcc-ng, indexed by
    ``naja index`` and served over HTTP."""
    from tests.support.packages import make_package

    root = tmp_path_factory.mktemp("realchan")
    (root / "noarch").mkdir()
    (root / "linux-64").mkdir()
    for dist in REAL_NOARCH:
        shutil.copy(shared_data / "packages" / RECIPES / f"{dist}.conda", root / "noarch")
    # the .tar.bz2 build: the .conda one has symlinks with empty targets, which extraction refuses
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h7b6447c_3.tar.bz2", root / "linux-64")
    make_package(root / "linux-64", "libgcc-ng", "9.3.0", "h0", subdir="linux-64",
                 files={"lib/libgcc-stand-in.txt": "not a real libgcc\n"})
    naja("index", root)
    with LoopbackServer(root) as server:
        yield server.url


@pytest.fixture(scope="module")
def prio_channels(tmp_path_factory):
    """Two channels with the same package name: ``prio`` 1.0 in A, 2.0 in B."""
    from tests.support.packages import make_channel

    base = tmp_path_factory.mktemp("prio")
    a = make_channel(base / "a", [dict(name="prio", version="1.0", noarch="generic",
                                       files={"share/prio/a.txt": "A\n"})])
    b = make_channel(base / "b", [dict(name="prio", version="2.0", noarch="generic",
                                       files={"share/prio/b.txt": "B\n"})])
    with LoopbackServer(a) as sa, LoopbackServer(b) as sb:
        yield sa.url, sb.url


@pytest.fixture(scope="module")
def example_channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


def root() -> Path:
    return Path(os.environ["NAJA_ROOT_PREFIX"])


def installed(prefix: Path) -> dict[str, str]:
    """name -> version from conda-meta."""
    out = {}
    for f in (prefix / "conda-meta").glob("*.json"):
        data = json.loads(f.read_text())
        out[data["name"]] = data["version"]
    return out


def names(actions: list[dict]) -> dict[str, str]:
    return {a["name"]: a["version"] for a in actions}


# ------------------------------------------------------------------------------------- main job


def test_readme_main_job_offline_examples(example_channel, tmp_path):
    """The README's first command: the example channel as a local path, hello and a noarch python
    package with an entry point."""
    env = tmp_path / "demo-env"
    naja("create", "-y", "-p", env, "-c", example_channel, "hello", "greet")
    out = subprocess.run([str(env / "bin" / "hello")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Hello from naja!"
    out = subprocess.run([str(env / "bin" / "greet"), "tester"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"greetings, tester, from {env}"
    assert set(installed(env)) == {"hello", "libhello", "greet", "python"}
    # registered, so env list shows it
    envs = naja("env", "list", "--json").json()["envs"]
    assert str(env) in envs


# --------------------------------------------------------------------------- create/install/…


def test_create_update_remove_by_name(real_channel):
    res = naja("create", "-n", "life", "-c", real_channel, "dependent=1.0", "--json")
    doc = res.json()
    prefix = root() / "envs" / "life"
    assert doc["success"] is True and doc["dry_run"] is False
    assert doc["actions"]["PREFIX"] == str(prefix)
    assert names(doc["actions"]["LINK"]) == {"dependent": "1.0", "dependency": "1.0"}
    link = {a["name"]: a for a in doc["actions"]["LINK"]}
    assert link["dependent"]["url"] == f"{real_channel}/noarch/dependent-1.0-0.conda"
    assert link["dependent"]["build_string"] == "0"
    assert {a["name"] for a in doc["actions"]["FETCH"]} == {"dependent", "dependency"}
    assert installed(prefix) == {"dependent": "1.0", "dependency": "1.0"}
    history = (prefix / "conda-meta" / "history").read_text()
    assert "+" in history and "dependent" in history

    doc = naja("update", "-n", "life", "-c", real_channel, "dependent", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"dependent": "2.0", "dependency": "2.0"}
    assert names(doc["actions"]["UNLINK"]) == {"dependent": "1.0", "dependency": "1.0"}
    assert installed(prefix) == {"dependent": "2.0", "dependency": "2.0"}

    naja("install", "-n", "life", "-c", real_channel, "versioned=1.0", "-y")
    # removing dependent also removes dependency, which only it needed (--prune-deps, the default)
    kept = naja("uninstall", "-n", "life", "dependent", "--no-prune-deps", "--dry-run", "--json").json()
    assert names(kept["actions"]["UNLINK"]) == {"dependent": "2.0"}
    naja("uninstall", "-n", "life", "dependent", "-y")
    assert installed(prefix) == {"versioned": "1.0"}
    naja("remove", "-n", "life", "--all", "-y")
    assert installed(prefix) == {}
    assert (prefix / "conda-meta" / "history").is_file()


def test_root_prefix_flag_places_envs_and_cache(real_channel, tmp_path):
    other = tmp_path / "other-root"
    naja("create", "-n", "rooted", "-r", other, "-c", real_channel, "dependency=1.0", "-y")
    assert installed(other / "envs" / "rooted") == {"dependency": "1.0"}
    assert (other / "pkgs" / "dependency-1.0-0" / "info" / "index.json").is_file()
    assert not (root() / "envs" / "rooted").exists()
    assert [r["name"] for r in naja("list", "-n", "rooted", "-r", other, "--json").json()] == ["dependency"]


def test_create_clone(real_channel, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    naja("create", "-p", src, "-c", real_channel, "dependent=1.0", "-y")
    doc = naja("create", "-p", dst, "--clone", src, "--json").json()
    assert names(doc["actions"]["LINK"]) == {"dependent": "1.0", "dependency": "1.0"}
    assert installed(dst) == installed(src)
    assert_one_line_error(naja("create", "-p", tmp_path / "d2", "--clone", tmp_path / "none", "-y", ok=False),
                          "none")


def test_install_revision_goes_back(real_channel, tmp_path):
    env = tmp_path / "rev"
    naja("create", "-p", env, "-c", real_channel, "dependency=1.0", "-y")
    naja("install", "-p", env, "-c", real_channel, "dependent", "versioned", "-y")
    assert installed(env) == {"dependency": "2.0", "dependent": "2.0", "versioned": "2.0"}
    doc = naja("install", "-p", env, "--revision", "0", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"dependency": "1.0"}
    assert installed(env) == {"dependency": "1.0"}
    assert_one_line_error(naja("install", "-p", env, "--revision", "9", ok=False), "revision 9")


def test_update_all_and_repeated_files(real_channel, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("dependent=1.0\n")
    two.write_text("versioned=1.0\n")
    env = tmp_path / "all"
    naja("create", "-p", env, "-c", real_channel, "-f", one, "-f", two, "-y")
    assert installed(env) == {"dependent": "1.0", "dependency": "1.0", "versioned": "1.0"}
    doc = naja("update", "-p", env, "-c", real_channel, "--all", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"dependent": "2.0", "dependency": "2.0", "versioned": "2.0"}
    assert installed(env) == {"dependent": "2.0", "dependency": "2.0", "versioned": "2.0"}
    assert_one_line_error(naja("update", "-p", env, "--all", "versioned", ok=False), "--all")


def test_install_summary_table_and_prompt(real_channel, tmp_path):
    env = tmp_path / "env"
    naja("create", "-p", env, "-y")  # an empty environment
    assert (env / "conda-meta" / "history").is_file() and installed(env) == {}
    # answering no changes nothing
    res = naja("install", "-p", env, "-c", real_channel, "dependent", input="n\n", ok=False)
    assert "dependent" in res.stdout and "install" in res.stdout
    assert_one_line_error(res, "abort")
    assert installed(env) == {}
    # no answer at all (stdin closed) takes the default, yes, as micromamba's Console::prompt
    naja("install", "-p", env, "-c", real_channel, "dependent", "--dry-run")
    assert installed(env) == {}
    # always_yes from the configuration answers for the user
    rc = tmp_path / "yes.condarc"
    rc.write_text("always_yes: true\n")
    naja("install", "-p", env, "-c", real_channel, "versioned=1.0", "--rc-file", rc)
    assert installed(env) == {"versioned": "1.0"}
    # yes
    res = naja("install", "-p", env, "-c", real_channel, "dependent", input="y\n")
    for column in ("Package", "Version", "Build", "Channel", "Size"):
        assert column in res.stdout
    assert installed(env) == {"dependent": "2.0", "dependency": "2.0", "versioned": "1.0"}


def test_dry_run_changes_nothing(real_channel, tmp_path):
    env = tmp_path / "dry"
    doc = naja("create", "-p", env, "-c", real_channel, "dependent", "--dry-run", "--json").json()
    assert doc["dry_run"] is True and names(doc["actions"]["LINK"]) == {"dependent": "2.0", "dependency": "2.0"}
    assert not env.exists()
    naja("create", "-p", env, "-c", real_channel, "dependency=1.0", "-y")
    before = sorted(p.name for p in (env / "conda-meta").iterdir())
    out = naja("install", "-p", env, "-c", real_channel, "dependent", "--dry-run")
    assert "dependent" in out.stdout
    assert sorted(p.name for p in (env / "conda-meta").iterdir()) == before


def test_list_filters_and_formats(real_channel, tmp_path):
    env = tmp_path / "l"
    naja("create", "-p", env, "-c", real_channel, "another_dependent", "-y")
    rows = naja("list", "-p", env, "--json").json()
    assert [r["name"] for r in rows] == ["another_dependent", "dependency", "dependent"]
    for key in ("base_url", "build_number", "build_string", "channel", "dist_name", "name", "platform",
                "version"):
        assert key in rows[0]
    assert rows[0]["base_url"] == real_channel
    assert [r["name"] for r in naja("list", "-p", env, "depend", "--json").json()] == [
        "another_dependent", "dependency", "dependent"]
    assert [r["name"] for r in naja("list", "-p", env, "^depend", "--json").json()] == ["dependency", "dependent"]
    assert [r["name"] for r in naja("list", "-p", env, "-f", "dependent", "--json").json()] == ["dependent"]
    explicit = naja("list", "-p", env, "--explicit", "--md5").stdout.splitlines()
    assert "@EXPLICIT" in explicit
    urls = [line for line in explicit if line.startswith("http")]
    assert len(urls) == 3 and all("#" in u and len(u.split("#")[1]) == 32 for u in urls)
    plain = [line for line in naja("list", "-p", env, "--explicit").stdout.splitlines() if line.startswith("http")]
    assert all("#" not in u for u in plain)
    export = naja("list", "-p", env, "-e").stdout.split()
    assert "dependent=2.0=0" in export
    table = naja("list", "-p", env).stdout
    assert "another_dependent" in table and "dependency" in table
    revs = naja("list", "-p", env, "--revisions", "--json").json()
    assert len(revs) == 1 and any("dependent-2.0-0" in d for d in revs[0]["install"])


def test_no_deps_only_deps(real_channel, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    naja("create", "-p", a, "-c", real_channel, "another_dependent", "--no-deps", "-y")
    assert set(installed(a)) == {"another_dependent"}
    naja("create", "-p", b, "-c", real_channel, "another_dependent", "--only-deps", "-y")
    assert set(installed(b)) == {"dependent", "dependency"}
    # remove --force takes out exactly the named package, without a solve
    naja("remove", "-p", b, "dependency", "--force", "-y")
    assert set(installed(b)) == {"dependent"}


def test_freeze_installed_and_force_reinstall(real_channel, tmp_path):
    env = tmp_path / "f"
    naja("create", "-p", env, "-c", real_channel, "dependency=1.0", "-y")
    free = naja("install", "-p", env, "-c", real_channel, "dependent", "--dry-run", "--json").json()
    assert names(free["actions"]["LINK"])["dependent"] == "2.0"
    frozen = naja("install", "-p", env, "-c", real_channel, "dependent", "--freeze-installed", "--json").json()
    assert names(frozen["actions"]["LINK"]) == {"dependent": "1.0"}
    assert installed(env) == {"dependency": "1.0", "dependent": "1.0"}
    doc = naja("install", "-p", env, "-c", real_channel, "dependency=1.0", "--force-reinstall", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"dependency": "1.0"}
    assert names(doc["actions"]["UNLINK"]) == {"dependency": "1.0"}


def test_pinned_file_and_no_pin(real_channel, tmp_path):
    env = tmp_path / "p"
    naja("create", "-p", env, "-y")
    (env / "conda-meta" / "pinned").write_text("dependency 1.*\n")
    pinned = naja("install", "-p", env, "-c", real_channel, "dependent", "--dry-run", "--json").json()
    assert names(pinned["actions"]["LINK"]) == {"dependent": "1.0", "dependency": "1.0"}
    free = naja("install", "-p", env, "-c", real_channel, "dependent", "--no-pin", "--dry-run", "--json").json()
    assert names(free["actions"]["LINK"]) == {"dependent": "2.0", "dependency": "2.0"}


def test_copy_vs_hardlink(example_channel, tmp_path):
    linked, copied = tmp_path / "linked", tmp_path / "copied"
    naja("create", "-p", linked, "-c", example_channel, "libhello", "-y")
    naja("create", "-p", copied, "-c", example_channel, "libhello", "--copy", "-y")
    rel = "share/hello/greeting.txt"
    assert (linked / rel).stat().st_nlink > 1
    assert (copied / rel).stat().st_nlink == 1
    record = json.loads(next((copied / "conda-meta").glob("libhello-*.json")).read_text())
    assert record["link"]["type"] == 3


def test_download_only_fills_cache_not_env(real_channel, tmp_path):
    env = tmp_path / "d"
    naja("create", "-p", env, "-y")
    doc = naja("install", "-p", env, "-c", real_channel, "versioned=1.0", "--download-only", "--json").json()
    assert doc["success"] and names(doc["actions"]["FETCH"]) == {"versioned": "1.0"}
    assert installed(env) == {}
    assert (root() / "pkgs" / "versioned-1.0-0" / "info" / "index.json").is_file()


def test_channel_priority(prio_channels, tmp_path):
    a, b = prio_channels
    env = tmp_path / "prio"
    args = ["create", "-p", env, "-c", a, "-c", b, "prio", "--dry-run", "--json"]
    assert names(naja(*args, "--strict-channel-priority").json()["actions"]["LINK"]) == {"prio": "1.0"}
    assert names(naja(*args, "--channel-priority", "flexible").json()["actions"]["LINK"]) == {"prio": "1.0"}
    assert names(naja(*args, "--channel-priority", "disabled").json()["actions"]["LINK"]) == {"prio": "2.0"}
    # channel-qualified spec
    doc = naja("create", "-p", env, "-c", a, "-c", b, f"{b}::prio", "--dry-run", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"prio": "2.0"}


def test_override_channels_and_rc_channels(prio_channels, tmp_path):
    a, b = prio_channels
    rc = tmp_path / "rc.yml"
    rc.write_text(f"channels: [{b}]\n")
    env = tmp_path / "o"
    doc = naja("create", "-p", env, "prio", "--rc-file", rc, "--dry-run", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"prio": "2.0"}
    # -c goes ahead of the rc channels
    doc = naja("create", "-p", env, "-c", a, "prio", "--rc-file", rc, "--dry-run", "--json",
               "--strict-channel-priority").json()
    assert names(doc["actions"]["LINK"]) == {"prio": "1.0"}
    doc = naja("create", "-p", env, "-c", a, "prio=2.0", "--rc-file", rc, "--dry-run", "--json").json()
    assert names(doc["actions"]["LINK"]) == {"prio": "2.0"}
    res = naja("create", "-p", env, "-c", a, "prio=2.0", "--rc-file", rc, "--override-channels", "--dry-run",
               ok=False)
    assert_one_line_error(res)
    assert not env.exists()


def test_platform_real_package_and_persisted(real_channel, tmp_path):
    env = tmp_path / "plat"
    naja("create", "-p", env, "-c", real_channel, "zlib", "--platform", "linux-64", "-y")
    assert installed(env) == {"zlib": "1.2.11", "libgcc-ng": "9.3.0"}
    assert (env / ".mambarc").read_text().strip() == "platform: linux-64"
    pc = (env / "lib" / "pkgconfig" / "zlib.pc").read_text()
    assert f"prefix={env}" in pc  # prefix placeholder replaced
    assert (env / "include" / "zlib.h").is_file()
    # the persisted platform applies to later commands on that environment
    other = tmp_path / "osx"
    naja("create", "-p", other, "-c", real_channel, "dependency", "--platform", "osx-arm64", "-y")
    assert naja("info", "-p", other, "--json").json()["platform"] == "osx-arm64"


def test_offline_uses_cache_and_unreachable_channel_fails(tmp_path):
    from tests.support.packages import make_channel

    chan = make_channel(tmp_path / "chan", [
        dict(name="solo", version="1.0", noarch="generic", files={"share/solo.txt": "solo\n"}),
        dict(name="other", version="1.0", subdir=_host_subdir(), files={"share/other.txt": "x\n"}),
    ], subdir=_host_subdir())
    server = LoopbackServer(chan).__enter__()
    url = server.url
    naja("create", "-p", tmp_path / "e1", "-c", url, "solo", "-y")
    server.__exit__(None, None, None)
    # the channel is gone: online fails with one line and creates nothing
    res = naja("create", "-p", tmp_path / "e2", "-c", url, "solo", "-y", ok=False)
    assert_one_line_error(res, "127.0.0.1")
    assert not (tmp_path / "e2").exists()
    # offline works from the repodata and package caches
    naja("create", "-p", tmp_path / "e3", "-c", url, "solo", "-y", "--offline")
    assert installed(tmp_path / "e3") == {"solo": "1.0"}


# ----------------------------------------------------------------------------------- env files


def test_environment_yml_create_by_name(real_channel, tmp_path):
    yml = tmp_path / "environment.yml"
    yml.write_text(f"name: fromyml\nchannels:\n  - {real_channel}\ndependencies:\n  - dependent=1.0\n"
                   "  - sel(win): versioned=2.0\n  - sel(unix): versioned=1.0\n"
                   "variables:\n  MY_VAR: hello\n")
    naja("create", "-f", yml, "-y")
    prefix = root() / "envs" / "fromyml"
    assert installed(prefix) == {"dependent": "1.0", "dependency": "1.0", "versioned": "1.0"}
    state = json.loads((prefix / "conda-meta" / "state").read_text())
    assert state["env_vars"] == {"MY_VAR": "hello"}
    # install -f with the same file targets the environment it names
    more = tmp_path / "more.yml"
    more.write_text(f"name: fromyml\nchannels: [{real_channel}]\ndependencies: [another_dependent]\n")
    naja("install", "-f", more, "-y")
    assert "another_dependent" in installed(prefix)
    # env export round trip
    text = naja("env", "export", "-n", "fromyml").stdout
    assert "name: fromyml" in text and "- dependent=1.0=0" in text and real_channel in text
    nobuild = naja("env", "export", "-n", "fromyml", "--no-build").stdout
    assert "- dependent=1.0\n" in nobuild
    hist = naja("env", "export", "-n", "fromyml", "--from-history", "--json").json()
    assert sorted(hist["dependencies"]) == ["another_dependent", "dependent=1.0", "versioned=1.0"]
    explicit = naja("env", "export", "-n", "fromyml", "--explicit").stdout
    assert "@EXPLICIT" in explicit and f"{real_channel}/noarch/dependent-1.0-0.conda#" in explicit


def test_spec_list_explicit_and_lock_files(real_channel, tmp_path):
    specs = tmp_path / "specs.txt"
    specs.write_text("# a comment\ndependent=1.0\n\nversioned\n")
    naja("create", "-p", tmp_path / "s", "-f", specs, "-c", real_channel, "-y")
    assert installed(tmp_path / "s") == {"dependent": "1.0", "dependency": "1.0", "versioned": "2.0"}
    # an @EXPLICIT file made by list --explicit rebuilds the same environment without a solve
    explicit = tmp_path / "explicit.txt"
    explicit.write_text(naja("list", "-p", tmp_path / "s", "--explicit", "--md5").stdout)
    naja("create", "-p", tmp_path / "x", "-f", explicit, "-y")
    assert installed(tmp_path / "x") == installed(tmp_path / "s")
    # a conda-lock file
    from naja.environment.conda_lock import build_lockfile, write_lockfile
    from naja.install.prefix import Prefix

    records = [r.package_record() for r in Prefix(tmp_path / "s").installed()]
    lock = build_lockfile({_host_subdir(): records}, channels=[real_channel])
    lockfile = tmp_path / "conda-lock.yml"
    write_lockfile(lock, lockfile)
    naja("create", "-p", tmp_path / "k", "-f", lockfile, "-y")
    assert installed(tmp_path / "k") == installed(tmp_path / "s")


def test_env_update_prune_and_env_remove(real_channel, tmp_path):
    env = tmp_path / "u"
    naja("env", "create", "-p", env, "-c", real_channel, "dependent=1.0", "versioned", "-y")
    yml = tmp_path / "env.yml"
    yml.write_text(f"channels: [{real_channel}]\ndependencies: [dependent=2.0]\n")
    naja("env", "update", "-p", env, "-f", yml, "-y")
    assert installed(env) == {"dependent": "2.0", "dependency": "2.0", "versioned": "2.0"}
    naja("env", "update", "-p", env, "-f", yml, "--prune", "-y")
    assert installed(env) == {"dependent": "2.0", "dependency": "2.0"}
    naja("env", "remove", "-p", env, "-y")
    assert not env.exists()
    assert str(env) not in naja("env", "list", "--json").json()["envs"]


# ------------------------------------------------------------------------------------ queries


def test_search_and_repoquery(real_channel, tmp_path):
    doc = naja("search", "-c", real_channel, "dependent", "--json").json()
    versions = [p["version"] for p in doc["result"]["pkgs"]]
    assert versions == ["2.0", "1.0"]
    doc = naja("repoquery", "search", "-c", real_channel, "depend*", "--json").json()
    assert {p["name"] for p in doc["result"]["pkgs"]} == {"dependent", "dependency"}
    doc = naja("search", "-c", real_channel, "dependent<2", "--json").json()
    assert [p["version"] for p in doc["result"]["pkgs"]] == ["1.0"]
    table = naja("search", "-c", real_channel, "versioned").stdout
    assert "versioned" in table and "2.0" in table and "1.0" in table

    remote = naja("repoquery", "depends", "-c", real_channel, "another_dependent", "--recursive", "--json").json()
    assert {p["name"] for p in remote["result"]["pkgs"]} == {"dependent", "dependency"}
    env = tmp_path / "q"
    naja("create", "-p", env, "-c", real_channel, "another_dependent", "-y")
    direct = naja("repoquery", "depends", "-p", env, "another_dependent", "--json").json()
    assert {p["name"] for p in direct["result"]["pkgs"]} == {"dependent"}
    tree = naja("repoquery", "depends", "-p", env, "another_dependent", "--tree").stdout
    lines = tree.splitlines()
    assert lines[0].startswith("another_dependent") and "dependent" in lines[1] and "dependency" in lines[2]
    who = naja("repoquery", "whoneeds", "-p", env, "dependency", "--json").json()
    assert {p["name"] for p in who["result"]["pkgs"]} == {"dependent"}
    who_tree = naja("repoquery", "whoneeds", "-p", env, "dependency", "-t").stdout
    assert "dependent" in who_tree and "another_dependent" in who_tree
    # remote: the packages that depend on a name are not reachable from it, the channel is read whole
    who_remote = naja("repoquery", "whoneeds", "-c", real_channel, "dependency", "--json").json()
    assert {p["name"] for p in who_remote["result"]["pkgs"]} == {"dependent"}


# ------------------------------------------------------------------------------------ clean


def test_clean(real_channel, tmp_path):
    env = tmp_path / "c"
    naja("create", "-p", env, "-c", real_channel, "dependency=1.0", "-y")
    naja("install", "-p", env, "-c", real_channel, "versioned=1.0", "--download-only", "-y")
    pkgs = root() / "pkgs"
    assert (pkgs / "versioned-1.0-0").is_dir() and (pkgs / "versioned-1.0-0.conda").is_file()
    doc = naja("clean", "-p", "--dry-run", "--json").json()
    assert any("versioned-1.0-0" in p for p in doc["removed"]["packages"])
    assert (pkgs / "versioned-1.0-0").is_dir()
    naja("clean", "-p", "-y")
    assert not (pkgs / "versioned-1.0-0").exists()
    assert (pkgs / "dependency-1.0-0").is_dir()  # used by an environment
    naja("clean", "-t", "-y")
    assert not list(pkgs.glob("*.conda"))
    naja("clean", "-i", "-l", "-y")
    cache = pkgs / "cache"
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.endswith(".lock")]
    doc = naja("clean", "-a", "--json").json()
    assert doc["success"] is True
    assert "Nothing to do." in naja("clean").stderr  # micromamba: exit 0


# ------------------------------------------------------------------------------------ bad input


def test_bad_input_leaves_environment_untouched(real_channel, tmp_path):
    env = tmp_path / "keep"
    naja("create", "-p", env, "-c", real_channel, "dependency=1.0", "-y")
    snapshot = sorted(p.name for p in (env / "conda-meta").iterdir())

    assert_one_line_error(naja("install", "-n", "no-such-env", "-c", real_channel, "dependency", ok=False),
                          "no-such-env")
    assert_one_line_error(naja("install", "-p", tmp_path / "nothing-here", "-c", real_channel, "dependency",
                               ok=False), "nothing-here")
    assert_one_line_error(naja("install", "-p", env, "-c", real_channel, "depend ency >>= 1", ok=False))
    bad_yml = tmp_path / "broken.yml"
    bad_yml.write_text("dependencies: [unclosed\n  - x: {\n")
    assert_one_line_error(naja("install", "-p", env, "-f", bad_yml, "-y", ok=False), "broken.yml")
    assert_one_line_error(naja("install", "-p", env, "-f", tmp_path / "missing.yml", "-y", ok=False), "missing.yml")
    assert_one_line_error(naja("install", "-p", env, "-c", "http://127.0.0.1:9/nothing", "dependency", "-y",
                               ok=False), "127.0.0.1:9")
    assert_one_line_error(naja("install", "-p", env, "-c", real_channel, "no-such-package", "-y", ok=False),
                          "no-such-package")
    assert_one_line_error(naja("update", "-p", env, "-c", real_channel, "versioned", "-y", ok=False),
                          "not installed")
    assert_one_line_error(naja("remove", "-p", env, "versioned", "-y", ok=False), "not installed")
    assert sorted(p.name for p in (env / "conda-meta").iterdir()) == snapshot
    assert installed(env) == {"dependency": "1.0"}


def test_unsatisfiable_shows_explanation(real_channel, tmp_path):
    res = naja("create", "-p", tmp_path / "u", "-c", real_channel, "unsatisfiable", "-y", ok=False)
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines()[0].startswith("error:")
    assert "versioned" in res.stderr  # the explanation names the conflict
    assert not (tmp_path / "u").exists()
    doc = naja("create", "-p", tmp_path / "u", "-c", real_channel, "unsatisfiable", "--json", ok=False).json()
    assert doc["success"] is False and doc["solver_problems"]


def test_create_refuses_non_env_directory(real_channel, tmp_path):
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    assert_one_line_error(naja("create", "-p", target, "-c", real_channel, "dependency", "-y", ok=False),
                          "not empty")
    assert (target / "precious.txt").read_text() == "keep me"
    assert_one_line_error(naja("create", "-c", real_channel, "dependency", "-y", ok=False), "-n")


def test_verbose_and_quiet(real_channel, tmp_path):
    quiet = naja("create", "-p", tmp_path / "q", "-c", real_channel, "dependency", "-q")
    assert quiet.stdout == "" and "dependency" not in quiet.stderr
    dry = naja("create", "-p", tmp_path / "d", "-c", real_channel, "dependency", "-q", "--dry-run")
    assert dry.stdout == "" and dry.stderr == ""
    loud = naja("create", "-p", tmp_path / "v", "-c", real_channel, "dependency", "-y", "-vv")
    assert "DEBUG" in loud.stderr or "INFO" in loud.stderr


def test_micromamba_install_switches_are_accepted_and_no_pyc_is_honoured(tmp_path):
    """``--no-pyc``, ``--allow-downgrade``, ``--no-allow-uninstall``, ``--safety-checks``… as a
    micromamba command line has them; ``--no-pyc`` leaves noarch: python packages uncompiled."""
    import sys

    from tests.support.packages import make_channel

    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    chan = make_channel(tmp_path / "ch", [
        dict(name="python", version=f"{minor}.0", build="h0",
             files={f"bin/python{minor}": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'}),
        dict(name="tool", version="1.0", build="py_0", noarch="python", depends=["python"],
             files={"site-packages/tool/__init__.py": "X = 1\n"}),
    ])
    switches = ("--allow-downgrade", "--no-allow-uninstall", "--safety-checks", "warn", "--extra-safety-checks",
                "--no-shortcuts", "--pyc")
    for name, extra in (("a", switches), ("b", (*switches, "--no-pyc"))):
        naja("create", "-p", tmp_path / name, "-c", chan.as_uri(), "--override-channels", "tool", "-y", "-q", *extra)
    site = f"lib/python{minor}/site-packages/tool"
    assert list((tmp_path / "a" / site / "__pycache__").glob("*.pyc"))
    assert (tmp_path / "b" / site / "__init__.py").is_file() and not (tmp_path / "b" / site / "__pycache__").exists()


def test_install_or_update_without_specs_is_nothing_to_do(real_channel, tmp_path):
    """As micromamba: ``install``/``update`` with no specs succeed with "Nothing to do"."""
    env = tmp_path / "e"
    naja("create", "-p", env, "-c", real_channel, "dependency", "-y", "-q")
    history = (env / "conda-meta" / "history").read_text()
    for command in ("install", "update"):
        res = naja(command, "-p", env, "-c", real_channel, "-y")
        assert "Nothing to do" in res.stderr
        doc = naja(command, "-p", env, "--json").json()
        assert "actions" not in doc and doc["message"] == "All requested packages already installed"
    assert (env / "conda-meta" / "history").read_text() == history


def test_install_into_a_fresh_base_environment(real_channel, tmp_path):
    """``install -n base`` sets up a root prefix that is not an environment yet (as micromamba); the
    error for a missing base says so instead of suggesting 'create -p <root>', which is refused."""
    env = {"NAJA_ROOT_PREFIX": str(tmp_path / "root")}
    assert_one_line_error(naja("list", "-n", "base", env=env, ok=False), "naja install -n base")
    assert_one_line_error(naja("update", "-n", "base", "dependency", "-y", env=env, ok=False), "no environment")
    naja("install", "-n", "base", "-c", real_channel, "dependency=1.0", "-y", "-q", env=env)
    names = [p["name"] for p in naja("list", "-n", "base", "--json", env=env).json()]
    assert names == ["dependency"] and (tmp_path / "root" / "conda-meta" / "history").is_file()


def test_clean_force_pkgs_dirs(real_channel, tmp_path):
    """micromamba's ``clean -f``: every writable package cache removed whole, after a prompt."""
    env = {"NAJA_ROOT_PREFIX": str(tmp_path / "root")}
    naja("create", "-p", tmp_path / "e", "-c", real_channel, "dependency", "-y", "-q", env=env)
    pkgs = tmp_path / "root" / "pkgs"
    assert naja("clean", "-f", "--dry-run", "--json", env=env).json()["removed"]["pkgs_dirs"] == [str(pkgs)]
    naja("clean", "-f", env=env, input="n\n")  # declined: -f dropped, nothing left to do (micromamba)
    assert (pkgs / "dependency-2.0-0").is_dir()
    naja("clean", "-f", "-y", env=env)
    assert not pkgs.exists() and (tmp_path / "e" / "conda-meta").is_dir()
