"""Kept for code written against the old module (other branches): activation lives in
:mod:`naja.shell`; new code imports from there (the CLI through :mod:`naja.api.shell`)."""

from __future__ import annotations

from naja.shell import *  # noqa: F403
from naja.shell import __all__  # noqa: F401
