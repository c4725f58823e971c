"""Where configuration lives on disk: the user's home, the root prefix, the rc-file search path in
micromamba's order and the file ``naja config set`` edits, and how a configured path is expanded.

Only ``os``, ``sys`` and ``pathlib`` here: the root prefix is resolved by every command.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

_CONFIG_FILE_NAMES = (".condarc", "condarc", ".mambarc", "mambarc")


def expand_path(text: str) -> str:
    """``~`` and ``$VARS`` expanded, made absolute: how every configured path is read."""
    return os.path.abspath(os.path.expanduser(os.path.expandvars(text)))


def home_dir(env: Mapping[str, str] | None = None) -> Path:
    """``HOME`` (``USERPROFILE`` on Windows) of ``env``, else the account's: where user rc files live."""
    env = os.environ if env is None else env
    home = env.get("HOME") or (env.get("USERPROFILE") if os.name == "nt" else None)
    return Path(home) if home else Path(os.path.expanduser("~"))


def system_rc_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """``/etc/conda`` and ``/var/lib/conda`` (``%PROGRAMDATA%\\conda`` on Windows)."""
    env = os.environ if env is None else env
    if os.name == "nt":
        return [Path(env.get("PROGRAMDATA", "C:/ProgramData")) / "conda"]
    return [Path("/etc/conda"), Path("/var/lib/conda")]


def rc_search_paths(
    env: Mapping[str, str] | None = None,
    root_prefix: str | os.PathLike[str] | None = None,
    target_prefix: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Candidate rc locations in micromamba's order, lowest precedence first (files and ``.d`` dirs)."""
    env = os.environ if env is None else env
    home = home_dir(env)
    out: list[Path] = []

    def conda_dir(base: Path, *, mamba: bool = True) -> None:
        out.extend([base / ".condarc", base / "condarc", base / "condarc.d"])
        if mamba:
            out.append(base / ".mambarc")

    for base in system_rc_dirs(env):
        conda_dir(base)
    if root_prefix:
        conda_dir(Path(root_prefix))
    xdg = env.get("XDG_CONFIG_HOME")
    config_homes = [Path(xdg)] if xdg else []
    config_homes.append(home / ".config")
    for base in config_homes:
        conda_dir(base / "conda", mamba=False)
    conda_dir(home / ".conda", mamba=False)
    out.append(home / ".condarc")
    if env.get("CONDA_PREFIX"):
        conda_dir(Path(env["CONDA_PREFIX"]), mamba=False)
    if env.get("CONDARC"):
        out.append(Path(os.path.expanduser(env["CONDARC"])))
    for base in config_homes:
        out.extend([base / "mamba" / ".mambarc", base / "mamba" / "mambarc", base / "mamba" / "mambarc.d"])
    out.extend([home / ".mamba" / ".mambarc", home / ".mamba" / "mambarc", home / ".mamba" / "mambarc.d"])
    out.append(home / ".mambarc")
    if env.get("MAMBARC"):
        out.append(Path(os.path.expanduser(env["MAMBARC"])))
    if target_prefix:
        conda_dir(Path(target_prefix))
    return out


def expand_rc_locations(locations: Iterable[Path]) -> list[Path]:
    """Existing files only, ``*.d`` directories expanded (sorted), each file once."""
    files: list[Path] = []
    seen: set[str] = set()
    for location in locations:
        if location.is_dir():
            candidates = sorted(
                p
                for p in location.iterdir()
                if p.is_file() and (p.name in _CONFIG_FILE_NAMES or p.suffix in (".yml", ".yaml"))
            )
        elif location.is_file():
            candidates = [location]
        else:
            continue
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if real not in seen:
                seen.add(real)
                files.append(candidate)
    return files


def default_root_prefix(env: Mapping[str, str] | None = None) -> Path:
    """``NAJA_ROOT_PREFIX``, else ``MAMBA_ROOT_PREFIX``, else the user data dir (``~/.local/share/naja``)."""
    env = os.environ if env is None else env
    for var in ("NAJA_ROOT_PREFIX", "MAMBA_ROOT_PREFIX"):
        if env.get(var):
            return Path(expand_path(env[var]))
    if sys.platform.startswith("linux"):  # what platformdirs answers, without importing it
        data = env.get("XDG_DATA_HOME", "").strip() or os.path.join(home_dir(env), ".local", "share")
        return Path(expand_path(data)) / "naja"
    import platformdirs

    return Path(platformdirs.user_data_dir("naja", appauthor=False))


def user_rc_path() -> Path:
    """The file ``naja config set`` edits by default: ``~/.condarc`` (as micromamba)."""
    return home_dir() / ".condarc"

