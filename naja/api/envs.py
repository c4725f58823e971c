"""``env list|export|remove``: environments as a whole."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from naja.api.context import Context, environments_txt, is_environment, unregister_env
from naja.api.options import Options
from naja.api.target import prefix_object
from naja.api.views import channel_label
from naja.config.locations import expand_path
from naja.errors import NajaError, PrefixError

if TYPE_CHECKING:
    from naja.install.prefix import PrefixRecord


class EnvExport(TypedDict, total=False):
    """``export_env``'s document: ``name``, ``channels``, ``dependencies``, ``pip`` and ``variables``
    when there are some, ``prefix``; or, for ``explicit``, ``name``, ``prefix`` and ``explicit``."""

    name: str
    channels: list[str]
    dependencies: list[str]
    pip: list[str]
    variables: dict[str, str]
    prefix: str
    explicit: str


@dataclass
class EnvInfo:
    name: str
    prefix: Path
    active: bool
    base: bool


def list_envs(options: Options | None = None) -> list[EnvInfo]:
    """The root prefix (always, even before it holds an environment, as micromamba's
    ``list_all_known_prefixes``), everything in the envs dirs and ``~/.conda/environments.txt``
    that is an env."""
    context = Context.from_options(options or Options())
    found: list[Path] = [context.root_prefix]

    def add(p: Path) -> None:
        if p not in found and is_environment(p):
            found.append(p)

    add(context.root_prefix)
    for d in context.envs_dirs:
        try:
            for child in sorted(d.iterdir()):
                add(child)
        except OSError:
            pass
    try:
        for line in environments_txt().read_text(encoding="utf-8").splitlines():
            if line.strip():
                add(Path(expand_path(line.strip())))
    except FileNotFoundError:
        pass
    active = os.environ.get("CONDA_PREFIX")
    active_path = Path(expand_path(active)) if active else None
    out = []
    for p in found:
        base = p == context.root_prefix
        in_envs = any(p.parent == d for d in context.envs_dirs)
        name = "base" if base else (p.name if in_envs else "")
        out.append(EnvInfo(name=name, prefix=p, active=p == active_path, base=base))
    return out


def export_env(options: Options | None = None, *, explicit: bool = False, from_history: bool = False,
               no_build: bool = False, md5: bool = True, channel_subdir: bool = False,
               sha256: bool = False) -> EnvExport:
    """``env export``: a dict with ``name``, ``channels``, ``dependencies`` (a ``pip:`` list for what
    pip installed), ``variables``, ``prefix`` (or the text of an ``@EXPLICIT`` file when ``explicit``,
    with ``#sha256:<hex>`` when ``sha256``, else ``#<md5>`` when ``md5``)."""
    from naja.api import reproduce

    context = Context.from_options(options or Options())
    prefix = context.target_prefix(must_exist=True)
    records = prefix_object(prefix).installed()
    name = prefix.name if prefix != context.root_prefix else "base"
    if explicit:
        from naja.environment import files as env_files

        lines = reproduce.explicit_lines(records, md5=md5, sha256=sha256)
        return {"name": name, "prefix": str(prefix),
                "explicit": env_files.explicit_text(context.platform, lines)}
    channels: list[str] = []
    deps: list[str] = []
    if from_history:
        specs: dict[str, str] = {}
        from naja.types import match_spec as ms_mod

        for rev in prefix_object(prefix).history.revisions():
            for s in rev.update_specs:
                try:
                    specs[ms_mod.MatchSpec(s).name] = s
                except NajaError:
                    specs[s] = s
            for s in rev.remove_specs:
                try:
                    specs.pop(ms_mod.MatchSpec(s).name, None)
                except NajaError:
                    specs.pop(s, None)
        deps = list(specs.values())
        for r in records:
            label = channel_label(r.channel)
            if label and label not in channels:
                channels.append(label)
    else:
        for r in records:
            label = channel_label(r.channel)
            if label and label not in channels:
                channels.append(label)
            if channel_subdir:
                dep = f"{label}/{r.subdir}::{r.name}={r.version}" + ("" if no_build else f"={r.build}")
            else:
                dep = f"{r.name}={r.version}" + ("" if no_build else f"={r.build}")
            deps.append(dep)
    doc: EnvExport = {"name": name, "channels": channels, "dependencies": deps}
    pip = reproduce.pip_installed(prefix)
    if pip:
        doc["pip"] = pip
    variables = reproduce.env_vars(prefix)
    if variables:
        doc["variables"] = variables
    doc["prefix"] = str(prefix)
    return doc


def export_yaml(doc: EnvExport) -> str:
    from naja.environment import files as env_files

    return env_files.environment_yml(doc.get("name"), doc.get("channels", []), doc.get("dependencies", []),
                                     prefix=doc.get("prefix"), pip=doc.get("pip") or (),
                                     variables=doc.get("variables") or None)


def remove_env(options: Options | None = None) -> tuple[Path, list[PrefixRecord]]:
    """Delete the target environment (never the root prefix) and unregister it. Returns what was in it."""
    context = Context.from_options(options or Options())
    prefix = context.target_prefix(must_exist=True, allow_default=False)
    if prefix == context.root_prefix:
        raise PrefixError("refusing to remove the root prefix (base environment)")
    active = os.environ.get("CONDA_PREFIX")
    if active and Path(expand_path(active)) == prefix:
        raise PrefixError(f"cannot remove the active environment {prefix}; deactivate it first")
    records = prefix_object(prefix).installed()
    if not context.options.dry_run:
        # unlink every package first (their pre-unlink scripts run, as micromamba does), then delete
        from naja.api.transact import plan_remove

        if records:
            plan_remove((), context.options.with_(prefix=str(prefix), name=None), remove_all=True).execute()
        from naja.confine import rmtree

        rmtree(prefix)  # a link at the prefix is removed, never followed
        unregister_env(prefix)
    return prefix, records
