"""Virtual packages: host detection, CONDA_OVERRIDE_*, and defaults for a foreign --platform."""

from __future__ import annotations

import os
import platform as stdlib_platform
import re

import pytest

from naja.errors import ConfigError
from naja.types.platform import Platform
from naja.types.records import PackageRecord
from naja.virtual_packages import detect_virtual_packages, x86_64_level


def as_dict(records: list[PackageRecord]) -> dict[str, tuple[str, str]]:
    return {r.name: (r.version, r.build) for r in records}


HOST = Platform.host()
linux_only = pytest.mark.skipif(not HOST.is_linux, reason="host is not Linux")


def test_records_are_package_records():
    records = detect_virtual_packages(env={})
    assert records and all(isinstance(r, PackageRecord) for r in records)
    assert all(r.name.startswith("__") and r.channel == "@" for r in records)
    assert all(r.subdir == HOST.subdir for r in records)
    names = [r.name for r in records]
    assert len(names) == len(set(names))
    assert "__archspec" in names


@linux_only
def test_linux_host_detection():
    vp = as_dict(detect_virtual_packages(env={}))
    assert vp["__unix"] == ("0", "0")
    kernel = re.match(r"\d+\.\d+(\.\d+)?(\.\d+)?", stdlib_platform.release()).group(0)
    assert vp["__linux"] == (kernel, "0")
    libc = os.confstr("CS_GNU_LIBC_VERSION")
    if libc and libc.startswith("glibc"):
        major_minor = ".".join(libc.split()[-1].split(".")[:2])
        assert vp["__glibc"] == (major_minor, "0")
    assert vp["__archspec"][0] == "1"
    assert "__osx" not in vp and "__win" not in vp


def test_platform_from_conda_subdir_env():
    vp = as_dict(detect_virtual_packages(env={"CONDA_SUBDIR": "win-64"}))
    assert set(vp) >= {"__win", "__archspec"}
    assert "__unix" not in vp and "__glibc" not in vp


def test_overrides():
    env = {
        "CONDA_OVERRIDE_GLIBC": "2.28",
        "CONDA_OVERRIDE_CUDA": "12.4",
        "CONDA_OVERRIDE_LINUX": "5.10.1",
        "CONDA_OVERRIDE_ARCHSPEC": "skylake",
        "CONDA_OVERRIDE_UNIX": "99",
    }
    vp = as_dict(detect_virtual_packages("linux-64", env))
    assert vp["__glibc"] == ("2.28", "0")
    assert vp["__cuda"] == ("12.4", "0")
    assert vp["__linux"] == ("5.10.1", "0")
    assert vp["__archspec"] == ("1", "skylake")
    assert vp["__unix"] == ("0", "0")  # CONDA_OVERRIDE_UNIX has no effect


def test_empty_override_removes_package():
    env = {"CONDA_OVERRIDE_GLIBC": "", "CONDA_OVERRIDE_CUDA": "", "CONDA_OVERRIDE_ARCHSPEC": ""}
    vp = as_dict(detect_virtual_packages("linux-64", env))
    assert "__glibc" not in vp and "__cuda" not in vp and "__archspec" not in vp
    assert "__linux" in vp
    assert "__osx" not in as_dict(detect_virtual_packages("osx-64", {"CONDA_OVERRIDE_OSX": ""}))
    assert "__win" not in as_dict(detect_virtual_packages("win-64", {"CONDA_OVERRIDE_WIN": ""}))


def test_overrides_for_other_os_are_ignored():
    vp = as_dict(
        detect_virtual_packages("osx-64", {"CONDA_OVERRIDE_GLIBC": "2.28", "CONDA_OVERRIDE_WIN": "10"})
    )
    assert "__glibc" not in vp and "__win" not in vp


def test_invalid_overrides_are_clear_errors():
    with pytest.raises(ConfigError, match="CONDA_OVERRIDE_LINUX"):
        detect_virtual_packages("linux-64", {"CONDA_OVERRIDE_LINUX": "abc"})
    with pytest.raises(ConfigError, match="CONDA_OVERRIDE_GLIBC"):
        detect_virtual_packages("linux-64", {"CONDA_OVERRIDE_GLIBC": "2 28"})


@pytest.mark.parametrize(
    ("subdir", "expected"),
    [
        ("osx-arm64", {"__unix": ("0", "0"), "__osx": ("11.0", "0"), "__archspec": ("1", "aarch64")}),
        ("osx-64", {"__unix": ("0", "0"), "__osx": ("10.15", "0"), "__archspec": ("1", "x86_64")}),
        ("win-64", {"__win": ("0", "0"), "__archspec": ("1", "x86_64")}),
        ("emscripten-wasm32", {"__unix": ("0", "0"), "__archspec": ("1", "wasm32")}),
    ],
)
def test_foreign_platform_defaults(subdir, expected):
    if HOST.os == Platform(subdir).os:
        pytest.skip("not a foreign platform on this host")
    assert as_dict(detect_virtual_packages(subdir, {})) == expected


def test_foreign_linux_gets_default_glibc():
    target = "linux-aarch64" if HOST.subdir != "linux-aarch64" else "linux-64"
    vp = as_dict(detect_virtual_packages(target, {}))
    assert vp["__glibc"] == ("2.17", "0")
    assert "__linux" in vp and "__unix" in vp
    assert vp["__archspec"] == ("1", Platform(target).arch)
    assert "__cuda" not in vp


def test_noarch_has_no_virtual_packages():
    assert detect_virtual_packages("noarch", {}) == []


def test_x86_64_levels():
    v2 = {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}
    v3 = v2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
    v4 = v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
    assert x86_64_level(set()) == "x86_64"
    assert x86_64_level(v2) == "x86_64_v2"
    assert x86_64_level(v3) == "x86_64_v3"
    assert x86_64_level(v4) == "x86_64_v4"
    assert x86_64_level(v4 - {"popcnt"}) == "x86_64"


def test_host_detection_agrees_with_rattler():
    """rattler (py-rattler) detects the same packages and values on this host (CUDA aside)."""
    rattler = pytest.importorskip("rattler")
    theirs = {}
    for vp in rattler.VirtualPackage.detect():
        generic = vp.into_generic()
        theirs[generic.name.normalized] = (str(generic.version), str(generic.build_string))
    ours = as_dict(detect_virtual_packages(env={}))
    theirs.pop("__cuda", None)
    ours.pop("__cuda", None)
    assert set(ours) == set(theirs)
    for name in ("__unix", "__linux", "__glibc", "__osx", "__win"):
        if name in theirs:
            assert ours[name][0].split(".")[:2] == theirs[name][0].split(".")[:2], name
    if theirs["__archspec"][1].startswith("x86_64"):
        # rattler names vendor CPUs (skylake, zen3…); where it names a generic level we must agree
        assert ours["__archspec"] == theirs["__archspec"]


def test_cuda_override_applies_to_foreign_platforms():
    assert as_dict(detect_virtual_packages("linux-aarch64", {"CONDA_OVERRIDE_CUDA": "12.2"}))["__cuda"] == (
        "12.2",
        "0",
    )
    assert "__cuda" not in as_dict(detect_virtual_packages("linux-aarch64", {}))
