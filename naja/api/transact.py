"""create / install / update / remove: config → channels → repodata → solve → transaction.

Each command is two steps so a front end can show the plan and ask before anything changes:
``plan = plan_install(specs, options)`` then ``plan.execute(progress=...)``. The one-call forms
(``install(...)`` etc.) do both.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from naja import safe_json
from naja.api.context import Context, is_environment, register_env
from naja.api.options import Options
from naja.errors import EnvironmentFileError, InvalidMatchSpec, NajaError, PrefixError
from naja.progress import repodata_hook

if TYPE_CHECKING:
    from naja.channel import ChannelConfig

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class Change:
    """One row of the transaction summary."""

    kind: str  # install | upgrade | downgrade | reinstall | change | remove
    name: str
    version: str
    build: str
    channel: str
    size: int | None
    old_version: str = ""
    needs_download: bool = True


@dataclass
class Plan:
    """What a command will do to one prefix; nothing on disk has changed yet."""

    context: Context
    prefix: Path
    command: str
    to_link: list[Any] = field(default_factory=list)
    to_unlink: list[Any] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    remove_specs: list[str] = field(default_factory=list)
    transaction: Any = None
    create_prefix: bool = False
    pip: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    fetch: list[Any] = field(default_factory=list)
    channels: list[Any] | None = None  # the resolved channels (their credentials are needed to download)
    executed: bool = False
    result: Any = None  # naja.transaction.TransactionResult after execute()
    hold: Any = field(default=None, repr=False)  # the package caches, held shared until executed

    def __post_init__(self) -> None:
        if self.command != "remove":  # repodata caches and packages are read from here on: 'clean' waits
            self.hold = _hold_caches(self.context)

    @property
    def dry_run(self) -> bool:
        return self.context.options.dry_run

    @property
    def empty(self) -> bool:
        return not self.to_link and not self.to_unlink

    def summary_rows(self) -> list[Change]:
        from naja.records import change_kind

        old = {r.name: r for r in self.to_unlink}
        new = {r.name: r for r in self.to_link}
        fetch = {r.url or r.fn for r in self.fetch}
        config = self.context.channel_config
        rows: list[Change] = []
        for name in sorted(set(old) | set(new)):
            n, o = new.get(name), old.get(name)
            if n is not None:
                kind = "install" if o is None else change_kind(o, n)
                rows.append(Change(kind, name, n.version, n.build, channel_label(n.channel, config), n.size,
                                   old_version=o.version if o is not None and o.version != n.version else "",
                                   needs_download=(n.url or n.fn) in fetch))
            elif o is not None:
                rows.append(Change("remove", name, o.version, o.build, channel_label(o.channel, config), o.size,
                                   needs_download=False))
        return rows

    def to_json(self, *, success: bool = True) -> dict[str, Any]:
        """micromamba's transaction JSON (libmamba core/transaction.cpp ``log_json``, api/create.cpp):
        ``actions`` holds FETCH/LINK/UNLINK only when not empty, and PREFIX; a transaction with
        nothing to do has no ``actions`` but a ``message``; then ``dry_run``, ``prefix``, ``success``."""
        download_only = self.context.options.download_only
        lists = (("FETCH", self.fetch), ("LINK", () if download_only else self.to_link),
                 ("UNLINK", () if download_only else self.to_unlink))
        actions: dict[str, Any] = {key: [record_json(r) for r in recs] for key, recs in lists if recs}
        doc: dict[str, Any] = {}
        if actions:
            doc["actions"] = {**actions, "PREFIX": str(self.prefix)}
        elif self.create_prefix:  # create without specs
            doc["actions"] = {"FETCH": [], "PREFIX": str(self.prefix)}
        else:
            doc["message"] = "All requested packages already installed"
        return {**doc, "dry_run": self.dry_run, "prefix": str(self.prefix), "success": success}

    def execute(self, progress: Progress | None = None,
                on_extracted: Callable[[Any, Path], None] | None = None) -> Plan:
        """Download and extract (into the package cache), then link; on failure the transaction
        layer rolls back and a new environment is not left behind. ``progress(name, done, total)``
        follows downloads, ``on_extracted(record, path)`` each package ready in the cache."""
        if self.dry_run:
            return self
        cache = _package_cache(self.context, self.channels)
        existed = os.path.lexists(self.prefix)
        try:  # the cache is held (shared; 'clean' waits) from the first lookup to the last link
            with cache.in_use() if self.to_link else contextlib.nullcontext():
                self._execute(cache, progress, on_extracted)
        except BaseException:
            if self.create_prefix and not existed:  # nothing half-made: no history, lock or records
                from naja.confine import rmtree

                with contextlib.suppress(OSError):
                    rmtree(self.prefix)
            raise
        finally:
            if self.hold is not None:
                self.hold.release()
                self.hold = None
        return self

    def _execute(self, cache: Any, progress: Progress | None,
                 on_extracted: Callable[[Any, Path], None] | None) -> None:
        options = self.context.options
        if self.to_link:
            cache.fetch_and_extract(self.to_link, progress=progress, on_extracted=on_extracted)
        if options.download_only:
            self.executed = True
            return
        if self.create_prefix:
            _make_empty_env(self.prefix, self.context)
        if self.transaction is not None and not self.empty:
            kwargs: dict[str, Any] = {
                "link_options": self.context.link_options,
                "progress": progress,
                "cmd": command_line(),
                "root_prefix": str(self.context.root_prefix),
            }
            if options.skip_run_link_scripts:
                kwargs["execute_link_scripts"] = False
            if self.context.lock_timeout:
                kwargs["lock_timeout"] = self.context.lock_timeout
            self.result = self.transaction.execute(cache, **kwargs)
        if self.variables:
            from naja.shell.settings import set_env_vars

            set_env_vars(self.prefix, self.variables)
        if self.pip and not options.dry_run:
            _pip_install(self.prefix, self.pip, cwd=_files_dir(options.files))
        if self.create_prefix or self.to_link:
            register_env(self.prefix)
        self.executed = True


def _hold_caches(context: Context) -> Any:
    """A shared hold on the existing writable package caches (a dry run creates none)."""
    from naja.package_cache import CacheUseLock

    dirs = [d for d in context.pkgs_dirs if d.is_dir() and os.access(d, os.W_OK | os.X_OK)]
    lock = CacheUseLock(dirs, exclusive=False, timeout=context.lock_timeout)
    lock.acquire()
    return lock


def command_line() -> str:
    argv = [os.path.basename(sys.argv[0]) or "naja", *sys.argv[1:]]
    if argv[0] in ("__main__.py", "-m"):
        argv[0] = "naja"
    from naja.channel import redact_url as redact  # history must not keep a channel's token or password

    return " ".join(redact(a) if "://" in a or "/t/" in a else a for a in argv)


def channel_label(channel: str, config: ChannelConfig | None = None) -> str:
    """A record's channel as the user names it (``conda-forge``, a custom channel's name, or the
    URL), under the user's channel settings when given."""
    if not channel:
        return ""
    try:
        from naja.channel import Channel

        return Channel.from_string(channel, config).canonical_name
    except Exception:  # a URL the channel layer cannot name: show it without credentials
        from naja.channel import strip_credentials

        return strip_credentials(channel)


