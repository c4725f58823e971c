"""The steps every solving command shares: parse the specs, load the records reachable from them,
solve a ``Request``, prune, and diff the result against the environment (a ``Transaction``).

The per-command planners in ``naja.api.transact`` only decide which jobs the request holds; how
a request is loaded, solved and turned into actions is the same for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from naja.errors import InvalidMatchSpec, NajaError
from naja.progress import repodata_hook

if TYPE_CHECKING:
    from naja.api.context import Context
    from naja.api.target import PlanTarget
    from naja.install.prefix import Prefix
    from naja.install.transaction import Transaction
    from naja.solver.request import Pin, Request
    from naja.types.channel import Channel, ChannelConfig
    from naja.types.match_spec import MatchSpec
    from naja.types.records import PackageRecord

log = logging.getLogger("naja.api.transact")


def parse_specs(specs: Iterable[str], channel_config: ChannelConfig | None = None) -> list[MatchSpec]:
    """The user's specs, their ``channel::`` parts read under the user's channel settings."""
    from naja.types import match_spec

    out = []
    for s in specs:
        s = s.strip()
        if not s:
            continue
        try:
            out.append(match_spec.MatchSpec(s, channel_config=channel_config))
        except NajaError:
            raise
        except Exception as exc:  # a parser bug must still read as a bad spec
            raise InvalidMatchSpec(f"invalid match spec {s!r}: {exc}") from None
    return out


def pin_jobs(target: PlanTarget, spec_names: set[str]) -> list[Pin]:
    """The pins every solve in this environment respects: ``pinned_packages``, ``conda-meta/pinned``
    and, unless python is requested or ``no_py_pin``, the installed python's minor version."""
    from naja.solver.request import Pin
    from naja.types.match_spec import MatchSpec

    context = target.context
    if context.options.no_pin:
        return []
    pins = list(context.solve_options.pinned_packages)
    if target.exists:
        pins += target.env.pinned()
    if context.solve_options.pin_python and "python" not in spec_names:
        for rec in target.installed():
            if rec.name == "python":
                parts = rec.version.split(".")
                if len(parts) >= 2:
                    pins.append(f"python {parts[0]}.{parts[1]}.*")
    return [Pin(MatchSpec(p)) for p in pins]


def virtual_packages(context: Context) -> list[PackageRecord]:
    """The virtual packages (``__glibc``, ``__cuda``...) of the context's platform."""
    from naja import virtual_packages as vp
    from naja.types import platform as platform_mod

    return vp.detect_virtual_packages(platform_mod.Platform(context.platform, strict=False))


def load(context: Context, channels: Sequence[Channel], names: Iterable[MatchSpec | str], *,
         allow_none: bool = False) -> list[PackageRecord]:
    """The records reachable from ``names`` (specs or package names) in ``channels``, by priority."""
    from naja import repodata

    if not channels:
        if allow_none:
            return []
        # micromamba warns "No 'channels' specified" and its solve then finds nothing: one line here
        raise NajaError("no channels specified: pass -c CHANNEL or set 'channels' in .condarc "
                        "(naja, as micromamba, implies none)")
    log.info("loading repodata for %s from %s", context.platform, ", ".join(c.base_url for c in channels))
    # micromamba's add_pip_as_python_dependency (default true): python brings pip's records along
    implied = {"python": ["pip"]} if context.solve_options.add_pip_as_python_dependency else None
    records = repodata.load_records(channels, context.platform, list(names), options=context.fetch_options,
                                    channel_config=context.channel_config, progress=repodata_hook(),
                                    implied=implied)
    log.info("%d records reachable from the request", len(records))
    return records


def package_records(records: Iterable[PackageRecord]) -> list[PackageRecord]:
    """Installed records as the solver and the transaction take them (without their file lists)."""
    from naja.install.prefix import PrefixRecord

    return [r.package_record() if isinstance(r, PrefixRecord) else r for r in records]


def solve(context: Context, request: Request, *, available: Sequence[PackageRecord],
          installed: Sequence[PackageRecord], channels: Sequence[Channel]) -> list[PackageRecord]:
    """The records of the environment ``request`` leads to from ``installed``."""
    from naja import solver

    task = solver.SolverTask.from_request(
        request, available=available, installed=package_records(installed),
        virtual_packages=virtual_packages(context), channels=[c.base_url for c in channels],
        options=context.solve_options)
    log.debug("solving: jobs=%s priority=%s installed=%d", request.jobs, context.channel_priority,
              len(installed))
    solution = solver.solve(task)
    log.info("solved: %d packages in the environment", len(solution))
    return solution


def diff(target: PlanTarget, solution: Sequence[PackageRecord], requested: Sequence[str], *,
         remove_specs: Sequence[str] = (), overwrite: bool = False) -> Transaction:
    """The transaction from the environment as it was read to ``solution``. ``--force-reinstall``
    relinks the requested packages; ``overwrite`` (create -y over an environment) relinks every
    package and unlinks the rest, in one transaction that rolls back on failure."""
    from naja.install import transaction as tx_mod

    force: Sequence[str] | bool = ()
    if target.context.options.force_reinstall:
        from naja.types.match_spec import spec_name

        force = [spec_name(s) for s in requested]
    if overwrite:
        force = True
    return tx_mod.Transaction.from_solution(target.env, solution, requested, remove_specs=list(remove_specs),
                                            force_reinstall=force, installed=target.installed())


def user_requested_names(env: Prefix) -> set[str]:
    """Names the user asked for in this environment, from ``conda-meta/history`` (update specs
    minus later remove specs) and the ``requested_spec`` of the installed records."""
    from naja.types import match_spec as ms_mod

    def name(spec: str) -> str | None:
        try:
            return ms_mod.MatchSpec(spec).name
        except NajaError:
            return None

    names: set[str] = set()
    for rev in env.history.revisions():
        names |= {n for n in map(name, rev.update_specs) if n}
        names -= {n for n in map(name, rev.remove_specs) if n}
    names |= {r.name for r in env.installed() if r.requested_spec or r.requested_specs}
    return names


def prune_unrequested(solution: list[PackageRecord], requested: set[str]) -> list[PackageRecord]:
    """Drop packages nothing the user asked for (``requested``) still needs: micromamba's default
    ``--prune-deps``."""
    from naja.types.match_spec import spec_name as dep_name

    by_name = {r.name: r for r in solution}
    keep: set[str] = set()
    stack = [n for n in requested if n in by_name]
    while stack:
        n = stack.pop()
        if n in keep:
            continue
        keep.add(n)
        stack += [d for d in map(dep_name, by_name[n].depends) if d in by_name and d not in keep]
    dropped = sorted(set(by_name) - keep)
    if dropped:
        log.info("pruning packages no requested package needs: %s", ", ".join(dropped))
    return [r for r in solution if r.name in keep]

