"""The package cache: conda layout, reuse of valid entries, invalidation, read-only caches, locks shared
between processes, and the ``naja clean`` helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import filelock
import msgspec
import pytest

from naja.package import cache as pc
from naja.package import pkgs_dirs as pd
from naja.package.cache import CacheLockTimeout, PackageCache
from tests.conftest import REPO
from tests.support.packages import make_channel
from tests.support.txn import channel_records


@pytest.fixture
def channel(tmp_path, serve):
    root = make_channel(
        tmp_path / "ch",
        [
            dict(name=f"p{i}", version="1.0", files={f"share/p{i}.txt": f"payload {i}\n" * 500})
            for i in range(4)
        ],
    )
    server = serve(root)
    return server, channel_records(root, server.url)


def _pkg_requests(server):
    return [p for p in server.paths_requested() if p.endswith(".conda")]


def test_layout_and_reuse(tmp_path, channel):
    server, recs = channel
    cache = PackageCache([tmp_path / "pkgs"], download_threads=2, extract_threads=2)
    result = cache.fetch_and_extract(recs.values())
    assert set(result) == {f"p{i}-1.0-0" for i in range(4)}
    pkgs = tmp_path / "pkgs"
    for i in range(4):
        assert (pkgs / f"p{i}-1.0-0.conda").is_file()
        rr = json.loads((pkgs / f"p{i}-1.0-0/info/repodata_record.json").read_text())
        rec = recs[f"p{i}-1.0-0.conda"]
        assert rr["sha256"] == rec.sha256 and rr["url"] == rec.url and rr["channel"] == rec.channel
        assert rr["depends"] == [] and rr["constrains"] == []
        assert (pkgs / f"p{i}-1.0-0/share/p{i}.txt").is_file()
        assert (pkgs / f"p{i}-1.0-0").stat().st_mode & 0o777 == 0o755
    assert sorted((pkgs / "urls.txt").read_text().split()) == sorted(r.url for r in recs.values())
    assert len(_pkg_requests(server)) == 4

    # a second run (new object, as a new process would) reuses everything without any request
    again = PackageCache([tmp_path / "pkgs"]).fetch_and_extract(recs.values())
    assert again == result
    assert len(_pkg_requests(server)) == 4


def test_invalid_entries_are_refetched(tmp_path, channel):
    server, recs = channel
    pkgs = tmp_path / "pkgs"
    rec = recs["p0-1.0-0.conda"]
    cache = PackageCache([pkgs])
    cache.fetch_and_extract([rec])

    # extracted dir whose record names another artifact: re-extracted from the (valid) tarball
    rr_path = pkgs / "p0-1.0-0/info/repodata_record.json"
    rr = json.loads(rr_path.read_text())
    rr["sha256"] = "f" * 64
    rr_path.write_text(json.dumps(rr))
    (pkgs / "p0-1.0-0/share/p0.txt").unlink()
    cache.fetch_and_extract([rec])
    assert (pkgs / "p0-1.0-0/share/p0.txt").is_file()
    assert len(_pkg_requests(server)) == 1

    # corrupt tarball and no extracted dir: downloaded again
    import shutil

    shutil.rmtree(pkgs / "p0-1.0-0")
    (pkgs / "p0-1.0-0.conda").write_bytes(b"corrupt")
    cache.fetch_and_extract([rec])
    assert len(_pkg_requests(server)) == 2
    assert cache.find_tarball(rec) == pkgs / "p0-1.0-0.conda"

    # a record for a different build with the same name: not confused with the cached one
    other = msgspec.structs.replace(rec, sha256="0" * 64)
    assert cache.find_extracted(other) is None


def test_read_only_cache_is_reused_and_writes_go_to_first_writable(tmp_path, channel, monkeypatch):
    server, recs = channel
    shared = tmp_path / "shared-pkgs"
    PackageCache([shared]).fetch_and_extract([recs["p0-1.0-0.conda"]])
    real = pc.is_writable_dir
    monkeypatch.setattr(pc, "is_writable_dir", lambda p: False if p == shared else real(p))
    cache = PackageCache([shared, tmp_path / "mine"])
    assert cache.writable_dir == tmp_path / "mine"
    out = cache.fetch_and_extract([recs["p0-1.0-0.conda"], recs["p1-1.0-0.conda"]])
    assert out["p0-1.0-0"] == shared / "p0-1.0-0"
    assert out["p1-1.0-0"] == tmp_path / "mine" / "p1-1.0-0"
    assert len(_pkg_requests(server)) == 2


def test_lock_waits_for_the_holder_then_times_out(tmp_path, channel):
    _server, recs = channel
    pkgs = tmp_path / "pkgs"
    rec = recs["p2-1.0-0.conda"]
    (pkgs / pd.LOCK_DIR).mkdir(parents=True)
    holder = filelock.FileLock(str(pkgs / pd.LOCK_DIR / "p2-1.0-0.lock"), thread_local=False)
    holder.acquire()
    with pytest.raises(CacheLockTimeout, match=r"p2-1\.0-0"):
        PackageCache([pkgs], lock_timeout=0.3).fetch_and_extract([rec])
    threading.Timer(0.5, holder.release).start()
    t0 = time.monotonic()
    out = PackageCache([pkgs], lock_timeout=20).fetch_and_extract([rec])
    assert time.monotonic() - t0 >= 0.4
    assert (out["p2-1.0-0"] / "share/p2.txt").is_file()


_FETCH = r"""
import json, sys
from naja.package.cache import PackageCache
from naja.types.records import record_from_dict
data = json.load(open(sys.argv[1]))
PackageCache([data["pkgs"]], download_threads=4).fetch_and_extract([record_from_dict(r) for r in data["records"]])
"""


def test_two_processes_share_one_cache_safely(tmp_path, channel):
    server, recs = channel
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps({"pkgs": str(tmp_path / "pkgs"), "records": [r.to_dict() for r in recs.values()]})
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", _FETCH, str(job)], env=env) for _ in range(2)]
    assert [p.wait(60) for p in procs] == [0, 0]
    # each package was fetched once: the second process waited on the lock and reused it
    assert sorted(_pkg_requests(server)) == sorted(f"/linux-64/p{i}-1.0-0.conda" for i in range(4))
    cache = PackageCache([tmp_path / "pkgs"])
    assert all(cache.find_extracted(r) is not None for r in recs.values())


def test_clean_helpers(tmp_path, channel):
    _server, recs = channel
    pkgs = tmp_path / "pkgs"
    PackageCache([pkgs]).fetch_and_extract(recs.values())
    (pkgs / "cache").mkdir()
    (pkgs / "cache" / "abcd1234.json").write_text("{}")
    env = tmp_path / "env"
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "p1-1.0-0.json").write_text("{}")

    dry = pd.clean_extracted([pkgs], [env], dry_run=True)
    assert sorted(i.path.name for i in dry) == ["p0-1.0-0", "p2-1.0-0", "p3-1.0-0"]
    assert (pkgs / "p0-1.0-0").exists()
    removed = pd.clean_extracted([pkgs], [env])
    assert sum(i.size for i in removed) > 0
    assert not (pkgs / "p0-1.0-0").exists() and (pkgs / "p1-1.0-0").exists()

    tarballs = pd.clean_tarballs([pkgs])
    assert len(tarballs) == 4 and not list(pkgs.glob("*.conda"))
    assert (pkgs / "cache" / "abcd1234.json").is_file()  # the repodata cache is `naja clean -i`'s, not theirs

    (pkgs / pd.LOCK_DIR / "notes.txt").write_text("not a lock")
    held = filelock.FileLock(str(pkgs / pd.LOCK_DIR / "p1-1.0-0.lock"), thread_local=False)
    held.acquire()
    try:
        locks = pd.clean_locks([pkgs])
    finally:
        held.release()
    names = {i.path.name for i in locks}
    assert "p0-1.0-0.lock" in names and "p1-1.0-0.lock" not in names
    assert (pkgs / pd.LOCK_DIR / "p1-1.0-0.lock").exists()
    assert (pkgs / pd.LOCK_DIR / "notes.txt").read_text() == "not a lock"  # only <dist>.lock files are locks


def test_from_config_and_offline(tmp_path, channel):
    from naja.api.context import Context
    from naja.api.options import Options
    from naja.errors import PackageError

    server, recs = channel
    rc = tmp_path / "condarc"
    rc.write_text(f"pkgs_dirs:\n  - {tmp_path / 'cfg-pkgs'}\ndownload_threads: 2\nextract_threads: 1\noffline: true\n")
    context = Context.from_options(Options(rc_files=(str(rc),), no_env=True))
    cache = PackageCache.from_options(context.cache_options)
    assert cache.pkgs_dirs[0] == tmp_path / "cfg-pkgs"
    assert (cache.download_threads, cache.extract_threads, cache.offline) == (2, 1, True)
    with pytest.raises(PackageError, match=r"p0-1\.0-0 is not in the package cache and naja is offline"):
        cache.fetch_and_extract([recs["p0-1.0-0.conda"]])
    assert _pkg_requests(server) == []
    # what is cached is usable offline
    PackageCache([tmp_path / "cfg-pkgs"]).fetch_and_extract([recs["p0-1.0-0.conda"]])
    assert cache.fetch_and_extract([recs["p0-1.0-0.conda"]])["p0-1.0-0"] == tmp_path / "cfg-pkgs/p0-1.0-0"