def record_json(rec: Any) -> dict[str, Any]:
    """A record the way micromamba's JSON shows it (``build_string``, ``channel``, ``url``, …), without
    credentials."""
    from naja.channel import strip_credentials

    return {
        "name": rec.name,
        "version": rec.version,
        "build": rec.build,
        "build_string": rec.build,
        "build_number": rec.build_number,
        "channel": channel_label(strip_credentials(rec.channel)),
        "base_url": strip_credentials(rec.channel),
        "platform": rec.subdir,
        "subdir": rec.subdir,
        "dist_name": rec.dist_name,
        "fn": rec.fn,
        "url": strip_credentials(rec.url),
        "md5": rec.md5,
        "sha256": rec.sha256,
        "size": rec.size,
        "depends": list(rec.depends),
        "constrains": list(rec.constrains),
        # libmamba specs/package_info.cpp to_json: these three always, noarch only when set
        "timestamp": rec.timestamp_ms,
        "license": rec.license or "",
        "track_features": ",".join(rec.track_features_list),
        **({"noarch": rec.noarch_kind} if rec.noarch_kind else {}),
    }


# --------------------------------------------------------------------------------------- planning


def parse_specs(specs: Iterable[str], channel_config: ChannelConfig | None = None) -> list[Any]:
    """The user's specs, their ``channel::`` parts read under the user's channel settings."""
    from naja import match_spec

    out = []
    for s in specs:
        s = s.strip()
        if not s:
            continue
        try:
            out.append(match_spec.MatchSpec(s, channel_config=channel_config))
        except InvalidMatchSpec:
            raise
        except NajaError:
            raise
        except Exception as exc:  # a parser bug must still read as a bad spec
            raise InvalidMatchSpec(f"invalid match spec {s!r}: {exc}") from None
    return out


