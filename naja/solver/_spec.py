"""Where the solver gets ``MatchSpec`` and ``Version`` from (one place to change)."""

from __future__ import annotations

from naja.types.match_spec import MatchSpec
from naja.types.version import Version

__all__ = ["MatchSpec", "Version"]
