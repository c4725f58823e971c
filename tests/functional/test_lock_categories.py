"""``create/install -f conda-lock.yml --category ...`` as micromamba 2 does it (issue 15.5).

micromamba's ``categories`` setting defaults to ``[main]``; ``--category`` given at all replaces that
default (libmamba ``configuration.cpp`` ``categories``; ``transaction.cpp``
``create_explicit_transaction_from_lockfile`` takes each requested category's packages for the
platform), so ``--category dev`` alone installs only the dev packages, ``--category main --category
dev`` (or ``--category main dev``) both, and a category without packages is a warning, not an error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.support.cli import naja
from tests.support.packages import make_channel
from tests.support.txn import prefix_records

PLATFORM = "linux-64"
PACKAGES = {"runtime": "main", "pytest-ish": "dev", "sphinx-ish": "docs"}


@pytest.fixture(scope="module")
def lockfile(tmp_path_factory) -> Path:
    """A conda-lock v1 file over a local channel: one noarch package per category."""
    root = tmp_path_factory.mktemp("lock-categories")
    channel = make_channel(root / "channel", [
        {"name": name, "version": "1.0", "noarch": "generic", "files": {f"share/{name}.txt": name}}
        for name in PACKAGES])
    entries = []
    for name, category in PACKAGES.items():
        archive = channel / "noarch" / f"{name}-1.0-0.conda"
        entries.append({"name": name, "version": "1.0", "manager": "conda", "platform": PLATFORM,
                        "dependencies": {}, "url": archive.as_uri(),
                        "hash": {"sha256": hashlib.sha256(archive.read_bytes()).hexdigest()},
                        "category": category, "optional": category != "main"})
    doc = {"version": 1, "metadata": {"platforms": [PLATFORM], "channels": [{"url": channel.as_uri(),
                                                                              "used_env_vars": []}],
                                      "content_hash": {}, "sources": []},
           "package": entries}
    path = root / "conda-lock.yml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def installed(prefix: Path) -> set[str]:
    return {r["name"] for r in prefix_records(prefix).values()}


@pytest.mark.parametrize(("flags", "expected"), [
    ((), {"runtime"}),
    (("--category", "dev"), {"pytest-ish"}),
    (("--category", "main", "--category", "dev"), {"runtime", "pytest-ish"}),
    (("--category", "main", "dev", "docs"), {"runtime", "pytest-ish", "sphinx-ish"}),
    (("--category", "dev", "--category", "dev"), {"pytest-ish"}),
])
def test_create_takes_exactly_the_requested_categories(lockfile, tmp_path, flags, expected):
    env = tmp_path / "env"
    naja("create", "-p", env, "-f", lockfile, *flags, "--platform", PLATFORM, "-y", "-q")
    assert installed(env) == expected
    assert all((env / "share" / f"{name}.txt").is_file() for name in expected)


def test_install_adds_a_category_to_an_environment(lockfile, tmp_path):
    env = tmp_path / "env"
    naja("create", "-p", env, "-f", lockfile, "--platform", PLATFORM, "-y", "-q")
    naja("install", "-p", env, "-f", lockfile, "--category", "docs", "--platform", PLATFORM, "-y", "-q")
    assert installed(env) == {"runtime", "sphinx-ish"}


def test_a_category_the_lockfile_lacks_is_a_warning(lockfile, tmp_path):
    env = tmp_path / "env"
    res = naja("create", "-p", env, "-f", lockfile, "--category", "main", "--category", "nosuch",
               "--platform", PLATFORM, "-y")
    assert installed(env) == {"runtime"}
    assert "nosuch" in res.stderr and "warning" in res.stderr.lower()


def test_pip_entries_follow_the_categories(lockfile, tmp_path):
    """pip entries are filtered by the same categories (micromamba collects them per category too)."""
    from naja.environment.files import read_lock_file

    doc = json.loads(lockfile.read_text())
    doc["package"].append({"name": "wheelpkg", "version": "2.0", "manager": "pip", "platform": PLATFORM,
                           "dependencies": {}, "url": "https://example.invalid/wheelpkg-2.0-py3-none-any.whl",
                           "hash": {"sha256": "ab" * 32}, "category": "dev", "optional": True})
    path = tmp_path / "conda-lock.yml"
    path.write_text(json.dumps(doc))
    assert read_lock_file(path, platform=PLATFORM, categories=["main"]).pip == []
    dev = read_lock_file(path, platform=PLATFORM, categories=["dev"])
    assert [r.name for r in dev.lock_records] == ["pytest-ish"]
    assert dev.pip == [f"wheelpkg @ https://example.invalid/wheelpkg-2.0-py3-none-any.whl --hash=sha256:{'ab' * 32}"]
