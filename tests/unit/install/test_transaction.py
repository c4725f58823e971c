"""Transactions end to end: real packages served over loopback HTTP, conda-meta and history as conda
writes them, upgrades/removals, rollback on failure, and recovery after a SIGKILL mid-link."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from naja.errors import DownloadError, PrefixError, TransactionError
from naja.install.journal import JOURNAL, recover
from naja.install.prefix import History, Prefix
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from tests.conftest import REPO
from tests.support.packages import make_channel
from tests.support.txn import channel_records, real_channel, tree


def _install(prefix, records, cache_dir, specs=(), **kw):
    tx = Transaction.from_solution(prefix, records, specs)
    return tx, tx.execute(PackageCache([cache_dir]), **kw)


@pytest.fixture
def real(tmp_path, shared_data, serve):
    pk = shared_data / "packages"
    archives = [
        pk / "zlib-1.2.11-h7b6447c_3.tar.bz2",
        pk / "ripgrep-completions-14.1.1-hb0f4dca_1.conda",
        pk / "conda-test-recipes" / "sample_noarch_python-1.0-py_0.conda",
        pk / "conda-test-recipes" / "python-3.99.99-0.conda",
        pk / "conda-test-recipes" / "clobber-a-1.0-0.conda",
        pk / "conda-test-recipes" / "clobber-b-1.0-0.conda",
        pk / "rattler-fixtures" / "link-scripts-0.1.0-h4616a5c_0.conda",
    ]
    root = real_channel(tmp_path / "channel", archives)
    server = serve(root)
    return server, channel_records(root, server.url)


def test_install_real_packages_writes_conda_meta_and_history(tmp_path, real):
    server, recs = real
    prefix = tmp_path / "env"
    wanted = [
        recs["zlib-1.2.11-h7b6447c_3.tar.bz2"],
        recs["ripgrep-completions-14.1.1-hb0f4dca_1.conda"],
        recs["sample_noarch_python-1.0-py_0.conda"],
        recs["python-3.99.99-0.conda"],
    ]
    tx, result = _install(prefix, wanted, tmp_path / "pkgs", ["zlib >=1.2", "sample_noarch_python"])
    assert [r.name for r in tx.install] == sorted(r.name for r in wanted)
    assert len(result.linked) == 4
    assert all(p.startswith("/") for _, p, _ in server.requests)  # everything came over HTTP

    # text placeholder replaced with the real prefix, and that file is a copy, not a hard link
    pc = (prefix / "lib/pkgconfig/zlib.pc").read_text()
    assert f"prefix={prefix}" in pc and "anaconda1anaconda2" not in pc
    cache_pc = tmp_path / "pkgs/zlib-1.2.11-h7b6447c_3/lib/pkgconfig/zlib.pc"
    assert os.stat(prefix / "lib/pkgconfig/zlib.pc").st_ino != os.stat(cache_pc).st_ino
    # plain files are hard links to the cache
    assert os.stat(prefix / "include/zlib.h").st_ino == os.stat(
        tmp_path / "pkgs/zlib-1.2.11-h7b6447c_3/include/zlib.h"
    ).st_ino
    # noarch: python remapped to the python record's python_site_packages_path (CEP 17)
    assert (prefix / "lib/python3.99t/site-packages/sample.py").is_file()
    assert not (prefix / "site-packages").exists()

    meta = json.loads((prefix / "conda-meta/zlib-1.2.11-h7b6447c_3.json").read_text())
    assert meta["requested_spec"] == "zlib >=1.2"
    assert meta["url"] == recs["zlib-1.2.11-h7b6447c_3.tar.bz2"].url
    assert meta["channel"] == server.url
    assert meta["extracted_package_dir"] == str(tmp_path / "pkgs/zlib-1.2.11-h7b6447c_3")
    assert meta["package_tarball_full_path"] == str(tmp_path / "pkgs/zlib-1.2.11-h7b6447c_3.tar.bz2")
    assert meta["link"] == {"source": meta["extracted_package_dir"], "type": 1}
    assert "lib/pkgconfig/zlib.pc" in meta["files"]
    pc_entry = next(p for p in meta["paths_data"]["paths"] if p["_path"] == "lib/pkgconfig/zlib.pc")
    assert pc_entry["path_type"] == "hardlink"
    assert pc_entry["prefix_placeholder"] == "/opt/anaconda1anaconda2anaconda3"
    assert pc_entry["size_in_bytes"] == 281
    import hashlib

    assert pc_entry["sha256_in_prefix"] == hashlib.sha256((prefix / "lib/pkgconfig/zlib.pc").read_bytes()).hexdigest()
    noarch = json.loads((prefix / "conda-meta/sample_noarch_python-1.0-py_0.json").read_text())
    assert noarch["files"] == ["lib/python3.99t/site-packages/sample.py"]

    installed = Prefix(prefix).installed()
    assert sorted(r.dist_name for r in installed) == sorted(r.dist_name for r in wanted)
    revs = History(prefix).revisions()
    assert len(revs) == 1
    assert revs[0].update_specs == ["zlib >=1.2", "sample_noarch_python"]
    assert any(line.endswith("::zlib-1.2.11-h7b6447c_3") for line in revs[0].linked)
    text = (prefix / "conda-meta/history").read_text()
    assert text.startswith("==> ") and "# conda version: " in text and "# update specs: [" in text
    assert not (prefix / ".naja-trash").exists() and not (prefix / "conda-meta" / JOURNAL).exists()

    # same solution again: nothing to do, nothing downloaded
    again = Transaction.from_solution(prefix, wanted, [])
    assert again.nothing_to_do


def _synthetic(tmp_path, packages):
    root = make_channel(tmp_path / "synthetic", packages)
    return channel_records(root, root.as_uri())


def test_upgrade_then_remove(tmp_path):
    recs = _synthetic(
        tmp_path,
        [
            dict(name="a", version="1.0", files={"share/a/v": "one", "share/a/only1": "x"}),
            dict(name="a", version="2.0", files={"share/a/v": "two"}),
            dict(name="b", version="1.0", depends=["a"], files={"bin/b": "#!/bin/sh\necho b\n"}),
        ],
    )
    prefix = tmp_path / "env"
    a1, a2, b1 = (recs[f] for f in ("a-1.0-0.conda", "a-2.0-0.conda", "b-1.0-0.conda"))
    _install(prefix, [a1, b1], tmp_path / "pkgs", ["b"])
    assert (prefix / "share/a/v").read_text() == "one"
    assert os.access(prefix / "bin/b", os.X_OK)

    tx = Transaction.from_solution(prefix, [a2, b1], ["a=2"])
    assert [(o.dist_name, n.dist_name) for o, n in tx.upgrade] == [("a-1.0-0", "a-2.0-0")]
    assert not tx.install and not tx.remove
    tx.execute(PackageCache([tmp_path / "pkgs"]))
    assert (prefix / "share/a/v").read_text() == "two"
    assert not (prefix / "share/a/only1").exists()
    assert not (prefix / "conda-meta/a-1.0-0.json").exists()

    down = Transaction.from_solution(prefix, [a1, b1], [])
    assert [(o.version, n.version) for o, n in down.downgrade] == [("2.0", "1.0")]

    rm = Transaction.from_solution(prefix, [], [], remove_specs=["a", "b"])
    assert sorted(r.name for r in rm.remove) == ["a", "b"]
    rm.execute(PackageCache([tmp_path / "pkgs"]))
    assert not (prefix / "share").exists() and not (prefix / "bin").exists()
    assert Prefix(prefix).installed() == []
    revs = History(prefix).revisions()
    assert len(revs) == 3
    assert any(d.endswith("::a-1.0-0") for d in revs[1].unlinked)
    assert any(d.endswith("::a-2.0-0") for d in revs[1].linked)
    assert revs[2].remove_specs == ["a", "b"]


def test_failed_post_link_rolls_back_to_previous_state(tmp_path):
    recs = _synthetic(
        tmp_path,
        [
            dict(name="a", version="1.0", files={"share/a/v": "one", "etc/a.conf": "keep"}),
            dict(
                name="a",
                version="2.0",
                files={"share/a/v": "two", "share/a/new": "n", "bin/.a-post-link.sh": "exit 3\n"},
            ),
        ],
    )
    prefix = tmp_path / "env"
    _install(prefix, [recs["a-1.0-0.conda"]], tmp_path / "pkgs")
    before = tree(prefix, skip=())
    before.pop("conda-meta/naja.lock", None)
    with pytest.raises(TransactionError, match=r"post-link script of a-2.0-0 failed with exit code 3.*rolled back"):
        _install(prefix, [recs["a-2.0-0.conda"]], tmp_path / "pkgs")
    after = tree(prefix, skip=())
    after.pop("conda-meta/naja.lock", None)
    assert after == before
    assert [r.dist_name for r in Prefix(prefix).installed()] == ["a-1.0-0"]


def test_bad_download_leaves_prefix_untouched(tmp_path, real):
    import msgspec

    _server, recs = real
    bad = msgspec.structs.replace(recs["zlib-1.2.11-h7b6447c_3.tar.bz2"], sha256="0" * 64)
    prefix = tmp_path / "env"
    with pytest.raises(DownloadError, match="zlib"):
        _install(prefix, [bad], tmp_path / "pkgs")
    assert not prefix.exists()


def test_clobbering_is_reported_and_last_wins(tmp_path, real):
    _server, recs = real
    prefix = tmp_path / "env"
    _tx, result = _install(prefix, [recs["clobber-a-1.0-0.conda"], recs["clobber-b-1.0-0.conda"]], tmp_path / "pkgs")
    assert result.clobbers, "the two packages write the same file"
    clobber = result.clobbers[0]
    assert clobber.previous == "clobber-a-1.0-0" and clobber.new == "clobber-b-1.0-0"
    assert clobber.path in result.warnings[0]
    b_file = tmp_path / "pkgs/clobber-b-1.0-0" / clobber.path
    assert (prefix / clobber.path).read_bytes() == b_file.read_bytes()


def test_link_scripts_run_with_conda_variables_or_are_refused(tmp_path, real):
    _server, recs = real
    rec = recs["link-scripts-0.1.0-h4616a5c_0.conda"]
    prefix = tmp_path / "env"
    _tx, result = _install(prefix, [rec], tmp_path / "pkgs")
    assert (prefix / "i-was-post-linked").exists()
    assert "post-link script that just ran" in result.messages[0]
    assert not (prefix / ".messages.txt").exists()

    other = tmp_path / "env2"
    _tx, result = _install(other, [rec], tmp_path / "pkgs", execute_link_scripts=False)
    assert not (other / "i-was-post-linked").exists()
    assert any("post-link script not run" in w for w in result.warnings)


def test_link_script_environment(tmp_path):
    script = 'printf "%s|%s|%s|%s" "$PREFIX" "$PKG_NAME" "$PKG_VERSION" "$PKG_BUILDNUM" > "$PREFIX/vars"\n'
    recs = _synthetic(
        tmp_path, [dict(name="s", version="1.2", build_number=7, build="b7", files={"bin/.s-post-link.sh": script})]
    )
    prefix = tmp_path / "env"
    _install(prefix, [recs["s-1.2-b7.conda"]], tmp_path / "pkgs")
    assert (prefix / "vars").read_text() == f"{prefix}|s|1.2|7"


def test_prefix_lock_times_out_cleanly(tmp_path):
    import filelock

    recs = _synthetic(tmp_path, [dict(name="a", version="1.0", files={"a": "a"})])
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    holder = filelock.FileLock(str(prefix / "conda-meta/naja.lock"), thread_local=False)
    holder.acquire()
    try:
        t0 = time.monotonic()
        with pytest.raises(PrefixError, match="locked by another process"):
            _install(prefix, [recs["a-1.0-0.conda"]], tmp_path / "pkgs", lock_timeout=0.5)
        assert time.monotonic() - t0 >= 0.45
    finally:
        holder.release()
    assert not (prefix / "a").exists()


_KILL_SCRIPT = r"""
import json, sys
from naja.package.cache import PackageCache
from naja.types.records import record_from_dict
from naja.install.transaction import Transaction
data = json.load(open(sys.argv[1]))
recs = [record_from_dict(r) for r in data["records"]]
Transaction.from_solution(data["prefix"], recs, []).execute(PackageCache([data["pkgs"]]))
"""


def test_sigkill_mid_link_is_rolled_back_by_next_command(tmp_path):
    packages = [dict(name="base", version="1.0", files={"share/base/v": "1", "share/shared": "base-1"})]
    packages += [dict(name="base", version="2.0", files={"share/base/v": "2", "share/shared": "base-2"})]
    packages += [
        dict(name=f"p{i}", version="1.0", files={f"share/p{i}/f": str(i), "share/zz-last": f"p{i}"}) for i in range(4)
    ]
    recs = _synthetic(tmp_path, packages)
    prefix = tmp_path / "env"
    _install(prefix, [recs["base-1.0-0.conda"]], tmp_path / "pkgs")
    before = tree(prefix)
    new = [recs["base-2.0-0.conda"]] + [recs[f"p{i}-1.0-0.conda"] for i in range(4)]
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps({"prefix": str(prefix), "pkgs": str(tmp_path / "pkgs"), "records": [r.to_dict() for r in new]})
    )
    env = dict(os.environ, NAJA_TEST_LINK_SLEEP="20", PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(job)], env=env)
    journal = prefix / "conda-meta" / JOURNAL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first package is linked (base-1 is unlinked)
        v = prefix / "share/base/v"
        if journal.exists() and "begin" in journal.read_text() and v.exists() and v.read_text() == "2":
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("transaction never reached the link step")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert journal.exists()  # half-installed right now
    assert (prefix / "share/base/v").read_text() == "2"

    # the next naja command on this prefix repairs it
    assert recover(prefix) is True
    assert tree(prefix) == before
    assert [r.dist_name for r in Prefix(prefix).installed()] == ["base-1.0-0"]
    assert not journal.exists() and not (prefix / ".naja-trash").exists()
    assert recover(prefix) is False
    # and a new transaction works on the repaired prefix
    Transaction.from_solution(prefix, new, []).execute(PackageCache([tmp_path / "pkgs"]))
    assert sorted(r.name for r in Prefix(prefix).installed()) == ["base", "p0", "p1", "p2", "p3"]


def test_longer_prefix_than_binary_placeholder_is_refused_before_touching_anything(tmp_path):
    recs = _synthetic(
        tmp_path,
        [
            dict(
                name="bin",
                version="1.0",
                files={"lib/x.bin": b"\x7fELF" + b"/opt/anaconda1anaconda2anaconda3/lib\x00tail"},
                prefix_placeholder_files={"lib/x.bin": "binary"},
            )
        ],
    )
    prefix = tmp_path / ("long" * 12) / "env"
    with pytest.raises(TransactionError, match="longer than its binary placeholder"):
        _install(prefix, [recs["bin-1.0-0.conda"]], tmp_path / "pkgs")
    assert not (prefix / "lib").exists()


def test_pre_unlink_script_runs_on_removal_and_prelink_messages_are_shown(tmp_path, shared_data):
    tr = shared_data / "packages/conda-test-recipes"
    root = real_channel(
        tmp_path / "ch",
        [shared_data / "packages/rattler-fixtures/link-scripts-0.1.0-h4616a5c_0.conda", tr / "pre_link_messages_package-1.0-0.conda"],
    )
    recs = channel_records(root, root.as_uri())
    prefix = tmp_path / "env"
    _tx, result = _install(prefix, list(recs.values()), tmp_path / "pkgs")
    assert any("Lorem ipsum" in m for m in result.messages) and any("SPAM!" in m for m in result.messages)
    assert (prefix / "i-was-post-linked").exists()
    Transaction.from_solution(prefix, [recs["pre_link_messages_package-1.0-0.conda"]], []).execute(
        PackageCache([tmp_path / "pkgs"])
    )
    assert not (prefix / "i-was-post-linked").exists()  # the pre-unlink script removed it
    assert not (prefix / "bin/.link-scripts-post-link.sh").exists()


def test_history_reads_conda_and_mamba_formats(tmp_path):
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "history").write_text(
        "==> 2024-01-01 10:00:00 <==\n"
        "# cmd: /opt/conda/bin/conda create -n x python=3.11\n"
        "# conda version: 24.1.0\n"
        "+defaults/linux-64::python-3.11.0-h0\n"
        "# update specs: ['python=3.11']\n"
        "==> 2024-01-02 10:00:00 <==\n"
        "# cmd: micromamba remove -n x python\n"
        "# conda version: 3.8.0\n"
        "-conda-forge/linux-64::python-3.11.0-h0\n"
        '# remove specs: ["python"]\n'
        "# neutered specs: []\n"
    )
    h = History(tmp_path)
    revs = h.revisions()
    assert [r.update_specs for r in revs] == [["python=3.11"], []]
    assert revs[1].remove_specs == ["python"] and revs[1].unlinked == ["conda-forge/linux-64::python-3.11.0-h0"]
    assert revs[0].cmd.endswith("python=3.11") and revs[0].tool_version == "24.1.0"
    h.append(cmd="naja install y", linked=["c/noarch::y-1-0"], unlinked=["c/noarch::y-0-0"], update_specs=["y"])
    tail = (meta / "history").read_text().split("==> ")[-1].splitlines()
    assert tail[1:] == ["# cmd: naja install y", f"# conda version: {__import__('naja').__version__}",
                        "-c/noarch::y-0-0", "+c/noarch::y-1-0", "# update specs: ['y']"]
    assert len(h.revisions()) == 3


def test_pinned_file(tmp_path):
    (tmp_path / "conda-meta").mkdir()
    (tmp_path / "conda-meta/pinned").write_text("numpy 1.26.*\n# comment\n\npython 3.11.*  # trailing\n")
    assert Prefix(tmp_path).pinned() == ["numpy 1.26.*", "python 3.11.*"]
    assert not Prefix(tmp_path).is_environment()


def test_recover_finishes_a_committed_transaction_and_ignores_a_torn_journal(tmp_path):
    recs = _synthetic(tmp_path, [dict(name="a", version="1.0", files={"share/a": "a"})])
    prefix = tmp_path / "env"
    _install(prefix, [recs["a-1.0-0.conda"]], tmp_path / "pkgs")
    journal = prefix / "conda-meta" / JOURNAL
    trash = prefix / ".naja-trash" / "x"
    trash.mkdir(parents=True)
    (trash / "leftover").write_text("old")
    journal.write_text(json.dumps({"id": "x", "trash": ".naja-trash/x", "link": [], "unlink": []}) + "\nbegin a-1.0-0\ncommit\n")
    before = tree(prefix, skip=("conda-meta", ".naja-trash"))
    assert recover(prefix) is True
    assert tree(prefix, skip=("conda-meta",)) == before  # nothing restored: the transaction had committed
    assert not (prefix / ".naja-trash").exists() and not journal.exists()
    journal.write_text('{"id": "y", "tra')  # killed while writing the journal: nothing was changed yet
    assert recover(prefix) is True
    assert tree(prefix, skip=("conda-meta",)) == before and not journal.exists()


def test_force_reinstall(tmp_path):
    recs = _synthetic(tmp_path, [dict(name="a", version="1.0", files={"share/a": "a"})])
    prefix = tmp_path / "env"
    _install(prefix, [recs["a-1.0-0.conda"]], tmp_path / "pkgs")
    (prefix / "share/a").unlink()
    assert Transaction.from_solution(prefix, [recs["a-1.0-0.conda"]], []).nothing_to_do
    tx = Transaction.from_solution(prefix, [recs["a-1.0-0.conda"]], [], force_reinstall=["a"])
    assert [o.dist_name for o, _ in tx.reinstall] == ["a-1.0-0"]
    tx.execute(PackageCache([tmp_path / "pkgs"]))
    assert (prefix / "share/a").read_text() == "a"


def test_removing_a_clobbered_package_keeps_the_winners_file(tmp_path):
    recs = _synthetic(
        tmp_path,
        [
            dict(name="a", version="1", files={"share/common": "from a", "share/a-only": "a"}),
            dict(name="b", version="1", files={"share/common": "from b"}),
        ],
    )
    prefix = tmp_path / "env"
    _tx, result = _install(prefix, [recs["a-1-0.conda"], recs["b-1-0.conda"]], tmp_path / "pkgs")
    assert [c.path for c in result.clobbers] == ["share/common"]
    assert (prefix / "share/common").read_text() == "from b"
    Transaction.from_solution(prefix, [recs["b-1-0.conda"]], []).execute(PackageCache([tmp_path / "pkgs"]))
    assert (prefix / "share/common").read_text() == "from b"
    assert not (prefix / "share/a-only").exists()


def test_recovery_interrupted_half_way_can_be_run_again(tmp_path, monkeypatch):
    import naja.install.journal as jm

    recs = _synthetic(
        tmp_path,
        [
            dict(name="a", version="1", files={f"share/f{i}": f"old {i}" for i in range(6)}),
            dict(name="a", version="2", files={**{f"share/f{i}": f"new {i}" for i in range(6)},
                                              "bin/.a-post-link.sh": "exit 1\n"}),
        ],
    )
    prefix = tmp_path / "env"
    _install(prefix, [recs["a-1-0.conda"]], tmp_path / "pkgs")
    before = tree(prefix)
    real_rollback, real_restore = jm.rollback, jm._restore_tree
    # 1. the process "dies" right when the upgrade fails: no rollback, the journal stays
    monkeypatch.setattr(jm, "rollback", lambda prefix: None)
    with pytest.raises(TransactionError):
        _install(prefix, [recs["a-2-0.conda"]], tmp_path / "pkgs")
    monkeypatch.setattr(jm, "rollback", real_rollback)
    assert (prefix / "conda-meta" / JOURNAL).exists() and (prefix / "share/f0").read_text() == "new 0"

    # 2. the recovery itself dies after restoring some files
    def partial_restore(trash, root):
        moved = 0
        for dirpath, _dirs, names in os.walk(trash):
            for name in names:
                if moved == 3:
                    raise KeyboardInterrupt
                rel = os.path.relpath(os.path.join(dirpath, name), trash)
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                os.rename(os.path.join(dirpath, name), os.path.join(root, rel))
                moved += 1

    monkeypatch.setattr(jm, "_restore_tree", partial_restore)
    with pytest.raises(KeyboardInterrupt):
        recover(prefix)
    monkeypatch.setattr(jm, "_restore_tree", real_restore)
    # 3. the next command finishes the job without losing the files restored so far
    assert recover(prefix) is True
    assert tree(prefix) == before


def test_prefix_records_written_by_other_tools_are_read_leniently(tmp_path):
    from naja.install.prefix import read_prefix_record

    meta = tmp_path / "conda-meta"
    meta.mkdir()
    odd = {"name": "x", "version": "1", "build": "0", "link": {"source": "/s", "type": "hardlink"}, "depends": None,
           "files": ["a"], "paths_data": {"paths": [{"_path": "a", "path_type": "hardlink"}], "paths_version": 1}}
    (meta / "x-1-0.json").write_text(json.dumps(odd))
    rec = read_prefix_record(meta / "x-1-0.json")
    assert (rec.name, rec.files, rec.depends, rec.link) == ("x", ["a"], [], None)
    (meta / "broken-1-0.json").write_text('{"version": "1"}')
    with pytest.raises(PrefixError, match=r"broken-1-0\.json"):
        Prefix(tmp_path).installed()


def test_summary_is_json_ready(tmp_path):
    recs = _synthetic(
        tmp_path,
        [dict(name="a", version="1", files={"a1": "1"}), dict(name="a", version="2", files={"a2": "2"}),
         dict(name="c", version="1", files={"c": "c"}), dict(name="d", version="1", files={"d": "d"})],
    )
    prefix = tmp_path / "env"
    _install(prefix, [recs["a-1-0.conda"], recs["c-1-0.conda"]], tmp_path / "pkgs")
    tx = Transaction.from_solution(prefix, [recs["a-2-0.conda"], recs["d-1-0.conda"]], ["a", "d"])
    summary = json.loads(json.dumps(tx.summary()))
    assert summary["install"] == ["d-1-0"] and summary["remove"] == ["c-1-0"]
    assert summary["upgrade"] == [["a-1-0", "a-2-0"]]
    assert sorted(r["name"] for r in summary["LINK"]) == ["a", "d"]
    assert sorted(r["name"] for r in summary["UNLINK"]) == ["a", "c"]
    assert summary["PREFIX"] == str(prefix)
