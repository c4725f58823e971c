"""Linking: prefix replacement (text and binary, on real packages), legacy info/files packages,
noarch python with entry points and byte code, link modes, symlinks, and refusal of unsafe paths."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from naja.errors import PackageError, TransactionError
from naja.install.link import LinkOptions
from naja.install.noarch_python import PythonInfo, python_entry_point_script
from naja.install.prefix import Prefix
from naja.install.prefix_replacement import replace_prefix_binary, replace_prefix_text
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from naja.types.package_metadata import PREFIX_PLACEHOLDER
from naja.types.records import record_from_dict
from tests.support.packages import make_channel
from tests.support.txn import channel_records, real_channel

PH = PREFIX_PLACEHOLDER


def _install(prefix, records, pkgs, specs=(), **kw):
    tx = Transaction.from_solution(prefix, records, specs)
    return tx.execute(PackageCache([pkgs]), **kw)


# ------------------------------------------------------------------------------------ replacement


def test_binary_replacement_pads_with_nuls_and_keeps_length():
    data = b"\x00head" + PH.encode() + b"/lib:" + PH.encode() + b"/x\x00mid" + PH.encode() + b"\x00end"
    out = replace_prefix_binary(data, PH, "/p")
    assert len(out) == len(data)
    first = out.split(b"\x00")[1]
    assert out.startswith(b"\x00head/p/lib:/p/x\x00") and first == b"head/p/lib:/p/x"
    seg = data.split(b"\x00")[1]
    assert out[1 : 1 + len(seg)] == b"head/p/lib:/p/x" + b"\x00" * (len(seg) - len(b"head/p/lib:/p/x"))
    assert out.endswith(b"mid/p" + b"\x00" * (len(PH) - 2) + b"\x00end")
    with pytest.raises(TransactionError, match="longer than the package's placeholder"):
        replace_prefix_binary(data, PH, "/" + "x" * len(PH))
    assert replace_prefix_binary(b"no placeholder", PH, "/" + "x" * 99) == b"no placeholder"


def test_text_replacement_and_long_shebang():
    assert replace_prefix_text(f"a={PH}/bin\nb={PH}\n".encode(), PH, "/env") == b"a=/env/bin\nb=/env\n"
    long_prefix = "/very" * 40
    out = replace_prefix_text(f"#!{PH}/bin/python3.11 -E\nprint(1)\n".encode(), PH, long_prefix)
    assert out == b"#!/usr/bin/env python3.11 -E\nprint(1)\n"
    short = replace_prefix_text(f"#!{PH}/bin/python\n".encode(), PH, "/e")
    assert short == b"#!/e/bin/python\n"


def _member_of_conda(archive: Path, member: str) -> bytes:
    import zipfile

    from naja import _zstd

    with zipfile.ZipFile(archive) as zf:
        pkg = next(n for n in zf.namelist() if n.startswith("pkg-"))
        with (
            zf.open(pkg) as raw,
            _zstd.reader(raw) as stream,
            tarfile.open(fileobj=stream, mode="r|") as tf,
        ):
            for ti in tf:
                if ti.name == member:
                    return tf.extractfile(ti).read()
    raise KeyError(member)


def test_real_binary_placeholders_osx_zlib(tmp_path, shared_data):
    # the real osx-64 zlib ships symlinks with empty targets, which extraction refuses; its dylib (a
    # real Mach-O with binary placeholders) is repackaged as-is to exercise binary replacement
    from naja.package.info import read_paths_json

    real = shared_data / "packages/zlib-1.2.11-h1de35cc_3.conda"
    dylib = _member_of_conda(real, "lib/libz.1.2.11.dylib")
    entry = next(p for p in read_paths_json(real)["paths"] if p["_path"] == "lib/libz.1.2.11.dylib")
    placeholder = entry["prefix_placeholder"]
    assert entry["file_mode"] == "binary" and placeholder.encode() in dylib
    paths = {"paths": [entry, {"_path": "lib/libz.dylib", "path_type": "softlink"}], "paths_version": 1}
    root = make_channel(
        tmp_path / "ch",
        [dict(name="zlib", version="1.2.11", build="h1de35cc_3", files={"lib/libz.1.2.11.dylib": dylib},
              symlinks={"lib/libz.dylib": "libz.1.2.11.dylib"}, info_files={"paths.json": json.dumps(paths)})],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _install(prefix, list(recs.values()), tmp_path / "pkgs")
    dst = (prefix / "lib/libz.1.2.11.dylib").read_bytes()
    assert placeholder.encode() not in dst
    assert len(dst) == len(dylib)
    i = dylib.index(placeholder.encode())
    end = dylib.index(b"\x00", i)
    old_str = dylib[i:end]
    new_str = old_str.replace(placeholder.encode(), str(prefix).encode())
    assert dst[i:end] == new_str + b"\x00" * (len(old_str) - len(new_str))
    assert dst[:i] == dylib[:i]
    meta = json.loads((prefix / "conda-meta/zlib-1.2.11-h1de35cc_3.json").read_text())
    entry = next(p for p in meta["paths_data"]["paths"] if p["_path"] == "lib/libz.1.2.11.dylib")
    assert entry["file_mode"] == "binary" and entry["sha256_in_prefix"] != entry["sha256"]
    # softlinks in the package stay softlinks with the same target
    assert os.readlink(prefix / "lib/libz.dylib") == "libz.1.2.11.dylib"
    assert (prefix / "lib/libz.dylib").read_bytes() == dst


# ----------------------------------------------------------------------------------- legacy files


def _legacy_tar_bz2(out: Path) -> Path:
    files = {
        "info/index.json": json.dumps(
            {
                "name": "old",
                "version": "0.1",
                "build": "0",
                "build_number": 0,
                "depends": [],
                "subdir": "linux-64",
            }
        ),
        "info/files": "bin/old-config\nshare/old/data.txt\n",
        "info/has_prefix": "/opt/custom_placeholder_long_enough text bin/old-config\n",
        "bin/old-config": "#!/bin/sh\necho /opt/custom_placeholder_long_enough/lib\n",
        "share/old/data.txt": "data\n",
    }
    path = out / "linux-64" / "old-0.1-0.tar.bz2"
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w:bz2") as tf:
        for name, text in files.items():
            data = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o755 if name.startswith("bin/") else 0o644
            tf.addfile(ti, io.BytesIO(data))
    return path


def test_legacy_info_files_and_has_prefix(tmp_path):
    from naja.repodata.channel_index import index_channel

    root = tmp_path / "ch"
    _legacy_tar_bz2(root)
    index_channel(root, shards=False)
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _install(prefix, list(recs.values()), tmp_path / "pkgs")
    assert (prefix / "bin/old-config").read_text() == f"#!/bin/sh\necho {prefix}/lib\n"
    assert os.access(prefix / "bin/old-config", os.X_OK)
    assert (prefix / "share/old/data.txt").read_text() == "data\n"
    rec = Prefix(prefix).installed()[0]
    assert rec.files == ["bin/old-config", "share/old/data.txt"]
    entry = rec.paths_data.paths[0]
    assert entry.prefix_placeholder == "/opt/custom_placeholder_long_enough" and entry.sha256


# ------------------------------------------------------------------------------------ noarch python


def _py_channel(tmp_path, py_minor: str, site: str | None = None):
    exe = f"bin/python{py_minor}"
    wrapper = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
    extra = {"python_site_packages_path": site} if site else None
    return dict(name="python", version=f"{py_minor}.0", build="h0", files={exe: wrapper}, extra_index=extra)


def test_noarch_python_remap_entry_points_and_pyc(tmp_path):
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    root = make_channel(
        tmp_path / "ch",
        [
            _py_channel(tmp_path, minor),
            dict(
                name="tool",
                version="1.0",
                build="py_0",
                noarch="python",
                depends=["python"],
                files={
                    "site-packages/tool/__init__.py": "",
                    "site-packages/tool/cli.py": "def main():\n    print('tool says hi')\n    return 0\n",
                    "python-scripts/tool-helper": "#!/bin/sh\necho helper\n",
                },
                entry_points=["tool = tool.cli:main"],
            ),
        ],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _install(prefix, list(recs.values()), tmp_path / "pkgs", ["tool"])
    sp = prefix / f"lib/python{minor}/site-packages"
    assert (sp / "tool/cli.py").is_file()
    assert (prefix / "bin/tool-helper").read_text() == "#!/bin/sh\necho helper\n"
    script = (prefix / "bin/tool").read_text()
    assert script.startswith(f"#!{prefix}/bin/python{minor}\n")
    assert "from tool.cli import main" in script and "sys.exit(main())" in script
    assert os.access(prefix / "bin/tool", os.X_OK)
    run = subprocess.run(
        [str(prefix / "bin/tool")], env=dict(os.environ, PYTHONPATH=str(sp)), capture_output=True, text=True
    )
    assert run.stdout.strip() == "tool says hi", run.stderr
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    pyc = sp / f"tool/__pycache__/cli.{tag}.pyc"
    assert pyc.is_file()

    rec = next(r for r in Prefix(prefix).installed() if r.name == "tool")
    types = {p.path: p.path_type for p in rec.paths_data.paths}
    rel_pyc = f"lib/python{minor}/site-packages/tool/__pycache__/cli.{tag}.pyc"
    assert types[rel_pyc] == "pyc_file"
    assert types["bin/tool"] == "unix_python_entry_point"
    assert rel_pyc in rec.files and "bin/tool" in rec.files

    # removing the package removes byte code, entry points and the directories it created
    Transaction.from_solution(prefix, [recs[f"python-{minor}.0-h0.conda"]], []).execute(
        PackageCache([tmp_path / "pkgs"])
    )
    assert not (sp / "tool").exists() and not (prefix / "bin/tool").exists()


def test_python_minor_change_relinks_noarch_packages(tmp_path):
    root = make_channel(
        tmp_path / "ch",
        [
            _py_channel(tmp_path, "3.10"),
            _py_channel(tmp_path, "3.12", site="lib/python3.12t/site-packages"),
            dict(
                name="pure",
                version="1",
                build="py_0",
                noarch="python",
                files={"site-packages/pure.py": "x = 1\n"},
            ),
        ],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    pure = recs["pure-1-py_0.conda"]
    _install(prefix, [recs["python-3.10.0-h0.conda"], pure], tmp_path / "pkgs")
    assert (prefix / "lib/python3.10/site-packages/pure.py").is_file()
    tx = Transaction.from_solution(prefix, [recs["python-3.12.0-h0.conda"], pure], [])
    assert "pure" in {r.name for r, _ in tx.reinstall}
    tx.execute(PackageCache([tmp_path / "pkgs"]))
    assert (prefix / "lib/python3.12t/site-packages/pure.py").is_file()
    assert not (prefix / "lib/python3.10").exists()


def test_noarch_python_without_python_is_refused(tmp_path):
    root = make_channel(
        tmp_path / "ch", [dict(name="pure", version="1", noarch="python", files={"site-packages/p.py": ""})]
    )
    recs = channel_records(root, root.as_uri())
    with pytest.raises(TransactionError, match="no python"):
        _install(tmp_path / "env", list(recs.values()), tmp_path / "pkgs")


def test_python_info_and_entry_point_trampoline():
    rec = record_from_dict({"name": "python", "version": "3.13.1", "python_site_packages_path": "../escape"})
    with pytest.raises(TransactionError, match="outside the prefix"):
        PythonInfo.from_record(rec)
    long_py = "/with space" + "/x" * 100 + "/bin/python3.13"
    text = python_entry_point_script(long_py, "m", "f")
    assert text.startswith("#!/bin/sh\n'''exec' \"" + long_py + '" "$0" "$@" #' + "'''\n")


# --------------------------------------------------------------------------------------- link modes


@pytest.mark.parametrize("mode", ["hard", "copy", "soft"])
def test_link_modes(tmp_path, mode):
    root = make_channel(
        tmp_path / "ch", [dict(name="m", version="1", files={"share/m.txt": "m", "bin/m": "#!/bin/sh\n"})]
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    opts = LinkOptions(always_copy=mode == "copy", always_softlink=mode == "soft")
    _install(prefix, list(recs.values()), tmp_path / "pkgs", link_options=opts)
    cached = tmp_path / "pkgs/m-1-0/share/m.txt"
    target = prefix / "share/m.txt"
    assert target.read_text() == "m"
    assert os.access(prefix / "bin/m", os.X_OK)
    same = os.stat(target).st_ino == os.stat(cached).st_ino
    assert target.is_symlink() == (mode == "soft")
    assert same == (mode != "copy")
    link_type = Prefix(prefix).installed()[0].link.type
    assert link_type == {"hard": 1, "soft": 2, "copy": 3}[mode]


# ----------------------------------------------------------------------------------------- safety


def test_paths_json_escaping_the_prefix_is_refused(tmp_path):
    root = make_channel(tmp_path / "ch", [dict(name="evil", version="1", files={"share/ok": "ok"})])
    recs = channel_records(root, root.as_uri())
    pkgs = tmp_path / "pkgs"
    PackageCache([pkgs]).fetch_and_extract(recs.values())
    paths = pkgs / "evil-1-0/info/paths.json"
    paths.write_text(
        json.dumps({"paths": [{"_path": "../../outside", "path_type": "hardlink"}], "paths_version": 1})
    )
    (pkgs / "evil-1-0/info/..").resolve()
    with pytest.raises(PackageError, match="refusing path outside the prefix"):
        _install(tmp_path / "env", list(recs.values()), pkgs)
    assert not (tmp_path / "outside").exists()
    assert not (tmp_path / "env" / "share").exists()


def test_malicious_archive_is_refused_and_nothing_escapes(tmp_path, serve):
    from naja.repodata.channel_index import index_channel

    root = tmp_path / "ch"
    (root / "linux-64").mkdir(parents=True)
    good = make_channel(
        tmp_path / "tmpl", [dict(name="bad", version="1", files={"share/x": "x"})], index=False
    )
    template = good / "linux-64" / "bad-1-0.conda"
    index_channel(good, shards=False)
    rec = channel_records(good, "unused")["bad-1-0.conda"]
    # the same package as a tar.bz2 with an extra member climbing out of the extraction directory
    evil = root / "linux-64" / "bad-1-0.tar.bz2"
    with tarfile.open(evil, "w:bz2") as tf:
        for name, data in (
            (
                "info/index.json",
                json.dumps({"name": "bad", "version": "1", "build": "0", "subdir": "linux-64"}).encode(),
            ),
            ("info/paths.json", b'{"paths": [], "paths_version": 1}'),
            ("../../../escaped.txt", b"pwned"),
        ):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    assert template.exists() and rec.name == "bad"
    index_channel(root, shards=False)
    server = serve(root)
    recs = channel_records(root, server.url)
    prefix = tmp_path / "deep" / "env"
    with pytest.raises(PackageError):
        _install(prefix, list(recs.values()), tmp_path / "deep" / "pkgs")
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not prefix.exists()


def test_real_symlinks_and_clobbering_fixtures(tmp_path, shared_data):
    fx = shared_data / "packages/rattler-fixtures"
    root = real_channel(
        tmp_path / "ch",
        [
            fx / "clobber-with-symlink-a-0.1.0-h4616a5c_0.conda",
            fx / "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda",
        ],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    result = _install(prefix, list(recs.values()), tmp_path / "pkgs")
    assert (prefix / "lib/clobber.so").is_symlink() or (prefix / "lib/clobber.so").is_file()
    assert {c.path for c in result.clobbers} >= {"lib/clobber.so"}
    assert "lib/clobber.so" in result.warnings[0]


def test_no_link_files_are_copied_and_allow_softlinks_falls_back(tmp_path, monkeypatch):
    root = make_channel(
        tmp_path / "ch",
        [dict(name="n", version="1", files={"etc/n.conf": "conf", "share/n.txt": "n"}, no_link=["etc/n.conf"])],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _install(prefix, list(recs.values()), tmp_path / "pkgs")
    cache = tmp_path / "pkgs/n-1-0"
    assert os.stat(prefix / "etc/n.conf").st_ino != os.stat(cache / "etc/n.conf").st_ino
    assert os.stat(prefix / "share/n.txt").st_ino == os.stat(cache / "share/n.txt").st_ino
    entry = next(p for p in Prefix(prefix).installed()[0].paths_data.paths if p.path == "etc/n.conf")
    assert entry.no_link

    # hard links impossible (as across filesystems): allow_softlinks symlinks instead of copying
    def no_hardlinks(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_hardlinks)
    other = tmp_path / "env2"
    _install(other, list(recs.values()), tmp_path / "pkgs", link_options=LinkOptions(allow_softlinks=True))
    assert os.readlink(other / "share/n.txt") == str(cache / "share/n.txt")
    third = tmp_path / "env3"
    _install(third, list(recs.values()), tmp_path / "pkgs")
    assert not (third / "share/n.txt").is_symlink() and (third / "share/n.txt").read_text() == "n"


def test_big_package_is_linked_in_parallel_and_recorded_in_order(tmp_path):
    from naja.install import link as link_mod

    n = link_mod.PARALLEL_LINK_MIN + 44
    files = {f"share/big/d{i % 7}/f{i:04d}.txt": f"{i}\n" for i in range(n)}
    files["lib/big.pc"] = f"prefix={PH}\n"
    root = make_channel(tmp_path / "ch", [dict(name="big", version="1", files=files)])
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _install(prefix, list(recs.values()), tmp_path / "pkgs")
    rec = Prefix(prefix).installed()[0]
    assert rec.files == sorted(files)  # paths.json order, whatever thread linked each file
    for rel, text in files.items():
        assert (prefix / rel).read_text() == text.replace(PH, str(prefix))
    cache = tmp_path / "pkgs/big-1-0"
    assert os.stat(prefix / "share/big/d3/f0003.txt").st_ino == os.stat(cache / "share/big/d3/f0003.txt").st_ino


def _big_files(n_dirs: int = 7) -> dict[str, str]:
    from naja.install import link as link_mod

    return {f"share/big/d{i % n_dirs}/sub{i % 3}/f{i:04d}.txt": f"{i}\n" for i in range(link_mod.PARALLEL_LINK_MIN + 44)}


def test_big_package_into_existing_directories_links_and_uses_inside_symlinks(tmp_path):
    """The parallel pass takes plain existing directories as they are; a symlinked directory (inside)
    and a file where a directory goes are left to the ordered checks, which use and clear them."""
    files = _big_files()
    root = make_channel(tmp_path / "ch", [dict(name="big", version="1", files=files)])
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    (prefix / "share/big/d1/sub0").mkdir(parents=True)
    (prefix / "share/other").mkdir(parents=True)
    (prefix / "share/big/d2").symlink_to("../other")
    (prefix / "share/big/d4").write_text("in the way")
    _install(prefix, list(recs.values()), tmp_path / "pkgs")
    for rel, text in files.items():
        assert (prefix / rel).read_text() == text
    assert (prefix / "share/big/d2").is_symlink()
    assert sorted(p.name for p in (prefix / "share/other").iterdir()) == ["sub0", "sub1", "sub2"]
    assert (prefix / "share/big/d4").is_dir()


def test_big_package_refuses_a_directory_symlink_leading_outside(tmp_path):
    files = _big_files()
    root = make_channel(tmp_path / "ch", [dict(name="big", version="1", files=files)])
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    outside = tmp_path / "outside"
    outside.mkdir()
    (prefix / "share/big").mkdir(parents=True)
    (prefix / "share/big/d5").symlink_to(outside)
    with pytest.raises(TransactionError, match="outside"):
        _install(prefix, list(recs.values()), tmp_path / "pkgs")
    assert list(outside.iterdir()) == []
