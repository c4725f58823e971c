"""Python packages that pip (or uv) installed into an environment, as ``list`` shows them.

micromamba 2 lists them with channel ``pypi`` and build ``pypi_0`` (libmamba
``PrefixData::load_site_packages``, from ``pip inspect``), when ``pip`` or ``uv`` is installed in the
environment and the package's ``INSTALLER`` is ``pip`` or ``uv``. naja reads the same facts from the
``*.dist-info`` directories themselves: no Python process is started.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from email.parser import HeaderParser
from pathlib import Path

from naja.types.records import PackageRecord

PYPI = "pypi"
PYPI_BASE_URL = "https://pypi.org/"
_INSTALLERS = frozenset({"pip", "uv"})
_MAX_METADATA = 1 << 20  # the headers are at the top; a huge METADATA file is not read whole


def site_packages(prefix: Path) -> list[Path]:
    """``lib/pythonX.Y/site-packages`` (Unix) and ``Lib/site-packages`` (Windows) of ``prefix``."""
    found = sorted(prefix.glob("lib/python*/site-packages"))
    windows = prefix / "Lib" / "site-packages"
    return [*found, windows] if windows.is_dir() else found


def pip_records(prefix: Path, conda_names: Iterable[str]) -> list[PackageRecord]:
    """The pip-installed packages of ``prefix`` (none unless ``pip`` or ``uv`` is a conda package
    there, as micromamba), sorted by name."""
    names = set(conda_names)
    if not names & _INSTALLERS:
        return []
    out: dict[str, PackageRecord] = {}
    for site in site_packages(prefix):
        for dist in sorted(site.glob("*.dist-info")):
            rec = _record(dist)
            if rec is not None and rec.name not in out:
                out[rec.name] = rec
    return [out[k] for k in sorted(out)]


def _record(dist: Path) -> PackageRecord | None:
    try:
        if dist.is_symlink() or (dist / "INSTALLER").read_text(encoding="utf-8").strip() not in _INSTALLERS:
            return None
        with open(dist / "METADATA", encoding="utf-8", errors="replace") as fh:
            headers = HeaderParser().parsestr(fh.read(_MAX_METADATA), headersonly=True)
    except OSError:
        return None
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return PackageRecord(name=name.strip(), version=version.strip(), build="pypi_0", build_number=0,
                         channel=PYPI, subdir=_platform(), fn="", url="")


def _platform() -> str:
    """micromamba's ``sys_platform-platform_machine`` (``linux-x86_64``)."""
    import platform

    return f"{sys.platform}-{platform.machine()}"
