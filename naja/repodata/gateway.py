"""``load_records``: the records a solve can need, from every channel and subdir, in priority order.

Subdirs are opened (fetched, cached, indexed): remote ones in parallel threads, local ones in the
calling thread meanwhile (their work is CPU-bound under the GIL). Then a breadth-first walk over
package names: start from the specs' names, load each level's names from every subdir (sharded
subdirs fetch that level's shards in parallel), and queue the names found in the loaded records'
``depends`` and ``constrains``. Virtual packages (``__glibc``...) are never looked up.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import msgspec

from naja.errors import ChannelError
from naja.repodata import fetch
from naja.repodata.local_index import gc_paused
from naja.repodata.subdir import FetchOptions, Subdir, open_subdir
from naja.types.match_spec import spec_name as dep_name  # re-exported as naja.repodata.dep_name
from naja.types.records import PackageRecord
from naja.types.url import redact_url

if TYPE_CHECKING:
    from naja.types.channel import Channel, ChannelConfig, MultiChannel
    from naja.types.match_spec import MatchSpec

# A channel as callers name it: an object, or a name, URL or path.
ChannelLike: TypeAlias = "Channel | MultiChannel | str"


def _request_name(spec: MatchSpec | str) -> str:
    """The package name of a ``MatchSpec`` or a spec string (may be a glob such as ``num*``)."""
    name = getattr(spec, "name", None)
    if isinstance(name, str):
        return name.lower()
    return dep_name(str(spec))


def resolve_channels(channels: Iterable[ChannelLike], channel_config: ChannelConfig | None = None) -> list[Channel]:
    """``Channel`` objects (multichannels expanded, duplicates dropped) from objects or strings, under
    the user's channel settings (``naja.types.channel.resolve_channels``)."""
    from naja.types.channel import Channel, MultiChannel, resolve_channels

    items = [c if isinstance(c, Channel | MultiChannel) else str(c) for c in channels]
    return resolve_channels(items, channel_config)


def _options(options: FetchOptions | None, *, offline: bool, cache_dir: str | Path | None,
             progress: fetch.ProgressCallback | None) -> FetchOptions:
    """``options`` with this call's arguments: an explicit ``cache_dir`` wins over the configured one."""
    options = options or FetchOptions()
    return msgspec.structs.replace(
        options,
        offline=options.offline or offline,
        cache_dir=Path(cache_dir).expanduser() if cache_dir is not None else options.cache_dir,
        progress=progress if progress is not None else options.progress,
    )


def open_subdirs(
    channels: Sequence[Channel], platform: str, options: FetchOptions, *, allow_shards: bool = True
) -> list[Subdir]:
    """Every (channel, subdir) opened in parallel, returned in priority order. A channel none of
    whose subdirs exist is an error naming it; a missing platform subdir alone is not."""
    jobs: list[tuple[Channel, str]] = []
    for channel in channels:
        subdirs = channel.subdirs(platform) if hasattr(channel, "subdirs") else (platform, "noarch")
        jobs.extend((channel, s) for s in dict.fromkeys(subdirs))
    # Network subdirs are fetched in threads; local ones (pure CPU under the GIL) run here meanwhile.
    remote = [k for k, (c, _) in enumerate(jobs) if not str(c.base_url).startswith("file:")]
    results: list[Subdir | None] = [None] * len(jobs)
    pool = ThreadPoolExecutor(min(8, len(remote)), thread_name_prefix="naja-repodata") if len(remote) > 1 else None
    try:
        futures = {k: pool.submit(open_subdir, jobs[k][0], jobs[k][1], options, allow_shards=allow_shards)
                   for k in remote} if pool is not None else {}
        for k, (channel, subdir) in enumerate(jobs):
            if k not in futures:
                results[k] = open_subdir(channel, subdir, options, allow_shards=allow_shards)
        for k, future in futures.items():
            results[k] = future.result()
    except KeyboardInterrupt:
        if pool is not None:  # Ctrl-C: the CLI exits now; do not wait for the other fetches
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    for channel in channels:
        if not any(sub is not None for (c, _), sub in zip(jobs, results) if c is channel):
            shown = getattr(channel, "canonical_name", None) or redact_url(channel.base_url)
            tried = ", ".join(s for c, s in jobs if c is channel)
            raise ChannelError(
                f"channel {shown} not found: no repodata for {tried} at {redact_url(channel.base_url)}"
            )
    return [sub for sub in results if sub is not None]


