"""create / install / update / remove: each planner says what it asks as a solver ``Request``; the
shared pipeline (``naja.api.pipeline``) loads, solves and diffs it into a ``Plan``.

Each command is two steps so a front end can show the plan and ask before anything changes:
``plan = plan_install(specs, options)`` then ``plan.execute(progress=...)``. The one-call forms
(``install(...)`` etc.) do both. The target environment is resolved once (``naja.api.target``);
plans that install exact records without a solve live in ``naja.api.explicit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from naja.api import pipeline
from naja.api.explicit import archive_records, exact_specs, is_archive_spec, plan_explicit
from naja.api.options import Options
from naja.api.plan import Plan
from naja.api.target import PlanTarget, prefix_object, resolve_target
from naja.errors import EnvironmentFileError, NajaError, PrefixError

if TYPE_CHECKING:
    from naja.install.prefix import PrefixRecord
    from naja.solver.request import Job, Request
    from naja.types.channel import Channel
    from naja.types.match_spec import MatchSpec
    from naja.types.records import PackageRecord

# What a planner asks for, given the parsed specs and the installed names: the request's main jobs
# (pins, --freeze-installed and the flags are added the same way for every command).
JobBuilder = Callable[[Sequence["MatchSpec"], "set[str]"], "list[Job]"]


def plan_create(specs: Sequence[str] = (), options: Options | None = None, **kw: object) -> Plan:
    """A new environment holding ``specs`` (an existing one is replaced only with ``-y``)."""
    target = resolve_target(_opts(options, kw), create=True)
    return _plan(target, "create", specs, install_jobs, from_scratch=True)


def plan_install(specs: Sequence[str] = (), options: Options | None = None, *, prune: bool = False,
                 **kw: object) -> Plan:
    """``specs`` added to the environment; ``prune`` (``env update --prune``) drops what the
    request does not need, by solving from an empty environment."""
    target = resolve_target(_opts(options, kw), new_base=True)
    return _plan(target, "install", specs, install_jobs, from_scratch=prune)


def plan_update(specs: Sequence[str] = (), options: Options | None = None, *, update_all: bool = False,
                **kw: object) -> Plan:
    """``specs`` (installed packages), or every package with ``update_all``, at their newest builds."""
    options = _opts(options, kw)
    target = resolve_target(options)

    def jobs(specs: Sequence[MatchSpec], installed: set[str]) -> list[Job]:
        from naja.solver.request import Update, UpdateAll

        _check_installed(specs, installed, target)
        return [*(Update(s) for s in specs), *([UpdateAll()] if update_all else [])]

    return _plan(target, "update", specs, jobs, prune_deps=options.prune_deps)


def plan_remove(specs: Sequence[str] = (), options: Options | None = None, *, remove_all: bool = False,
                force: bool = False, **kw: object) -> Plan:
    """Remove ``specs`` (and, after a solve, what only they needed). ``remove_all`` empties the
    environment and ``force`` removes exactly the named packages; neither solves."""
    options = _opts(options, kw)
    if remove_all or force:
        return _plan_remove_exact(specs, options, remove_all=remove_all)
    target = resolve_target(options)

    def jobs(specs: Sequence[MatchSpec], installed: set[str]) -> list[Job]:
        from naja.solver.request import Remove

        _check_installed(specs, installed, target)
        if not specs:
            raise NajaError("nothing to remove: give package specs or -f FILE")
        return [Remove(s) for s in specs]

    return _plan(target, "remove", specs, jobs, local=True, prune_deps=options.prune_deps)


def plan_transaction(command: str, specs: Sequence[str], options: Options, *,
                     update_all: bool = False, remove: bool = False, prune: bool = False) -> Plan:
    """The planner of ``command`` (create/install/update/remove), for callers that hold the
    command as a string."""
    if remove or command == "remove":
        return plan_remove(specs, options)
    if command == "create":
        return plan_create(specs, options)
    if command == "update":
        return plan_update(specs, options, update_all=update_all)
    return plan_install(specs, options, prune=prune)


def install_jobs(specs: Sequence[MatchSpec], installed: set[str]) -> list[Job]:
    """create and install: every spec installed."""
    from naja.solver.request import Install

    return [Install(s) for s in specs]


def _check_installed(specs: Sequence[MatchSpec], installed: set[str], target: PlanTarget) -> None:
    for s in specs:
        if s.name not in installed:
            raise PrefixError(f"package '{s.name}' is not installed in {target.prefix}")


def base_request(options: Options, jobs: Sequence[Job]) -> Request:
    """``jobs`` with the command-line's freeze and flags."""
    from naja.solver.request import Freeze, Request, RequestFlags

    o = options
    flags = RequestFlags(no_deps=o.no_deps, only_deps=o.only_deps, force_reinstall=o.force_reinstall)
    return Request(jobs=(*jobs, *([Freeze()] if o.freeze_installed else [])), flags=flags)


