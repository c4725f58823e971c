"""Read-only questions: ``list``, ``search``, ``repoquery depends|whoneeds``, ``info``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from naja.api.context import Context
from naja.api.options import Options
from naja.api.pipeline import parse_specs, virtual_packages
from naja.api.target import prefix_object
from naja.errors import NajaError
from naja.progress import repodata_hook

if TYPE_CHECKING:
    from _typeshed import SupportsDunderLT

    from naja.install.prefix import Revision
    from naja.types.match_spec import MatchSpec
    from naja.types.records import PackageRecord
    from naja.types.version import Version

# ``info``'s document: micromamba's keys (with their spaces), in the order ``naja info`` prints them.
InfoJson = TypedDict("InfoJson", {
    "libmamba version": str,
    "micromamba version": str,
    "naja version": str,
    "platform": str,
    "virtual packages": list[str],
    "channels": list[str],
    "base environment": str,
    "root_prefix": str,
    "environment": str,
    "env location": str,
    "envs directories": list[str],
    "package cache": list[str],
    "user config files": list[str],
    "populated config files": list[str],
    "python version": str,
})


def list_packages(options: Options | None = None, regex: str | None = None, *,
                  full_name: bool = False, pip: bool = False) -> tuple[Path, list[PackageRecord]]:
    """The installed records of the target prefix whose name matches ``regex`` (a search, or the
    whole name with ``full_name``); with ``pip``, also what pip installed (channel ``pypi``), sorted
    by name among them, as micromamba 2."""
    context = Context.from_options(options or Options())
    prefix = context.target_prefix(must_exist=True)
    from naja.install.journal import recover

    recover(prefix)  # a killed transaction is rolled back before we look
    records: list[PackageRecord] = list(prefix_object(prefix).installed())
    if pip:
        from naja.install.pip_records import pip_records

        conda_names = {r.name for r in records}
        extra = [r for r in pip_records(prefix, conda_names) if r.name not in conda_names]
        records = sorted([*records, *extra], key=lambda r: r.name)
    if regex:
        pattern = f"^{regex}$" if full_name else regex
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise NajaError(f"invalid regular expression {regex!r}: {exc}") from None
        records = [r for r in records if rx.search(r.name)]
    return prefix, records


def revisions(options: Options | None = None) -> list[Revision]:
    """The target environment's history revisions, oldest (0) first (``list --revisions``)."""
    context = Context.from_options(options or Options())
    return prefix_object(context.target_prefix(must_exist=True)).history.revisions()


def _version_key(rec: PackageRecord) -> tuple[Version, int, int]:
    from naja.types import version

    return (version.Version(rec.version), rec.build_number, rec.timestamp_ms)


def _remote_records(context: Context, specs: list[MatchSpec], *, recursive: bool) -> list[PackageRecord]:
    """Records for ``specs`` from the channels: only the names asked for (and, with ``recursive``,
    what they reach); a wildcard name needs every record of each subdir."""
    channels = context.channels()
    if not channels:
        raise NajaError("no channels configured: pass -c CHANNEL or set 'channels' in .condarc")
    from naja import repodata

    if any("*" in s.name for s in specs):
        out: list[PackageRecord] = []
        for ch in channels:
            errors: list[NajaError] = []
            for subdir in (context.platform, "noarch"):
                try:
                    out += repodata.load_subdir_records(ch, subdir, options=context.fetch_options,
                                                        channel_config=context.channel_config,
                                                        patterns=[s.name for s in specs],
                                                        progress=repodata_hook())
                except NajaError as exc:  # a channel may lack one of the two subdirs
                    errors.append(exc)
            if len(errors) == 2:
                raise errors[0]
        return out
    return repodata.load_records(channels, context.platform, specs, options=context.fetch_options,
                                 channel_config=context.channel_config, recursive=recursive,
                                 progress=repodata_hook())


def search(specs: Sequence[str], options: Options | None = None, *, local: bool = False) -> list[PackageRecord]:
    """Records matching any of ``specs`` in the channels (or the prefix with ``local``), newest
    first per name."""
    context = Context.from_options(options or Options())
    match_specs = parse_specs(specs, context.channel_config)
    if not match_specs:
        raise NajaError("give a spec to search for, e.g. 'numpy>=1.26' or 'num*'")
    pool: Sequence[PackageRecord]
    if local:
        pool = prefix_object(context.target_prefix(must_exist=True)).installed()
    else:
        pool = _remote_records(context, match_specs, recursive=False)
    found = [r for r in pool if any(s.match(r) for s in match_specs)]
    found.sort(key=lambda r: (r.name, *_neg(_version_key(r))))
    return found


def _neg(key: tuple[Version, int, int]) -> tuple[_Reverse, ...]:
    return tuple(_Reverse(k) for k in key)


class _Reverse:
    """A sort key that orders ``value`` the other way round (newest first without negating versions)."""

    __slots__ = ("value",)

    def __init__(self, value: SupportsDunderLT[Any]) -> None:
        self.value = value

    def __lt__(self, other: _Reverse) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and other.value == self.value


@dataclass
class DepNode:
    """One node of a ``repoquery --tree`` answer."""

    record: PackageRecord
    children: list[DepNode] = field(default_factory=list)
    seen: bool = False  # already shown higher up the tree (cycles, diamonds)


def _pool(context: Context, specs: list[MatchSpec], remote: bool) -> tuple[Sequence[PackageRecord], bool]:
    if remote:
        return _remote_records(context, specs, recursive=True), True
    return prefix_object(context.target_prefix(must_exist=True)).installed(), False


