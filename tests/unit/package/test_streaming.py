"""Package archives: extraction compared with py-rattler, hostile archives, info readers, creation,
transmutation."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from naja import _zstd
from naja.errors import PackageError
from naja.package.create import create_conda, transmute
from naja.package.extract import extract
from naja.package.info import read_index_json, read_info_file, read_info_files, read_paths_json
from naja.types.package_metadata import PREFIX_PLACEHOLDER, paths_from_legacy
from tests.support.packages import make_package

rattler = pytest.importorskip("rattler")
from rattler.package_streaming import extract as rattler_extract  # noqa: E402

# real archives rattler itself cannot extract: conda's test zlib builds carry symlinks with an empty
# target (rattler: "hard link listed ... but no link name found"); ca-certificates is a zip whose
# members sit in nested directories and use data descriptors.
RATTLER_REFUSES = {
    "zlib-1.2.11-h7b6447c_3.conda": "symlink with an empty target",
    "zlib-1.2.11-h1de35cc_3.conda": "symlink with an empty target",
    "ca-certificates-2024.7.4-hbcca054_0.conda": "unexpected zip member",
}


def tree(root: Path) -> dict[str, tuple]:
    """Every path under root → (kind, mode, bytes or link target)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", stat.S_IMODE(st.st_mode), Path(full).read_bytes())
    return out


def real_packages(shared_data: Path) -> list[Path]:
    base = shared_data / "packages"
    found = sorted(p for p in base.rglob("*") if p.name.endswith((".conda", ".tar.bz2")))
    assert len(found) > 50, "expected the shared real packages"
    return found


def assert_nothing_left(parent: Path, dest: Path) -> None:
    assert not dest.exists()
    leftovers = [p.name for p in parent.iterdir() if p.name.startswith(f".{dest.name}.")]
    assert leftovers == []


# ---------------------------------------------------------------------------------------------
# real packages against rattler


def test_extract_every_real_package_like_rattler(shared_data, tmp_path):
    compared = 0
    for archive in real_packages(shared_data):
        ours = tmp_path / "naja" / archive.name
        theirs = tmp_path / "rattler" / archive.name
        if archive.name in RATTLER_REFUSES:
            with pytest.raises(Exception):  # noqa: B017 - rattler raises OSError variants
                rattler_extract(archive, theirs)
            with pytest.raises(PackageError, match=RATTLER_REFUSES[archive.name]) as info:
                extract(archive, ours)
            assert str(archive) in str(info.value)
            assert_nothing_left(ours.parent, ours)
            continue
        rattler_extract(archive, theirs)
        extract(archive, ours)
        assert tree(ours) == tree(theirs), archive.name
        compared += 1
    assert compared >= 55


def test_extract_preserves_symlinks_and_exec_bits(shared_data, tmp_path):
    pkgs = shared_data / "packages"
    extract(pkgs / "rattler-fixtures" / "clobber-with-symlink-a-0.1.0-h4616a5c_0.conda", tmp_path / "a")
    link = tmp_path / "a" / "lib" / "clobber.so"
    assert link.is_symlink()
    assert link.resolve().is_relative_to((tmp_path / "a").resolve())
    extract(pkgs / "conda-test-recipes" / "small-executable-1.0-0.conda", tmp_path / "b")
    executables = [p for p in (tmp_path / "b" / "bin").iterdir() if os.access(p, os.X_OK)]
    assert executables, "bin/ entries keep their exec bit"


def test_tar_bz2_and_conda_of_same_package_agree(shared_data, tmp_path):
    pkgs = shared_data / "packages"
    # the .tar.bz2 of conda's zlib test build stores the links as empty files; the rest is identical
    extract(pkgs / "zlib-1.2.11-h7b6447c_3.tar.bz2", tmp_path / "bz2")
    index = read_index_json(pkgs / "zlib-1.2.11-h7b6447c_3.tar.bz2")
    assert index == read_index_json(pkgs / "zlib-1.2.11-h7b6447c_3.conda")
    assert (tmp_path / "bz2" / "lib" / "libz.so.1.2.11").stat().st_size == 133384


