"""Crash safety: SIGKILL a real naja process at many points of install/upgrade/remove transactions.

The test measures how long one transaction takes, then kills transactions after delays spread over
that whole span (fetch, extraction, unlink, link, conda-meta, history, cleanup), alternating between
two environment states A and B. After every kill, ``naja.install.journal.recover`` (what the next naja
command runs first) must leave the environment exactly at A or at B: same files with the same bytes,
same conda-meta records; and the package cache must hold no entry that looks valid but is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from naja.install.journal import JOURNAL, TRASH_DIR, recover
from naja.install.prefix import Prefix
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from tests.conftest import REPO
from tests.support.packages import make_channel
from tests.support.txn import channel_records, tree

KILLS = 24

_RUN = r"""
import json, sys
from naja.package.cache import PackageCache
from naja.types.records import record_from_dict
from naja.install.transaction import Transaction
job = json.load(open(sys.argv[1]))
recs = [record_from_dict(r) for r in job["records"]]
print("start", flush=True)
Transaction.from_solution(job["prefix"], recs, job["specs"]).execute(PackageCache([job["pkgs"]]))
"""


def _packages() -> list[dict]:
    files = lambda tag, n: {f"share/{tag}/f{i}.txt": f"{tag}-{i}\n" * 50 for i in range(n)}  # noqa: E731
    return [
        dict(name="base", version="1", files={**files("base1", 6), "etc/base.conf": "v1", "share/common": "b1"}),
        dict(name="base", version="2", files={**files("base2", 6), "etc/base.conf": "v2", "share/common": "b2"}),
        dict(name="tool", version="1", depends=["base"],
             files={"bin/tool": "#!/bin/sh\necho /opt/anaconda1anaconda2anaconda3\n", **files("tool", 4)}),
        *[dict(name=f"p{i}", version="1", depends=["base"], files=files(f"p{i}", 5)) for i in range(5)],
        dict(name="gone", version="1", files=files("gone", 5)),
    ]


def _state(prefix: Path) -> tuple:
    files = tree(prefix)
    meta = {}
    if (prefix / "conda-meta").is_dir():
        for p in sorted((prefix / "conda-meta").glob("*.json")):
            data = json.loads(p.read_text())
            for key in ("extracted_package_dir", "package_tarball_full_path", "link"):  # which cache dir
                data.pop(key, None)
            for entry in data.get("paths_data", {}).get("paths", []):
                entry.pop("sha256_in_prefix", None)  # a hash of the prefix path itself; bytes compared above
            meta[p.name] = data
    return files, meta


def _cache_is_sound(pkgs: Path) -> int:
    """Every extracted entry that claims completeness (repodata_record.json) holds exactly the files
    its paths.json lists with their hashes; returns how many entries were checked."""
    checked = 0
    if not pkgs.is_dir():
        return 0
    for entry in pkgs.iterdir():
        record = entry / "info" / "repodata_record.json"
        if not record.is_file():
            continue
        paths = json.loads((entry / "info" / "paths.json").read_text())["paths"]
        for p in paths:
            data = (entry / p["_path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == p["sha256"], f"corrupt cache file {entry.name}/{p['_path']}"
        json.loads(record.read_text())
        archive = pkgs / (entry.name + ".conda")
        if archive.exists():
            meta = json.loads(record.read_text())
            assert hashlib.sha256(archive.read_bytes()).hexdigest() == meta["sha256"], f"corrupt {archive.name}"
        checked += 1
    return checked


def _diff(got: tuple, want: dict) -> str:
    out = []
    for label, (files, meta) in want.items():
        extra = sorted(set(got[0]) - set(files))
        missing = sorted(set(files) - set(got[0]))
        changed = sorted(k for k in set(files) & set(got[0]) if files[k] != got[0][k])
        gm, wm = json.loads(got[1]), json.loads(meta)
        meta_diff = sorted(set(gm) ^ set(wm)) + sorted(
            f"{k}:{f}" for k in set(gm) & set(wm) for f in set(gm[k]) | set(wm[k]) if gm[k].get(f) != wm[k].get(f))
        out.append(f"vs {label}: extra {extra[:5]} missing {missing[:5]} changed {changed[:5]} meta {meta_diff[:6]}")
    return "; ".join(out)


def test_sigkill_at_many_points_leaves_old_or_new_state(tmp_path):
    root = make_channel(tmp_path / "channel", _packages())
    recs = {f.removesuffix(".conda"): r for f, r in channel_records(root, root.as_uri()).items()}
    a = [recs["base-1-0"], recs["gone-1-0"], recs["p0-1-0"]]
    b = [recs["base-2-0"], recs["tool-1-0"], *(recs[f"p{i}-1-0"] for i in range(5))]
    prefix = tmp_path / "env"

    # reference states, and how long a transaction takes (to spread the kill points over it)
    ref = tmp_path / "ref"
    pkgs = tmp_path / "pkgs"
    Transaction.from_solution(ref, a, ["base"]).execute(PackageCache([pkgs]))
    state_a = _state(ref)
    Transaction.from_solution(ref, b, ["tool"]).execute(PackageCache([pkgs]))
    state_b = _state(ref)
    assert state_a != state_b

    def normalise(state: tuple, where: Path) -> tuple:
        files, meta = state
        text = json.dumps(meta, sort_keys=True).replace(str(where), "<P>")
        files = {k: (v[0], v[1].replace(str(where).encode(), b"<P>") if isinstance(v[1], bytes) else v[1], v[2])
                 for k, v in files.items()}
        return files, text

    want = {"A": normalise(state_a, ref), "B": normalise(state_b, ref)}
    env = dict(os.environ, PYTHONPATH=str(REPO), NAJA_TEST_LINK_SLEEP="0.03")
    env.pop("CONDA_PREFIX", None)

    def job_file(target: list, specs: list[str], cache: Path) -> Path:
        job = tmp_path / "job.json"
        job.write_text(json.dumps({"prefix": str(prefix), "pkgs": str(cache), "specs": specs,
                                   "records": [r.to_dict() for r in target]}))
        return job

    def run(target: list, specs: list[str], cache: Path, kill_after: float | None) -> float:
        """Run one transaction in a subprocess; SIGKILL it ``kill_after`` s after it started work.
        Returns how long it ran (after its imports), or -1 when it was killed while running."""
        proc = subprocess.Popen([sys.executable, "-c", _RUN, str(job_file(target, specs, cache))], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
        t0 = time.monotonic()
        if kill_after is None:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()
            return time.monotonic() - t0
        time.sleep(kill_after)
        killed = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        return -1.0 if killed else time.monotonic() - t0

    # how long a transaction takes with a cold and with a warm cache, to spread the kill points
    span_cold = run(a, ["base"], tmp_path / "cold1", None)
    assert normalise(_state(prefix), prefix) == want["A"]
    span_warm = run(b, ["tool"], pkgs, None)
    assert normalise(_state(prefix), prefix) == want["B"]
    current = "B"

    rng = random.Random(int(os.environ.get("NAJA_CRASH_SEED", "20261125")))
    outcomes = {"A": 0, "B": 0}
    killed_mid = 0
    journals_seen = 0
    for i in range(KILLS):
        target, specs = (b, ["tool"]) if current == "A" else (a, ["base"])
        cache = tmp_path / f"cold{i + 2}" if i % 4 == 0 else pkgs  # some runs must download/extract
        delay = rng.uniform(0.0, (span_cold if cache != pkgs else span_warm) * 1.1)
        killed_mid += run(target, specs, cache, delay) < 0
        journals_seen += (prefix / "conda-meta" / JOURNAL).exists()
        recover(prefix)
        got = normalise(_state(prefix), prefix)
        assert got in (want["A"], want["B"]), (
            f"kill {i} after {delay:.3f}s left a state that is neither A nor B: {_diff(got, want)}")
        current = "A" if got == want["A"] else "B"
        outcomes[current] += 1
        assert not (prefix / TRASH_DIR).exists() and not (prefix / "conda-meta" / JOURNAL).exists()
        assert Prefix(prefix).installed()  # conda-meta readable
        _cache_is_sound(cache)
    assert killed_mid >= KILLS // 2, f"only {killed_mid} of {KILLS} kills landed while the transaction ran"
    assert journals_seen >= 3, "too few kills landed inside the link phase"
    assert outcomes["A"] and outcomes["B"]
    print(f"{KILLS} kills, {killed_mid} mid-transaction, {journals_seen} inside the link phase, outcomes {outcomes}")
    # the caches are usable afterwards: a transaction from whatever state reaches the other one
    target = b if current == "A" else a
    Transaction.from_solution(prefix, target, []).execute(PackageCache([pkgs]))
    assert _cache_is_sound(pkgs) >= 8


def test_sigkilled_cli_install_is_repaired_by_the_next_command(tmp_path, serve):
    """Through the CLI: ``naja install`` killed mid-link; ``naja list`` (the next command) shows the old
    environment, and the files are the old ones."""
    root = make_channel(tmp_path / "channel", _packages())
    server = serve(root)
    env = dict(os.environ, PYTHONPATH=str(REPO), CONDA_PKGS_DIRS=str(tmp_path / "pkgs"))
    env.pop("CONDA_PREFIX", None)
    prefix = tmp_path / "env"
    naja = [sys.executable, "-m", "naja"]
    subprocess.run([*naja, "create", "-y", "-q", "-p", str(prefix), "-c", server.url, "base=1", "gone"], env=env,
                   check=True, capture_output=True)
    before = _state(prefix)
    proc = subprocess.Popen([*naja, "install", "-y", "-q", "-p", str(prefix), "-c", server.url, "tool", "p1", "p2"],
                            env={**env, "NAJA_TEST_LINK_SLEEP": "30"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    journal = prefix / "conda-meta" / JOURNAL
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (journal.exists() and "begin" in journal.read_text()):
        time.sleep(0.02)
    time.sleep(0.2)  # well inside the first package's sleep: it is linked, the rest are not
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert journal.exists(), "the kill should have landed inside the link phase"
    listed = subprocess.run([*naja, "list", "--json", "-p", str(prefix)], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == ["base", "gone"]
    assert _state(prefix) == before
    assert not journal.exists()
