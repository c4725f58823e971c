"""What one package will put into a prefix, worked out before anything is written.

A package's file list comes from ``info/paths.json`` (or, for old packages, ``info/files`` +
``has_prefix`` + ``no_link``); every path is checked by the confinement layer, and the files of
``noarch: python`` packages are remapped into the environment's python (``noarch_python``). The plan
lists each file with its target, the entry points to write and the byte code python will add, so
the transaction can journal every path before the prefix is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from naja import safe_json
from naja.confine import check_relpath
from naja.errors import PackageError, TransactionError
from naja.install.noarch_python import PythonInfo, is_noarch_python, parse_entry_point
from naja.types.package_metadata import PathEntry, PathsJson, paths_from_legacy
from naja.types.records import PackageRecord

_paths_decoder = msgspec.json.Decoder(PathsJson)


@dataclass(frozen=True)
class PlannedFile:
    """A file of the package and where it lands in the prefix."""

    target: str
    entry: PathEntry


@dataclass
class PackagePlan:
    """Everything one package will put into the prefix, computed before anything is written."""

    package_dir: Path
    record: PackageRecord
    files: list[PlannedFile] = field(default_factory=list)
    entry_points: list[tuple[str, str, str]] = field(default_factory=list)  # (target, module, func)
    python: PythonInfo | None = None
    noarch_python: bool = False

    def pyc_targets(self) -> list[str]:
        """The ``__pycache__`` files the environment's python will write for this package."""
        if not self.noarch_python or self.python is None:
            return []
        tag = self.python.cache_tag
        out = []
        for pf in self.files:
            if pf.target.endswith(".py") and pf.target.startswith(self.python.site_packages + "/"):
                head, _, tail = pf.target.rpartition("/")
                out.append(f"{head}/__pycache__/{tail[:-3]}.{tag}.pyc")
        return out

    def targets(self) -> list[str]:
        """Every path this package may create (files, entry points, byte code)."""
        return (
            [pf.target for pf in self.files]
            + [t for t, _, _ in self.entry_points]
            + self.pyc_targets()
        )


# ------------------------------------------------------------------------------------------- reading


def read_paths(package_dir: str | os.PathLike[str]) -> list[PathEntry]:
    """The package's file list from ``info/paths.json``, else ``info/files`` + ``has_prefix`` + ``no_link``."""
    info = Path(package_dir) / "info"
    try:
        data = (info / "paths.json").read_bytes()
    except FileNotFoundError:
        legacy = _legacy_paths(info)
        return msgspec.convert(legacy, PathsJson).paths
    try:
        return _paths_decoder.decode(data).paths
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        pass
    try:  # a hand-made paths.json with loose types ("no_link": "true", sizes as strings, ...)
        return msgspec.json.decode(data, type=PathsJson, strict=False).paths
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # a hostile or broken paths.json: not a crash
        raise PackageError(f"{package_dir}: invalid info/paths.json: {exc}") from None
    except RecursionError:
        raise PackageError(f"{package_dir}: invalid info/paths.json: nested too deeply") from None


def _legacy_paths(info: Path) -> dict[str, object]:
    def text(name: str) -> str:
        try:
            return (info / name).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    files = text("files")
    if not files and not (info / "files").exists():
        raise PackageError(f"{info.parent}: package has neither info/paths.json nor info/files")
    return paths_from_legacy(files, text("has_prefix"), text("no_link"))


def read_link_json(package_dir: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data: dict[str, Any] = safe_json.loads((Path(package_dir) / "info" / "link.json").read_bytes())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise PackageError(f"{package_dir}: invalid info/link.json: {exc}") from None
    return data


# ------------------------------------------------------------------------------------------ planning


def _check_relpath(record: PackageRecord, rel: str) -> str:
    """Refuse paths that would land outside the prefix or in naja's bookkeeping (a malicious or
    broken paths.json); the common plain path costs a few string tests."""
    if rel and rel[0] != "/" and "." not in rel.partition("/")[0][:1] and "/." not in rel and "//" not in rel \
            and "\x00" not in rel and not rel.endswith("/") and rel.partition("/")[0] != "conda-meta":
        return rel
    return check_relpath(rel, record.dist_name)


def plan_package(
    package_dir: str | os.PathLike[str], record: PackageRecord, python: PythonInfo | None = None
) -> PackagePlan:
    """Work out where every file of the package goes (pure apart from reading ``info/``)."""
    package_dir = Path(package_dir)
    plan = PackagePlan(package_dir=package_dir, record=record, python=python)
    noarch_python = is_noarch_python(record, package_dir)
    plan.noarch_python = noarch_python
    if noarch_python and python is None:
        raise TransactionError(
            f"cannot install noarch: python package {record.dist_name}: no python in the environment"
        )
    for entry in read_paths(package_dir):
        rel = _check_relpath(record, entry.path)
        target = rel
        if noarch_python:
            assert python is not None
            if rel.startswith("site-packages/"):
                target = python.site_packages + rel[len("site-packages") :]
            elif rel.startswith("python-scripts/"):
                target = "bin" + rel[len("python-scripts") :]
            if target is not rel:
                target = check_relpath(target, record.dist_name)
        plan.files.append(PlannedFile(target=target, entry=entry))
    if noarch_python:
        noarch = read_link_json(package_dir).get("noarch") or {}
        for spec in noarch.get("entry_points") or []:
            plan.entry_points.append(parse_entry_point(record, spec))
    return plan

