"""Differential tests against py-rattler: installing the same records with ``rattler.install`` and with
naja gives the same tree (paths, contents after prefix replacement, executable bits, symlinks), and
each tool reads the other's ``conda-meta`` records."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from naja.errors import NajaError, TransactionError
from naja.install.prefix import Prefix, read_prefix_record
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from tests.support.txn import channel_records, real_channel, tree

rattler = pytest.importorskip("rattler")

PY_STANDIN = "python-3.99.99-0.conda"
# naja, like conda, fails (and rolls back) when a post-link script exits non-zero; rattler only warns.
# These scripts fail on purpose, or when installed without the package they check for.
FAILING_POST_LINK = {"failing_post_link-1.0-0.conda", "post_link-c-1.0-0.conda", "post_link-d-1.0-0.conda"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA}")
    base = tmp_path_factory.mktemp("interop")
    archives = [p for p in (SHARED_DATA / "packages").rglob("*") if p.name.endswith((".conda", ".tar.bz2"))]
    root = real_channel(base / "channel", archives)
    ours = channel_records(root, root.as_uri())
    theirs = {}
    for repodata in root.glob("*/repodata.json"):
        sparse = rattler.SparseRepoData(rattler.Channel(root.as_uri()), repodata.parent.name, repodata)
        for name in sparse.package_names():
            for rec in sparse.load_records(rattler.PackageName(name)):
                theirs[rec.file_name] = rec
    return base, ours, theirs


def _all_packages():
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        return ["missing-data"]
    names = sorted(p.name for p in (SHARED_DATA / "packages").rglob("*") if p.name.endswith((".conda", ".tar.bz2")))
    return [n for n in names if not n.startswith("ca-certificates")]  # not indexable: tested below


def _normalised(prefix: Path) -> dict:
    out = {}
    for rel, (kind, content, exe) in tree(prefix, skip=("conda-meta", "CACHEDIR.TAG", ".messages.txt")).items():
        if isinstance(content, bytes):
            content = content.replace(str(prefix).encode(), b"@PREFIX@")
        else:
            content = content.replace(str(prefix), "@PREFIX@")
        out[rel] = (kind, content, exe)
    return out


def _rattler_install(records, prefix, cache):
    asyncio.run(rattler.install(records, prefix, cache_dir=cache, show_progress=False, execute_link_scripts=True))


@pytest.mark.parametrize("fn", _all_packages())
def test_same_tree_as_rattler(world, fn):
    base, ours, theirs = world
    if fn not in ours:
        pytest.skip(f"{fn}: not in the indexed channel")
    selection = [fn] + ([PY_STANDIN] if ours[fn].noarch == "python" else [])
    tag = hashlib.sha1(fn.encode()).hexdigest()[:10]
    r_prefix, n_prefix = base / "r" / tag, base / "n" / tag  # same length: binary padding is comparable
    rattler_error = None
    if fn in theirs:
        try:
            _rattler_install([theirs[f] for f in selection], r_prefix, base / "rattler-cache")
        except Exception as exc:  # rattler's InstallerError
            rattler_error = str(exc)
    else:  # rattler keeps only the .conda of a .conda/.tar.bz2 pair: compare with that one's outcome
        rattler_error = "not loaded by rattler"
    try:
        Transaction.from_solution(n_prefix, [ours[f] for f in selection], []).execute(PackageCache([base / "naja-cache"]))
        naja_error = None
    except NajaError as exc:
        naja_error = exc

    if fn in FAILING_POST_LINK:
        assert isinstance(naja_error, TransactionError) and "post-link script" in str(naja_error)
        assert Prefix(n_prefix).installed() == []  # rolled back
        return
    if rattler_error == "not loaded by rattler":
        assert naja_error is None
        return
    if rattler_error is not None:
        # rattler refuses the archive (e.g. symlinks with empty targets): naja must refuse it cleanly too
        assert naja_error is not None, f"rattler failed ({rattler_error}) but naja installed {fn}"
        assert not (n_prefix / "conda-meta").exists() or Prefix(n_prefix).installed() == []
        return
    assert naja_error is None, f"rattler installed {fn} but naja failed: {naja_error}"
    assert _normalised(n_prefix) == _normalised(r_prefix)

    # each tool reads the other's records
    for record_path in (n_prefix / "conda-meta").glob("*.json"):
        theirs_view = rattler.PrefixRecord.from_path(record_path)
        ours_view = read_prefix_record(record_path)
        assert theirs_view.name.normalized == ours_view.name
        assert [str(p) for p in theirs_view.files] == ours_view.files
        assert [str(p.relative_path) for p in theirs_view.paths_data.paths] == [p.path for p in ours_view.paths_data.paths]
        assert str(theirs_view.extracted_package_dir) == ours_view.extracted_package_dir
    naja_view = {r.dist_name: r for r in Prefix(r_prefix).installed()}
    ours_installed = {r.dist_name: r for r in Prefix(n_prefix).installed()}
    assert set(naja_view) == set(ours_installed)
    for dist, rec in naja_view.items():
        mine = ours_installed[dist]
        assert rec.files == mine.files
        assert [(p.path, p.path_type) for p in rec.paths_data.paths] == [
            (p.path, p.path_type) for p in mine.paths_data.paths
        ]
        for a, b in zip(rec.paths_data.paths, mine.paths_data.paths):
            assert a.sha256 is None or a.sha256 == b.sha256  # naja hashes files paths.json leaves unhashed
        assert (rec.sha256, rec.md5, rec.size, rec.url) == (mine.sha256, mine.md5, mine.size, mine.url)


def test_naja_removes_what_rattler_installed(world):
    base, ours, theirs = world
    sel = ["ripgrep-completions-14.1.1-hb0f4dca_1.conda", "sample_noarch_python-1.0-py_0.conda", PY_STANDIN]
    prefix = base / "r-then-naja"
    _rattler_install([theirs[f] for f in sel], prefix, base / "rattler-cache")
    tx = Transaction.from_solution(prefix, [ours[PY_STANDIN]], [], remove_specs=["ripgrep-completions"])
    assert sorted(r.name for r in tx.remove) == ["ripgrep-completions", "sample_noarch_python"]
    tx.execute(PackageCache([base / "naja-cache"]))
    assert not (prefix / "share").exists()
    assert not (prefix / "lib/python3.99t/site-packages/sample.py").exists()
    assert [r.name for r in Prefix(prefix).installed()] == ["python"]


def test_rattler_reads_a_naja_environment_as_installed(world):
    """rattler.install given naja's records as installed_packages sees nothing to do."""
    base, ours, theirs = world
    sel = ["ripgrep-completions-14.1.1-hb0f4dca_1.conda", "versioned-1.0-0.conda"]
    prefix = base / "naja-then-rattler"
    Transaction.from_solution(prefix, [ours[f] for f in sel], []).execute(PackageCache([base / "naja-cache"]))
    before = _normalised(prefix)
    installed = [rattler.PrefixRecord.from_path(p) for p in sorted((prefix / "conda-meta").glob("*.json"))]
    assert sorted(r.name.normalized for r in installed) == ["ripgrep-completions", "versioned"]
    # upgrade versioned 1 -> 2 with rattler on top of naja's environment
    _rattler_install_with(prefix, [theirs[sel[0]], theirs["versioned-2.0-0.conda"]], installed, base)
    names = {r.dist_name for r in Prefix(prefix).installed()}
    assert names == {"ripgrep-completions-14.1.1-hb0f4dca_1", "versioned-2.0-0"}
    assert {k for k in before if k.startswith("share")} <= set(_normalised(prefix))


