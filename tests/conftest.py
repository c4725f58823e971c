"""Shared fixtures: the real data in ../shared and a loopback HTTP server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.server import LoopbackServer

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NAJA_SHARED", REPO.parent / "shared"))
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real repodata, packages and vectors (CI has it; skip clearly without it)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (set NAJA_SHARED or check out ../shared)")
    return SHARED_DATA


@pytest.fixture
def serve():
    """``serve(directory)`` starts a loopback HTTP server for that directory and returns it."""
    servers: list[LoopbackServer] = []

    def start(root: str | os.PathLike[str]) -> LoopbackServer:
        server = LoopbackServer(root).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Keep every test away from the user's real config, caches and root prefix."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for var in ("CONDARC", "MAMBARC", "MAMBA_ROOT_PREFIX", "NAJA_ROOT_PREFIX", "CONDA_PREFIX", "CONDA_PKGS_DIRS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NAJA_ROOT_PREFIX", str(home / "naja-root"))
