"""``naja shell init|deinit``: the ``# >>> naja initialize >>>`` block in the shell's rc file and,
as micromamba writes them, the hook files under the root prefix (``etc/profile.d/mamba.sh``,
``mamba.csh``, ``mamba.xsh``, ``etc/fish/conf.d/mamba.fish``, ``condabin/*.bat``,
``condabin/mamba_hook.ps1``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from naja.errors import ActivationError
from naja.shell.scripts import self_command
from naja.shell.settings import expand, replace_text
from naja.shell.shells import INIT_BEGIN, INIT_END, SHELLS, get_shell, normalize_shell


@dataclass(frozen=True)
class InitResult:
    """What one init/deinit changed."""

    shell: str
    rc_file: Path | None
    rc_changed: bool
    root_files: tuple[Path, ...]  # written (init) or removed (deinit) under the root prefix


def rc_file(shell: str, home: str | os.PathLike[str] | None = None) -> Path:
    """The file ``naja shell init`` edits for ``shell``."""
    home_path = Path(home) if home is not None else Path(os.path.expanduser("~"))
    path = get_shell(shell).rc_file(home_path)
    if path is None:
        raise ActivationError(f"{normalize_shell(shell)} has no rc file naja can edit "
                              "(cmd.exe reads the registry's AutoRun value, on Windows only)")
    return path


def init_block(shell: str, root_prefix: str | os.PathLike[str], *, exe: Sequence[str] | None = None) -> str:
    """The rc-file block: set NAJA_EXE/NAJA_ROOT_PREFIX and load the hook."""
    return get_shell(shell).rc_block(list(exe) if exe else self_command(), os.fspath(expand(root_prefix)))


def _without_block(text: str) -> tuple[str, int | None]:
    """``text`` with the naja block removed, and the line index where it was (None if absent)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\r\n") == INIT_BEGIN), None)
    if start is None:
        return text, None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip("\r\n") == INIT_END), None)
    if end is None:
        raise ActivationError(f"found '{INIT_BEGIN}' without '{INIT_END}'; fix the file by hand")
    return "".join(lines[:start] + lines[end + 1:]), start


def write_rc_block(path: Path, block: str) -> bool:
    """Write (or refresh in place) ``block`` in ``path``; returns whether the file changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    rest, where = _without_block(text)
    if where is None:
        sep = "" if not rest or rest.endswith("\n") else "\n"
        new = rest + sep + block
    else:
        lines = rest.splitlines(keepends=True)
        new = "".join(lines[:where]) + block + "".join(lines[where:])
    if new == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_text(path, new)
    return True


def remove_rc_block(path: Path) -> bool:
    """Remove the naja block from ``path``; returns whether the file changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    rest, where = _without_block(text)
    if where is None:
        return False
    replace_text(path, rest)
    return True


def write_root_files(shell: str, root_prefix: str | os.PathLike[str], *,
                     exe: Sequence[str] | None = None) -> tuple[Path, ...]:
    """The hook files micromamba keeps under the root prefix for ``shell`` (created if missing,
    with ``conda-meta`` as micromamba does for a new root prefix)."""
    root = expand(root_prefix)
    if not root.exists():
        (root / "conda-meta").mkdir(parents=True)
    files = get_shell(shell).root_files(list(exe) if exe else self_command(), os.fspath(root))
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, text)
        written.append(path)
    return tuple(written)


def remove_root_files(shell: str, root_prefix: str | os.PathLike[str]) -> tuple[Path, ...]:
    """Undo :func:`write_root_files` (directories it leaves empty go too, as micromamba's condabin)."""
    root = expand(root_prefix)
    removed = []
    for rel in get_shell(shell).root_files(["naja"], os.fspath(root)):
        path = root / rel
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path)
            parent = path.parent
            while parent != root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    return tuple(removed)


def shell_init(shell: str, root_prefix: str | os.PathLike[str], *, path: Path | None = None,
               exe: Sequence[str] | None = None) -> InitResult:
    """Write the root-prefix files, then the rc-file block (cmd.exe: the files only, see rc_file)."""
    shell = normalize_shell(shell)
    files = write_root_files(shell, root_prefix, exe=exe)
    if shell == "cmd.exe" and path is None:
        return InitResult(shell, None, False, files)
    path = path or rc_file(shell)
    return InitResult(shell, path, write_rc_block(path, init_block(shell, root_prefix, exe=exe)), files)


def shell_deinit(shell: str, root_prefix: str | os.PathLike[str] | None = None, *,
                 path: Path | None = None) -> InitResult:
    """Remove the rc-file block and the root-prefix files."""
    shell = normalize_shell(shell)
    files = remove_root_files(shell, root_prefix) if root_prefix is not None else ()
    if shell == "cmd.exe" and path is None:
        return InitResult(shell, None, False, files)
    path = path or rc_file(shell)
    return InitResult(shell, path, remove_rc_block(path), files)


def initialized_shells(home: str | os.PathLike[str] | None = None) -> list[str]:
    """The shells whose rc file holds a naja block (what ``shell reinit`` refreshes)."""
    found = []
    for shell in SHELLS:
        if shell == "cmd.exe":
            continue
        try:
            text = rc_file(shell, home).read_text(encoding="utf-8")
        except OSError:
            continue
        if INIT_BEGIN in text and shell not in found:
            found.append(shell)
    return found
