"""``Request``: what a command asks of an environment, as typed jobs (libmamba's shape).

Each planner (create, install, update, remove) says what it wants as a list of jobs instead of
setting a dozen loose arguments: ``Install(spec)``, ``Update(spec)``, ``UpdateAll()``,
``Remove(spec)``, ``Pin(spec)``, ``Freeze()``. The flags carry what applies to the whole request
(``--no-deps``, ``--only-deps``, ``--force-reinstall``). ``SolverTask.from_request`` turns a
request plus the loaded records into the solver's input, so the solver core never sees the
command that asked.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from naja.types.match_spec import MatchSpec


class Install(msgspec.Struct, frozen=True):
    """Have a package matching ``spec`` in the environment (installed builds preferred)."""

    spec: MatchSpec


class Update(msgspec.Struct, frozen=True):
    """Have a package matching ``spec``, at its newest possible build (the installed build loses
    its preference)."""

    spec: MatchSpec


class UpdateAll(msgspec.Struct, frozen=True):
    """Move every installed package to its newest possible build (``update --all``)."""


class Remove(msgspec.Struct, frozen=True):
    """Take packages matching ``spec`` out, with the installed packages that depend on them."""

    spec: MatchSpec


class Pin(msgspec.Struct, frozen=True):
    """Every package named by ``spec`` must match it, if it is in the environment at all
    (``pinned_packages``, ``conda-meta/pinned``, the python minor-version pin)."""

    spec: MatchSpec


class Freeze(msgspec.Struct, frozen=True):
    """Keep every installed package at its installed build (``--freeze-installed``)."""


Job = Install | Update | UpdateAll | Remove | Pin | Freeze


class RequestFlags(msgspec.Struct, frozen=True):
    """What applies to the request as a whole."""

    no_deps: bool = False
    """Install only the requested packages; their dependencies stay as they are."""
    only_deps: bool = False
    """Install only the requested packages' dependencies."""
    force_reinstall: bool = False
    """Relink the requested packages even when the installed build is the one chosen."""
    remove_dependents: bool = True
    """Removing a package removes what depends on it (else the solve is refused, naming them)."""


class Request(msgspec.Struct, frozen=True):
    """The jobs of one solve, in the order the user gave them, and its flags."""

    jobs: tuple[Job, ...] = ()
    flags: RequestFlags = msgspec.field(default_factory=RequestFlags)

    def with_jobs(self, jobs: Iterable[Job]) -> Request:
        """This request with ``jobs`` appended."""
        return Request(jobs=(*self.jobs, *jobs), flags=self.flags)

    @property
    def install_specs(self) -> tuple[MatchSpec, ...]:
        return tuple(j.spec for j in self.jobs if isinstance(j, Install))

    @property
    def update_specs(self) -> tuple[MatchSpec, ...]:
        return tuple(j.spec for j in self.jobs if isinstance(j, Update))

    @property
    def remove_specs(self) -> tuple[MatchSpec, ...]:
        return tuple(j.spec for j in self.jobs if isinstance(j, Remove))

    @property
    def pins(self) -> tuple[MatchSpec, ...]:
        return tuple(j.spec for j in self.jobs if isinstance(j, Pin))

    @property
    def requested_specs(self) -> tuple[MatchSpec, ...]:
        """The specs the user asked to have (install and update jobs): what history records."""
        return tuple(j.spec for j in self.jobs if isinstance(j, (Install, Update)))

    @property
    def update_all(self) -> bool:
        return any(isinstance(j, UpdateAll) for j in self.jobs)

    @property
    def freeze_installed(self) -> bool:
        return any(isinstance(j, Freeze) for j in self.jobs)

    @property
    def changes_anything(self) -> bool:
        """False when the request holds only pins and freezes: nothing for the solver to do."""
        return any(isinstance(j, (Install, Update, UpdateAll, Remove)) for j in self.jobs)
