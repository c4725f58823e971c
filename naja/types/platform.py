"""Conda platforms ("subdirs"): ``linux-64``, ``osx-arm64``, ``noarch``, … and host detection.

A subdir names both the directory a channel keeps its repodata in and the platform a package was
built for. conda lets ``CONDA_SUBDIR`` (mamba also ``MAMBA_PLATFORM``) replace the detected one, so
that an environment for another platform can be solved or created.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Mapping

from naja.errors import UnknownPlatformError

# subdir -> (os family or None, architecture as conda's repodata ``arch`` field spells it, or None)
_KNOWN: dict[str, tuple[str | None, str | None]] = {
    "noarch": (None, None),
    "linux-32": ("linux", "x86"),
    "linux-64": ("linux", "x86_64"),
    "linux-aarch64": ("linux", "aarch64"),
    "linux-armv6l": ("linux", "armv6l"),
    "linux-armv7l": ("linux", "armv7l"),
    "linux-ppc64le": ("linux", "ppc64le"),
    "linux-ppc64": ("linux", "ppc64"),
    "linux-s390x": ("linux", "s390x"),
    "linux-riscv32": ("linux", "riscv32"),
    "linux-riscv64": ("linux", "riscv64"),
    "linux-loongarch64": ("linux", "loongarch64"),
    "osx-64": ("osx", "x86_64"),
    "osx-arm64": ("osx", "arm64"),
    "win-32": ("win", "x86"),
    "win-64": ("win", "x86_64"),
    "win-arm64": ("win", "arm64"),
    "freebsd-64": ("freebsd", "x86_64"),
    "zos-z": ("zos", "z"),
    "emscripten-wasm32": ("emscripten", "wasm32"),
    "wasi-wasm32": ("wasi", "wasm32"),
}

_SUBDIR_SHAPE = re.compile(r"[a-z][a-z0-9_]*-[a-z0-9_]+")

KNOWN_SUBDIRS: tuple[str, ...] = tuple(_KNOWN)
"""Every subdir naja recognises, ``noarch`` first."""

_UNIX_OSES = frozenset({"linux", "osx", "freebsd", "emscripten"})  # as rattler and CEP 30 (__unix)


class Platform:
    """One conda subdir. ``Platform("linux-64")``; ``str()`` gives the subdir back. Immutable, hashable.

    A plain slotted class rather than a dataclass: ``dataclasses`` costs milliseconds to import and
    this module is on every command's startup path.
    """

    __slots__ = ("subdir",)
    subdir: str

    def __init__(self, subdir: str, *, strict: bool = True) -> None:
        """``strict=False`` also takes a subdir naja does not know but shaped as one (``os-arch``,
        ``[a-z0-9_]``): micromamba's ``--platform`` takes any string, for channels with new subdirs."""
        if subdir not in _KNOWN and (strict or not _SUBDIR_SHAPE.fullmatch(subdir)):
            raise UnknownPlatformError(
                f"unknown platform {subdir!r} (expected one of: {', '.join(KNOWN_SUBDIRS)})"
            )
        object.__setattr__(self, "subdir", subdir)

    @property
    def known(self) -> bool:
        """Whether this is one of conda's subdirs (``KNOWN_SUBDIRS``)."""
        return self.subdir in _KNOWN

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Platform is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Platform) and other.subdir == self.subdir

    def __hash__(self) -> int:
        return hash(self.subdir)

    def __repr__(self) -> str:
        return f"Platform({self.subdir!r})"

    def __reduce__(self) -> tuple[type[Platform], tuple[str]]:
        return (Platform, (self.subdir,))

    def __str__(self) -> str:
        return self.subdir

    @classmethod
    def parse(cls, value: str | Platform, *, strict: bool = True) -> Platform:
        """Accept a Platform or a subdir string (whitespace and case tolerated)."""
        if isinstance(value, Platform):
            return value
        return cls(str(value).strip().lower(), strict=strict)

    @classmethod
    def current(cls, env: Mapping[str, str] | None = None) -> Platform:
        """The platform to install for: ``CONDA_SUBDIR`` or ``MAMBA_PLATFORM`` if set, else the host."""
        env = os.environ if env is None else env
        for var in ("CONDA_SUBDIR", "MAMBA_PLATFORM"):
            value = env.get(var, "").strip()
            if value:
                return cls.parse(value)
        return cls.host()

    @classmethod
    def host(cls) -> Platform:
        """The platform of the running interpreter, ignoring any environment override."""
        return _host_platform()

    @property
    def os(self) -> str | None:
        """``"linux"``, ``"osx"``, ``"win"``, ``"emscripten"``, … or None for noarch."""
        return _KNOWN[self.subdir][0] if self.known else self.subdir.split("-", 1)[0]

    @property
    def arch(self) -> str | None:
        """Architecture as repodata's ``arch`` field spells it (``x86_64``, ``arm64``, …); None for noarch."""
        return _KNOWN[self.subdir][1] if self.known else self.subdir.split("-", 1)[1]

    @property
    def is_noarch(self) -> bool:
        return self.subdir == "noarch"

    @property
    def is_linux(self) -> bool:
        return self.os == "linux"

    @property
    def is_osx(self) -> bool:
        return self.os == "osx"

    @property
    def is_win(self) -> bool:
        return self.os == "win"

    @property
    def is_unix(self) -> bool:
        return self.os in _UNIX_OSES

    @property
    def bits(self) -> int | None:
        """Pointer width (32 or 64), None for noarch."""
        arch = self.arch
        if arch is None:
            return None
        return 32 if arch in {"x86", "armv6l", "armv7l", "riscv32", "wasm32"} else 64


_MACHINE_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "x86": "x86",
    "arm64": "arm64",
    "aarch64": "aarch64",
}


def host_subdir(sys_platform: str | None = None, machine: str | None = None, bits: int | None = None) -> str:
    """Compute the subdir for an OS/machine pair (defaults: the running interpreter).

    A 32-bit interpreter on a 64-bit x86 machine is reported as the 32-bit subdir, as conda does.
    """
    sys_platform = sys.platform if sys_platform is None else sys_platform
    if machine is None:
        if hasattr(os, "uname"):  # cheaper than importing the stdlib ``platform`` module
            machine = os.uname().machine
        else:
            import platform as _stdlib_platform

            machine = _stdlib_platform.machine()
    machine = machine.lower()
    bits = (64 if sys.maxsize > 2**32 else 32) if bits is None else bits
    arch = _MACHINE_ALIASES.get(machine, machine)
    if arch == "x86_64" and bits == 32:
        arch = "x86"

    if sys_platform.startswith("linux"):
        if arch == "x86_64":
            return "linux-64"
        if arch == "x86":
            return "linux-32"
        if arch == "arm64":
            return "linux-aarch64"
        candidate = f"linux-{arch}"
    elif sys_platform == "darwin":
        return "osx-arm64" if arch in {"arm64", "aarch64"} else "osx-64"
    elif sys_platform in {"win32", "cygwin"}:
        if arch in {"arm64", "aarch64"}:
            return "win-arm64"
        return "win-32" if arch == "x86" else "win-64"
    elif sys_platform == "emscripten":
        return "emscripten-wasm32"
    elif sys_platform == "wasi":
        return "wasi-wasm32"
    elif sys_platform.startswith("freebsd"):
        candidate = "freebsd-64"
    else:
        candidate = f"{sys_platform}-{arch}"
    if candidate not in _KNOWN:
        raise UnknownPlatformError(f"cannot map this machine ({sys_platform}, {machine}) to a conda platform")
    return candidate


@functools.cache
def _host_platform() -> Platform:
    return Platform(host_subdir())
