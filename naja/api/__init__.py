"""The Python API the ``naja`` command line is a thin layer over.

    >>> from naja import api
    >>> plan = api.plan_create(["hello"], api.Options(prefix="./env", channels=("./channel",)))
    >>> plan.summary_rows()            # what would change
    >>> plan.execute()                 # download, extract, link

The one-call forms (``api.create(["hello"], prefix="./env", channels=["./channel"])``) plan and
execute in one go. Every function takes an ``Options`` (or its fields as keyword arguments) and
returns typed results that the CLI renders as a table or JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from naja.api.configuration import (
        config_append,
        config_describe,
        config_get,
        config_list,
        config_remove,
        config_remove_key,
        config_set,
        config_sources,
        config_value_sources,
        rc_target,
    )
    from naja.api.context import Context
    from naja.api.envs import EnvInfo, export_env, export_yaml, list_envs, remove_env
    from naja.api.lock import LockResult, lock
    from naja.api.maintenance import (
        CleanReport,
        clean,
        index,
        package_create,
        package_extract,
        package_transmute,
        writable_pkgs_dirs,
    )
    from naja.api.options import Options
    from naja.api.plan import Plan
    from naja.api.query import DepNode, depends, flatten, info, list_packages, revisions, search, whoneeds
    from naja.api.transact import (
        create,
        install,
        plan_clone,
        plan_create,
        plan_install,
        plan_remove,
        plan_revision,
        plan_transaction,
        plan_update,
        remove,
        update,
    )
    from naja.api.views import Change, channel_label, list_entry_json, record_json
    from naja.environment.conda_lock import is_lockfile
    from naja.types.url import redact_url, strip_credentials

# Each name is imported on first use (PEP 562): a command loads only the API modules it calls, so
# that start-up does not pay for configuration editing, environment listing, locking...

_LAZY = {
    "redact_url": "naja.types.url",
    "strip_credentials": "naja.types.url",
    "is_lockfile": "naja.environment.conda_lock",
    "config_append": "naja.api.configuration",
    "config_describe": "naja.api.configuration",
    "config_get": "naja.api.configuration",
    "config_list": "naja.api.configuration",
    "config_remove": "naja.api.configuration",
    "config_remove_key": "naja.api.configuration",
    "config_set": "naja.api.configuration",
    "config_sources": "naja.api.configuration",
    "config_value_sources": "naja.api.configuration",
    "rc_target": "naja.api.configuration",
    "Context": "naja.api.context",
    "EnvInfo": "naja.api.envs",
    "export_env": "naja.api.envs",
    "export_yaml": "naja.api.envs",
    "list_envs": "naja.api.envs",
    "remove_env": "naja.api.envs",
    "LockResult": "naja.api.lock",
    "lock": "naja.api.lock",
    "CleanReport": "naja.api.maintenance",
    "clean": "naja.api.maintenance",
    "index": "naja.api.maintenance",
    "package_create": "naja.api.maintenance",
    "package_extract": "naja.api.maintenance",
    "package_transmute": "naja.api.maintenance",
    "writable_pkgs_dirs": "naja.api.maintenance",
    "Options": "naja.api.options",
    "DepNode": "naja.api.query",
    "depends": "naja.api.query",
    "flatten": "naja.api.query",
    "info": "naja.api.query",
    "list_packages": "naja.api.query",
    "search": "naja.api.query",
    "whoneeds": "naja.api.query",
    "revisions": "naja.api.query",
    "Change": "naja.api.views",
    "channel_label": "naja.api.views",
    "list_entry_json": "naja.api.views",
    "record_json": "naja.api.views",
    "Plan": "naja.api.plan",
    "create": "naja.api.transact",
    "install": "naja.api.transact",
    "plan_clone": "naja.api.transact",
    "plan_create": "naja.api.transact",
    "plan_install": "naja.api.transact",
    "plan_remove": "naja.api.transact",
    "plan_revision": "naja.api.transact",
    "plan_transaction": "naja.api.transact",
    "plan_update": "naja.api.transact",
    "remove": "naja.api.transact",
    "update": "naja.api.transact",
}

__all__ = [
    "Change",
    "CleanReport",
    "Context",
    "DepNode",
    "EnvInfo",
    "LockResult",
    "Options",
    "Plan",
    "channel_label",
    "clean",
    "config_append",
    "config_describe",
    "config_get",
    "config_list",
    "config_remove",
    "config_remove_key",
    "config_set",
    "config_sources",
    "config_value_sources",
    "create",
    "depends",
    "export_env",
    "export_yaml",
    "flatten",
    "index",
    "info",
    "install",
    "is_lockfile",
    "list_entry_json",
    "list_envs",
    "list_packages",
    "lock",
    "package_create",
    "package_extract",
    "package_transmute",
    "plan_clone",
    "plan_create",
    "plan_install",
    "plan_remove",
    "plan_revision",
    "plan_transaction",
    "plan_update",
    "rc_target",
    "record_json",
    "redact_url",
    "remove",
    "remove_env",
    "revisions",
    "search",
    "strip_credentials",
    "update",
    "whoneeds",
    "writable_pkgs_dirs",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'naja.api' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