def test_readers_match_rattler(shared_data):
    for archive in real_packages(shared_data):
        if archive.name in RATTLER_REFUSES and archive.name.startswith("ca-"):
            with pytest.raises(PackageError):
                read_index_json(archive)
            continue
        index = read_index_json(archive)
        theirs = rattler.IndexJson.from_package_archive(archive)
        assert index["name"] == theirs.name.normalized
        assert index["version"] == str(theirs.version)
        assert index["build"] == str(theirs.build)
        assert list(index.get("depends", [])) == list(theirs.depends)
        paths = read_paths_json(archive)
        their_paths = rattler.PathsJson.from_package_archive(archive)
        assert [p["_path"] for p in paths["paths"]] == [str(p.relative_path) for p in their_paths.paths]


def test_read_info_file_reads_only_info_for_conda(shared_data):
    archive = shared_data / "packages" / "conda-test-recipes" / "sample_noarch_python-1.0-py_0.conda"
    link = json.loads(read_info_file(archive, "info/link.json"))
    assert link["noarch"]["type"] == "python"
    assert json.loads(read_info_file(archive, "index.json"))["noarch"] == "python"
    with pytest.raises(PackageError, match=r"no info/nonexistent"):
        read_info_file(archive, "info/nonexistent")
    found = read_info_files(archive, ["info/index.json", "info/paths.json", "info/missing"])
    assert set(found) == {"info/index.json", "info/paths.json"}


def test_legacy_paths_fallback():
    doc = paths_from_legacy(
        "bin/x\nlib/a.pc\nshare/big\n",
        f'{PREFIX_PLACEHOLDER} text lib/a.pc\n"/some placeholder" binary "share/big"\n',
        "bin/x\n",
    )
    by_path = {p["_path"]: p for p in doc["paths"]}
    assert by_path["bin/x"]["no_link"] is True
    assert by_path["lib/a.pc"]["prefix_placeholder"] == PREFIX_PLACEHOLDER
    assert by_path["lib/a.pc"]["file_mode"] == "text"
    assert by_path["share/big"]["prefix_placeholder"] == "/some placeholder"
    assert by_path["share/big"]["file_mode"] == "binary"


def test_ca_certificates_is_refused_cleanly(shared_data, tmp_path):
    archive = shared_data / "packages" / "ca-certificates-2024.7.4-hbcca054_0.conda"
    with pytest.raises(PackageError, match="unexpected zip member 'Users/"):
        extract(archive, tmp_path / "ca")
    assert_nothing_left(tmp_path, tmp_path / "ca")


def test_inner_names_need_not_match_file_name(shared_data, tmp_path):
    """rattler extracts a .conda whose inner tars are named for another package; so do we."""
    src = shared_data / "packages" / "conda-test-recipes" / "small-executable-1.0-0.conda"
    renamed = tmp_path / "renamed.conda"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(renamed, "w") as zout:
        for zi in zin.infolist():
            zout.writestr(zi.filename.replace("small-executable-1.0-0", "other-2-0"), zin.read(zi))
        zout.writestr("README", b"ignored like rattler does")
    extract(renamed, tmp_path / "ours")
    rattler_extract(renamed, tmp_path / "theirs")
    assert tree(tmp_path / "ours") == tree(tmp_path / "theirs")


# ---------------------------------------------------------------------------------------------
# hostile archives


