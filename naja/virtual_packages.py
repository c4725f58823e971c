"""Virtual packages (CEP 30): ``__unix``, ``__linux``, ``__glibc``, ``__cuda``, ``__archspec``,
``__osx``, ``__win``, injected into every solve to describe the system packages cannot install.

Detection only happens for the host platform. For another ``--platform`` (or ``CONDA_SUBDIR``) the
packages a user of that platform would most likely have are assumed, as rattler/pixi do (glibc 2.17,
macOS 10.15 or 11.0, a generic microarchitecture), so cross-platform solves do not fail on them.
``CONDA_OVERRIDE_<NAME>`` replaces a value; set to the empty string it removes the package, as in
conda. ``CONDA_OVERRIDE_UNIX`` has no effect.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping

from naja.errors import ConfigError
from naja.types.platform import Platform
from naja.types.records import PackageRecord

VIRTUAL_CHANNEL = "@"
"""The ``channel`` value of virtual package records (conda and mamba use ``@`` too)."""

DEFAULT_GLIBC = "2.17"
DEFAULT_LINUX = "4.18"
DEFAULT_OSX = {"osx-64": "10.15", "osx-arm64": "11.0"}
DEFAULT_WIN = "0"

_VERSION_RE = re.compile(r"^[0-9A-Za-z_.+!*-]+$")
_KERNEL_RE = re.compile(r"\d+\.\d+(?:\.\d+)?(?:\.\d+)?")

# CEP 30 appendix A: the build string when the microarchitecture cannot be detected.
_GENERIC_ARCHSPEC = {
    "x86": "x86",
    "x86_64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "armv6l": "armv6l",
    "armv7l": "armv7l",
    "ppc64": "ppc64",
    "ppc64le": "ppc64le",
    "riscv64": "riscv64",
    "riscv32": "riscv32",
    "s390x": "s390x",
    "wasm32": "wasm32",
    "z": "z",
    "loongarch64": "loongarch64",
}


def detect_virtual_packages(
    platform: Platform | str | None = None, env: Mapping[str, str] | None = None
) -> list[PackageRecord]:
    """The virtual packages for ``platform`` (default: the current one, ``CONDA_SUBDIR`` honoured)."""
    env = os.environ if env is None else env
    target = Platform.current(env) if platform is None else Platform.parse(platform, strict=False)
    if target.is_noarch:
        return []
    host = Platform.host()
    native = target == host
    same_os = target.os == host.os

    packages: list[tuple[str, str, str]] = []
    if target.is_unix:
        packages.append(("__unix", "0", "0"))
    if target.is_linux:
        kernel = _kernel_version() if host.is_linux else None
        _add(packages, env, "__linux", kernel or DEFAULT_LINUX, validate=_linux_override)
        glibc = _glibc_version() if native else DEFAULT_GLIBC
        if glibc is not None or _override(env, "__glibc") is not None:
            _add(packages, env, "__glibc", glibc or DEFAULT_GLIBC)
    if target.is_osx:
        detected = _osx_version() if same_os else None
        _add(packages, env, "__osx", detected or DEFAULT_OSX.get(target.subdir, "0"))
    if target.is_win:
        detected = _win_version() if same_os else None
        _add(packages, env, "__win", detected or DEFAULT_WIN)
    # CUDA is detected on the host only; CONDA_OVERRIDE_CUDA adds it for any platform (conda, mamba).
    cuda = _cuda_version() if native and (target.is_linux or target.is_win) else None
    if cuda is not None or _override(env, "__cuda"):
        _add(packages, env, "__cuda", cuda or "0")

    archspec = _archspec(host) if native else None
    archspec = archspec or _GENERIC_ARCHSPEC.get(target.arch or "", target.arch or "0")
    override = _override(env, "__archspec")
    if override is None:
        packages.append(("__archspec", "1", archspec))
    elif override:
        packages.append(("__archspec", "1", override))

    return [
        PackageRecord(name=name, version=version, build=build, subdir=target.subdir, channel=VIRTUAL_CHANNEL)
        for name, version, build in packages
    ]


def _override(env: Mapping[str, str], name: str) -> str | None:
    """``CONDA_OVERRIDE_<NAME>`` stripped; None when unset (empty string means "remove")."""
    value = env.get("CONDA_OVERRIDE_" + name.lstrip("_").upper())
    return None if value is None else value.strip()


def _linux_override(value: str) -> str:
    match = _KERNEL_RE.fullmatch(value)
    if not match:
        raise ConfigError(f"CONDA_OVERRIDE_LINUX={value!r} is not a kernel version like 5.10 or 6.1.2")
    return value


def _add(
    packages: list[tuple[str, str, str]], env: Mapping[str, str], name: str, detected: str, *,
    validate: Callable[[str], str] | None = None,
) -> None:
    """Add ``name`` at its detected version unless ``CONDA_OVERRIDE_<NAME>`` replaces or removes it."""
    override = _override(env, name)
    if override is None:
        packages.append((name, detected, "0"))
        return
    if not override:
        return  # set to empty: the package is removed
    if validate is not None:
        override = validate(override)
    elif not _VERSION_RE.match(override):
        var = "CONDA_OVERRIDE_" + name.lstrip("_").upper()
        raise ConfigError(f"{var}={override!r} is not a version")
    packages.append((name, override, "0"))


# ------------------------------------------------------------------------------------- detection
# Each detector returns None when the value cannot be found; all are cached per process because
# the system does not change while naja runs (and libcuda is slow to load).


@functools.cache
def _kernel_version() -> str | None:
    import platform as _platform

    match = _KERNEL_RE.match(_platform.release())
    return match.group(0) if match else None


@functools.cache
def _glibc_version() -> str | None:
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        return None
    if not value or not value.startswith("glibc"):
        return None
    return _major_minor(value.split()[-1])


@functools.cache
def _osx_version() -> str | None:
    import platform as _platform

    version = _platform.mac_ver()[0]
    return _major_minor(version) if version else None


@functools.cache
def _win_version() -> str | None:
    import platform as _platform

    version = _platform.win32_ver()[1]
    if not version:
        return None
    return ".".join(version.split(".")[:3])


@functools.cache
def _cuda_version() -> str | None:
    """The CUDA version the installed NVIDIA driver supports, via ``cuDriverGetVersion``."""
    import sys

    if sys.platform.startswith("linux") and not (os.path.exists("/dev/nvidiactl")
                                                 or os.path.exists("/proc/driver/nvidia/version")):
        return None  # no NVIDIA driver: skip loading ctypes and probing for libcuda (start-up time)
    import ctypes

    names = {"win32": ["nvcuda.dll"], "darwin": ["libcuda.dylib"]}.get(
        sys.platform, ["libcuda.so.1", "libcuda.so"]
    )
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            if lib.cuInit(0) != 0:
                return None
            version = ctypes.c_int(0)
            if lib.cuDriverGetVersion(ctypes.byref(version)) != 0 or version.value <= 0:
                return None
        except (AttributeError, OSError):
            return None
        return f"{version.value // 1000}.{(version.value % 1000) // 10}"
    return None


def _major_minor(version: str) -> str:
    parts = re.findall(r"\d+", version)[:2]
    return ".".join(parts) if parts else "0"


# x86-64 psABI microarchitecture levels, as archspec names them, from /proc/cpuinfo flags.
_X86_LEVELS = (
    ("x86_64_v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ("x86_64_v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ("x86_64_v2", {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}),
)


def x86_64_level(flags: set[str]) -> str:
    """The highest x86-64 level whose features (and all lower levels' features) are in ``flags``."""
    for index, (name, _required) in enumerate(_X86_LEVELS):
        if all(required <= flags for _, required in _X86_LEVELS[index:]):
            return name
    return "x86_64"


def _archspec(host: Platform) -> str | None:
    return _detect_archspec(host.subdir)


@functools.cache
def _detect_archspec(subdir: str) -> str | None:
    """A simple microarchitecture guess: x86-64 levels from CPU flags, Apple M-series by name."""
    arch = Platform(subdir, strict=False).arch
    if arch == "x86_64" and subdir.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if line.startswith("flags"):
                        return x86_64_level(set(line.partition(":")[2].split()))
        except OSError:
            return None
    if subdir == "osx-arm64":
        import subprocess

        try:
            brand = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=2
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        match = re.search(r"Apple (M\d+)", brand)
        return match.group(1).lower() if match else None
    return None