def _pins(context: Context, prefix: Path, installed: Sequence[Any], spec_names: set[str]) -> list[str]:
    if context.options.no_pin:
        return []
    pins = list(context.solve_options.pinned_packages)
    if is_environment(prefix):
        from naja.prefix import Prefix

        pins += Prefix(prefix).pinned()
    if context.solve_options.pin_python and "python" not in spec_names:
        for rec in installed:
            if rec.name == "python":
                parts = rec.version.split(".")
                if len(parts) >= 2:
                    pins.append(f"python {parts[0]}.{parts[1]}.*")
    return pins


def virtual_packages(context: Context) -> list[Any]:
    """The virtual packages (``__glibc``, ``__cuda``...) of the context's platform."""
    from naja import platform as platform_mod
    from naja import virtual_packages as vp

    return vp.detect_virtual_packages(platform_mod.Platform(context.platform, strict=False))


def _load(context: Context, channels: list[Any], names: Iterable[Any], *, allow_none: bool = False) -> list[Any]:
    from naja import repodata

    if not channels:
        if allow_none:
            return []
        # micromamba warns "No 'channels' specified" and its solve then finds nothing: one line here
        raise NajaError("no channels specified: pass -c CHANNEL or set 'channels' in .condarc "
                        "(naja, as micromamba, implies none)")
    log.info("loading repodata for %s from %s", context.platform, ", ".join(c.base_url for c in channels))
    implied = {"python": ["pip"]} if _add_pip(context) else None
    records = repodata.load_records(channels, context.platform, list(names), options=context.fetch_options,
                                    channel_config=context.channel_config, progress=repodata_hook(),
                                    implied=implied)
    log.info("%d records reachable from the request", len(records))
    return records


def _add_pip(context: Context) -> bool:
    """micromamba's ``add_pip_as_python_dependency`` (default true)."""
    return context.solve_options.add_pip_as_python_dependency


def _solve(context: Context, *, specs: list[Any], available: list[Any], installed: list[Any],
           pins: list[str], channels: list[Any], update_specs: list[Any] = (),  # type: ignore[assignment]
           remove_specs: list[Any] = (), update_all: bool = False) -> list[Any]:  # type: ignore[assignment]
    from naja import match_spec, solver

    o = context.options
    task_kwargs: dict[str, Any] = {
        "specs": specs,
        "available": available,
        "installed": [r.package_record() if hasattr(r, "package_record") else r for r in installed],
        "virtual_packages": virtual_packages(context),
        "pins": [match_spec.MatchSpec(p) for p in pins],
        "channel_priority": context.solve_options.channel_priority,
        "channels": [c.base_url for c in channels],
        "update_specs": list(update_specs),
        "remove_specs": list(remove_specs),
        "update_all": update_all,
        "freeze_installed": o.freeze_installed,
        "no_deps": o.no_deps,
        "only_deps": o.only_deps,
        "force_reinstall": o.force_reinstall,
        "add_pip_as_python_dependency": _add_pip(context),
    }
    task = solver.SolverTask(**task_kwargs)
    log.debug("solving: specs=%s pins=%s priority=%s installed=%d", [str(x) for x in specs], pins,
              context.channel_priority, len(installed))
    solution = solver.solve(task)
    log.info("solved: %d packages in the environment", len(solution))
    return solution


def _transaction(context: Context, prefix: Path, solution: list[Any], requested: list[str],
                 installed: list[Any], remove_specs: Sequence[str] = (), *,
                 overwrite: bool = False) -> tuple[Any, list[Any], list[Any]]:
    from naja import transaction as tx_mod

    force: Any = ()
    if context.options.force_reinstall:
        from naja.match_spec import spec_name

        force = [spec_name(s) for s in requested]
    if overwrite:
        # create -y over an existing environment: everything is relinked, the rest unlinked, in one
        # transaction that rolls back on failure
        force = True
    tx = tx_mod.Transaction.from_solution(prefix_object(prefix), solution, requested,
               remove_specs=list(remove_specs), force_reinstall=force, installed=installed)
    return tx, list(tx.to_link), list(tx.to_unlink)


