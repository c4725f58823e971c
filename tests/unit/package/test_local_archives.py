"""A ``file://`` archive is verified and extracted where it lies (as rattler does): no copy in the
package cache, and one that differs from its record is refused before anything is extracted."""

from __future__ import annotations

from pathlib import Path

import pytest

from naja.errors import DownloadError
from naja.package.cache import PackageCache
from tests.support.packages import make_channel
from tests.support.txn import channel_records


def test_file_url_is_extracted_without_a_copy_in_the_cache(tmp_path: Path) -> None:
    root = make_channel(tmp_path / "ch", [dict(name="p", version="1", files={"share/p.txt": "p\n"})])
    rec = next(iter(channel_records(root, root.as_uri()).values()))
    out = PackageCache([tmp_path / "pkgs"]).fetch_and_extract([rec])
    assert (out[rec.dist_name] / "share/p.txt").read_text() == "p\n"
    assert not (tmp_path / "pkgs" / rec.fn).exists()


def test_file_url_differing_from_its_record_is_refused(tmp_path: Path) -> None:
    root = make_channel(tmp_path / "ch", [dict(name="p", version="1", files={"share/p.txt": "p\n"})])
    rec = next(iter(channel_records(root, root.as_uri()).values()))
    archive = next(root.rglob(rec.fn))
    data = bytearray(archive.read_bytes())
    data[-30] ^= 0xFF  # same size, other bytes
    archive.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="does not match the record"):
        PackageCache([tmp_path / "pkgs"]).fetch_and_extract([rec])
    assert not (tmp_path / "pkgs" / rec.dist_name).exists()