def collect(subdirs: Sequence[Subdir], names: Iterable[str], *, recursive: bool = True,
            implied: Mapping[str, Sequence[str]] | None = None) -> list[PackageRecord]:
    """Breadth-first over names from ``names``; records grouped by subdir in ``subdirs`` order.
    ``implied`` adds names reached with another (``{"python": ["pip"]}`` for
    ``add_pip_as_python_dependency``, whose dependency the records do not spell)."""
    implied = implied or {}
    start: list[str] = []
    for name in dict.fromkeys(names):
        if not name or name.startswith("__"):
            continue
        if any(c in name for c in "*?["):
            for sub in subdirs:
                start.extend(fnmatch.filter(sub.names(), name))
        else:
            start.append(name)
    if implied:
        start += [x for n in start for x in implied.get(n, ())]
    seen = set(start)
    frontier = list(dict.fromkeys(start))
    found: list[dict[str, list[PackageRecord]]] = [{} for _ in subdirs]
    sharded = [i for i, s in enumerate(subdirs) if s.sharded]
    while frontier:
        level: list[dict[str, list[PackageRecord]]] = [{} for _ in subdirs]
        if len(sharded) > 1:
            with ThreadPoolExecutor(len(sharded)) as pool:
                futures = {i: pool.submit(subdirs[i].load, frontier) for i in sharded}
                for i, future in futures.items():
                    level[i] = future.result()
        for i, sub in enumerate(subdirs):
            if not (len(sharded) > 1 and sub.sharded):
                level[i] = sub.load(frontier)
        next_names: list[str] = []
        for i, result in enumerate(level):
            found[i].update(result)
            if not recursive:
                continue
            for records in result.values():
                for rec in records:
                    for spec in rec.depends:
                        n = dep_name(spec)
                        if n not in seen and not n.startswith("__"):
                            seen.add(n)
                            next_names.append(n)
                            for x in implied.get(n, ()):
                                if x not in seen:
                                    seen.add(x)
                                    next_names.append(x)
                    for spec in rec.constrains:
                        n = dep_name(spec)
                        if n not in seen and not n.startswith("__"):
                            seen.add(n)
                            next_names.append(n)
        frontier = next_names
    return [rec for per_subdir in found for records in per_subdir.values() for rec in records]


def load_records(
    channels: Sequence[ChannelLike],
    platform: str,
    specs: Iterable[MatchSpec | str],
    *,
    options: FetchOptions | None = None,
    channel_config: ChannelConfig | None = None,
    offline: bool = False,
    recursive: bool = True,
    cache_dir: str | Path | None = None,
    progress: fetch.ProgressCallback | None = None,
    implied: Mapping[str, Sequence[str]] | None = None,
) -> list[PackageRecord]:
    """The records of every name reachable from ``specs`` (through ``depends`` and ``constrains``
    names, and ``implied``: see ``collect``) in ``channels`` for ``platform`` and ``noarch``, ordered
    by channel priority.

    ``channels``: ``naja.types.channel.Channel`` objects or strings (names, URLs, paths). Records carry
    ``fn``, ``url`` (token removed), ``channel`` (the channel's base URL) and ``subdir``. Raises
    ``ChannelError`` (one line, credentials redacted) when a channel cannot be used.
    """
    options = _options(options, offline=offline, cache_dir=cache_dir, progress=progress)
    subdirs = open_subdirs(resolve_channels(channels, channel_config), str(platform), options)
    with gc_paused():
        return collect(subdirs, [_request_name(s) for s in specs], recursive=recursive, implied=implied)


def load_subdir_records(
    channel: ChannelLike,
    subdir: str,
    *,
    options: FetchOptions | None = None,
    channel_config: ChannelConfig | None = None,
    offline: bool = False,
    cache_dir: str | Path | None = None,
    progress: fetch.ProgressCallback | None = None,
    patterns: Sequence[str] | None = None,
) -> list[PackageRecord]:
    """Every record of one subdir of one channel (for ``search``/``repoquery`` over a whole channel),
    or, with ``patterns`` (``fnmatch`` globs), of the names matching one of them: only those records
    are decoded. Uses the full ``repodata.json`` even when the channel is sharded: many names are wanted."""
    options = _options(options, offline=offline, cache_dir=cache_dir, progress=progress)
    found = resolve_channels([channel], channel_config)
    if not found:
        raise ChannelError(f"no channel given: {channel!r}")
    resolved = found[0]
    sub = open_subdir(resolved, subdir, options, allow_shards=False)
    if sub is None:
        raise ChannelError(f"{redact_url(resolved.base_url)}/{subdir}: no repodata found")
    with gc_paused():
        if patterns is None or "*" in patterns:
            return sub.load_all()
        names = [n for n in sub.names() if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        return [r for recs in sub.load(names).values() for r in recs]