def prefix_object(prefix: Path) -> Any:
    """The environment at ``prefix``, read only once a transaction a killed process left in it is
    rolled back (export, clone, list and solves never see half an environment); a prefix naja
    cannot write to is refused clearly instead."""
    from naja.prefix import Prefix
    from naja.transaction import recover

    obj = Prefix(prefix)
    try:
        recover(obj)
    except OSError as exc:
        raise PrefixError(f"{prefix} holds an interrupted transaction that cannot be rolled back here "
                          f"({exc.strerror}); run the command with write access to it first") from None
    return obj


def _fetch_list(context: Context, to_link: list[Any]) -> list[Any]:
    """Records whose archive is not in the package cache yet (micromamba's FETCH)."""
    if not to_link:
        return []
    cache = _package_cache(context)
    return [r for r in to_link if cache.find_extracted(r) is None and cache.find_tarball(r) is None]


def _package_cache(context: Context, channels: list[Any] | None = None) -> Any:
    from naja.package_cache import PackageCache

    cache = PackageCache.from_options(context.cache_options)
    cache.authenticate = _authenticator(context, channels)
    return cache


def _authenticator(context: Context, channels: list[Any] | None) -> Callable[[str], str] | None:
    """Records hold package URLs without the channel's token or password (so they never reach
    conda-meta or output); downloads need them back: clean channel prefix -> prefix with credentials."""
    if channels is None:
        try:
            channels = context.channels()
        except NajaError:
            return None
    pairs = [(c.base_url.rstrip("/") + "/", c.url.rstrip("/") + "/") for c in channels
             if getattr(c, "url", c.base_url) != c.base_url]
    if not pairs:
        return None

    def authenticate(url: str) -> str:
        for clean, real in pairs:
            if url.startswith(clean):
                return real + url[len(clean):]
        return url

    return authenticate


def _file_inputs(context: Context) -> Any:
    from naja import env_files
    from naja.net.remote import localize

    files = localize(list(context.options.files), context.http_options)  # -f https://... fetched first
    return env_files.read_env_files(files, platform=context.platform,
                                    categories=list(context.options.category) or ["main"])  # micromamba


