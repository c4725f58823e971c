"""Solver-related settings end to end through the CLI (a real ``naja`` process, real packages on a
``file://`` channel): ``add_pip_as_python_dependency``, ``--no-py-pin``, ``pinned_packages`` and
``--freeze-installed``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import example_channel, naja
from tests.support.packages import make_channel


def _pkgs(*, pip: bool) -> list[dict]:
    pkgs = [
        {"name": "python", "version": "3.10.4"},
        {"name": "python", "version": "3.11.2"},
        {"name": "tool", "version": "1.0", "depends": ["python"]},
        {"name": "tool", "version": "2.0", "depends": ["python >=3.11"]},
        {"name": "lib", "version": "1.0"},
        {"name": "lib", "version": "2.0"},
        {"name": "app", "version": "1.0", "depends": ["lib"]},
    ]
    if pip:
        pkgs.append({"name": "pip", "version": "23.0", "noarch": "python", "depends": ["python >=3.7"]})
    return pkgs


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_channel(tmp_path_factory.mktemp("ch") / "ch", _pkgs(pip=True))


def _names(tmp: Path, channel: Path, *args: str, rc: str = "") -> dict[str, str]:
    rcfile = tmp / "rc.yml"
    rcfile.write_text(rc or "{}\n")
    out = naja("create", "--dry-run", "--json", "--rc-file", rcfile, "-p", tmp / "env",
               "--override-channels", "-c", channel.as_uri(), *args).json()
    return {r["name"]: r["version"] for r in out["actions"]["LINK"]}


def _installed(prefix: Path) -> dict[str, str]:
    out = naja("list", "--json", "-p", prefix).json()
    return {r["name"]: r["version"] for r in out}


def test_python_brings_pip_by_default(tmp_path: Path, channel: Path) -> None:
    assert _names(tmp_path, channel, "tool") == {"tool": "2.0", "python": "3.11.2", "pip": "23.0"}
    assert _names(tmp_path, channel, "python") == {"python": "3.11.2", "pip": "23.0"}
    off = _names(tmp_path, channel, "tool", rc="add_pip_as_python_dependency: false\n")
    assert off == {"tool": "2.0", "python": "3.11.2"}
    assert _names(tmp_path, channel, "lib") == {"lib": "2.0"}  # no python, no pip


def test_a_channel_without_pip_keeps_python_installable(tmp_path: Path, tmp_path_factory) -> None:
    ch = example_channel(tmp_path_factory)  # the README's example: python, no pip
    names = _names(tmp_path, ch, "hello", "greet")
    assert "python" in names and "pip" not in names
    plain = make_channel(tmp_path / "nopip", _pkgs(pip=False))
    assert _names(tmp_path, plain, "tool") == {"tool": "2.0", "python": "3.11.2"}


def test_py_pin_pinned_packages_and_freeze_installed(tmp_path: Path, channel: Path) -> None:
    prefix = tmp_path / "env"
    rc = tmp_path / "rc.yml"
    rc.write_text("add_pip_as_python_dependency: false\n")
    common = ["--rc-file", rc, "-p", prefix, "--override-channels", "-c", channel.as_uri()]
    naja("create", "-y", *common, "python=3.10", "app", "lib=1.0")
    assert _installed(prefix) == {"python": "3.10.4", "app": "1.0", "lib": "1.0"}

    def dry(*args: str) -> dict[str, str]:
        out = naja("install", "--dry-run", "--json", *common, *args).json()
        return {r["name"]: r["version"] for r in out["actions"].get("LINK", [])}

    # the installed python's minor version is pinned: tool 2.0 (python >=3.11) is out of reach
    assert dry("tool") == {"tool": "1.0"}
    assert dry("--no-py-pin", "tool") == {"tool": "2.0", "python": "3.11.2"}
    rc.write_text("add_pip_as_python_dependency: false\nno_py_pin: true\n")
    assert dry("tool") == {"tool": "2.0", "python": "3.11.2"}
    # pinned_packages holds against the newest version
    rc.write_text("add_pip_as_python_dependency: false\nno_py_pin: true\npinned_packages: ['tool <2']\n")
    assert dry("tool") == {"tool": "1.0"}
    assert dry("--no-pin", "tool") == {"tool": "2.0", "python": "3.11.2"}
    # with everything installed frozen, python stays 3.10 even unpinned
    rc.write_text("add_pip_as_python_dependency: false\n")
    assert dry("--freeze-installed", "--no-py-pin", "tool") == {"tool": "1.0"}
