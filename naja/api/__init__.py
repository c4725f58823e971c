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
from naja.api.query import DepNode, depends, flatten, info, list_packages, search, whoneeds
from naja.api.transact import (
    Change,
    Plan,
    create,
    install,
    plan_clone,
    plan_create,
    plan_install,
    plan_remove,
    plan_revision,
    plan_transaction,
    plan_update,
    record_json,
    remove,
    update,
)
from naja.channel import redact_url
from naja.conda_lock import is_lockfile

__all__ = [
    "Change", "CleanReport", "Context", "DepNode", "EnvInfo", "LockResult", "Options", "Plan",
    "clean", "config_append", "config_describe", "config_get", "config_list", "config_remove",
    "config_remove_key", "config_set", "config_sources", "config_value_sources", "create", "depends", "export_env", "export_yaml",
    "flatten", "index", "info", "install", "is_lockfile", "list_envs", "list_packages", "lock", "package_create",
    "package_extract", "package_transmute", "plan_clone", "plan_create", "plan_install", "plan_remove", "plan_revision",
    "plan_transaction", "plan_update", "rc_target", "record_json", "redact_url", "remove", "remove_env", "search", "update", "whoneeds",
    "writable_pkgs_dirs",
]