def _tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def _member(name: str, data: bytes | None = b"x", *, type=tarfile.REGTYPE, linkname: str = "", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = type
    info.linkname = linkname
    info.mode = mode
    return info, (data if type == tarfile.REGTYPE else None)


INDEX = _member("info/index.json", json.dumps({"name": "evil", "version": "1", "build": "0"}).encode())

HOSTILE = {
    "absolute": ([_member("/tmp/naja-evil-abs")], "absolute path"),
    "dotdot": ([_member("lib/../../escape.txt")], r"'\.\.'"),
    "symlink-out": ([_member("lib/out", type=tarfile.SYMTYPE, linkname="../../outside")], "outside"),
    "symlink-abs": ([_member("lib/etc", type=tarfile.SYMTYPE, linkname="/etc")], "absolute"),
    "symlink-chain": (
        [
            _member("a/b/c/up", type=tarfile.SYMTYPE, linkname="../../.."),
            _member("a/b/c/esc", type=tarfile.SYMTYPE, linkname="up/.."),
            _member("a/b/c/esc/pwned.txt"),
        ],
        "outside",
    ),
    "write-through-symlink": (
        [
            _member("a/b/c/up", type=tarfile.SYMTYPE, linkname="../../.."),
            _member("a/b/c/up/x", type=tarfile.SYMTYPE, linkname=".."),
            _member("a/b/c/up/x/pwned.txt"),
        ],
        "outside",
    ),
    "hardlink-out": ([_member("lib/hl", type=tarfile.LNKTYPE, linkname="../../outside.txt")], r"'\.\.'"),
    "hardlink-abs": ([_member("lib/hl", type=tarfile.LNKTYPE, linkname="/etc/hostname")], "absolute"),
    "hardlink-unknown": ([_member("lib/hl", type=tarfile.LNKTYPE, linkname="lib/never-seen")], "hard link"),
    "chardev": ([_member("dev/null", type=tarfile.CHRTYPE)], "device"),
    "blockdev": ([_member("dev/sda", type=tarfile.BLKTYPE)], "device"),
    "fifo": ([_member("lib/fifo", type=tarfile.FIFOTYPE)], "fifo"),
    "empty-symlink": ([_member("lib/empty", type=tarfile.SYMTYPE, linkname="")], "empty target"),
}


def _write_conda(path: Path, info_members, pkg_members) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-evil-1-0.tar.zst", _zstd.compress(_tar_bytes(info_members)))
        zf.writestr("pkg-evil-1-0.tar.zst", _zstd.compress(_tar_bytes(pkg_members)))


def _write_tar_bz2(path: Path, members) -> None:
    import bz2

    path.write_bytes(bz2.compress(_tar_bytes(members)))


@pytest.mark.parametrize("padding", [0, 100], ids=["alone", "after-100-files"])
@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(case, fmt, padding, tmp_path):
    """Refused alone, and after enough files that the writer threads are busy with earlier ones."""
    members, why = HOSTILE[case]
    work = tmp_path / "work"
    work.mkdir()
    archive = tmp_path / f"evil-1-0{fmt}"
    filler = [_member(f"lib/fill/f{i}.txt", b"%d" % i) for i in range(padding)]
    payload = [*filler, _member("lib/ok.txt", b"fine"), *members]
    if fmt == ".conda":
        _write_conda(archive, [INDEX], payload)
    else:
        _write_tar_bz2(archive, [INDEX, *payload])
    dest = work / "pkgs" / "evil-1-0"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(PackageError, match=why) as info:
        extract(archive, dest)
    message = str(info.value)
    assert str(archive) in message
    assert "\n" not in message
    assert_nothing_left(dest.parent, dest)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before] == [Path("work/pkgs")]  # only the (empty) parent
    assert not Path("/tmp/naja-evil-abs").exists()


def test_failed_extraction_keeps_previous_directory(tmp_path):
    archive = tmp_path / "evil-1-0.conda"
    _write_conda(archive, [INDEX], [_member("lib/x", type=tarfile.FIFOTYPE)])
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep.txt").write_text("previous")
    with pytest.raises(PackageError):
        extract(archive, dest)
    assert (dest / "keep.txt").read_text() == "previous"


def test_extract_replaces_existing_directory(tmp_path):
    pkg = make_package(tmp_path, "a", "1", files={"share/a.txt": "new"})
    dest = tmp_path / "dest"
    (dest / "stale").mkdir(parents=True)
    extract(pkg, dest)
    assert (dest / "share" / "a.txt").read_text() == "new"
    assert not (dest / "stale").exists()
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o777 & ~umask, "the cache entry honours the umask"


def test_payload_larger_than_declared_is_refused(tmp_path):
    """A pkg tar expanding far beyond what info/paths.json declares is a bomb, not a package."""
    paths = {
        "paths": [{"_path": "lib/big", "path_type": "hardlink", "size_in_bytes": 10}],
        "paths_version": 1,
    }
    info = [INDEX, _member("info/paths.json", json.dumps(paths).encode())]
    archive = tmp_path / "bomb-1-0.conda"
    _write_conda(archive, info, [_member("lib/big", b"\0" * (40 * 1024 * 1024))])
    with pytest.raises(PackageError, match="expands beyond"):
        extract(archive, tmp_path / "dest")
    assert_nothing_left(tmp_path, tmp_path / "dest")


