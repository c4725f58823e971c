"""naja: a fast, conda-compatible package and environment manager.

The public names are imported lazily so that ``naja --version`` stays as fast as a bare interpreter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "1.0.0"
# The micromamba release whose behaviour (commands, exit statuses, JSON, files) naja implements;
# ``micromamba --version`` prints it when naja runs under that name (docs/contracts.md).
MICROMAMBA_VERSION = "2.8.1"

_LAZY = {
    "Version": "naja.types.version",
    "VersionSpec": "naja.types.version_spec",
    "MatchSpec": "naja.types.match_spec",
    "PackageRecord": "naja.types.records",
    "Channel": "naja.types.channel",
    "Platform": "naja.types.platform",
}

__all__ = ["Channel", "MatchSpec", "PackageRecord", "Platform", "Version", "VersionSpec", "__version__"]

if TYPE_CHECKING:
    from naja.types.channel import Channel
    from naja.types.match_spec import MatchSpec
    from naja.types.platform import Platform
    from naja.types.records import PackageRecord
    from naja.types.version import Version
    from naja.types.version_spec import VersionSpec


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'naja' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
