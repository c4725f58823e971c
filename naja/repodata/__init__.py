"""Repodata: fetching and caching channel metadata, CEP 16 shards, a per-name local index, and
``load_records`` (the records reachable from a request). Submodules import lazily so that
``import naja.repodata`` stays cheap.

Public API:
- ``load_records(channels, platform, specs, *, options=None, channel_config=None, offline=False,
  recursive=True, cache_dir=None, progress=None) -> list[PackageRecord]``
- ``load_subdir_records(channel, subdir, *, options=None, channel_config=None, offline=False,
  cache_dir=None, progress=None)``
- ``FetchOptions`` (cache directory, TTL, zst, shards, offline, ``HttpOptions``): what
  ``naja.api.context.Context.fetch_options`` builds from the configuration
- ``list_cache_entries(cache_dir) -> list[CacheEntry]``
- ``prune_shard_cache(cache_dir) -> list[Path]`` (CEP 16 garbage collection)
- ``dep_name(spec_string) -> str``
- ``ProgressCallback``: ``progress(label, bytes_done, bytes_total_or_None)``
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from naja.repodata.cache import CacheEntry, list_cache_entries
    from naja.repodata.fetch import HttpOptions, ProgressCallback
    from naja.repodata.gateway import load_records, load_subdir_records
    from naja.repodata.shards import prune_shard_cache
    from naja.repodata.subdir import FetchOptions
    from naja.types.match_spec import spec_name as dep_name  # what gateway re-exports under that name

__all__ = [
    "CacheEntry",
    "FetchOptions",
    "HttpOptions",
    "ProgressCallback",
    "dep_name",
    "list_cache_entries",
    "load_records",
    "load_subdir_records",
    "prune_shard_cache",
]

_LAZY = {
    "load_records": "naja.repodata.gateway",
    "load_subdir_records": "naja.repodata.gateway",
    "dep_name": "naja.repodata.gateway",
    "list_cache_entries": "naja.repodata.cache",
    "CacheEntry": "naja.repodata.cache",
    "ProgressCallback": "naja.repodata.fetch",
    "HttpOptions": "naja.repodata.fetch",
    "FetchOptions": "naja.repodata.subdir",
    "prune_shard_cache": "naja.repodata.shards",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'naja.repodata' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

