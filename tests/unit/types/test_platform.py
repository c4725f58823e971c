"""Platforms/subdirs: parsing, properties and host detection (including CONDA_SUBDIR)."""

from __future__ import annotations

import pytest

from naja.errors import NajaError
from naja.types.platform import KNOWN_SUBDIRS, Platform, host_subdir


@pytest.mark.parametrize(
    ("subdir", "os_name", "arch", "unix"),
    [
        ("linux-64", "linux", "x86_64", True),
        ("linux-aarch64", "linux", "aarch64", True),
        ("linux-ppc64le", "linux", "ppc64le", True),
        ("linux-s390x", "linux", "s390x", True),
        ("linux-32", "linux", "x86", True),
        ("osx-64", "osx", "x86_64", True),
        ("osx-arm64", "osx", "arm64", True),
        ("win-64", "win", "x86_64", False),
        ("win-32", "win", "x86", False),
        ("win-arm64", "win", "arm64", False),
        ("emscripten-wasm32", "emscripten", "wasm32", True),
        ("wasi-wasm32", "wasi", "wasm32", False),
        ("noarch", None, None, False),
    ],
)
def test_known_platforms(subdir, os_name, arch, unix):
    p = Platform(subdir)
    assert str(p) == subdir
    assert p.os == os_name
    assert p.arch == arch
    assert p.is_unix is unix
    assert p.is_linux is (os_name == "linux")
    assert p.is_osx is (os_name == "osx")
    assert p.is_win is (os_name == "win")
    assert p.is_noarch is (subdir == "noarch")


def test_bits():
    assert Platform("linux-64").bits == 64
    assert Platform("win-32").bits == 32
    assert Platform("noarch").bits is None


@pytest.mark.parametrize("bad", ["linux", "linux-65", "", "Windows", "osx-arm"])
def test_invalid_platform_is_naja_error(bad):
    with pytest.raises(NajaError, match="unknown platform"):
        Platform(bad)


@pytest.mark.parametrize("bad", ["linux", "", "Windows", "../x-64", "a/b-64", "linux-"])
def test_lenient_platform_still_needs_a_subdir_shape(bad):
    with pytest.raises(NajaError, match="unknown platform"):
        Platform(bad, strict=False)


def test_lenient_platform_takes_unknown_subdirs():
    p = Platform("beos-ppc", strict=False)
    assert (p.known, p.os, p.arch, str(p)) == (False, "beos", "ppc", "beos-ppc")
    assert Platform("linux-64", strict=False).known


def test_parse_is_lenient_about_case_and_space():
    assert Platform.parse(" Linux-64 ") == Platform("linux-64")
    assert Platform.parse(Platform("osx-64")) == Platform("osx-64")


def test_equality_and_hash():
    assert Platform("linux-64") == Platform("linux-64")
    assert len({Platform("linux-64"), Platform("linux-64"), Platform("osx-64")}) == 2


@pytest.mark.parametrize(
    ("sys_platform", "machine", "bits", "expected"),
    [
        ("linux", "x86_64", 64, "linux-64"),
        ("linux", "x86_64", 32, "linux-32"),
        ("linux", "i686", 32, "linux-32"),
        ("linux", "aarch64", 64, "linux-aarch64"),
        ("linux", "ppc64le", 64, "linux-ppc64le"),
        ("linux", "s390x", 64, "linux-s390x"),
        ("linux", "armv7l", 32, "linux-armv7l"),
        ("darwin", "x86_64", 64, "osx-64"),
        ("darwin", "arm64", 64, "osx-arm64"),
        ("win32", "AMD64", 64, "win-64"),
        ("win32", "x86", 32, "win-32"),
        ("win32", "ARM64", 64, "win-arm64"),
        ("emscripten", "wasm32", 32, "emscripten-wasm32"),
    ],
)
def test_host_subdir_mapping(sys_platform, machine, bits, expected):
    assert host_subdir(sys_platform, machine, bits) == expected


def test_host_subdir_unknown_machine():
    with pytest.raises(NajaError):
        host_subdir("linux", "vax", 32)


def test_current_honours_conda_subdir():
    assert Platform.current({"CONDA_SUBDIR": "osx-arm64"}) == Platform("osx-arm64")
    assert Platform.current({"MAMBA_PLATFORM": "win-64"}) == Platform("win-64")
    assert (
        Platform.current({"CONDA_SUBDIR": "linux-aarch64", "MAMBA_PLATFORM": "win-64"}).subdir
        == "linux-aarch64"
    )
    assert Platform.current({}) == Platform.host()
    assert Platform.current({"CONDA_SUBDIR": ""}) == Platform.host()
    with pytest.raises(NajaError):
        Platform.current({"CONDA_SUBDIR": "nope-64"})


def test_current_reads_os_environ(monkeypatch):
    monkeypatch.setenv("CONDA_SUBDIR", "linux-ppc64le")
    assert Platform.current().subdir == "linux-ppc64le"
    monkeypatch.delenv("CONDA_SUBDIR")
    assert Platform.current() == Platform.host()


def test_host_is_known():
    assert Platform.host().subdir in KNOWN_SUBDIRS
    assert not Platform.host().is_noarch


def test_platform_pickles_and_is_immutable():
    import pickle

    p = Platform("osx-arm64")
    assert pickle.loads(pickle.dumps(p)) == p
    with pytest.raises(AttributeError):
        p.subdir = "linux-64"  # type: ignore[misc]


def test_agrees_with_rattler():
    rattler = pytest.importorskip("rattler")
    their_cls = getattr(rattler, "Subdir", None) or rattler.Platform  # renamed in newer py-rattler
    checked = 0
    for subdir in KNOWN_SUBDIRS:
        try:
            theirs = their_cls(subdir)
        except Exception:  # a subdir this rattler version does not know
            continue
        ours = Platform(subdir)
        arch = None if theirs.arch is None else str(theirs.arch)
        assert (ours.arch, ours.is_linux, ours.is_osx, ours.is_win, ours.is_unix) == (
            arch,
            theirs.is_linux,
            theirs.is_osx,
            theirs.is_windows,
            theirs.is_unix,
        ), subdir
        checked += 1
    assert checked >= 15
    assert str(their_cls.current()) == Platform.host().subdir
