"""``-f https://…``: environment files, ``@EXPLICIT`` lists and lockfiles given by URL are fetched
(through the run's proxies, trust and credentials) into a private temporary directory and then read
like local files; the file name of the URL decides the kind, as for a local path."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.repodata.fetch import HttpOptions

_REMOTE = ("http://", "https://")
_tmpdir: Path | None = None


def is_remote(path: str) -> bool:
    return path.lower().startswith(_REMOTE)


def localize(paths: Sequence[str], options: HttpOptions) -> list[str]:
    """``paths`` with every http(s) URL replaced by the path of its downloaded copy."""
    if not any(is_remote(str(p)) for p in paths):
        return [str(p) for p in paths]
    return [_download(str(p), options, index) if is_remote(str(p)) else str(p) for index, p in enumerate(paths)]


def _download(url: str, options: HttpOptions, index: int) -> str:
    from naja.repodata import fetch
    from naja.types.url import redact_url

    response = fetch.get(url, label=f"-f {redact_url(url)}", options=options)
    target = _directory() / str(index) / _file_name(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.body)
    return str(target)


def _file_name(url: str) -> str:
    """The URL's last path segment, reduced to safe characters (it only has to keep its suffix)."""
    last = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rpartition("/")[2])
    name = re.sub(r"[^A-Za-z0-9._-]", "_", last).lstrip(".")
    return name or "environment.txt"


def _directory() -> Path:
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = Path(tempfile.mkdtemp(prefix="naja-remote-"))
        atexit.register(shutil.rmtree, _tmpdir, True)
    return _tmpdir
