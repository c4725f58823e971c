"""An environment prefix on disk: ``conda-meta/*.json`` prefix records, ``conda-meta/history``,
``conda-meta/pinned`` and the prefix lock that serialises changes to one environment.

The JSON written here follows CEP 32 (the fields conda/mamba/rattler write), so environments are
readable by those tools and theirs by naja.
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from naja.errors import PrefixError
from naja.types.package_metadata import Link, PathsData
from naja.types.records import PackageRecord

CONDA_META = "conda-meta"
HISTORY = "history"
DEFAULT_LOCK_TIMEOUT = 600.0

class PrefixRecord(PackageRecord, kw_only=True, omit_defaults=True, gc=False):
    """A ``conda-meta/<dist>.json`` file: the repodata record plus what was installed and from where."""

    files: list[str] = msgspec.field(default_factory=list)
    paths_data: PathsData = msgspec.field(default_factory=PathsData)
    link: Link | None = None
    requested_spec: str = ""
    requested_specs: list[str] = msgspec.field(default_factory=list)
    extracted_package_dir: str = ""
    package_tarball_full_path: str = ""

    def to_json(self) -> bytes:
        """Serialise the way conda does: ``depends``, ``constrains``, ``files`` and ``paths_data`` always
        present, even when empty."""
        data = msgspec.to_builtins(self)
        _strip_secrets(data)
        data.setdefault("build_number", self.build_number)
        data.setdefault("depends", [])
        data.setdefault("constrains", [])
        data.setdefault("files", [])
        data.setdefault("paths_data", {"paths_version": 1, "paths": []})
        data.setdefault("requested_spec", "")
        for entry in data["paths_data"].get("paths", []):
            entry.setdefault("path_type", "hardlink")
        return msgspec.json.format(msgspec.json.encode(data), indent=2) + b"\n"

    def package_record(self) -> PackageRecord:
        """The plain repodata part of this record."""
        fields = {f: getattr(self, f) for f in PackageRecord.__struct_fields__}
        return PackageRecord(**fields)


def _strip_secrets(data: dict[str, Any]) -> None:
    """Channel URLs at rest carry no token or password (``naja.types.url.strip_credentials``)."""
    import re

    from naja.types.url import strip_credentials

    for key in ("url", "channel"):
        if data.get(key):
            data[key] = strip_credentials(data[key])
    url_like = re.compile(r"[^\s\"']*(?:://|/t/)[^\s\"']*")
    if data.get("requested_spec"):
        data["requested_spec"] = url_like.sub(lambda m: strip_credentials(m.group()), data["requested_spec"])
    if data.get("requested_specs"):
        data["requested_specs"] = [url_like.sub(lambda m: strip_credentials(m.group()), s)
                                   for s in data["requested_specs"]]


_prefix_record_decoder = msgspec.json.Decoder(PrefixRecord)


def read_prefix_record(path: str | os.PathLike[str]) -> PrefixRecord:
    """Decode one ``conda-meta/*.json`` file, raising ``PrefixError`` naming it when it is unreadable."""
    record = _decode_prefix_record(path)
    try:
        msgspec.json.encode(record)  # a "\ud800" escape decodes to a string nothing can write or print
    except UnicodeEncodeError:
        raise PrefixError(f"invalid prefix record {path}: a string holds a lone UTF-16 surrogate") from None
    return record


def _decode_prefix_record(path: str | os.PathLike[str]) -> PrefixRecord:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PrefixError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return _prefix_record_decoder.decode(data)
    except msgspec.DecodeError:
        pass
    except RecursionError:
        raise PrefixError(f"invalid prefix record {path}: nested too deeply") from None
    # tolerate records other tools wrote with odd field types (null where a list is expected, a
    # string link type, ...): drop what does not fit, as long as the identity fields survive
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise PrefixError(f"invalid prefix record {path}: {exc}") from None
    except RecursionError:
        raise PrefixError(f"invalid prefix record {path}: nested too deeply") from None
    if not isinstance(raw, dict):
        raise PrefixError(f"invalid prefix record {path}: not a JSON object")
    raw = {k: v for k, v in raw.items() if v is not None}
    for _ in range(len(raw) + 1):
        try:
            return msgspec.convert(raw, PrefixRecord, strict=False)
        except msgspec.ValidationError as exc:
            m = re.search(r"at `\$\.([A-Za-z0-9_]+)", str(exc))
            key = m.group(1) if m else None
            if key is None or key in ("name", "version") or key not in raw:
                raise PrefixError(f"invalid prefix record {path}: {exc}") from None
            del raw[key]
    raise PrefixError(f"invalid prefix record {path}")


def write_prefix_record(prefix: str | os.PathLike[str], record: PrefixRecord) -> Path:
    """Write ``conda-meta/<dist>.json`` atomically (temp file + rename). The dist name comes from a
    channel's record: one that is a path (``../x``, ``a-1-0/../..``) would write outside conda-meta."""
    from naja.fs import atomic_write

    dist = record.dist_name
    if "/" in dist or "\\" in dist or "\x00" in dist or dist.startswith("."):
        raise PrefixError(f"refusing package record {dist!r}: its name, version or build holds a path")
    target = Path(prefix) / CONDA_META / f"{dist}.json"
    atomic_write(target, record.to_json())
    return target


# ---------------------------------------------------------------------------------------------- history


class Revision(msgspec.Struct):
    """One ``==> date <==`` block of ``conda-meta/history``."""

    date: str
    cmd: str = ""
    tool_version: str = ""
    linked: list[str] = msgspec.field(default_factory=list)  # "channel::dist"
    unlinked: list[str] = msgspec.field(default_factory=list)
    update_specs: list[str] = msgspec.field(default_factory=list)
    remove_specs: list[str] = msgspec.field(default_factory=list)
    neutered_specs: list[str] = msgspec.field(default_factory=list)


_HEADER = re.compile(r"^==>\s*(.+?)\s*<==\s*$")
_SPECS = re.compile(r"^#\s*(update|remove|neutered)\s+specs:\s*(.*)$")


def _parse_spec_list(text: str) -> list[str]:
    """Accept conda's Python-repr lists, mamba's JSON-quoted lists and bare comma lists."""
    text = text.strip()
    if not text:
        return []
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError):  # MemoryError: parser stack overflow
            continue
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
    return [s.strip().strip("'\"") for s in text.strip("[]").split(",") if s.strip()]


class History:
    """``conda-meta/history``: the append-only log of transactions (its presence marks an env)."""

    def __init__(self, prefix: str | os.PathLike[str]) -> None:
        self.path = Path(prefix) / CONDA_META / HISTORY

    def revisions(self) -> list[Revision]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        revisions: list[Revision] = []
        current: Revision | None = None
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            m = _HEADER.match(line)
            if m:
                current = Revision(date=m.group(1))
                revisions.append(current)
                continue
            if current is None:
                continue
            if line.startswith("# cmd:"):
                current.cmd = line[6:].strip()
            elif re.match(r"^#\s*\S+ version:", line):
                current.tool_version = line.split(":", 1)[1].strip()
            elif (sm := _SPECS.match(line)) is not None:
                specs = _parse_spec_list(sm.group(2))
                getattr(current, f"{sm.group(1)}_specs").extend(specs)
            elif line.startswith("+"):
                current.linked.append(line[1:])
            elif line.startswith("-"):
                current.unlinked.append(line[1:])
        return revisions

    def append(
        self,
        *,
        cmd: str,
        linked: Iterable[str] = (),
        unlinked: Iterable[str] = (),
        update_specs: Sequence[str] = (),
        remove_specs: Sequence[str] = (),
        tool_version: str | None = None,
        now: _dt.datetime | None = None,
    ) -> None:
        """Append one revision in conda's format (``-`` lines before ``+`` lines, specs as a repr list)."""
        if tool_version is None:
            from naja import __version__ as tool_version
        stamp = (now or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
        lines = [f"==> {stamp} <==", f"# cmd: {cmd}", f"# conda version: {tool_version}"]
        lines += [f"-{d}" for d in sorted(unlinked)]
        lines += [f"+{d}" for d in sorted(linked)]
        if update_specs:
            lines.append(f"# update specs: {list(update_specs)!r}")
        if remove_specs:
            lines.append(f"# remove specs: {list(remove_specs)!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")

    def touch(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)


def history_dist_string(record: PackageRecord) -> str:
    """``<channel>/<subdir>::<name>-<version>-<build>`` as conda writes it in history lines."""
    channel = _channel_name(record.channel)
    subdir = record.subdir or ""
    prefix = f"{channel}/{subdir}" if channel and subdir else channel or subdir
    return f"{prefix}::{record.dist_name}" if prefix else record.dist_name


def _channel_name(channel: str) -> str:
    if not channel:
        return ""
    try:
        from naja.types.channel import Channel

        return Channel.from_string(channel).canonical_name
    except Exception:  # naja.types.channel missing or a URL it cannot name: the URL is unambiguous
        return channel.rstrip("/")


# ----------------------------------------------------------------------------------------------- prefix


def check_env_name(name: str) -> str:
    """``-n NAME`` (and ``name:`` of an environment file) is a bare name inside envs_dirs, never a
    path: no separators, NUL, ``.``, ``..`` or empty (``-n ..`` would otherwise be the envs dir's
    parent, often the root prefix itself)."""
    from naja.confine import ConfinementError, check_name

    try:
        return check_name(name, "environment name")
    except ConfinementError as exc:
        raise PrefixError(f"{exc} (use -p/--prefix for a path)") from None


def named_prefix(name: str, root_prefix: Path, envs_dirs: Iterable[Path]) -> Path | None:
    """The environment ``-n NAME`` means, as conda looks names up: ``base``/``root`` is the root
    prefix, any other name the first ``envs_dirs`` entry holding it; None when none does."""
    check_env_name(name)
    if name in ("base", "root"):
        return root_prefix
    for envs_dir in envs_dirs:
        candidate = envs_dir / name
        if candidate.is_dir():
            return candidate
    return None


class Prefix:
    """An environment directory. Cheap to construct; reads lazily."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(os.path.abspath(os.fspath(path)))
        self.meta_dir = self.path / CONDA_META
        self.history = History(self.path)

    def __repr__(self) -> str:
        return f"Prefix({str(self.path)!r})"

    def is_environment(self) -> bool:
        """CEP 32: a directory is an environment when ``conda-meta/history`` exists."""
        return self.history.path.is_file()

    def record_paths(self) -> list[Path]:
        try:
            return sorted(p for p in self.meta_dir.glob("*.json") if not p.name.startswith("."))
        except OSError:
            return []

    def installed(self) -> list[PrefixRecord]:
        """Every ``conda-meta/*.json`` record, sorted by name."""
        records = [read_prefix_record(p) for p in self.record_paths()]
        return sorted(records, key=lambda r: r.name)

    def installed_by_name(self) -> dict[str, PrefixRecord]:
        return {r.name: r for r in self.installed()}

    def pinned(self) -> list[str]:
        """Specs from ``conda-meta/pinned``: one per line, ``#`` comments ignored."""
        try:
            text = (self.meta_dir / "pinned").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [s for s in (line.split("#", 1)[0].strip() for line in text.splitlines()) if s]

    def python_record(self) -> PrefixRecord | None:
        return self.installed_by_name().get("python")

    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> PrefixLock:
        return PrefixLock(self.path, timeout)


class PrefixLock:
    """An exclusive lock on one prefix (``conda-meta/naja.lock``): a second process waits up to
    ``timeout`` seconds and then fails with ``PrefixError`` instead of corrupting the environment."""

    def __init__(self, prefix: str | os.PathLike[str], timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        import filelock

        self.prefix = Path(prefix)
        self.path = self.prefix / CONDA_META / "naja.lock"
        self.timeout = timeout
        self._lock = filelock.FileLock(str(self.path), timeout=timeout, thread_local=False)

    def acquire(self) -> None:
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise PrefixError(
                f"environment {self.prefix} is locked by another process (waited {self.timeout:g}s)"
            ) from None

    def release(self) -> None:
        self._lock.release()

    @property
    def is_locked(self) -> bool:
        return self._lock.is_locked

    def __enter__(self) -> PrefixLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

