"""Process-wide thread pools, one per purpose (linking, extraction writers, shard downloads), each
made on first use and shared by every package or request of the run: a pool per package would start
new threads for each one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def shared_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """The pool named ``name`` (threads ``naja-<name>_N``), made with ``workers`` threads the first time."""
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(workers, thread_name_prefix=f"naja-{name}")
        return pool
