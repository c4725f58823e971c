"""``SolverTask``: everything one solve needs, as plain data (the API layer fills it in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from naja.solver.request import Request
from naja.types.match_spec import MatchSpec
from naja.types.records import PackageRecord

ChannelPriority = Literal["strict", "flexible", "disabled"]


class SolveOptions(msgspec.Struct, frozen=True):
    """The solve's part of the configuration, built once per command by
    ``naja.api.context.Context.solve_options``; the planner turns it and the request into a
    ``SolverTask``."""

    channel_priority: ChannelPriority = "flexible"
    pinned_packages: tuple[str, ...] = ()
    """Match specs every solve must respect (``pinned_packages``, unless ``--no-pin``)."""
    add_pip_as_python_dependency: bool = True
    pin_python: bool = True
    """Keep an installed python at its minor version (``no_py_pin`` false)."""


class SolverTask(msgspec.Struct):
    """One request to the solver.

    ``specs`` are what the user asked to install (MatchSpec objects or strings); ``available`` holds
    every record reachable from the request, ordered by channel priority; ``installed`` is the
    environment as it is now (the starting point: kept unless the request needs a change).
    ``channels`` lists channel base URLs, highest priority first (records whose ``channel`` is not
    listed rank after the listed ones, in order of first appearance).
    ``update_specs`` name packages to move to their newest possible version; ``update_all`` does that
    for every installed package. ``remove_specs`` name packages to remove: packages that depend on them
    are removed too when ``remove_dependents`` is true, else the solve is refused with a message naming
    them. ``freeze_installed`` locks every installed package to its current build. ``no_deps`` installs
    only the requested packages (their dependencies are left as they are), ``only_deps`` only their
    dependencies. ``force_reinstall`` is carried for the transaction layer (the solve prefers the
    installed builds of the requested packages, so they are reinstalled as they were).
    ``add_pip_as_python_dependency`` makes every python 2/3 build depend on ``pip`` (conda's and
    micromamba's ``add_pip_as_python_dependency`` setting; ``available`` must then hold pip's records).
    ``max_conflicts`` and ``time_limit`` (seconds) bound the search: past either, ``solve`` raises
    ``SolverLimitError`` rather than running on for minutes.
    """

    specs: Sequence[object] = msgspec.field(default_factory=list)
    available: Sequence[PackageRecord] = msgspec.field(default_factory=list)
    installed: Sequence[PackageRecord] = msgspec.field(default_factory=list)
    virtual_packages: Sequence[PackageRecord] = msgspec.field(default_factory=list)
    pins: Sequence[object] = msgspec.field(default_factory=list)
    channel_priority: ChannelPriority = "strict"
    channels: Sequence[str] = msgspec.field(default_factory=list)
    update_specs: Sequence[object] = msgspec.field(default_factory=list)
    remove_specs: Sequence[object] = msgspec.field(default_factory=list)
    update_all: bool = False
    freeze_installed: bool = False
    no_deps: bool = False
    only_deps: bool = False
    force_reinstall: bool = False
    remove_dependents: bool = True
    add_pip_as_python_dependency: bool = False
    max_conflicts: int = 100_000
    time_limit: float = 60.0

    @classmethod
    def from_request(
        cls,
        request: Request,
        *,
        available: Sequence[PackageRecord],
        installed: Sequence[PackageRecord],
        virtual_packages: Sequence[PackageRecord],
        channels: Sequence[str],
        options: SolveOptions,
    ) -> SolverTask:
        """The solver's input for ``request`` over the loaded records: the one place jobs become the
        core's clauses-to-be. An update job is also an install job (the package must be there);
        ``UpdateAll`` updates every package in ``installed``."""
        if request.update_all:
            update_specs: Sequence[object] = [MatchSpec(n) for n in sorted({r.name for r in installed})]
        else:
            update_specs = list(request.update_specs)
        flags = request.flags
        return cls(
            specs=list(request.requested_specs),
            available=available,
            installed=installed,
            virtual_packages=virtual_packages,
            pins=list(request.pins),
            channel_priority=options.channel_priority,
            channels=channels,
            update_specs=update_specs,
            remove_specs=list(request.remove_specs),
            update_all=request.update_all,
            freeze_installed=request.freeze_installed,
            no_deps=flags.no_deps,
            only_deps=flags.only_deps,
            force_reinstall=flags.force_reinstall,
            remove_dependents=flags.remove_dependents,
            add_pip_as_python_dependency=options.add_pip_as_python_dependency,
        )