def plan_transaction(command: str, specs: Sequence[str], options: Options, *,
                     update_all: bool = False, remove: bool = False, prune: bool = False) -> Plan:
    """The shared planner: ``command`` is create/install/update/remove (for history and checks);
    ``prune`` (env update --prune) drops installed packages the request does not need."""
    create = command == "create"
    pre_context = Context.from_options(options)
    envfile = _file_inputs(pre_context)
    if envfile is not None and envfile.name is not None and not options.prefix and options.name is None:
        # an environment file's name applies unless -n/-p is given (micromamba), for install too
        prefix = pre_context.prefix_for_name(envfile.name, must_exist=False)
        if not create and not is_environment(prefix):
            raise PrefixError(f"no environment at {prefix} (named '{envfile.name}' in the environment file)")
    elif create and envfile is not None and envfile.prefix and not options.prefix and options.name is None:
        prefix = Path(os.path.abspath(os.path.expanduser(envfile.prefix)))
    elif create:
        prefix = pre_context.target_prefix(must_exist=False, allow_default=False)
    else:
        prefix = pre_context.target_prefix(must_exist=False)
        # as micromamba, 'install -n base' sets up a root prefix that is not an environment yet
        new_base = command == "install" and prefix == pre_context.root_prefix and not is_environment(prefix)
        if not new_base:
            prefix = pre_context.target_prefix(must_exist=True)
    context = Context.from_options(options, target_prefix=prefix)
    plan = Plan(context=context, prefix=prefix, command=command)
    if create:
        _check_create_target(prefix, context)
    plan.create_prefix = create or not is_environment(prefix)
    extra_channels: list[str] = []
    all_specs = list(specs)
    if envfile is not None:
        extra_channels = list(envfile.channels)
        all_specs += envfile.specs
        plan.pip = list(envfile.pip)
        plan.variables = dict(envfile.variables)
        if envfile.kind in ("explicit", "lock"):
            if specs:
                raise EnvironmentFileError("specs cannot be combined with an @EXPLICIT or lock file")
            return _plan_explicit(plan, envfile)
    if is_environment(prefix):
        from naja.transaction import recover

        recover(prefix)  # solve against a whole environment, not a killed half
    installed = prefix_object(prefix).installed() if is_environment(prefix) else []
    installed_names = {r.name for r in installed}
    archives: list[Any] = []
    if not remove:
        archive_specs = [s for s in all_specs if is_archive_spec(s)]
        all_specs = [s for s in all_specs if s not in archive_specs]
        archives = archive_records(archive_specs, context)
        all_specs += [f"{r.name}=={r.version}={r.build}" for r in archives]
    match_specs = parse_specs(all_specs, context.channel_config)
    plan.requested = [str(s) for s in match_specs]
    if remove or command == "update":
        for s in match_specs:
            if s.name not in installed_names:
                raise PrefixError(f"package '{s.name}' is not installed in {prefix}")
    if remove:
        plan.remove_specs, plan.requested = plan.requested, []
    if not match_specs and not update_all:
        if create or command in ("install", "update"):
            return plan  # an empty environment; or, as micromamba, "Nothing to do."
        raise NajaError(f"nothing to {command}: give package specs or -f FILE")
    spec_names = {s.name for s in match_specs}
    pins = _pins(context, prefix, installed, spec_names)
    if remove:
        # removing needs no channel: the solve only looks at what is installed (as micromamba)
        channels: list[Any] = []
        available = [r.package_record() if hasattr(r, "package_record") else r for r in installed]
    else:
        # as micromamba, the channel of a 'channel::pkg' spec is searched too, after the others
        channels = context.channels(extra_channels, last=[str(s.channel) for s in match_specs if s.channel])
        plan.channels = channels
        names = [*match_specs, *(r.name for r in installed), *pins,
                 *(d.split()[0] for r in archives for d in r.depends)]  # a file's dependencies too
        available = archives + _load(context, channels, names, allow_none=bool(archives))
    if update_all:
        update_specs = parse_specs(sorted(installed_names), context.channel_config)
    else:
        update_specs = match_specs if command == "update" else []
    solution = _solve(context, specs=[] if remove else match_specs, available=available,
                      installed=[] if prune or create else installed, pins=pins, channels=channels,
                      update_specs=update_specs, remove_specs=match_specs if remove else [],
                      update_all=update_all)
    asked = user_requested_names(prefix) if (remove or command == "update") and options.prune_deps else set()
    if asked:  # without any record of what the user asked for, nothing is pruned
        solution = prune_unrequested(solution, asked - {s.name for s in match_specs} if remove else asked)
    tx, plan.to_link, plan.to_unlink = _transaction(context, prefix, solution, plan.requested, installed,
                                                    plan.remove_specs, overwrite=create and bool(installed))
    plan.transaction = tx
    plan.fetch = _fetch_list(context, plan.to_link)
    return plan


def user_requested_names(prefix: Path) -> set[str]:
    """Names the user asked for in this environment, from ``conda-meta/history`` (update specs
    minus later remove specs) and the ``requested_spec`` of the installed records."""
    from naja import match_spec as ms_mod

    prefix_obj = prefix_object(prefix)

    def name(spec: str) -> str | None:
        try:
            return ms_mod.MatchSpec(spec).name
        except NajaError:
            return None

    names: set[str] = set()
    for rev in prefix_obj.history.revisions():
        names |= {n for n in map(name, rev.update_specs) if n}
        names -= {n for n in map(name, rev.remove_specs) if n}
    names |= {r.name for r in prefix_obj.installed() if r.requested_spec or r.requested_specs}
    return names


def prune_unrequested(solution: list[Any], requested: set[str]) -> list[Any]:
    """Drop packages nothing the user asked for (``requested``) still needs: micromamba's default
    ``--prune-deps``."""
    by_name = {r.name: r for r in solution}
    roots = [n for n in requested if n in by_name]
    from naja.match_spec import spec_name as dep_name

    keep: set[str] = set()
    stack = list(roots)
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


def _plan_explicit(plan: Plan, envfile: Any) -> Plan:
    """@EXPLICIT and lock files install exactly the listed packages, no solve."""
    from naja.api.reproduce import check_platform

    if envfile.kind == "lock":
        records = list(envfile.lock_records)
    else:
        records = [record_from_url(e.url, md5=e.md5, sha256=e.sha256) for e in envfile.explicit]
    check_platform(records, plan.context.platform, ", ".join(plan.context.options.files))
    if not plan.dry_run:
        # fetch and verify every hash now, before the prefix is created (a mismatch changes nothing)
        records = _complete_explicit(records, plan.context)
    installed = prefix_object(plan.prefix).installed() if is_environment(plan.prefix) else []
    plan.requested = [f"{r.name}=={r.version}={r.build}" for r in records]
    if not plan.create_prefix:
        # install -f: the listed packages replace same-named ones, the rest stays (as conda's explicit)
        listed = {r.name for r in records}
        records = [r.package_record() if hasattr(r, "package_record") else r
                   for r in installed if r.name not in listed] + records
    tx, plan.to_link, plan.to_unlink = _transaction(plan.context, plan.prefix, records, plan.requested,
                                                    installed, overwrite=plan.create_prefix and bool(installed))
    plan.transaction = tx
    plan.fetch = _fetch_list(plan.context, plan.to_link)
    return plan


