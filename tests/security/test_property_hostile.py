"""Property: hostile packages and records never change anything outside the prefix and the package
cache. Each example builds, inside a fresh temporary root, extracted packages in a package cache (as
a hostile channel or a tampered cache would deliver them: ``../`` paths, absolute paths into the
root, naja's reserved names, symlink chains, paths colliding with other packages' files and
directories, sizes and hashes that lie) next to a benign package, then runs create, update (with a
link planted in the prefix pointing outside, as another tool might leave), a remove driven by a
forged ``conda-meta`` record, and a final remove. After every step everything under the root but
the prefix and the cache is byte-for-byte as before. The test counts how many examples reached the
real link or unlink code (not just path parsing) and fails below a floor."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naja.errors import NajaError
from naja.install import link as link_mod
from naja.install import unlink_link as unlink_link_mod
from naja.install.transaction import Transaction
from naja.package.cache import PackageCache
from naja.package.verify import SafetyChecks
from naja.types.records import PackageRecord, record_from_dict
from tests.security.conftest import snapshot

MAX_EXAMPLES = 60
FLOOR = 0.4  # at least this share of examples must reach Linker.link or the unlink step with hostile paths


@dataclass
class Counters:
    examples: int = 0
    reached: int = 0
    refused: int = 0
    hostile_entries: int = 0
    _hit: bool = field(default=False, repr=False)


COUNT = Counters()

# path shapes; {root} is the temporary root (absolute paths point inside it), {n} a package name
HOSTILE_PATHS = [
    "../victim/file.txt", "../../victim/file.txt", "share/../../victim/file.txt", "share/{n}/../../../victim",
    "{root}/victim/file.txt", "{root}/victim", "conda-meta/forged-1-0.json", "conda-meta/.naja-transaction",
    ".naja-trash/x", "share/..", ".", "", "share/planted/file.txt", "share/planted/new.txt",
    "lib/l0/file.txt", "lib/l1/x/y", "share/common.txt", "share/good", "share/good/g.txt", "lib",
]
LINK_TARGETS = ["../../victim", "..", "{root}/victim", "../share", "l1", "l0/..", "../../..", "x", "../lib/l0"]

entry_kind = st.sampled_from(["hostile", "benign", "benign", "link", "lying"])
entries = st.lists(st.tuples(entry_kind, st.integers(0, 1000)), min_size=1, max_size=6)
package = st.tuples(entries, st.booleans())  # (entries, noarch-ish sub folder)
forged = st.lists(st.sampled_from(HOSTILE_PATHS), min_size=1, max_size=4)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _make_extracted(pkgs: Path, root: Path, name: str, spec: list[tuple[str, int]]) -> PackageRecord:
    """An extracted package ``<name>-1-0`` in ``pkgs`` with paths.json from ``spec``."""
    dist = f"{name}-1-0"
    base = pkgs / dist
    (base / "info").mkdir(parents=True)
    paths = []
    for i, (kind, seed) in enumerate(spec):
        data = f"{name} {i} {seed}\n".encode()
        if kind == "benign":
            rel = f"share/{name}/f{seed % 7}.txt"
        elif kind == "hostile":
            rel = HOSTILE_PATHS[seed % len(HOSTILE_PATHS)].format(root=root, n=name)
            COUNT.hostile_entries += 1
        elif kind == "link":
            rel = f"lib/l{seed % 3}"
            target = LINK_TARGETS[seed % len(LINK_TARGETS)].format(root=root)
            full = base / rel
            full.parent.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(full):
                os.symlink(target, full)
            paths.append({"_path": rel, "path_type": "softlink", "sha256": _sha(target.encode()),
                          "size_in_bytes": len(target)})
            COUNT.hostile_entries += 1
            continue
        else:  # lying: content differs from the declared hash and size
            rel = f"share/{name}/lie{seed % 3}.txt"
        if rel and not rel.startswith("/") and ".." not in rel.split("/") and rel not in (".",):
            full = base / rel
            if not full.parent.is_symlink() and not full.is_symlink():
                try:
                    full.parent.mkdir(parents=True, exist_ok=True)
                    if not full.exists():
                        full.write_bytes(data)
                except OSError:
                    pass
        declared = data if kind != "lying" else data + b"more"
        paths.append({"_path": rel, "path_type": "hardlink", "sha256": _sha(declared),
                      "size_in_bytes": len(declared)})
    (base / "info" / "paths.json").write_text(json.dumps({"paths": paths, "paths_version": 1}))
    (base / "info" / "index.json").write_text(json.dumps({"name": name, "version": "1", "build": "0"}))
    fake = _sha(dist.encode())
    rec = {"name": name, "version": "1", "build": "0", "build_number": 0, "depends": [], "fn": f"{dist}.conda",
           "url": f"file:///nonexistent/{dist}.conda", "sha256": fake, "size": 1, "channel": "file:///nonexistent",
           "subdir": "linux-64"}
    (base / "info" / "repodata_record.json").write_text(json.dumps(rec))
    return record_from_dict(rec)


def _good(pkgs: Path) -> PackageRecord:
    base = pkgs / "good-1-0"
    (base / "share/good").mkdir(parents=True)
    (base / "info").mkdir()
    data = b"good\n"
    (base / "share/good/g.txt").write_bytes(data)
    (base / "share/common.txt").write_bytes(data)
    paths = [{"_path": p, "path_type": "hardlink", "sha256": _sha(data), "size_in_bytes": len(data)}
             for p in ("share/good/g.txt", "share/common.txt")]
    (base / "info" / "paths.json").write_text(json.dumps({"paths": paths}))
    rec = {"name": "good", "version": "1", "build": "0", "build_number": 0, "depends": [], "fn": "good-1-0.conda",
           "url": "file:///nonexistent/good-1-0.conda", "sha256": _sha(b"good"), "size": 1,
           "channel": "file:///nonexistent", "subdir": "linux-64"}
    (base / "info" / "repodata_record.json").write_text(json.dumps(rec))
    return record_from_dict(rec)


class _Probe:
    """Counts calls into the real link and unlink code (the functions still run unchanged)."""

    def __enter__(self) -> _Probe:
        self.link, self.unlink = link_mod.Linker.link, unlink_link_mod.UnlinkLink._unlink_all
        real_link, real_unlink = self.link, self.unlink

        def link(linker, plan):  # type: ignore[no-untyped-def]
            if plan.record.name != "good":
                COUNT._hit = True
            return real_link(linker, plan)

        def unlink(runner):  # type: ignore[no-untyped-def]
            if any(r.name != "good" for r in runner.tx.to_unlink):
                COUNT._hit = True
            return real_unlink(runner)

        link_mod.Linker.link = link  # type: ignore[method-assign]
        unlink_link_mod.UnlinkLink._unlink_all = unlink  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        link_mod.Linker.link = self.link  # type: ignore[method-assign]
        unlink_link_mod.UnlinkLink._unlink_all = self.unlink  # type: ignore[method-assign]


def _step(prefix: Path, cache: PackageCache, solution: list[PackageRecord], root: Path,
          outside: dict) -> bool:
    """One transaction; a refusal must be a NajaError; nothing outside may change. True if applied."""
    try:
        Transaction.from_solution(prefix, solution, [r.name for r in solution]).execute(cache)
        ok = True
    except NajaError as exc:
        assert "\n" not in str(exc), exc
        COUNT.refused += 1
        ok = False
    assert snapshot(root, skip=("env", "pkgs")) == outside, "something outside the prefix changed"
    return ok


def _forge(prefix: Path, dist: str, paths: list[str], root: Path) -> bool:
    record = prefix / "conda-meta" / f"{dist}.json"
    if not record.is_file():
        return False
    doc = json.loads(record.read_text())
    extra = [p.format(root=root, n=dist) for p in paths]
    doc["files"] = [*doc.get("files", []), *extra]
    doc["paths_data"]["paths"] = [*doc["paths_data"]["paths"], *({"_path": p} for p in extra)]
    record.write_text(json.dumps(doc))
    return True


@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=package, second=package, forged_paths=forged, mode=st.sampled_from(["warn", "enabled", "disabled"]))
def test_hostile_packages_and_records_never_touch_anything_outside(first, second, forged_paths, mode) -> None:
    COUNT.examples += 1
    COUNT._hit = False
    with tempfile.TemporaryDirectory(prefix="naja-hostile-") as tmp, _Probe():
        root = Path(os.path.realpath(tmp))
        (root / "victim" / "dir").mkdir(parents=True)
        (root / "victim" / "file.txt").write_text("victim\n")
        (root / "victim" / "dir" / "inner.txt").write_text("inner\n")
        prefix, pkgs = root / "env", root / "pkgs"
        pkgs.mkdir()
        good = _good(pkgs)
        evil = _make_extracted(pkgs, root, "evil", first[0])
        worse = _make_extracted(pkgs, root, "worse", second[0])
        cache = PackageCache([pkgs])
        cache.safety = SafetyChecks(mode=mode)
        outside = snapshot(root, skip=("env", "pkgs"))
        # create: the benign package with a hostile one
        if not _step(prefix, cache, [good, evil], root, outside):
            # refused as a whole: the benign package alone still installs
            assert _step(prefix, cache, [good], root, outside)
        assert (prefix / "share/good/g.txt").read_bytes() == b"good\n"
        # update, with a link planted in the prefix that leads outside
        planted = prefix / "share" / "planted"
        if not os.path.lexists(planted):
            os.symlink(root / "victim", planted)
        installed = [good, evil] if (prefix / "conda-meta" / "evil-1-0.json").exists() else [good]
        _step(prefix, cache, [*installed, worse], root, outside)
        # a forged record for whatever hostile package got in, then remove it
        dists = [d for d in ("evil-1-0", "worse-1-0") if (prefix / "conda-meta" / f"{d}.json").exists()]
        for d in dists:
            _forge(prefix, d, forged_paths, root)
        _step(prefix, cache, [good], root, outside)
        # remove everything (records whose forged paths were refused stay; then drop them by hand)
        _step(prefix, cache, [], root, outside)
        assert (root / "victim" / "file.txt").read_text() == "victim\n"
    if COUNT._hit:
        COUNT.reached += 1


def test_enough_hostile_cases_reached_link_or_unlink() -> None:
    """Runs after the property (same module, file order): the generated cases were not all stopped
    at parsing."""
    if COUNT.examples == 0:
        test_hostile_packages_and_records_never_touch_anything_outside()
    print(f"\nhostile property: {COUNT.examples} examples, {COUNT.hostile_entries} hostile entries, "
          f"{COUNT.reached} reached link/unlink, {COUNT.refused} transactions refused")
    assert COUNT.reached >= FLOOR * COUNT.examples, COUNT