def test_payload_without_declared_sizes_uses_ratio_cap(tmp_path):
    """Old packages whose paths.json lacks sizes still extract (the generic cap applies)."""
    paths = {"paths": [{"_path": "lib/big", "path_type": "hardlink"}], "paths_version": 1}
    info = [INDEX, _member("info/paths.json", json.dumps(paths).encode())]
    archive = tmp_path / "old-1-0.conda"
    _write_conda(archive, info, [_member("lib/big", b"\0" * (20 * 1024 * 1024))])
    extract(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "lib" / "big").stat().st_size == 20 * 1024 * 1024


def test_many_files_keep_tar_order_semantics(tmp_path):
    """Past the first files, small files are written by a pool; the result is what tar order gives:
    contents, modes and mtimes kept, a repeated name wins last, a file replaces an earlier link, a
    hard link sees its earlier target, and a file where a directory must go is still refused."""
    many = []
    for i in range(300):
        info, data = _member(f"share/d{i % 7}/f{i}.txt", b"file %d\n" % i, mode=0o755 if i % 5 == 0 else 0o644)
        info.mtime = 1_600_000_000 + i
        many.append((info, data))
    members = [
        INDEX,
        *many,
        _member("share/dup.txt", b"first"),
        _member("share/link", type=tarfile.SYMTYPE, linkname="d0"),
        _member("share/dup.txt", b"second"),
        _member("share/link", b"now a file"),
        _member("share/hl", type=tarfile.LNKTYPE, linkname="share/d3/f3.txt"),
    ]
    archive = tmp_path / "many-1-0.tar.bz2"
    _write_tar_bz2(archive, members)
    dest = tmp_path / "dest"
    extract(archive, dest)
    for i in range(300):
        path = dest / f"share/d{i % 7}/f{i}.txt"
        st_ = path.lstat()
        assert path.read_bytes() == b"file %d\n" % i
        assert stat.S_IMODE(st_.st_mode) & 0o100 == (0o100 if i % 5 == 0 else 0)
        assert int(st_.st_mtime) == 1_600_000_000 + i
    assert (dest / "share/dup.txt").read_bytes() == b"second"
    assert not (dest / "share/link").is_symlink() and (dest / "share/link").read_bytes() == b"now a file"
    assert (dest / "share/hl").read_bytes() == b"file 3\n"

    clash = tmp_path / "clash-1-0.tar.bz2"
    _write_tar_bz2(clash, [INDEX, *many, _member("lib"), _member("lib/x")])
    with pytest.raises(PackageError, match="'lib"):
        extract(clash, tmp_path / "dest2")
    assert_nothing_left(tmp_path, tmp_path / "dest2")


def test_file_where_directory_is_needed_is_a_package_error(tmp_path):
    archive = tmp_path / "clash-1-0.tar.bz2"
    _write_tar_bz2(archive, [INDEX, _member("lib"), _member("lib/x")])
    with pytest.raises(PackageError, match="'lib/x'"):
        extract(archive, tmp_path / "dest")
    assert_nothing_left(tmp_path, tmp_path / "dest")


def test_corrupt_archives_give_package_error(tmp_path):
    bad = tmp_path / "bad-1-0.conda"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PackageError, match=r"bad-1-0\.conda"):
        extract(bad, tmp_path / "d1")
    truncated = tmp_path / "trunc-1-0.tar.bz2"
    good = make_package(tmp_path / "src", "trunc", "1", files={"a": os.urandom(5000)}, fmt=".tar.bz2")
    truncated.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(PackageError, match=r"trunc-1-0\.tar\.bz2"):
        extract(truncated, tmp_path / "d2")
    assert_nothing_left(tmp_path, tmp_path / "d2")
    with pytest.raises(PackageError, match="not found"):
        read_index_json(tmp_path / "missing-1-0.conda")


