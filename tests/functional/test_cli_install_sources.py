"""Where create/install take packages from, as micromamba (issue 15 item 5): ``channel::pkg`` adds
that channel, ``path::pkg`` and ``file://`` channels, package files and URLs named directly, no
implied channel, any ``--platform``, repodata keys that are not ``name-version-build.ext``."""

from __future__ import annotations

import json
import shutil

import pytest

from naja.repodata.channel_index import index_channel
from tests.support.cli import assert_one_line_error, naja
from tests.support.packages import make_channel, make_package


@pytest.fixture(scope="module")
def chans(tmp_path_factory):
    root = tmp_path_factory.mktemp("chans")
    make_channel(root / "chA", [dict(name="foo", version="1.0"), dict(name="bar", version="1.0", depends=["foo"])])
    make_channel(root / "chB", [dict(name="baz", version="2.0", depends=["foo"]), dict(name="foo", version="2.0")])
    make_package(root / "loose", "loose", "1.0", fmt=".tar.bz2", depends=["foo"])
    make_package(root / "loose", "loose2", "1.0", fmt=".conda")
    return root


def installed(prefix):
    return {p.name.rsplit("-", 2)[0]: json.loads(p.read_text()) for p in (prefix / "conda-meta").glob("*.json")}


@pytest.mark.parametrize("form", ["url", "path"])
def test_channel_of_a_spec_is_searched(chans, tmp_path, form):
    where = (chans / "chB").as_uri() if form == "url" else str(chans / "chB")
    prefix = tmp_path / "env"
    naja("create", "-y", "-p", prefix, "-c", (chans / "chA").as_uri(), "bar", f"{where}::baz")
    got = installed(prefix)
    assert got["baz"]["channel"].endswith("chB") and got["bar"]["channel"].endswith("chA")


def test_spec_channel_goes_through_custom_channels_and_alias(chans, tmp_path):
    rc = tmp_path / "rc.yaml"
    rc.write_text(f"custom_channels:\n  chB: {chans.as_uri()}\nchannel_alias: {chans.as_uri()}\n")
    prefix = tmp_path / "env"
    naja("create", "-y", "--rc-file", rc, "-p", prefix, "chB::baz", "chA::bar")
    got = installed(prefix)
    assert got["baz"]["url"] == (chans / "chB" / "linux-64" / "baz-2.0-0.conda").as_uri()
    assert got["bar"]["url"].startswith((chans / "chA").as_uri())


def test_no_channel_is_implied(chans, tmp_path):
    result = naja("create", "-y", "-p", tmp_path / "env", "foo", ok=False)
    assert_one_line_error(result, "no channels specified")
    assert "conda.anaconda.org" not in result.stderr
    doc = naja("config", "list", "channels", "--json").json()
    assert doc == {"channels": []}


def test_package_files_installed_directly(chans, tmp_path):
    prefix = tmp_path / "env"
    # loose depends on foo: solved with the other specs against the channels given
    naja("create", "-y", "-p", prefix, "-c", (chans / "chA").as_uri(), chans / "loose" / "loose-1.0-0.tar.bz2")
    naja("install", "-y", "-p", prefix, "./loose2-1.0-0.conda", cwd=chans / "loose")
    got = installed(prefix)
    assert set(got) == {"loose", "loose2", "foo"}
    assert got["loose"]["depends"] == ["foo"]
    assert got["loose2"]["url"] == (chans / "loose" / "loose2-1.0-0.conda").as_uri()


def test_package_url_installed_directly(chans, tmp_path, serve):
    server = serve(chans / "loose")
    prefix = tmp_path / "env"
    naja("create", "-y", "-p", prefix, f"{server.url}/loose2-1.0-0.conda")
    assert installed(prefix)["loose2"]["url"] == f"{server.url}/loose2-1.0-0.conda"


def test_missing_package_file_is_one_error(tmp_path):
    result = naja("create", "-y", "-p", tmp_path / "env", tmp_path / "nope-1.0-0.conda", ok=False)
    assert_one_line_error(result, "nope-1.0-0.conda")
    assert not (tmp_path / "env").exists()


