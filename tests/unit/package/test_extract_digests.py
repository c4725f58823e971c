"""Extraction reports what each regular file holds as it writes it, hashed too for
``extra_safety_checks`` (the safety checks then read nothing again): the digests it reports must be
what the files on disk hold, on every write path (in order, pooled, big files, names repeated,
hard-link members), and ``verify.scan`` must use them only while a file's size and mtime are still
the ones extraction saw."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

from naja.package import extract as ps
from naja.package.verify import scan
from tests.support.packages import make_package


def _on_disk(root: Path, rel: str) -> tuple[int, int, str]:
    st = os.lstat(root / rel)
    return st.st_size, st.st_mtime_ns, hashlib.sha256((root / rel).read_bytes()).hexdigest()


def test_digests_match_the_files_on_every_write_path(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {f"share/d{i % 5}/f{i}.txt": f"file {i}\n" * (i % 7) for i in range(200)}
    files["lib/big.bin"] = os.urandom(ps._QUEUE_MAX + 12345)  # written in order, hashed in chunks
    archive = make_package(tmp_path, "many", "1", files=files)
    digests: ps.Digests = {}
    ps.extract(archive, tmp_path / "out", digests, sha256=True)
    out = tmp_path / "out"
    assert set(files) <= set(digests)
    for rel in digests:
        assert digests[rel] == _on_disk(out, rel), rel
    unhashed: ps.Digests = {}  # the default: sizes and times only, nothing hashed
    ps.extract(archive, tmp_path / "out2", unhashed)
    assert set(unhashed) == set(digests)
    for rel, entry in unhashed.items():
        assert entry == (*_on_disk(tmp_path / "out2", rel)[:2], None), rel


def _tar_bz2(path: Path, members: list[tuple[str, bytes | None, str]]) -> Path:
    """``(name, data, hardlink target)`` members in order, in a .tar.bz2 with an info/index.json."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data, link in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1_600_000_000
            if link:
                ti.type, ti.linkname = tarfile.LNKTYPE, link
                tf.addfile(ti)
            else:
                assert data is not None
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    import bz2

    path.write_bytes(bz2.compress(buf.getvalue()))
    return path


def test_repeated_names_and_hard_links_report_the_final_bytes(tmp_path: Path) -> None:
    members: list[tuple[str, bytes | None, str]] = [("info/index.json", b'{"name": "x"}', "")]
    members += [(f"share/pad{i}.txt", b"pad %d" % i, "") for i in range(ps._SYNC_FILES + 5)]  # pooled after
    members += [("share/twice.txt", b"first", ""), ("share/twice.txt", b"second, longer", ""),
                ("share/hard.txt", None, "share/twice.txt")]
    archive = _tar_bz2(tmp_path / "x-1-0.tar.bz2", members)
    digests: ps.Digests = {}
    ps.extract(archive, tmp_path / "out", digests, sha256=True)
    out = tmp_path / "out"
    assert (out / "share/twice.txt").read_bytes() == b"second, longer"
    for rel in ("share/twice.txt", "share/hard.txt", f"share/pad{ps._SYNC_FILES + 4}.txt", "info/index.json"):
        assert digests[rel] == _on_disk(out, rel), rel


def test_scan_trusts_what_the_extraction_saw_and_checks_the_rest(tmp_path: Path) -> None:
    archive = make_package(tmp_path, "p", "1", files={"share/a.txt": "a\n", "share/b.txt": "b\n"})
    digests: ps.Digests = {}
    ps.extract(archive, tmp_path / "out", digests, sha256=True)
    out = tmp_path / "out"
    stamp = scan(out, digests, sha256=True)
    assert stamp.mismatches == []
    assert stamp.files == {rel: digests[rel][:2] for rel in ("share/a.txt", "share/b.txt")}
    wrong = {rel: (size, mtime, "0" * 64) for rel, (size, mtime, _) in digests.items()}
    assert [rel for rel, _ in scan(out, wrong, sha256=True).mismatches] == ["share/a.txt", "share/b.txt"]
    assert scan(out, wrong).mismatches == []  # without extra checks the digests are not compared
    (out / "share" / "b.txt").write_text("B\n")  # same size, other bytes
    only_a = {"share/a.txt": digests["share/a.txt"]}
    # a file the extraction did not report is stat-ed and hashed from disk
    assert [rel for rel, _ in scan(out, only_a, sha256=True).mismatches] == ["share/b.txt"]
    assert scan(out, only_a).mismatches == []
    (out / "share" / "b.txt").write_text("longer than before\n")
    assert [rel for rel, _ in scan(out, only_a).mismatches] == ["share/b.txt"]  # sizes: always