# ---------------------------------------------------------------------------------------------
# make_package / create_conda / transmute


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
def test_make_package_is_a_real_package(fmt, tmp_path):
    text = f"prefix={PREFIX_PLACEHOLDER}\n"
    binary = b"\x00\x01" + PREFIX_PLACEHOLDER.encode() + b"\x00"
    pkg = make_package(
        tmp_path,
        "demo",
        "1.2.3",
        build="h0_1",
        build_number=1,
        depends=["python >=3.8"],
        constrains=["other <2"],
        files={
            "bin/demo": "#!/bin/sh\necho hi\n",
            "lib/demo.pc": text,
            "lib/blob.so": binary,
            "share/x": "x",
        },
        prefix_placeholder_files={"lib/demo.pc": "text", "lib/blob.so": "binary"},
        symlinks={"lib/link.pc": "demo.pc"},
        fmt=fmt,
        extra_index={"license": "MIT"},
    )
    assert pkg.name == f"demo-1.2.3-h0_1{fmt}"
    theirs = rattler.IndexJson.from_package_archive(pkg)
    assert (theirs.name.normalized, str(theirs.version), str(theirs.build)) == ("demo", "1.2.3", "h0_1")
    assert list(theirs.depends) == ["python >=3.8"]
    assert list(theirs.constrains) == ["other <2"]
    their_paths = {str(p.relative_path): p for p in rattler.PathsJson.from_package_archive(pkg).paths}
    assert set(their_paths) == {"bin/demo", "lib/demo.pc", "lib/blob.so", "share/x", "lib/link.pc"}
    assert their_paths["lib/demo.pc"].prefix_placeholder.placeholder == PREFIX_PLACEHOLDER
    assert '"text"' in str(their_paths["lib/demo.pc"].prefix_placeholder.file_mode)
    assert '"binary"' in str(their_paths["lib/blob.so"].prefix_placeholder.file_mode)
    assert their_paths["share/x"].prefix_placeholder is None
    rattler_extract(pkg, tmp_path / "theirs")
    extract(pkg, tmp_path / "ours")
    assert tree(tmp_path / "ours") == tree(tmp_path / "theirs")
    assert os.access(tmp_path / "ours" / "bin" / "demo", os.X_OK)
    assert os.readlink(tmp_path / "ours" / "lib" / "link.pc") == "demo.pc"
    has_prefix = read_info_file(pkg, "info/has_prefix").decode()
    assert f"{PREFIX_PLACEHOLDER} binary lib/blob.so" in has_prefix


def test_make_package_noarch_python_entry_points(tmp_path):
    pkg = make_package(
        tmp_path,
        "tool",
        "0.1",
        noarch="python",
        entry_points=["tool = tool.cli:main"],
        files={"site-packages/tool/__init__.py": "", "site-packages/tool/cli.py": "def main(): pass\n"},
    )
    link = json.loads(read_info_file(pkg, "info/link.json"))
    assert link["noarch"] == {"type": "python", "entry_points": ["tool = tool.cli:main"]}
    assert read_index_json(pkg)["subdir"] == "noarch"
    paths = read_paths_json(pkg)["paths"]
    assert all(len(p["sha256"]) == 64 for p in paths)


def test_create_conda_from_directory_computes_paths(tmp_path):
    src = tmp_path / "src"
    (src / "info").mkdir(parents=True)
    (src / "info" / "index.json").write_text(json.dumps({"name": "made", "version": "2", "build": "b0"}))
    (src / "bin").mkdir()
    (src / "bin" / "tool").write_text(f"#!/bin/sh\n# {PREFIX_PLACEHOLDER}\n")
    os.chmod(src / "bin" / "tool", 0o755)
    (src / "lib").mkdir()
    os.symlink("../bin/tool", src / "lib" / "tool-link")
    out = create_conda(src, tmp_path / "out")
    assert out.name == "made-2-b0.conda"
    paths = {p["_path"]: p for p in read_paths_json(out)["paths"]}
    assert paths["bin/tool"]["prefix_placeholder"] == PREFIX_PLACEHOLDER
    assert paths["bin/tool"]["file_mode"] == "text"
    assert paths["lib/tool-link"]["path_type"] == "softlink"
    assert paths["bin/tool"]["sha256"] == paths["lib/tool-link"]["sha256"]
    rattler_extract(out, tmp_path / "theirs")
    assert os.access(tmp_path / "theirs" / "bin" / "tool", os.X_OK)
    assert read_info_file(out, "info/files").decode().split() == ["bin/tool", "lib/tool-link"]
    with pytest.raises(PackageError, match=r"index\.json"):
        create_conda(tmp_path / "out", tmp_path / "out2")
    assert sorted(p.name for p in (src / "info").iterdir()) == ["index.json"], "source left untouched"
    explicit = create_conda(src, tmp_path / "elsewhere" / "custom-name.tar.bz2")
    assert explicit == tmp_path / "elsewhere" / "custom-name.tar.bz2"
    assert read_index_json(explicit)["name"] == "made"
    assert {p["_path"] for p in read_paths_json(explicit)["paths"]} == {"bin/tool", "lib/tool-link"}


