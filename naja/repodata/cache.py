"""The on-disk repodata cache, laid out as conda and mamba lay theirs out.

``<cache_dir>/<md5(subdir_url + "/")[:8]>.json`` holds a subdir's ``repodata.json`` and
``<key>.state.json`` (mamba's sidecar, conda's is ``.info.json``) records where it came from and the
HTTP validators (``etag``, ``mod``, ``cache_control``) together with the ``size`` and ``mtime_ns`` of the
``.json`` they describe: when those no longer match the file, the validators are discarded (the file
was changed behind our back). The key is computed from the URL *without* credentials, so a token
never appears in a file name or in the state.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import os
import re
import time
from pathlib import Path

import msgspec

# re-exported: repodata modules write through cache.atomic_write
from naja.fs import atomic_write as atomic_write

STATE_SUFFIX = ".state.json"
CONDA_STATE_SUFFIX = ".info.json"
INDEX_SUFFIX = ".naja-index"
SHARD_INDEX_SUFFIX = ".shards.msgpack.zst"
SHARDS_DIR = "shards-v1"
# How long a "this server has no .zst / no shards" answer is trusted before asking again.
ABSENCE_TTL_S = 7 * 24 * 3600
_MAX_AGE_RE = re.compile(r"max-age\s*=\s*(\d+)")


class Flag(msgspec.Struct, omit_defaults=True):
    """``{"value": bool, "last_checked": RFC 3339}`` as in the state CEP draft."""

    value: bool = False
    last_checked: str = ""


class RepodataState(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """What we know about a cached file: origin, HTTP validators and the file's identity."""

    url: str = ""
    etag: str = ""
    mod: str = ""
    cache_control: str = ""
    size: int = -1
    mtime_ns: int = -1
    refresh_ns: int = 0
    has_zst: Flag | None = None
    has_shards: Flag | None = None
    # The server answered 404 for this subdir's repodata: ``--offline`` treats it as an empty subdir.
    not_found: Flag | None = None

    def matches(self, path: Path) -> bool:
        """True when ``path`` is the very file this state describes (same size and mtime)."""
        try:
            st = path.stat()
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns

    def max_age(self) -> int | None:
        m = _MAX_AGE_RE.search(self.cache_control or "")
        return int(m.group(1)) if m else None

    def is_fresh(self, ttl: int, now_ns: int | None = None) -> bool:
        """Whether the cache may be used without asking the server (``local_repodata_ttl`` semantics:
        0 always revalidate, 1 honour ``Cache-Control: max-age``, N seconds)."""
        if ttl == 0:
            return False
        age_limit = self.max_age() if ttl == 1 else ttl
        if not age_limit:
            return False
        now_ns = time.time_ns() if now_ns is None else now_ns
        checked = self.refresh_ns or self.mtime_ns
        return 0 <= now_ns - checked < age_limit * 1_000_000_000


def flag_known(flag: Flag | None, now: float | None = None) -> bool | None:
    """The flag's value if it was checked recently enough to trust, else None (ask again)."""
    if flag is None or not flag.last_checked:
        return None
    try:
        checked = calendar.timegm(time.strptime(flag.last_checked, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None
    now = time.time() if now is None else now
    if flag.value or now - checked < ABSENCE_TTL_S:
        return flag.value
    return None


def new_flag(value: bool) -> Flag:
    return Flag(value=value, last_checked=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def cache_key(url: str) -> str:
    """conda's and mamba's cache name: ``md5(url + "/")[:8]`` with a trailing ``repodata.json`` removed."""
    if url.endswith("/repodata.json"):
        url = url[: -len("repodata.json")]
    if not url.endswith("/"):
        url += "/"
    return hashlib.md5(url.encode()).hexdigest()[:8]


_state_decoder = msgspec.json.Decoder(RepodataState)


def read_state(path: Path) -> RepodataState | None:
    """The sidecar at ``path`` (or conda's ``.info.json`` next to it), None if absent or unreadable."""
    for candidate in (path, path.with_name(path.name.replace(STATE_SUFFIX, CONDA_STATE_SUFFIX))):
        try:
            return _state_decoder.decode(candidate.read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue
    return None


def write_state(path: Path, state: RepodataState) -> None:
    atomic_write(path, msgspec.json.format(msgspec.json.encode(state), indent=2))


def state_for_file(path: Path, state: RepodataState) -> RepodataState:
    """``state`` with ``size``/``mtime_ns`` of ``path`` and ``refresh_ns`` = now."""
    st = path.stat()
    return msgspec.structs.replace(state, size=st.st_size, mtime_ns=st.st_mtime_ns, refresh_ns=time.time_ns())


class CacheEntry(msgspec.Struct, frozen=True):
    """One cached subdir, for ``naja clean -i`` and ``naja info``: the files that belong to it."""

    key: str
    url: str
    files: tuple[Path, ...]
    size: int
    state: RepodataState | None


def list_cache_entries(cache_dir: str | os.PathLike[str]) -> list[CacheEntry]:
    """Every cache entry in ``cache_dir`` (grouped by key), plus one for the shard store if any."""
    root = Path(cache_dir)
    if not root.is_dir():
        return []
    groups: dict[str, list[Path]] = {}
    for child in sorted(root.iterdir()):
        if child.is_file() and len(child.name) > 9 and child.name[8] == "." and not child.name.endswith(".tmp"):
            groups.setdefault(child.name[:8], []).append(child)
    out: list[CacheEntry] = []
    for key, files in groups.items():
        state = read_state(root / f"{key}{STATE_SUFFIX}")
        out.append(CacheEntry(key, state.url if state else "", tuple(files), _size(files), state))
    shards = root / SHARDS_DIR
    if shards.is_dir():
        files = sorted(p for p in shards.iterdir() if p.is_file())
        out.append(CacheEntry(SHARDS_DIR, "", tuple(files), _size(files), None))
    return out


def _size(files: list[Path]) -> int:
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return total