def _best(pool: Sequence[PackageRecord], spec: MatchSpec) -> PackageRecord | None:
    matches = [r for r in pool if spec.match(r)]
    if not matches:
        return None
    return max(matches, key=_version_key)


def depends(spec: str, options: Options | None = None, *, remote: bool = False, recursive: bool = False,
            tree: bool = False) -> DepNode:
    """What ``spec`` depends on: direct dependencies, or all of them (``recursive``/``tree``)."""
    context = Context.from_options(options or Options())
    remote = remote or bool(context.options.channels)
    ms = _one_spec(spec, context)
    pool, _ = _pool(context, [ms], remote)
    root = _best(pool, ms)
    if root is None:
        where = "in the channels" if remote else "installed"
        raise NajaError(f"no package matching '{spec}' {where}")
    from naja.types import match_spec as ms_mod

    shown: set[str] = {root.name}

    def expand(node: DepNode, depth: int) -> None:
        for dep in node.record.depends:
            try:
                dep_spec = ms_mod.MatchSpec(dep)
            except NajaError:
                continue
            rec = _best(pool, dep_spec)
            if rec is None:
                continue
            child = DepNode(rec, seen=rec.name in shown)
            node.children.append(child)
            if not child.seen:
                shown.add(rec.name)
                if recursive or tree:
                    expand(child, depth + 1)

    top = DepNode(root)
    expand(top, 0)
    return top


def whoneeds(spec: str, options: Options | None = None, *, remote: bool = False,
             tree: bool = False) -> DepNode:
    """Which packages depend on ``spec`` (recursively with ``tree``)."""
    context = Context.from_options(options or Options())
    remote = remote or bool(context.options.channels)
    ms = _one_spec(spec, context)
    # Who depends on a name cannot be reached from the name: a remote search reads the whole channel.
    pool, _ = _pool(context, parse_specs(["*"]) if remote else [ms], remote)
    target = _best(pool, ms)
    from naja.types import match_spec as ms_mod

    by_dep: dict[str, list[PackageRecord]] = {}
    for rec in pool:
        for dep in rec.depends:
            try:
                name = ms_mod.MatchSpec(dep).name
            except NajaError:
                continue
            by_dep.setdefault(name, []).append(rec)
    if target is None:
        from naja.types.records import PackageRecord

        target = PackageRecord(name=ms.name, version="", build="")
    shown: set[str] = {target.name}

    def expand(node: DepNode) -> None:
        users = by_dep.get(node.record.name, [])
        best: dict[str, PackageRecord] = {}
        for u in users:
            if u.name not in best or _version_key(u) > _version_key(best[u.name]):
                best[u.name] = u
        for name in sorted(best):
            child = DepNode(best[name], seen=name in shown)
            node.children.append(child)
            if not child.seen:
                shown.add(name)
                if tree:
                    expand(child)

    top = DepNode(target)
    expand(top)
    return top


def flatten(node: DepNode) -> list[PackageRecord]:
    out: list[PackageRecord] = []
    seen: set[str] = set()

    def walk(n: DepNode) -> None:
        for c in n.children:
            if c.record.name not in seen:
                seen.add(c.record.name)
                out.append(c.record)
            walk(c)

    walk(node)
    return out


def info(options: Options | None = None) -> InfoJson:
    """What ``naja info`` shows: versions, platform, virtual packages, channels, directories."""
    import naja
    from naja.types.url import redact_url

    context = Context.from_options(options or Options())
    try:
        target = context.target_prefix(must_exist=False)
    except NajaError:
        target = None
    channel_urls: list[str] = []
    try:
        for ch in context.channels():
            for subdir in (context.platform, "noarch"):
                channel_urls.append(redact_url(ch.subdir_url(subdir)))
    except NajaError as exc:
        channel_urls.append(f"<{exc}>")
    try:
        vps = [f"{r.name}={r.version}={r.build}" for r in virtual_packages(context)]
    except NajaError as exc:
        vps = [f"<{exc}>"]
    rc_files = [str(p) for p in context.config.rc_files]
    env_name = "-"
    if target is not None:
        env_name = "base" if target == context.root_prefix else target.name
    return {
        # libmamba/src/api/info.cpp: "libmamba version", "<exe> version" (micromamba's own), then ours
        "libmamba version": naja.MICROMAMBA_VERSION,
        "micromamba version": naja.MICROMAMBA_VERSION,
        "naja version": naja.__version__,
        "platform": context.platform,
        "virtual packages": vps,
        "channels": channel_urls,
        "base environment": str(context.root_prefix),
        "root_prefix": str(context.root_prefix),
        "environment": env_name,
        "env location": str(target) if target is not None else "-",
        "envs directories": [str(d) for d in context.envs_dirs],
        "package cache": [str(d) for d in context.pkgs_dirs],
        "user config files": [str(Path.home() / ".mambarc")],
        "populated config files": rc_files,
        "python version": ".".join(str(v) for v in __import__("sys").version_info[:3]),
    }


def _one_spec(spec: str, context: Context) -> MatchSpec:
    """The one match spec ``depends``/``whoneeds`` query (an empty one is a usage error, not a bug)."""
    from naja.errors import InvalidMatchSpec

    specs = parse_specs([spec], context.channel_config)
    if len(specs) != 1:
        raise InvalidMatchSpec(f"invalid match spec {spec!r}: give one package name or spec to query")
    return specs[0]
