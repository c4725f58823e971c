"""conda-lock lockfiles (``conda-lock.yml``, version 1): read them to install without solving, and
write them from per-platform solutions so that the conda-lock tool itself can read them."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from naja.errors import EnvironmentFileError, one_line
from naja.fs import atomic_write
from naja.types.archive import strip_archive_suffix
from naja.types.records import PackageRecord


class LockHash(msgspec.Struct, omit_defaults=True):
    md5: str | None = None
    sha256: str | None = None


class LockedPackage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One ``package:`` entry: a conda or pip artifact pinned for one platform."""

    name: str
    version: str
    manager: str
    platform: str
    url: str
    hash: LockHash
    dependencies: dict[str, str] = msgspec.field(default_factory=dict)
    category: str = "main"
    optional: bool = False
    build: str | None = None


class LockChannel(msgspec.Struct):
    url: str
    used_env_vars: list[str] = msgspec.field(default_factory=list)


class LockMetadata(msgspec.Struct, kw_only=True):
    platforms: list[str]
    channels: list[LockChannel] = msgspec.field(default_factory=list)
    sources: list[str] = msgspec.field(default_factory=list)
    content_hash: dict[str, str] = msgspec.field(default_factory=dict)


class LockFile(msgspec.Struct, kw_only=True):
    version: int
    metadata: LockMetadata
    package: list[LockedPackage]

    def packages_for(self, platform: str, categories: Iterable[str] = ("main",)) -> list[LockedPackage]:
        """The packages of ``platform`` in any of ``categories`` (conda and pip), category by category
        in the order given, then lockfile order (micromamba's ``create_explicit_transaction_from_lockfile``).
        An artifact listed under two of the categories is taken once."""
        out: list[LockedPackage] = []
        seen: set[tuple[str, str, str]] = set()
        for category in dict.fromkeys(categories):
            for p in self.package:
                key = (p.manager, p.name, p.url)
                if p.platform == platform and p.category == category and key not in seen:
                    seen.add(key)
                    out.append(p)
        return out

    def empty_categories(self, platform: str, categories: Iterable[str]) -> list[str]:
        """The requested categories with no conda package for ``platform`` (micromamba warns about each)."""
        have = {p.category for p in self.package if p.platform == platform and p.manager == "conda"}
        return [c for c in dict.fromkeys(categories) if c not in have]


def read_lockfile(path: str | os.PathLike[str]) -> LockFile:
    """Parse a conda-lock v1 file; a malformed one is an ``EnvironmentFileError`` naming it."""
    from ruamel.yaml.error import YAMLError

    from naja import safe_yaml

    path = Path(path)
    try:
        raw = safe_yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise EnvironmentFileError(f"cannot read lockfile {path}: {one_line(exc)}") from None
    if not isinstance(raw, dict) or "package" not in raw:
        raise EnvironmentFileError(f"{path} is not a conda-lock file (no 'package' list)")
    if raw.get("version") != 1:
        raise EnvironmentFileError(
            f"{path}: unsupported conda-lock version {raw.get('version')!r} (expected 1)"
        )
    try:
        return msgspec.convert(raw, LockFile, strict=False)
    except msgspec.ValidationError as exc:
        raise EnvironmentFileError(f"{path}: invalid conda-lock file: {exc}") from None


def is_lockfile(path: str | Path) -> bool:
    """``-f`` accepts lockfiles by name (``*conda-lock.yml``/``.yaml``), as micromamba does."""
    name = Path(path).name
    return name.endswith(("-lock.yml", "-lock.yaml")) or name in ("conda-lock.yml", "conda-lock.yaml")


def to_records(packages: Sequence[LockedPackage]) -> list[PackageRecord]:
    """The conda packages as records ready for the transaction (no solve); pip entries are skipped."""
    records = []
    for pkg in packages:
        if pkg.manager != "conda":
            continue
        if not pkg.hash.sha256 and not pkg.hash.md5:
            raise EnvironmentFileError(f"lockfile entry {pkg.name} has no md5 or sha256 hash")
        fn = pkg.url.rsplit("/", 1)[-1]
        subdir_url, _, _ = pkg.url.rpartition("/")
        channel_url, _, subdir = subdir_url.rpartition("/")
        build = pkg.build or _build_from_fn(fn, pkg.name, pkg.version)
        records.append(
            PackageRecord(
                name=pkg.name,
                version=pkg.version,
                build=build,
                depends=[f"{n} {s}".strip() if s and s != "*" else n for n, s in pkg.dependencies.items()],
                subdir=subdir,
                md5=pkg.hash.md5,
                sha256=pkg.hash.sha256,
                fn=fn,
                url=pkg.url,
                channel=channel_url,
            )
        )
    return records


