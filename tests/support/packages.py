"""Real, valid conda packages and channels for tests, built on the fly.

``make_package`` writes a genuine `.conda` or `.tar.bz2` (info/index.json, paths.json with sha256,
sizes, path types and prefix placeholders, info/files, has_prefix, link.json for noarch python entry
points) through naja's own package writer; ``make_channel`` puts such packages in
``<root>/<subdir>/`` and indexes the channel with ``naja.repodata.channel_index.index_channel``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from naja.package.create import create_conda
from naja.types.package_metadata import PREFIX_PLACEHOLDER

__all__ = ["PREFIX_PLACEHOLDER", "make_channel", "make_package"]

# deterministic timestamps make repodata reproducible across runs
DEFAULT_TIMESTAMP_MS = 1_700_000_000_000


def make_package(
    out_dir: str | os.PathLike[str],
    name: str,
    version: str,
    build: str = "0",
    build_number: int = 0,
    depends: Iterable[str] = (),
    constrains: Iterable[str] = (),
    files: Mapping[str, bytes | str] | None = None,
    noarch: str | None = None,
    subdir: str = "linux-64",
    track_features: str = "",
    entry_points: Iterable[str] = (),
    prefix_placeholder_files: Mapping[str, str] | Iterable[str] | None = None,
    symlinks: Mapping[str, str] | None = None,
    fmt: str = ".conda",
    extra_index: Mapping[str, object] | None = None,
    *,
    modes: Mapping[str, int] | None = None,
    info_files: Mapping[str, bytes | str] | None = None,
    no_link: Iterable[str] = (),
    features: str = "",
    timestamp: int | None = DEFAULT_TIMESTAMP_MS,
    license: str | None = None,
    compression_level: int = 3,
) -> Path:
    """Write ``<out_dir>/<name>-<version>-<build><fmt>`` and return its path.

    - ``files``: package path → content (str is UTF-8 encoded). Paths under ``bin/`` (and
      ``Scripts/``) are executable (0o755), others 0o644; ``modes`` overrides per path. Paths starting
      with ``info/`` go into info/ as-is (not listed in paths.json).
    - ``prefix_placeholder_files``: None → every file containing ``/opt/anaconda1anaconda2anaconda3``
      is marked as a text-mode placeholder file; a mapping path → ``"text"``/``"binary"`` marks exactly
      those; an iterable of paths marks those as text.
    - ``symlinks``: package path → link target (relative targets; listed as ``softlink``).
    - ``noarch``: ``"python"`` or ``"generic"``; sets ``subdir`` to noarch. ``entry_points`` (``"cmd =
      pkg.mod:func"``) go to info/link.json for noarch python.
    - ``extra_index``: merged last into info/index.json (add or override any key; None values delete).
    """
    files = dict(files or {})
    symlinks = dict(symlinks or {})
    modes = dict(modes or {})
    if noarch:
        subdir = "noarch"
    index: dict[str, object] = {
        "name": name,
        "version": str(version),
        "build": build,
        "build_number": int(build_number),
        "depends": list(depends),
        "constrains": list(constrains),
        "subdir": subdir,
    }
    if noarch:
        index["noarch"] = noarch
    if track_features:
        index["track_features"] = track_features
    if features:
        index["features"] = features
    if timestamp is not None:
        index["timestamp"] = int(timestamp)
    if license is not None:
        index["license"] = license
    if subdir != "noarch" and "-" in subdir:
        platform, arch = subdir.split("-", 1)
        index["platform"] = platform
        index["arch"] = {"64": "x86_64", "32": "x86", "aarch64": "aarch64", "arm64": "arm64"}.get(arch, arch)
    for key, value in (extra_index or {}).items():
        if value is None:
            index.pop(key, None)
        else:
            index[key] = value

    placeholders = _placeholder_modes(files, prefix_placeholder_files)
    with tempfile.TemporaryDirectory(prefix="naja-mkpkg-") as stage_name:
        stage = Path(stage_name)
        info = stage / "info"
        info.mkdir()
        paths: list[dict[str, object]] = []
        for rel, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else bytes(content)
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, modes.get(rel, 0o755 if rel.startswith(("bin/", "Scripts/")) else 0o644))
            if rel.startswith("info/"):
                continue
            entry: dict[str, object] = {
                "_path": rel,
                "path_type": "hardlink",
                "sha256": _sha256(data),
                "size_in_bytes": len(data),
            }
            if rel in placeholders:
                entry["prefix_placeholder"] = PREFIX_PLACEHOLDER
                entry["file_mode"] = placeholders[rel]
            if rel in set(no_link):
                entry["no_link"] = True
            paths.append(entry)
        for rel, link_target in sorted(symlinks.items()):
            link = stage / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(link_target, link)
            resolved = (link.parent / link_target).resolve()
            data = resolved.read_bytes() if resolved.is_file() else link_target.encode()
            paths.append(
                {"_path": rel, "path_type": "softlink", "sha256": _sha256(data), "size_in_bytes": len(data)}
            )
        paths.sort(key=lambda e: str(e["_path"]))
        (info / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True))
        (info / "paths.json").write_text(json.dumps({"paths": paths, "paths_version": 1}, indent=2))
        (info / "files").write_text("".join(f"{e['_path']}\n" for e in paths))
        if placeholders:
            (info / "has_prefix").write_text(
                "".join(f"{PREFIX_PLACEHOLDER} {mode} {rel}\n" for rel, mode in sorted(placeholders.items()))
            )
        if no_link:
            (info / "no_link").write_text("".join(f"{p}\n" for p in no_link))
        if noarch:
            noarch_doc: dict[str, object] = {"type": noarch}
            if entry_points:
                noarch_doc["entry_points"] = list(entry_points)
            link_json = {"noarch": noarch_doc, "package_metadata_version": 1}
            (info / "link.json").write_text(json.dumps(link_json, indent=2))
        for rel, content in (info_files or {}).items():
            rel = rel if rel.startswith("info/") else f"info/{rel}"
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else bytes(content))
        return create_conda(
            stage,
            out_dir,
            name=f"{name}-{version}-{build}",
            fmt=fmt,
            compression_level=compression_level,
        )


def _placeholder_modes(
    files: Mapping[str, bytes | str], spec: Mapping[str, str] | Iterable[str] | None
) -> dict[str, str]:
    if spec is None:
        marker = PREFIX_PLACEHOLDER.encode()
        return {
            rel: "text"
            for rel, content in files.items()
            if not rel.startswith("info/")
            and marker in (content.encode() if isinstance(content, str) else bytes(content))
        }
    modes = dict(spec) if isinstance(spec, Mapping) else dict.fromkeys(spec, "text")
    for rel, mode in modes.items():
        if rel not in files:
            raise ValueError(f"prefix placeholder file {rel!r} is not in files")
        if mode not in ("text", "binary"):
            raise ValueError(f"prefix placeholder mode for {rel!r} must be 'text' or 'binary', not {mode!r}")
    return modes


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def make_channel(
    root: str | os.PathLike[str],
    packages: Iterable[Mapping[str, object]],
    subdir: str = "linux-64",
    *,
    index: bool = True,
    shards: bool = True,
) -> Path:
    """Build each package (``make_package`` keyword arguments) into ``<root>/<its subdir>/`` and index.

    A package's own ``subdir`` (or ``noarch``) wins over the default ``subdir``. ``noarch/`` always
    exists. Returns ``root``, ready to serve or use as a ``file://`` channel.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "noarch").mkdir(exist_ok=True)
    for spec in packages:
        kwargs = dict(spec)
        pkg_subdir = "noarch" if kwargs.get("noarch") else str(kwargs.get("subdir", subdir))
        kwargs["subdir"] = pkg_subdir
        make_package(root / pkg_subdir, **kwargs)  # type: ignore[arg-type]
    (root / subdir).mkdir(exist_ok=True)
    if index:
        from naja.repodata.channel_index import index_channel

        index_channel(root, shards=shards)
    return root
