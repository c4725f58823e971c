"""Bad input through the real CLI: malformed repodata, records missing required fields, invalid specs,
unreadable or invalid config files, packages with non-UTF-8 file names. Each must give exactly one
``error: ...`` line naming what was wrong, a non-zero exit, no traceback, and no environment left
half-made.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from naja import _zstd
from tests.support.cli import assert_one_line_error, naja
from tests.support.packages import make_channel


def _channel_with_repodata(tmp_path: Path, body: bytes) -> Path:
    root = tmp_path / "ch"
    for sub in ("linux-64", "noarch"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "noarch" / "repodata.json").write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": {}}))
    (root / "linux-64" / "repodata.json").write_bytes(body)
    return root


def _rec(**over) -> dict:
    rec = {"name": "a", "version": "1", "build": "0", "build_number": 0, "depends": [], "subdir": "linux-64",
           "sha256": "0" * 64, "size": 1}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def _repodata(*records: dict) -> bytes:
    return json.dumps({"info": {"subdir": "linux-64"},
                       "packages": {f"pkg{i}-1-0.tar.bz2": r for i, r in enumerate(records)}}).encode()


BAD_REPODATA = {
    "not-json": b'{"info": {"subdir": "linux-64"}, "packages": {',
    "not-utf8": b'{"packages": {"\xff\xfe": {}}}',
    "array": b"[1, 2, 3]",
    "packages-not-object": b'{"packages": [1, 2]}',
    "record-not-object": b'{"packages": {"a-1-0.tar.bz2": 5}}',
    "empty-file": b"",
    "missing-version": _repodata(_rec(version=None)),
    "missing-name": _repodata(_rec(name=None)),
    "version-not-string": _repodata(_rec(version=[1, 2])),
    "depends-not-list": _repodata(_rec(depends="b >=1")),
    "depends-not-strings": _repodata(_rec(depends=[1, None])),
    "build-number-string": _repodata(_rec(build_number="zero")),
    "size-negative-huge": _repodata(_rec(size=-(10**30))),
    "bad-version-text": _repodata(_rec(version="1..$$")),
    "bad-dependency-spec": _repodata(_rec(depends=["b >=<1"])),
}


DOCUMENT_LEVEL = {"not-json", "not-utf8", "array", "packages-not-object", "record-not-object", "empty-file"}


@pytest.mark.parametrize("case", sorted(BAD_REPODATA))
def test_malformed_repodata_is_one_line_error(case, tmp_path):
    root = _channel_with_repodata(tmp_path, BAD_REPODATA[case])
    prefix = tmp_path / "env"
    result = naja("create", "-y", "-p", prefix, "-c", root.as_uri(), "a", ok=None)
    assert result.returncode != 0, result.stdout
    assert_one_line_error(result)
    line = result.error_lines[0]
    assert "unexpected" not in line, line  # a NajaError, not a crash reported as one
    if case in DOCUMENT_LEVEL:
        assert "repodata" in line, line
    else:  # a record that does not fit the schema is skipped, as the rest of the channel is usable
        assert "nothing provides" in line or "repodata" in line, line
    assert not (prefix / "conda-meta").exists() or not list((prefix / "conda-meta").glob("*.json"))


@pytest.mark.parametrize(
    "spec", ["a >=<1", "a[version=", "===", "a=1=2=3=4", "a[build_number='x']", "a @ 1", "", "a[md5=zz", "-a"]
)
def test_invalid_specs_are_one_line_errors(spec, tmp_path):
    root = make_channel(tmp_path / "ch", [dict(name="a", version="1")])
    result = naja("create", "-y", "-p", tmp_path / "env", "-c", root.as_uri(), "a", spec, ok=None)
    if result.returncode == 0:  # some of these are valid conda specs after all; then they must work
        return
    assert_one_line_error(result)
    assert not (tmp_path / "env" / "conda-meta").exists()


BAD_RC = {
    "yaml-syntax": "channels: [a, b\nssl_verify: : :\n",
    "not-mapping": "- just\n- a list\n",
    "channels-wrong-type": "channels: 5\n",
    "bool-wrong-type": "always_copy: maybe-later\n",
    "not-utf8": b"channels:\n  - \xff\xfe\n",
    "tab-indent": "channels:\n\t- a\n",
}


@pytest.mark.parametrize("case", sorted(BAD_RC))
def test_invalid_config_files_are_one_line_errors(case, tmp_path):
    root = make_channel(tmp_path / "ch", [dict(name="a", version="1")])
    rc = tmp_path / "bad.condarc"
    content = BAD_RC[case]
    rc.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = naja("create", "-y", "--rc-file", rc, "-p", tmp_path / "env", "-c", root.as_uri(), "a", ok=None)
    assert_one_line_error(result)
    assert "bad.condarc" in result.error_lines[0]
    # and through CONDARC, the way a user's broken ~/.condarc would be found
    result = naja("config", "list", ok=None, env={"CONDARC": str(rc)})
    assert_one_line_error(result)


def test_unreadable_config_path_is_one_line_error(tmp_path):
    rc_dir = tmp_path / "rc-is-a-directory"
    rc_dir.mkdir()
    result = naja("config", "list", "--rc-file", rc_dir, ok=None)
    assert_one_line_error(result)
    missing = naja("config", "list", "--rc-file", tmp_path / "missing.condarc", ok=None)
    assert_one_line_error(missing, "missing.condarc")


def _conda_with_names(path: Path, payload: list[tuple[bytes, bytes]]) -> None:
    """A .conda whose payload tar holds members named by raw bytes (GNU format keeps them as-is)."""
    def tar(members: list[tuple[bytes, bytes]]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                          errors="surrogateescape") as tf:
            for name, data in members:
                ti = tarfile.TarInfo(name.decode("utf-8", "surrogateescape"))
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
        return buf.getvalue()

    index = json.dumps({"name": "odd", "version": "1", "build": "0", "build_number": 0, "depends": [],
                        "subdir": "linux-64"}).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-odd-1-0.tar.zst", _zstd.compress(tar([(b"info/index.json", index),
                                                               (b"info/files", b"\n".join(n for n, _ in payload))])))
        zf.writestr("pkg-odd-1-0.tar.zst", _zstd.compress(tar(payload)))


def test_non_utf8_file_names_in_a_package(tmp_path):
    """A legacy package (info/files, no paths.json) whose file names are not UTF-8: either installed
    with the bytes kept, or refused with one line; never a traceback, never a half-made environment."""
    from naja.repodata.channel_index import index_channel

    root = tmp_path / "ch"
    (root / "linux-64").mkdir(parents=True)
    (root / "noarch").mkdir()
    _conda_with_names(root / "linux-64" / "odd-1-0.conda", [(b"share/caf\xe9.txt", b"latin-1 name"),
                                                            (b"share/ok.txt", b"fine")])
    index_channel(root, shards=False)
    prefix = tmp_path / "env"
    result = naja("create", "-y", "-p", prefix, "-c", root.as_uri(), "odd", ok=None)
    assert "Traceback" not in result.stderr, result.stderr
    if result.returncode == 0:
        assert (Path(bytes(prefix) + b"/share/caf\xe9.txt")).read_bytes() == b"latin-1 name"
        listed = naja("list", "-p", prefix, "--json")
        assert any(p["name"] == "odd" for p in listed.json())
        removed = naja("remove", "-y", "-p", prefix, "odd", ok=None)
        assert removed.returncode == 0 and "Traceback" not in removed.stderr, removed.stderr
        assert not (prefix / "share").exists()
    else:
        assert_one_line_error(result)
        assert not list((prefix / "conda-meta").glob("*.json")) if (prefix / "conda-meta").exists() else True


BAD_ENV_FILES = {
    "env.yml": ("name: x\ndependencies:\n  - a\n  - [b\n", "env.yml"),
    "deps-not-list.yml": ("name: x\ndependencies: 5\n", "dependencies"),
    "odd-section.yml": ("dependencies:\n  - {a: 1}\n", "odd-section.yml"),
    "not-utf8.yml": (b"\xff\xfe\x00garbage", "not-utf8.yml"),
    "explicit.txt": ("@EXPLICIT\nhttp://x/y\n", "not a package URL"),
    "explicit-hash.txt": ("@EXPLICIT\nhttps://example.invalid/linux-64/a-1-0.conda#zzzz\n", "invalid hash"),
    "bad-conda-lock.yml": ("version: 1\nmetadata: 5\npackage: [1]\n", "conda-lock"),
}


@pytest.mark.parametrize("name", sorted(BAD_ENV_FILES))
def test_invalid_environment_files_are_one_line_errors(name, tmp_path):
    content, needle = BAD_ENV_FILES[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = naja("create", "-y", "--offline", "-p", tmp_path / "env", "-f", path, ok=None)
    assert_one_line_error(result, needle)
    assert not (tmp_path / "env" / "conda-meta").exists()


@pytest.mark.parametrize("channel", ["http://[", "ftp://example.invalid/chan", "", "file:///nonexistent/chan"])
def test_invalid_channel_urls_are_one_line_errors(channel, tmp_path):
    result = naja("create", "-y", "-p", tmp_path / "env", "-c", channel, "a", ok=None)
    assert_one_line_error(result)
    assert "unexpected" not in result.error_lines[0], result.error_lines[0]
    assert not (tmp_path / "env" / "conda-meta").exists()