def pip_requirements(packages: Sequence[LockedPackage]) -> list[str]:
    """The pip entries as ``name @ url`` requirement lines (installed after the conda packages), each
    with ``--hash=sha256:...`` when every entry has one: pip then checks them all (hash-checking mode
    is all or nothing, so one entry without a hash turns it off rather than failing the install)."""
    pip = [p for p in packages if p.manager == "pip"]
    hashed = bool(pip) and all(p.hash.sha256 for p in pip)
    return [f"{p.name} @ {p.url}" + (f" --hash=sha256:{p.hash.sha256}" if hashed else "") for p in pip]


def _build_from_fn(fn: str, name: str, version: str) -> str:
    stem = strip_archive_suffix(fn)
    prefix = f"{name}-{version}-"
    return stem[len(prefix) :] if stem.startswith(prefix) else stem.rsplit("-", 1)[-1]


def build_lockfile(
    solutions: Mapping[str, Sequence[PackageRecord]],
    channels: Sequence[str],
    sources: Sequence[str] = (),
    category: str = "main",
) -> LockFile:
    """A v1 lockfile from one solution per platform; virtual packages are left out, as conda-lock does."""
    packages: list[LockedPackage] = []
    for platform, records in solutions.items():
        for rec in sorted(records, key=lambda r: r.name):
            if rec.name.startswith("__"):
                continue
            packages.append(_locked(rec, platform, category))
    content_hash = {p: _solution_hash(recs) for p, recs in solutions.items()}
    metadata = LockMetadata(
        platforms=list(solutions),
        channels=[LockChannel(url=c) for c in channels],
        sources=list(sources),
        content_hash=content_hash,
    )
    return LockFile(version=1, metadata=metadata, package=packages)


def _locked(rec: PackageRecord, platform: str, category: str) -> LockedPackage:
    if not rec.url:
        raise EnvironmentFileError(f"cannot lock {rec.dist_name}: its record has no URL")
    deps = {}
    for dep in rec.depends:
        name, _, spec = dep.strip().partition(" ")
        deps[name] = spec.strip() or "*"
    return LockedPackage(
        name=rec.name,
        version=rec.version,
        manager="conda",
        platform=platform,
        url=rec.url,
        hash=LockHash(md5=rec.md5, sha256=rec.sha256),
        dependencies=deps,
        category=category,
        optional=category != "main",
        build=rec.build or None,
    )


def _solution_hash(records: Sequence[PackageRecord]) -> str:
    text = "\n".join(sorted(r.url for r in records if r.url))
    return hashlib.sha256(text.encode()).hexdigest()


def write_lockfile(lock: LockFile, path: str | Path) -> None:
    """Write ``lock`` as YAML with conda-lock's header comment and key order."""
    from ruamel.yaml import YAML

    data = msgspec.to_builtins(lock)
    data["metadata"]["time_metadata"] = {"created_at": datetime.now(timezone.utc).isoformat()}
    for pkg in data["package"]:
        pkg.setdefault("dependencies", {})
        pkg.setdefault("optional", False)
        pkg.setdefault("category", "main")
    ordered = {"version": data["version"], "metadata": data["metadata"], "package": data["package"]}
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    buf.write("# This lock file was generated by naja (conda-lock format, version 1).\n")
    buf.write("# Install it with: naja create -n ENV -f " + Path(path).name + "\n")
    yaml.dump(json.loads(json.dumps(ordered)), buf)
    try:
        atomic_write(Path(path), buf.getvalue().encode("utf-8"))
    except OSError as exc:
        raise EnvironmentFileError(f"cannot write lockfile {path}: {exc.strerror or exc}") from None
