"""``naja package extract|create|transmute``, ``naja index`` and the example channel script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import REPO, assert_one_line_error, example_channel, naja


def test_package_create_extract_transmute_roundtrip(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "examples" / "recipes" / "hello", src)
    out = tmp_path / "out"
    res = naja("package", "create", src, out)
    archive = Path(res.stdout.strip())
    assert archive == out / "hello-1.0-0.conda" and archive.is_file()

    bz2 = naja("package", "transmute", archive, tmp_path / "hello-1.0-0.tar.bz2").stdout.strip()
    assert Path(bz2).is_file() and bz2.endswith(".tar.bz2")

    for arch, dest in ((archive, tmp_path / "x1"), (Path(bz2), tmp_path / "x2")):
        naja("package", "extract", arch, dest)
        index = json.loads((dest / "info" / "index.json").read_text())
        assert (index["name"], index["version"], index["depends"]) == ("hello", "1.0", ["libhello >=1.0"])
        assert (dest / "bin" / "hello").read_text() == (src / "bin" / "hello").read_text()
        assert (dest / "info" / "paths.json").is_file()


def test_package_compress_to_explicit_tar_bz2_path(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "examples" / "recipes" / "libhello", src)
    res = naja("package", "compress", "--json", src, tmp_path / "custom-name.tar.bz2")
    path = Path(res.json()["path"])
    assert path.name == "custom-name.tar.bz2" and path.is_file()


def test_package_errors_are_one_line(tmp_path):
    assert_one_line_error(naja("package", "extract", tmp_path / "missing.conda", tmp_path / "d", ok=False),
                          "missing.conda")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(naja("package", "create", tmp_path / "empty", ok=False), "index.json")
    bad = tmp_path / "bad-1.0-0.conda"
    bad.write_bytes(b"not a zip at all")
    res = naja("package", "extract", bad, tmp_path / "d", ok=False)
    assert_one_line_error(res)
    assert not (tmp_path / "d" / "info").exists()


def test_index_writes_repodata_for_real_packages(tmp_path, shared_data):
    chan = tmp_path / "chan"
    (chan / "linux-64").mkdir(parents=True)
    (chan / "noarch").mkdir()
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h7b6447c_3.conda", chan / "linux-64")
    shutil.copy(shared_data / "packages" / "zlib-1.2.11-h7b6447c_3.tar.bz2", chan / "linux-64")
    for name in ("dependency-1.0-0.conda", "dependent-1.0-0.conda"):
        shutil.copy(shared_data / "packages" / "conda-test-recipes" / name, chan / "noarch")
    # --dry-run names what it would write and writes nothing
    planned = naja("index", "--json", "--dry-run", chan).json()
    assert planned["dry_run"] is True
    assert {Path(p).parent.name for p in planned["repodata"]} == {"linux-64", "noarch"}
    assert not list(chan.glob("*/repodata*")) and not list(chan.glob("*/.naja-index-cache.json"))
    res = naja("index", "--json", chan)
    written = {Path(p).parent.name for p in res.json()["repodata"]}
    assert {"linux-64", "noarch"} <= written
    linux = json.loads((chan / "linux-64" / "repodata.json").read_text())
    assert "zlib-1.2.11-h7b6447c_3.conda" in linux["packages.conda"]
    assert "zlib-1.2.11-h7b6447c_3.tar.bz2" in linux["packages"]
    noarch = json.loads((chan / "noarch" / "repodata.json").read_text())
    assert set(noarch["packages.conda"]) == {"dependency-1.0-0.conda", "dependent-1.0-0.conda"}
    assert (chan / "noarch" / "repodata.json.zst").is_file()


def test_index_without_zst(tmp_path):
    chan = tmp_path / "chan"
    (chan / "noarch").mkdir(parents=True)
    naja("package", "create", REPO / "examples" / "recipes" / "libhello", chan / "noarch", "-q")
    # package create must not leave generated files in a source tree it was pointed at
    assert not (REPO / "examples" / "recipes" / "libhello" / "info" / "paths.json").exists()
    naja("index", "--no-zst", chan)
    assert (chan / "noarch" / "repodata.json").is_file()
    assert not (chan / "noarch" / "repodata.json.zst").exists()


def test_index_missing_dir_is_one_line_error(tmp_path):
    assert_one_line_error(naja("index", tmp_path / "nope", ok=False), "nope")


def test_build_channel_script(tmp_path_factory):
    out = example_channel(tmp_path_factory)  # examples/build_channel.py, run once per test process
    noarch = json.loads((out / "noarch" / "repodata.json").read_text())
    names = {r["name"] for r in noarch["packages.conda"].values()}
    assert names >= {"hello", "libhello", "greet"}
    subdirs = [p.parent.name for p in out.glob("*/python-*.conda")]
    assert len(subdirs) == 1 and subdirs[0] != "noarch"
    assert (out / "noarch" / "repodata.json.zst").is_file()


@pytest.mark.parametrize("argv, needle", [
    (["frobnicate"], "invalid choice"),
    (["list", "--no-such-flag"], "--no-such-flag"),
    (["install", "-p"], "-p"),
])  # bare ``naja`` prints the help and succeeds, as micromamba (tests/functional/test_cli_compat.py)
def test_bad_command_lines(argv, needle):
    res = naja(*argv, ok=False)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert any(needle in line for line in res.error_lines), res.stderr