def _complete_explicit(records: list[Any], context: Context) -> list[Any]:
    """An @EXPLICIT line only names a file: fetch it now (verifying any hash) and take the full record
    (depends, noarch, hashes) from the package itself, as micromamba does."""

    cache = _package_cache(context)
    extracted = cache.fetch_and_extract(records)

    out = []
    for rec in records:
        path = extracted.get(rec.dist_name)
        data_file = path / "info" / "repodata_record.json" if path else None
        if data_file is not None and data_file.is_file():
            out.append(_extracted_record(data_file, rec))
        else:
            out.append(rec)
    return out


def _extracted_record(data_file: Path, rec: Any) -> Any:
    """The record a package's own metadata gives (its ``repodata_record.json``), with ``rec``'s
    location; a package whose metadata does not make a record is an error naming the file."""
    import msgspec

    from naja import records as records_mod
    from naja.errors import PackageError

    try:
        data = safe_json.loads(data_file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        data.update(url=rec.url, fn=rec.fn, channel=rec.channel)
        return records_mod.record_from_dict(data)
    except (OSError, ValueError, msgspec.ValidationError) as exc:
        raise PackageError(f"{rec.fn}: invalid package metadata {data_file}: {exc}") from None


_ARCHIVE_SUFFIXES = (".conda", ".tar.bz2")


def is_archive_spec(spec: str) -> bool:
    """``./pkg-1.0-0.tar.bz2``, ``file:///…/pkg-1.0-0.conda`` or an http(s) URL of one package:
    micromamba installs that very file (a channel of one package), solved with the other specs."""
    spec = spec.strip()
    return spec.endswith(_ARCHIVE_SUFFIXES) and "::" not in spec and " " not in spec


def archive_records(specs: Sequence[str], context: Context) -> list[Any]:
    """The full records of package files named on the command line, read from each package's own
    metadata after fetching it into the package cache."""
    if not specs:
        return []
    records = [record_from_url(s) for s in specs]
    for rec in records:
        if rec.url.startswith("file:") and not Path(url_to_path(rec.url)).is_file():
            raise NajaError(f"no such package file: {url_to_path(rec.url)}")
    return _complete_explicit(records, context)


def url_to_path(url: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)


def record_from_url(url: str, *, md5: str | None = None, sha256: str | None = None) -> Any:
    """A record for an explicit URL: name, version and build from the file name; the rest is read
    from the archive's ``info/index.json`` after download."""
    from urllib.parse import urlparse

    from naja import records

    if "://" not in url:
        path = Path(os.path.abspath(os.path.expanduser(url)))
        url = path.as_uri()
    parsed = urlparse(url)
    fn = parsed.path.rsplit("/", 1)[-1]
    stem = fn[:-6] if fn.endswith(".conda") else fn[:-8] if fn.endswith(".tar.bz2") else None
    if stem is None or stem.count("-") < 2:
        raise EnvironmentFileError(f"not a package URL: {url}")
    name, version, build = stem.rsplit("-", 2)
    base = url.rsplit("/", 1)[0]
    channel, _, subdir = base.rpartition("/")
    from naja.platform import KNOWN_SUBDIRS

    if subdir not in KNOWN_SUBDIRS:
        # a package file in some directory, not a channel: its subdir comes from info/index.json
        channel, subdir = base, ""
    return records.PackageRecord(name=name, version=version, build=build, fn=fn, url=url,
                                 channel=channel, subdir=subdir, md5=md5, sha256=sha256)


def _check_create_target(prefix: Path, context: Context) -> None:
    ancestor = prefix
    while not ancestor.exists() and ancestor.parent != ancestor:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise PrefixError(f"cannot create an environment at {prefix}: {ancestor} is not a writable directory")
    if prefix == context.root_prefix:
        raise PrefixError(f"cannot create an environment at the root prefix {prefix}")
    if prefix.exists():
        if not prefix.is_dir():
            raise PrefixError(f"{prefix} exists and is not a directory")
        if is_environment(prefix):
            if not context.options.yes:
                raise PrefixError(f"an environment already exists at {prefix} (pass -y to overwrite it)")
            return
        if any(prefix.iterdir()):
            raise PrefixError(f"{prefix} exists, is not empty and is not a conda environment")


def _make_empty_env(prefix: Path, context: Context) -> None:
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    history = prefix / "conda-meta" / "history"
    if not history.exists():
        history.touch()
    if context.options.platform:
        rc = prefix / ".mambarc"
        rc.write_text(f"platform: {context.options.platform}\n", encoding="utf-8")


def _files_dir(files: Sequence[str]) -> str | None:
    """pip runs from the environment file's directory (relative paths in ``pip:``), as micromamba."""
    if not files or files[0].lower().startswith(("http://", "https://")):
        return None
    return os.path.dirname(os.path.abspath(files[0]))


def _pip_install(prefix: Path, requirements: list[str], cwd: str | None = None) -> None:
    import subprocess

    from naja.api.reproduce import pip_missing_message, requirements_file

    python = prefix / ("python.exe" if os.name == "nt" else "bin/python")
    problem = pip_missing_message(prefix)
    if problem:
        raise EnvironmentFileError(problem)
    # as micromamba: a requirements file next to the environment file (so ``-e ./src`` and ``-r x.txt``
    # lines work), pip's output on stderr (stdout may carry the --json document)
    with requirements_file(requirements, cwd) as req:
        result = subprocess.run([str(python), "-m", "pip", "install", "-U", "-r", req, "--no-input"],
                                cwd=cwd, stdout=2)
    if result.returncode != 0:
        raise NajaError(f"pip install failed with exit code {result.returncode}")


# ------------------------------------------------------------------------------- one-call forms


def plan_create(specs: Sequence[str] = (), options: Options | None = None, **kw: Any) -> Plan:
    return plan_transaction("create", specs, _opts(options, kw))


def plan_clone(source: str, options: Options | None = None, **kw: Any) -> Plan:
    """``create --clone SOURCE``: a new environment with exactly the packages of another one (by
    name or path), installed from their recorded URLs without a solve (micromamba 2.5)."""
    options = _opts(options, kw)
    if options.files:
        raise EnvironmentFileError("--clone cannot be combined with -f/--file")
    context = Context.from_options(options)
    src = context.prefix_for_name(source, must_exist=True) if "/" not in source else Path(
        os.path.abspath(os.path.expanduser(source)))
    if not is_environment(src):
        raise PrefixError(f"cannot clone {source}: no environment at {src}")
    prefix = context.target_prefix(must_exist=False, allow_default=False)
    if prefix == src:
        raise PrefixError("cannot clone an environment onto itself")
    context = Context.from_options(options, target_prefix=prefix)
    _check_create_target(prefix, context)
    plan = Plan(context=context, prefix=prefix, command="create", create_prefix=True)
    records = [r.package_record() for r in prefix_object(src).installed()]
    missing = [r.dist_name for r in records if not r.url]
    if missing:
        raise PrefixError(f"cannot clone {src}: no download URL recorded for {missing[0]}")
    installed = prefix_object(prefix).installed() if is_environment(prefix) else []
    plan.requested = [f"{r.name}=={r.version}={r.build}" for r in records]
    tx, plan.to_link, plan.to_unlink = _transaction(context, prefix, records, plan.requested, installed,
                                                    overwrite=bool(installed))
    plan.transaction = tx
    plan.fetch = _fetch_list(context, plan.to_link)
    return plan


def plan_revision(revision: int, options: Options | None = None, **kw: Any) -> Plan:
    """``install --revision N``: put the environment back to what it held after history revision N
    (0 is the first), taking each package from the environment, the package cache or the channels."""
    options = _opts(options, kw)
    context = Context.from_options(options)
    prefix = context.target_prefix(must_exist=True)
    context = Context.from_options(options, target_prefix=prefix)
    revisions = prefix_object(prefix).history.revisions()
    if not 0 <= revision < len(revisions):
        raise PrefixError(f"{prefix} has no revision {revision} (it has 0 to {len(revisions) - 1})")
    wanted: dict[str, str] = {}  # dist name -> channel part of the history line
    for rev in revisions[: revision + 1]:
        for line in rev.unlinked:
            wanted.pop(line.rpartition("::")[2], None)
        for line in rev.linked:
            channel, _, dist = line.rpartition("::")
            wanted[dist] = channel
    installed = prefix_object(prefix).installed()
    found = {r.dist_name: r.package_record() for r in installed if r.dist_name in wanted}
    found.update({d: r for d in wanted if d not in found and (r := _cached_record(context, d)) is not None})
    missing = [d for d in wanted if d not in found]
    if missing:
        names = sorted({d.rsplit("-", 2)[0] for d in missing})
        for rec in _load(context, context.channels(), names):
            if rec.dist_name in missing and rec.dist_name not in found:
                found[rec.dist_name] = rec
        missing = [d for d in wanted if d not in found]
    if missing:
        raise PrefixError(f"cannot go back to revision {revision}: {missing[0]} is neither in the package "
                          "cache nor in the channels")
    plan = Plan(context=context, prefix=prefix, command="install")
    records = list(found.values())
    plan.requested = [f"{r.name}=={r.version}={r.build}" for r in records]
    tx, plan.to_link, plan.to_unlink = _transaction(context, prefix, records, plan.requested, installed)
    plan.transaction = tx
    plan.fetch = _fetch_list(context, plan.to_link)
    return plan


def _cached_record(context: Context, dist: str) -> Any | None:
    """The record of an extracted package in the package cache (``info/repodata_record.json``)."""
    import msgspec

    from naja import records as records_mod

    for d in context.pkgs_dirs:
        path = d / dist / "info" / "repodata_record.json"
        if path.is_file():
            try:
                return records_mod.record_from_dict(safe_json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, OSError, msgspec.ValidationError):  # unusable: as if not cached
                continue
    return None


def plan_install(specs: Sequence[str] = (), options: Options | None = None, **kw: Any) -> Plan:
    return plan_transaction("install", specs, _opts(options, kw))


def plan_update(specs: Sequence[str] = (), options: Options | None = None, *, update_all: bool = False,
                **kw: Any) -> Plan:
    return plan_transaction("update", specs, _opts(options, kw), update_all=update_all)


def plan_remove(specs: Sequence[str] = (), options: Options | None = None, *, remove_all: bool = False,
                force: bool = False, **kw: Any) -> Plan:
    """Remove ``specs`` (and, after a solve, what only they needed). ``remove_all`` empties the
    environment and ``force`` removes exactly the named packages; neither solves."""
    options = _opts(options, kw)
    if not remove_all and not force:
        return plan_transaction("remove", specs, options, remove=True)
    context = Context.from_options(options)
    prefix = context.target_prefix(must_exist=True)
    context = Context.from_options(options, target_prefix=prefix)
    installed = prefix_object(prefix).installed()
    match_specs = parse_specs(specs, context.channel_config)
    if remove_all:
        keep: list[Any] = []
    else:
        for s in match_specs:
            if not any(s.match(r) for r in installed):
                raise PrefixError(f"package '{s.name}' is not installed in {prefix}")
        keep = [r for r in installed if not any(s.match(r) for s in match_specs)]
    plan = Plan(context=context, prefix=prefix, command="remove")
    plan.remove_specs = [str(s) for s in match_specs] or [r.name for r in installed]
    solution = [r.package_record() if hasattr(r, "package_record") else r for r in keep]
    tx, plan.to_link, plan.to_unlink = _transaction(context, prefix, solution, [], installed,
                                                    plan.remove_specs)
    plan.transaction = tx
    return plan


def create(specs: Sequence[str] = (), options: Options | None = None, **kw: Any) -> Plan:
    return plan_create(specs, options, **kw).execute()


def install(specs: Sequence[str] = (), options: Options | None = None, **kw: Any) -> Plan:
    return plan_install(specs, options, **kw).execute()


def update(specs: Sequence[str] = (), options: Options | None = None, *, update_all: bool = False,
           **kw: Any) -> Plan:
    return plan_update(specs, options, update_all=update_all, **kw).execute()


def remove(specs: Sequence[str] = (), options: Options | None = None, **kw: Any) -> Plan:
    return plan_remove(specs, options, **kw).execute()


def _opts(options: Options | None, kw: dict[str, Any]) -> Options:
    options = options or Options()
    if kw:
        for key in ("channels", "files", "rc_files"):
            if key in kw and isinstance(kw[key], (list, str)):
                kw[key] = (kw[key],) if isinstance(kw[key], str) else tuple(kw[key])
        options = options.with_(**kw)
    return options
