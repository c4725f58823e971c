"""``package create|compress|transmute`` write archive members in the order conda-package-handling
and conda-package-streaming do (issue 15.5):

- a ``.conda`` zip holds ``metadata.json``, ``pkg-*.tar.zst``, ``info-*.tar.zst`` in that order
  (cps ``create.py`` ``conda_builder``; cph ``conda_fmt.py`` ``create``: "put the info last");
- a created ``.tar.bz2`` has ``info/`` first, then the payload grouped by extension (``.dylib`` as
  ``.so``), each group by increasing size, empty files last (cph ``tarball.py`` ``_sort_file_order``);
- ``.conda`` -> ``.tar.bz2`` writes the info component, then the pkg component, each in its own order
  (cps ``transmute.py`` ``transmute_tar_bz2``: ".tar.bz2 MUST place info/ first");
- ``.tar.bz2`` -> ``.conda`` keeps the source order inside each component (cps ``transmute_stream``).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from naja import _zstd
from tests.support.cli import naja

STEM = "orderpkg-1.0-0"
PAYLOAD = {  # path -> size
    "lib/libz.so.1.2.13": 300, "lib/libz.so": 10, "lib/libq.so": 200, "lib/libm.dylib": 100,
    "share/doc/a.txt": 50, "share/doc/b.txt": 5, "share/doc/empty.txt": 0,
    "bin/tool": 70, "bin/other": 7, "site/mod.py": 40,
}


@pytest.fixture
def folder(tmp_path) -> Path:
    src = tmp_path / "src"
    (src / "info").mkdir(parents=True)
    (src / "info" / "index.json").write_text(json.dumps(
        {"name": "orderpkg", "version": "1.0", "build": "0", "build_number": 0, "subdir": "noarch",
         "depends": [], "noarch": "generic"}))
    (src / "info" / "about.json").write_text(json.dumps({"summary": "x" * 400}))
    (src / "info" / "empty_marker").write_text("")
    for rel, size in PAYLOAD.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(b"z" * size)
    return src


def tar_names(data: bytes, mode: str) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as tf:
        return [m.name for m in tf]


def conda_parts(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(zip member names, info tar member names, pkg tar member names)."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        info = tar_names(bytes(_zstd.decompress(zf.read(f"info-{STEM}.tar.zst"))), "r:")
        pkg = tar_names(bytes(_zstd.decompress(zf.read(f"pkg-{STEM}.tar.zst"))), "r:")
    return names, info, pkg


def group(rel: str) -> str:
    ext = os.path.splitext(rel)[1]  # ".13" for libz.so.1.2.13: cph normalizes only the last suffix
    return ".so" if ext.startswith((".so", ".dylib")) else ext or f"dir:{os.path.dirname(rel)}"


def test_created_conda_puts_info_last(folder, tmp_path):
    out = Path(naja("package", "create", folder, tmp_path / f"{STEM}.conda").stdout.strip())
    names, info, pkg = conda_parts(out)
    assert names == ["metadata.json", f"pkg-{STEM}.tar.zst", f"info-{STEM}.tar.zst"]
    assert all(n.startswith("info/") for n in info) and "info/index.json" in info
    assert sorted(pkg) == sorted(PAYLOAD)


def test_created_tar_bz2_info_first_then_by_extension_and_size(folder, tmp_path):
    out = Path(naja("package", "compress", folder, tmp_path / f"{STEM}.tar.bz2").stdout.strip())
    names = tar_names(out.read_bytes(), "r:bz2")
    n_info = sum(n.startswith("info/") for n in names)
    info, payload = names[:n_info], names[n_info:]
    assert all(n.startswith("info/") for n in info) and sorted(payload) == sorted(PAYLOAD)
    with tarfile.open(out) as tf:
        member_sizes = {m.name: m.size for m in tf}
    weight = [member_sizes[n] or 100000 for n in info]
    assert weight == sorted(weight) and info[-1] == "info/empty_marker"  # empty counts as 100000
    groups = [group(n) for n in payload]
    assert len(set(groups)) == len([g for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]])  # contiguous
    for g in set(groups):
        sizes = [PAYLOAD[n] or 100000 for n in payload if group(n) == g]
        assert sizes == sorted(sizes), (g, payload)
    assert [n for n in payload if group(n) == ".so"] == ["lib/libz.so", "lib/libm.dylib", "lib/libq.so"]
    assert payload.index("share/doc/empty.txt") > payload.index("share/doc/a.txt")
    again = tmp_path / "again"
    again.mkdir()
    out2 = Path(naja("package", "compress", folder, again / f"{STEM}.tar.bz2").stdout.strip())
    assert tar_names(out2.read_bytes(), "r:bz2") == names  # the same order on every run


def test_transmute_both_ways_keeps_component_order(folder, tmp_path):
    conda = Path(naja("package", "create", folder, tmp_path / f"{STEM}.conda").stdout.strip())
    _names, info, pkg = conda_parts(conda)
    bz2_dir = tmp_path / "bz2"
    bz2_dir.mkdir()
    tbz = Path(naja("package", "transmute", conda, bz2_dir).stdout.strip())
    assert tar_names(tbz.read_bytes(), "r:bz2") == info + pkg  # info component first
    back_dir = tmp_path / "back"
    back_dir.mkdir()
    back = Path(naja("package", "transmute", tbz, back_dir).stdout.strip())
    assert conda_parts(back) == (["metadata.json", f"pkg-{STEM}.tar.zst", f"info-{STEM}.tar.zst"], info, pkg)


def test_transmute_puts_the_info_directory_entry_in_info(tmp_path, folder):
    """cph's ``is_info_member_path``: ``info`` itself belongs to the info component."""
    src = tmp_path / f"{STEM}.tar.bz2"
    with tarfile.open(src, "w:bz2") as tf:
        tf.add(folder / "info", arcname="info", recursive=False)
        for rel in ("info/index.json", "bin/tool"):
            tf.add(folder / rel, arcname=rel)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = Path(naja("package", "transmute", src, out_dir).stdout.strip())
    _names, info, pkg = conda_parts(out)
    assert info == ["info", "info/index.json"] and pkg == ["bin/tool"]