def _members(archive: Path) -> dict[str, tuple]:
    """Every tar member of a package (both inner tars for .conda) → (type, mode, linkname, bytes)."""
    out = {}
    if archive.name.endswith(".conda"):
        with zipfile.ZipFile(archive) as zf:
            blobs = [zf.read(n) for n in zf.namelist() if n.endswith(".tar.zst")]
        tars = [_zstd.decompress(b) for b in blobs]
        streams = [tarfile.open(fileobj=io.BytesIO(t)) for t in tars]  # noqa: SIM115
    else:
        streams = [tarfile.open(archive, "r:bz2")]  # noqa: SIM115
    for tf in streams:
        with tf:
            for m in tf.getmembers():
                data = tf.extractfile(m).read() if m.isreg() else None
                out[m.name] = (m.type, m.mode, m.linkname, m.mtime, data)
    return out


def test_transmute_round_trips(shared_data, tmp_path):
    pkgs = shared_data / "packages"
    sources = [
        pkgs / "zlib-1.2.11-h7b6447c_3.tar.bz2",
        pkgs / "zlib-1.2.11-h7b6447c_3.conda",
        pkgs / "ripgrep-completions-14.1.1-hb0f4dca_1.conda",
        pkgs / "rattler-fixtures" / "clobber-with-symlink-a-0.1.0-h4616a5c_0.conda",
        pkgs / "rattler-fixtures" / "clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2",
        pkgs / "conda-test-recipes" / "small-executable-1.0-0.conda",
    ]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    for src in sources:
        first = transmute(src, tmp_path / "one")  # a directory: the other format
        assert first.name.endswith(".tar.bz2" if src.name.endswith(".conda") else ".conda")
        back = transmute(first, tmp_path / "two" / src.name)
        assert back.name == src.name
        assert _members(first) == _members(src), src.name
        assert _members(back) == _members(src), src.name
        assert read_index_json(back) == read_index_json(src)
        if src.name not in RATTLER_REFUSES:
            rattler_extract(first, tmp_path / "r" / first.name)
            extract(first, tmp_path / "n" / first.name)
            assert tree(tmp_path / "r" / first.name) == tree(tmp_path / "n" / first.name)


def test_transmute_refuses_bad_targets(tmp_path):
    pkg = make_package(tmp_path, "a", "1")
    with pytest.raises(PackageError, match="onto itself"):
        transmute(pkg, pkg)
    with pytest.raises(PackageError, match=r"\.conda or \.tar\.bz2"):
        transmute(pkg, tmp_path / "a-1-0.zip")


# ---------------------------------------------------------------------------------------------
# properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_segment = st.text(alphabet="abcxyz_-.0123456789", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))
_relpath = st.lists(_segment, min_size=1, max_size=3).map("/".join)


@st.composite
def _package_contents(draw):
    paths = draw(st.lists(_relpath, min_size=1, max_size=8, unique=True))
    # no path may be a prefix directory of another
    paths = [p for p in paths if not any(q.startswith(p + "/") for q in paths)]
    files = {p: draw(st.binary(max_size=300)) for p in paths}
    modes = {p: draw(st.sampled_from([0o644, 0o755, 0o600, 0o444])) for p in paths}
    symlinks = {}
    for p in paths[:2]:
        link = p + ".link"
        if link not in files and not any(q.startswith(link + "/") for q in files):
            symlinks[link] = p.rsplit("/", 1)[-1]
    return files, modes, symlinks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=_package_contents(), fmt=st.sampled_from([".conda", ".tar.bz2"]))
def test_property_make_extract_transmute(tmp_path_factory, contents, fmt):
    files, modes, symlinks = contents
    work = tmp_path_factory.mktemp("prop")
    pkg = make_package(work, "prop", "1", files=files, modes=modes, symlinks=symlinks, fmt=fmt)
    extract(pkg, work / "ours")
    rattler_extract(pkg, work / "theirs")
    ours = tree(work / "ours")
    assert ours == tree(work / "theirs")
    for rel, data in files.items():
        assert ours[rel] == ("file", modes[rel], data)
    for rel, target in symlinks.items():
        assert ours[rel] == ("link", target)
    other = transmute(pkg, work / f"prop-1-0{'.tar.bz2' if fmt == '.conda' else '.conda'}")
    assert _members(other) == _members(pkg)