def test_any_platform_string_with_a_warning(tmp_path):
    chan = tmp_path / "ch"
    make_channel(chan, [dict(name="wpkg", version="1.0", subdir="weird-99")], subdir="weird-99")
    prefix = tmp_path / "env"
    result = naja("create", "-y", "-p", prefix, "--platform", "weird-99", "-c", chan.as_uri(), "wpkg")
    assert "weird-99" in result.stderr and "not a known" in result.stderr
    assert installed(prefix)["wpkg"]["subdir"] == "weird-99"
    assert_one_line_error(naja("create", "-y", "-p", prefix, "--platform", "../x", ok=False), "platform")


def test_repodata_keys_need_not_be_dist_names(tmp_path):
    chan = tmp_path / "ch"
    (chan / "linux-64").mkdir(parents=True)
    (chan / "noarch").mkdir()
    for name, key in [("odd", "odd_file.conda"), ("dash", "dash-file.conda"), ("plain", None)]:
        built = make_package(tmp_path / "build", name, "1.0")
        shutil.move(built, chan / "linux-64" / (key or built.name))
    index_channel(chan, shards=False)
    keys = json.loads((chan / "linux-64" / "repodata.json").read_text())["packages.conda"]
    assert set(keys) == {"odd_file.conda", "dash-file.conda", "plain-1.0-0.conda"}
    prefix = tmp_path / "env"
    naja("create", "-y", "-p", prefix, "-c", chan.as_uri(), "odd", "dash", "plain")
    got = installed(prefix)
    assert got["odd"]["fn"] == "odd_file.conda" and got["dash"]["fn"] == "dash-file.conda"
    assert got["odd"]["url"].endswith("/linux-64/odd_file.conda")


def _pip_installed(prefix, name, version, installer="pip"):
    dist = prefix / "lib" / "python3.12" / "site-packages" / f"{name}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
    (dist / "INSTALLER").write_text(installer + "\n")


def test_list_shows_pip_packages_as_pypi(tmp_path):
    chan = make_channel(tmp_path / "ch", [dict(name="pip", version="24.0", noarch="generic"),
                                          dict(name="zlib", version="1.3")])
    prefix = tmp_path / "env"
    naja("create", "-y", "-p", prefix, "-c", chan.as_uri(), "zlib")
    _pip_installed(prefix, "requests", "2.31.0")
    assert "requests" not in naja("list", "-p", prefix).stdout  # no pip in the env: none (micromamba)
    naja("install", "-y", "-p", prefix, "-c", chan.as_uri(), "pip")
    _pip_installed(prefix, "by_conda", "1.0", installer="conda")
    doc = naja("list", "-p", prefix, "--json").json()
    assert [p["name"] for p in doc] == ["pip", "requests", "zlib"]
    req = doc[1]
    assert (req["channel"], req["base_url"], req["build_string"], req["version"]) == \
        ("pypi", "https://pypi.org/", "pypi_0", "2.31.0")
    assert "pypi" in naja("list", "-p", prefix).stdout
    assert [p["name"] for p in naja("list", "-p", prefix, "--json", "--no-pip").json()] == ["pip", "zlib"]
    assert "requests" not in naja("list", "-p", prefix, "--explicit").stdout


def test_remove_force_leaves_dependents(tmp_path):
    chan = make_channel(tmp_path / "ch", [
        dict(name="python", version="3.12"),
        dict(name="lib", version="1.0", noarch="python", depends=["python"],
             files={"site-packages/lib/__init__.py": "x = 1\n"}),
        dict(name="app", version="1.0", depends=["lib"])])
    prefix = tmp_path / "env"
    naja("create", "-y", "-p", prefix, "-c", chan.as_uri(), "app")
    assert any(prefix.glob("lib/python3.12/site-packages/lib/__init__.py"))
    naja("remove", "-y", "-f", "-p", prefix, "lib")
    got = installed(prefix)
    assert set(got) == {"python", "app"}
    assert not any(prefix.glob("lib/python*/site-packages/lib/__init__.py"))
