"""Input files of ``-f/--file``: environment.yml (CEP 24), ``@EXPLICIT`` files and plain spec lists
(CEP 23), and conda-lock lockfiles; plus writing ``env export`` YAML and ``@EXPLICIT`` text.

As in micromamba, every file of one invocation must be of one kind; the kind is chosen by name
(``*-lock.yml`` is a lockfile, ``*.yml``/``*.yaml`` an environment file) or, for text files, by an
``@EXPLICIT`` line.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from naja.errors import EnvironmentFileError, first_line

if TYPE_CHECKING:
    from naja.types.records import PackageRecord


@dataclass
class ExplicitEntry:
    """One line of an ``@EXPLICIT`` file: a package URL (or path) and its optional hash."""

    url: str
    md5: str | None = None
    sha256: str | None = None


@dataclass
class EnvSpec:
    """What the ``-f`` files ask for, merged."""

    kind: str  # "yaml" | "explicit" | "specs" | "lock"
    name: str | None = None
    channels: list[str] = field(default_factory=list)
    specs: list[str] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    explicit: list[ExplicitEntry] = field(default_factory=list)
    lock_records: list[PackageRecord] = field(default_factory=list)
    platform: str | None = None
    prefix: str | None = None  # environment.yml ``prefix:`` (used when there is no name, -n or -p)


def file_kind(path: str | os.PathLike[str]) -> str:
    """``lock`` (named as ``conda_lock.is_lockfile`` says, in any case), ``yaml`` or ``text``."""
    from naja.environment.conda_lock import is_lockfile

    name = Path(path).name.lower()
    if is_lockfile(name):
        return "lock"
    if name.endswith((".yml", ".yaml")):
        return "yaml"
    return "text"


def read_env_files(paths: Sequence[str | os.PathLike[str]], *, platform: str,
                   categories: Iterable[str] = ("main",)) -> EnvSpec | None:
    """Read and merge ``paths`` (all of one kind); None when there are none."""
    if not paths:
        return None
    kinds = {file_kind(p) for p in paths}
    if len(kinds) > 1:
        raise EnvironmentFileError("all -f files must be of one kind (environment.yml, lockfile or text)")
    kind = kinds.pop()
    merged: EnvSpec | None = None
    for p in paths:
        if kind == "lock":
            one = read_lock_file(p, platform=platform, categories=categories)
        elif kind == "yaml":
            one = read_environment_yml(p, platform=platform)
        else:
            one = read_text_file(p)
        if merged is None:
            merged = one
        elif one.kind != merged.kind:
            raise EnvironmentFileError(f"{p}: cannot mix @EXPLICIT files with plain spec lists")
        else:
            merged.channels += [c for c in one.channels if c not in merged.channels]
            merged.specs += one.specs
            merged.pip += one.pip
            merged.variables.update(one.variables)
            merged.explicit += one.explicit
            merged.lock_records += one.lock_records
            merged.name = merged.name or one.name
        if merged.kind == "explicit":
            break  # micromamba stops after the first explicit file
    return merged


def _read(path: str | os.PathLike[str]) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EnvironmentFileError(f"file not found: {os.fspath(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvironmentFileError(f"cannot read {os.fspath(path)}: {exc}") from None


_SELECTOR = re.compile(r"^sel\((\w+)\)$")


def _selector_matches(selector: str, platform: str) -> bool:
    os_part = platform.split("-")[0]
    if selector == "unix":
        return os_part in ("linux", "osx", "emscripten", "wasi", "freebsd")
    if selector == "win":
        return os_part == "win"
    return os_part == selector


def read_environment_yml(path: str | os.PathLike[str], *, platform: str) -> EnvSpec:
    """CEP 24 environment file: ``name``, ``channels`` (env vars expanded), ``dependencies`` (strings,
    ``{sel(linux): spec}`` selectors, a ``pip:`` list) and ``variables``."""
    from ruamel.yaml.error import YAMLError

    from naja import safe_yaml

    text = _read(path)
    try:
        data = safe_yaml.load(text)
    except YAMLError as exc:
        raise EnvironmentFileError(f"cannot parse {os.fspath(path)}: {first_line(exc, 'invalid YAML')}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EnvironmentFileError(f"{os.fspath(path)}: an environment file must be a mapping")
    spec = EnvSpec(kind="yaml")
    name = data.get("name")
    spec.name = str(name) if name is not None else None
    spec.prefix = str(data["prefix"]) if data.get("prefix") else None
    channels = data.get("channels") or []
    if not isinstance(channels, list):
        raise EnvironmentFileError(f"{os.fspath(path)}: 'channels' must be a list")
    spec.channels = [os.path.expandvars(str(c)) for c in channels]
    deps = data.get("dependencies") or []
    if not isinstance(deps, list):
        raise EnvironmentFileError(f"{os.fspath(path)}: 'dependencies' must be a list")
    for dep in deps:
        if isinstance(dep, str):
            spec.specs.append(dep)
        elif isinstance(dep, (int, float)):
            spec.specs.append(str(dep))
        elif isinstance(dep, dict):
            for key, value in dep.items():
                m = _SELECTOR.match(str(key))
                if key == "pip":
                    if not isinstance(value, list):
                        raise EnvironmentFileError(f"{os.fspath(path)}: 'pip' must be a list")
                    spec.pip += [str(v) for v in value]
                elif m:
                    if not isinstance(value, str):
                        raise EnvironmentFileError(
                            f"{os.fspath(path)}: selector {key} must map to one spec string")
                    if _selector_matches(m.group(1), platform):
                        spec.specs.append(value)
                else:
                    raise EnvironmentFileError(f"{os.fspath(path)}: unsupported dependency section {key!r}")
        else:
            raise EnvironmentFileError(f"{os.fspath(path)}: unexpected dependency entry {dep!r}")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise EnvironmentFileError(f"{os.fspath(path)}: 'variables' must be a mapping")
    spec.variables = {str(k): str(v) for k, v in variables.items()}
    if spec.pip and not any(re.match(r"^pip\b", s) for s in spec.specs):
        spec.specs.append("pip")
    return spec


def read_text_file(path: str | os.PathLike[str]) -> EnvSpec:
    """A CEP 23 text file: one spec per line, or ``@EXPLICIT`` followed by package URLs."""
    lines = _read(path).splitlines()
    explicit = any(line.strip().startswith("@EXPLICIT") for line in lines)
    if explicit:
        spec = EnvSpec(kind="explicit")
        seen = False
        for raw in lines:
            line = raw.strip()
            if line.startswith("# platform:"):
                spec.platform = line.split(":", 1)[1].strip()
            if not seen:
                seen = line.startswith("@EXPLICIT")
                continue
            if not line or line.startswith("#"):
                continue
            spec.explicit.append(parse_explicit_line(line, path))
        return spec
    spec = EnvSpec(kind="specs")
    for raw in lines:
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            spec.specs.append(line)
    return spec


def parse_explicit_line(line: str, path: str | os.PathLike[str] = "<explicit>") -> ExplicitEntry:
    url, _, frag = line.partition("#")
    url = os.path.expandvars(url.strip())  # CEP 23: environment variables (and ~) are expanded
    if not re.search(r"\.(conda|tar\.bz2)$", url):
        raise EnvironmentFileError(f"{os.fspath(path)}: not a package URL: {line!r}")
    entry = ExplicitEntry(url=url)
    frag = frag.strip()
    if frag.startswith("sha256:"):
        entry.sha256 = frag[7:]
    elif len(frag) == 64:
        entry.sha256 = frag
    elif frag:
        entry.md5 = frag
    if (entry.sha256 and not re.fullmatch(r"[0-9a-fA-F]{64}", entry.sha256)) or (
            entry.md5 and not re.fullmatch(r"[0-9a-fA-F]{32}", entry.md5)):
        raise EnvironmentFileError(
            f"{os.fspath(path)}: invalid hash #{frag} for {url} (expected #<md5> or #sha256:<hex>)")
    return entry


def read_lock_file(path: str | os.PathLike[str], *, platform: str, categories: Iterable[str]) -> EnvSpec:
    from naja.environment import conda_lock

    lock = conda_lock.read_lockfile(path)
    cats = list(categories) or ["main"]
    packages = lock.packages_for(platform, cats)
    if not packages and platform not in lock.metadata.platforms:
        raise EnvironmentFileError(
            f"{os.fspath(path)} has no packages for {platform} (it locks {', '.join(lock.metadata.platforms)})")
    for category in lock.empty_categories(platform, cats):
        logging.getLogger(__name__).warning(
            "%s: no packages of category '%s' for %s", os.fspath(path), category, platform)
    conda = [p for p in packages if p.manager == "conda"]
    spec = EnvSpec(kind="lock", platform=platform)
    spec.lock_records = conda_lock.to_records(conda)
    spec.pip = conda_lock.pip_requirements([p for p in packages if p.manager == "pip"])
    spec.channels = [c.url for c in lock.metadata.channels]
    return spec


# --- writing -----------------------------------------------------------------------------------


def environment_yml(name: str | None, channels: Sequence[str], dependencies: Sequence[str],
                    prefix: str | None = None, pip: Sequence[str] = (),
                    variables: dict[str, str] | None = None) -> str:
    """The ``env export`` YAML: ``name``, ``channels``, ``dependencies`` (with ``pip:``), ``variables``,
    ``prefix``."""
    import io

    from ruamel.yaml import YAML

    doc: dict[str, object] = {}
    if name:
        doc["name"] = name
    doc["channels"] = list(channels)
    deps: list[str | dict[str, list[str]]] = list(dependencies)
    if pip:
        deps.append({"pip": list(pip)})
    doc["dependencies"] = deps
    if variables:
        doc["variables"] = dict(variables)
    if prefix:
        doc["prefix"] = prefix
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=2, offset=0)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def explicit_text(platform: str, urls_with_hashes: Iterable[str]) -> str:
    lines = ["# This file may be used to create an environment using:",
             "# $ naja create --name <env> --file <this file>",
             f"# platform: {platform}", "@EXPLICIT"]
    lines += list(urls_with_hashes)
    return "\n".join(lines) + "\n"