def _plan(target: PlanTarget, command: str, specs: Sequence[str], build: JobBuilder, *,
          local: bool = False, from_scratch: bool = False, prune_deps: bool = False) -> Plan:
    """The shared pipeline: the environment file's parts, the package files named, the request
    ``build`` makes from the parsed specs, then load → solve → prune → diff.

    ``local``: the solve only looks at what is installed (remove: no channel needed, as micromamba);
    ``from_scratch``: solve as if the environment were empty (create, ``env update --prune``);
    ``prune_deps``: drop what nothing the user asked for still needs (micromamba's ``--prune-deps``)."""
    context = target.context
    plan = Plan(context=context, prefix=target.prefix, command=command, create_prefix=target.creates)
    all_specs, extra_channels = list(specs), []
    envfile = target.envfile
    if envfile is not None:
        extra_channels = list(envfile.channels)
        all_specs += envfile.specs
        plan.pip, plan.variables = list(envfile.pip), dict(envfile.variables)
        if envfile.kind in ("explicit", "lock"):
            if specs:
                raise EnvironmentFileError("specs cannot be combined with an @EXPLICIT or lock file")
            return plan_explicit(plan, target, envfile)
    installed = target.installed()
    archives: list[PackageRecord] = []
    if not local:
        archive_specs = [s for s in all_specs if is_archive_spec(s)]
        all_specs = [s for s in all_specs if s not in archive_specs]
        archives = archive_records(archive_specs, context)
        all_specs += exact_specs(archives)
    match_specs = pipeline.parse_specs(all_specs, context.channel_config)
    jobs = build(match_specs, {r.name for r in installed})
    request = base_request(context.options, jobs)
    plan.request = request
    plan.requested = [str(s) for s in request.requested_specs]
    plan.remove_specs = [str(s) for s in request.remove_specs]
    if not jobs:
        return plan  # an empty environment; or, as micromamba, "Nothing to do."
    request = request.with_jobs(pipeline.pin_jobs(target, {s.name for s in match_specs}))
    plan.request = request
    if local:
        channels: list[Channel] = []
        available = pipeline.package_records(installed)
    else:
        # as micromamba, the channel of a 'channel::pkg' spec is searched too, after the others
        channels = context.channels(extra_channels, last=[str(s.channel) for s in match_specs if s.channel])
        plan.channels = channels
        names: list[MatchSpec | str] = [*match_specs, *(r.name for r in installed), *request.pins,
                 *(d.split()[0] for r in archives for d in r.depends)]  # a file's dependencies too
        available = archives + pipeline.load(context, channels, names, allow_none=bool(archives))
    solution = pipeline.solve(context, request, available=available,
                              installed=[] if from_scratch else installed, channels=channels)
    asked = pipeline.user_requested_names(target.env) if prune_deps else set()
    if asked:  # without any record of what the user asked for, nothing is pruned
        solution = pipeline.prune_unrequested(
            solution, asked - {s.name for s in request.remove_specs} if local else asked)
    tx = pipeline.diff(target, solution, plan.requested, remove_specs=plan.remove_specs,
                       overwrite=command == "create" and bool(installed))
    return plan.use(tx)


def _plan_remove_exact(specs: Sequence[str], options: Options, *, remove_all: bool) -> Plan:
    """``remove --all`` (everything) and ``remove --force`` (exactly the named packages): no solve."""
    target = resolve_target(options, read_files=False)
    installed = target.installed()
    match_specs = pipeline.parse_specs(specs, target.context.channel_config)
    if remove_all:
        keep: list[PrefixRecord] = []
    else:
        for s in match_specs:
            if not any(s.match(r) for r in installed):
                raise PrefixError(f"package '{s.name}' is not installed in {target.prefix}")
        keep = [r for r in installed if not any(s.match(r) for s in match_specs)]
    plan = Plan(context=target.context, prefix=target.prefix, command="remove")
    plan.remove_specs = [str(s) for s in match_specs] or [r.name for r in installed]
    return plan.use(pipeline.diff(target, pipeline.package_records(keep), [],
                                  remove_specs=plan.remove_specs))


def plan_clone(source: str, options: Options | None = None, **kw: object) -> Plan:
    """``create --clone SOURCE``: see ``naja.api.explicit.plan_clone``."""
    from naja.api import explicit

    return explicit.plan_clone(source, _opts(options, kw))


def plan_revision(revision: int, options: Options | None = None, **kw: object) -> Plan:
    """``install --revision N``: see ``naja.api.explicit.plan_revision``."""
    from naja.api import explicit

    return explicit.plan_revision(revision, _opts(options, kw))


# ------------------------------------------------------------------------------- one-call forms


def create(specs: Sequence[str] = (), options: Options | None = None, **kw: object) -> Plan:
    return plan_create(specs, options, **kw).execute()


def install(specs: Sequence[str] = (), options: Options | None = None, *, prune: bool = False,
            **kw: object) -> Plan:
    return plan_install(specs, options, prune=prune, **kw).execute()


def update(specs: Sequence[str] = (), options: Options | None = None, *, update_all: bool = False,
           **kw: object) -> Plan:
    return plan_update(specs, options, update_all=update_all, **kw).execute()


def remove(specs: Sequence[str] = (), options: Options | None = None, *, remove_all: bool = False,
           force: bool = False, **kw: object) -> Plan:
    return plan_remove(specs, options, remove_all=remove_all, force=force, **kw).execute()


def _opts(options: Options | None, kw: dict[str, object]) -> Options:
    options = options or Options()
    if kw:
        for key in ("channels", "files", "rc_files"):
            value = kw.get(key)
            if isinstance(value, str):
                kw[key] = (value,)
            elif isinstance(value, list):
                kw[key] = tuple(value)
        options = options.with_(**kw)
    return options


__all__ = ["Plan", "plan_clone", "plan_create", "plan_install", "plan_remove", "plan_revision",
           "plan_transaction", "plan_update", "prefix_object"]
