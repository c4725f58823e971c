"""The two steps of installers built with conda's ``constructor`` (``naja constructor``).

As micromamba (micromamba/src/constructor.cpp): ``extract_conda_pkgs`` extracts every archive named in
``<prefix>/pkgs/urls`` into ``<prefix>/pkgs`` and writes its ``info/repodata_record.json`` (the cached
channel's repodata entry when there is one, completed by ``index.json``; else ``index.json`` with the
size and the hash from the URL); ``extract_tarball`` extracts a tarball stream into the prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from naja.package.info import JsonObject


def split_url(raw: str) -> tuple[str, str, dict[str, str]]:
    """``URL[#hash]`` -> (url, file name, {"md5"|"sha256": hash})."""
    url, _, digest = raw.strip().partition("#")
    fn = url.rstrip("/").rsplit("/", 1)[-1]
    hashes = {("sha256" if len(digest) == 64 else "md5"): digest} if digest else {}
    return url, fn, hashes


def repodata_record(index: JsonObject, cached: JsonObject | None, *, url: str, fn: str,
                    hashes: dict[str, str], size: int) -> JsonObject:
    """The record micromamba writes: the cached entry's values win (they may carry channel
    patches), ``index.json`` fills the rest; fn/url/channel from the URL; empty track_features
    dropped; depends/constrains always lists."""
    record = {**index, **cached} if cached is not None else {**index, "size": size, **hashes}
    channel_dir = url[: -len(fn)].rstrip("/")
    record.update(fn=fn, url=url, channel=channel_dir.rsplit("/", 1)[0] if "/" in channel_dir else channel_dir)
    if not record.get("size"):
        record["size"] = size
    record.setdefault("depends", [])
    record.setdefault("constrains", [])
    if "track_features" in record and not record["track_features"]:
        del record["track_features"]
    return record


def extract_conda_pkgs(prefix: Path, on_extract: Callable[[str], None] = lambda fn: None) -> None:
    import json

    from naja import safe_json
    from naja.errors import NajaError
    from naja.package.extract import extract
    from naja.package.info import read_index_json
    from naja.package.streaming import strip_package_extension
    from naja.repodata.cache import cache_key
    from naja.types.archive import CONDA_EXT

    pkgs = prefix / "pkgs"
    try:
        lines = (pkgs / "urls").read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise NajaError(f"cannot read {pkgs / 'urls'}: {exc.strerror or exc}") from None
    repodatas: dict[str, JsonObject] = {}
    for raw in filter(str.strip, lines):
        url, fn, hashes = split_url(raw)
        archive = pkgs / fn
        if "/" in fn or fn in ("", ".", "..") or not archive.is_file():
            raise NajaError(f"{pkgs / 'urls'}: no package archive {fn!r} in {pkgs}")
        on_extract(fn)
        dest = pkgs / strip_package_extension(fn)
        extract(archive, dest)
        cache_file = pkgs / "cache" / f"{cache_key(url[: -len(fn)])}.json"
        key = str(cache_file)
        if key not in repodatas:
            try:
                repodatas[key] = safe_json.loads(cache_file.read_bytes())
            except (OSError, ValueError):  # unreadable, not JSON, nested too deeply: index.json only
                repodatas[key] = {}
        table = "packages.conda" if fn.endswith(CONDA_EXT) else "packages"
        repodata = repodatas[key]
        section = repodata.get(table) if isinstance(repodata, dict) else None
        cached = section.get(fn) if isinstance(section, dict) else None
        record = repodata_record(read_index_json(archive), cached if isinstance(cached, dict) else None,
                                 url=url, fn=fn, hashes=hashes, size=archive.stat().st_size)
        (dest / "info" / "repodata_record.json").write_text(json.dumps(record, indent=4, sort_keys=True))


def extract_tarball(prefix: Path, stream: IO[bytes]) -> None:
    """The tarball read from ``stream`` into ``prefix``, through a temporary file as micromamba;
    members that would land outside the prefix (absolute, ``..``, links out) are refused by tarfile's
    data filter."""
    import shutil
    import tarfile

    from naja.errors import NajaError

    prefix.mkdir(parents=True, exist_ok=True)
    tmp = prefix / "_tmp.tar.bz2"
    try:
        with tmp.open("wb") as out:
            shutil.copyfileobj(stream, out)
        try:
            with tarfile.open(tmp) as tf:
                tf.extractall(prefix, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise NajaError(f"cannot extract the tarball from stdin into {prefix}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