def _rattler_install_with(prefix, records, installed, base):
    asyncio.run(
        rattler.install(
            records, prefix, cache_dir=base / "rattler-cache", installed_packages=installed, show_progress=False
        )
    )


def test_malformed_real_archive_is_refused_cleanly(tmp_path, shared_data, serve):
    """ca-certificates' .conda has unexpected zip members: refused with a PackageError, nothing linked."""
    from naja.errors import PackageError
    from naja.types.records import PackageRecord

    archive = shared_data / "packages/ca-certificates-2024.7.4-hbcca054_0.conda"
    (tmp_path / "ch/linux-64").mkdir(parents=True)
    (tmp_path / "ch/linux-64" / archive.name).write_bytes(archive.read_bytes())
    server = serve(tmp_path / "ch")
    data = archive.read_bytes()
    rec = PackageRecord(
        name="ca-certificates", version="2024.7.4", build="hbcca054_0", subdir="linux-64", fn=archive.name,
        url=f"{server.url}/linux-64/{archive.name}", channel=server.url, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    prefix = tmp_path / "env"
    with pytest.raises(PackageError, match="ca-certificates"):
        Transaction.from_solution(prefix, [rec], []).execute(PackageCache([tmp_path / "pkgs"]))
    assert not prefix.exists()
    assert not (tmp_path / "pkgs/ca-certificates-2024.7.4-hbcca054_0").exists()


def test_same_tree_as_rattler_for_the_whole_set_at_once(world):
    """One environment with one build of every real package that coexists with the others (link
    order, post-link scripts that need other packages' files, shared directories)."""
    base, ours, theirs = world
    chosen: dict[str, str] = {}
    skip = ("clobber", "failing_post_link", "private-package", "zlib-1.2.11-h7b6447c", "zlib-1.2.11-h1de35cc")
    for fn in sorted(theirs):
        if fn.startswith(skip) or fn not in ours:
            continue
        chosen.setdefault(ours[fn].name, fn)
    assert len(chosen) > 20
    r_prefix, n_prefix = base / "r" / "whole-set", base / "n" / "whole-set"
    _rattler_install([theirs[f] for f in chosen.values()], r_prefix, base / "rattler-cache")
    tx = Transaction.from_solution(n_prefix, [ours[f] for f in chosen.values()], [])
    result = tx.execute(PackageCache([base / "naja-cache"]))
    assert not result.clobbers
    assert _normalised(n_prefix) == _normalised(r_prefix)
    assert {r.dist_name for r in Prefix(n_prefix).installed()} == {r.dist_name for r in Prefix(r_prefix).installed()}
