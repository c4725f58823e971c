"""Reproducible environments: the pieces ``create -f`` (explicit and lock files) and ``env export`` /
``list --explicit`` share. Explicit lines are written as conda and mamba write them: ``URL#<md5>`` or
``URL#sha256:<hex>`` (conda's reader and naja's also accept a bare 64-digit sha256)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from naja import safe_json
from naja.errors import EnvironmentFileError

if TYPE_CHECKING:
    from naja.types.records import PackageRecord


def explicit_url(record: PackageRecord, *, md5: bool = False, sha256: bool = False) -> str:
    """The record's URL without credentials, with ``#sha256:<hex>`` or ``#<md5>`` when asked."""
    from naja.types.url import redact_url

    url = redact_url(record.url) if record.url else ""
    if sha256 and record.sha256:
        return f"{url}#sha256:{record.sha256}"
    if md5 and record.md5:
        return f"{url}#{record.md5}"
    return url


def explicit_lines(records: Iterable[PackageRecord], *, md5: bool = False, sha256: bool = False) -> list[str]:
    """One line per record, dependencies first (CEP 23 says SHOULD be topologically sorted);
    records without a URL (e.g. made by another tool) become a comment, as conda writes them."""
    from naja.install.transaction import topological_order

    lines = []
    for r in topological_order(list(records)):
        if not r.url:
            lines.append(f"# no URL for: {r.fn or r.dist_name}")
        else:
            lines.append(explicit_url(r, md5=md5, sha256=sha256))
    return lines


def check_platform(records: Sequence[PackageRecord], platform: str, source: str = "") -> None:
    """Refuse packages built for another platform (only ``platform`` and ``noarch`` fit)."""
    from naja.types.platform import KNOWN_SUBDIRS

    for r in records:
        subdir = r.subdir or ""
        if subdir in KNOWN_SUBDIRS and subdir not in (platform, "noarch"):
            where = f" in {source}" if source else ""
            raise EnvironmentFileError(
                f"{r.fn or r.dist_name}{where} is built for {subdir}, not for {platform}: nothing was installed")


def env_vars(prefix: Path) -> dict[str, str]:
    """``conda-meta/state`` ``env_vars`` (what ``variables:`` and ``env config vars`` write), without
    the ones ``env config vars unset`` marked as unset."""
    try:
        state = safe_json.loads((prefix / "conda-meta" / "state").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = state.get("env_vars") if isinstance(state, dict) else None
    from naja.shell.settings import UNSET_MARKER as unset
    return {str(k): str(v) for k, v in found.items() if v != unset} if isinstance(found, dict) else {}


def pip_installed(prefix: Path) -> list[str]:
    """``name==version`` for Python distributions in the environment that conda did not install
    (their ``INSTALLER`` is not ``conda``): the ``pip:`` section of ``env export``."""
    site_dirs = [*prefix.glob("lib/python*/site-packages"), prefix / "Lib" / "site-packages"]
    found: dict[str, str] = {}
    for site in site_dirs:
        if not site.is_dir():
            continue
        for info in sorted(site.glob("*.dist-info")):
            try:
                installer = (info / "INSTALLER").read_text(encoding="utf-8").strip()
            except OSError:
                installer = ""
            if installer in ("conda", ""):
                continue
            name, version = _name_version(info)
            if name and name.lower() not in found:
                found[name.lower()] = f"{name}=={version}"
    return [found[k] for k in sorted(found)]


def _name_version(info: Path) -> tuple[str, str]:
    name = version = ""
    try:
        with open(info / "METADATA", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        stem = info.name[: -len(".dist-info")]
        name, _, version = stem.partition("-")
    return name, version


def pip_missing_message(prefix: Path) -> str | None:
    """Why the environment cannot run ``python -m pip`` (None when it can)."""
    import subprocess

    python = prefix / ("python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        return (f"the environment file has a pip section but {prefix} has no python: "
                "add python and pip to its dependencies")
    try:
        probe = subprocess.run([str(python), "-c", "import pip"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {python} to install the pip section: {exc}"
    if probe.returncode != 0:
        return (f"the environment file has a pip section but pip is not installed in {prefix}: "
                "add pip to its dependencies")
    return None


@contextmanager
def requirements_file(requirements: Sequence[str], directory: str | None) -> Iterator[str]:
    """The ``pip:`` lines as a temporary requirements file in ``directory`` (the environment file's,
    so relative lines resolve as they read), else in the temp dir; removed afterwards."""
    import tempfile

    text = "".join(f"{line}\n" for line in requirements)
    for where in (directory, None):
        try:
            fd, name = tempfile.mkstemp(prefix=".naja-pip-", suffix=".txt", dir=where)
        except OSError:
            continue
        break
    else:  # pragma: no cover - no writable temp dir at all
        raise EnvironmentFileError("cannot write a temporary requirements file for the pip section")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        yield name
    finally:
        with suppress(OSError):
            os.unlink(name)
