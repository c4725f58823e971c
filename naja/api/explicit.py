"""Plans that install exact records, without a solve: ``@EXPLICIT`` and lock files, ``create
--clone``, ``install --revision``; and the records of package files named on the command line
(``./pkg-1.0-0.conda``, a URL), which the solving planners add to their request.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from naja.api.context import Context, is_environment
from naja.api.pipeline import diff, load, package_records
from naja.api.plan import Plan, package_cache
from naja.api.target import PlanTarget, prefix_object, resolve_target
from naja.errors import EnvironmentFileError, NajaError, PrefixError
from naja.types.archive import PACKAGE_EXTENSIONS, archive_suffix

if TYPE_CHECKING:
    from naja.api.options import Options
    from naja.environment.files import EnvSpec
    from naja.types.records import PackageRecord


def exact_specs(records: Sequence[PackageRecord]) -> list[str]:
    """``name==version=build`` for each record: what history records as requested."""
    return [f"{r.name}=={r.version}={r.build}" for r in records]


def plan_explicit(plan: Plan, target: PlanTarget, envfile: EnvSpec) -> Plan:
    """@EXPLICIT and lock files install exactly the listed packages, no solve."""
    from naja.api.reproduce import check_platform

    if envfile.kind == "lock":
        records = list(envfile.lock_records)
    else:
        records = [record_from_url(e.url, md5=e.md5, sha256=e.sha256) for e in envfile.explicit]
    check_platform(records, plan.context.platform, ", ".join(plan.context.options.files))
    if not plan.dry_run:
        # fetch and verify every hash now, before the prefix is created (a mismatch changes nothing)
        records = complete_explicit(records, plan.context)
    installed = target.installed()
    plan.requested = exact_specs(records)
    if not plan.create_prefix:
        # install -f: the listed packages replace same-named ones, the rest stays (as conda's explicit)
        listed = {r.name for r in records}
        records = package_records(r for r in installed if r.name not in listed) + records
    return plan.use(diff(target, records, plan.requested, overwrite=plan.create_prefix and bool(installed)))


def complete_explicit(records: list[PackageRecord], context: Context) -> list[PackageRecord]:
    """An @EXPLICIT line only names a file: fetch it now (verifying any hash) and take the full record
    (depends, noarch, hashes) from the package itself, as micromamba does."""
    extracted = package_cache(context).fetch_and_extract(records)
    out = []
    for rec in records:
        path = extracted.get(rec.dist_name)
        data_file = path / "info" / "repodata_record.json" if path else None
        if data_file is not None and data_file.is_file():
            out.append(_extracted_record(data_file, rec))
        else:
            out.append(rec)
    return out


def _extracted_record(data_file: Path, rec: PackageRecord) -> PackageRecord:
    """The record a package's own metadata gives (its ``repodata_record.json``), with ``rec``'s
    location; a package whose metadata does not make a record is an error naming the file."""
    import msgspec

    from naja.errors import PackageError
    from naja.package.info import read_json_file
    from naja.types import records as records_mod

    try:
        data = read_json_file(data_file)
    except PackageError as exc:  # it names the file and what is wrong with it
        raise PackageError(f"{rec.fn}: invalid package metadata: {exc}") from None
    data.update(url=rec.url, fn=rec.fn, channel=rec.channel)
    try:
        return records_mod.record_from_dict(data)
    except (ValueError, msgspec.ValidationError) as exc:
        raise PackageError(f"{rec.fn}: invalid package metadata {data_file}: {exc}") from None


def is_archive_spec(spec: str) -> bool:
    """``./pkg-1.0-0.tar.bz2``, ``file:///…/pkg-1.0-0.conda`` or an http(s) URL of one package:
    micromamba installs that very file (a channel of one package), solved with the other specs."""
    spec = spec.strip()
    return spec.endswith(PACKAGE_EXTENSIONS) and "::" not in spec and " " not in spec


def archive_records(specs: Sequence[str], context: Context) -> list[PackageRecord]:
    """The full records of package files named on the command line, read from each package's own
    metadata after fetching it into the package cache."""
    if not specs:
        return []
    records = [record_from_url(s) for s in specs]
    for rec in records:
        if rec.url.startswith("file:") and not Path(url_to_path(rec.url)).is_file():
            raise NajaError(f"no such package file: {url_to_path(rec.url)}")
    return complete_explicit(records, context)


def url_to_path(url: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)


def record_from_url(url: str, *, md5: str | None = None, sha256: str | None = None) -> PackageRecord:
    """A record for an explicit URL: name, version and build from the file name; the rest is read
    from the archive's ``info/index.json`` after download."""
    from urllib.parse import urlparse

    from naja.types import records

    if "://" not in url:
        path = Path(os.path.abspath(os.path.expanduser(url)))
        url = path.as_uri()
    parsed = urlparse(url)
    fn = parsed.path.rsplit("/", 1)[-1]
    suffix = archive_suffix(fn)
    stem = fn[: -len(suffix)] if suffix else None
    if stem is None or stem.count("-") < 2:
        raise EnvironmentFileError(f"not a package URL: {url}")
    name, version, build = stem.rsplit("-", 2)
    base = url.rsplit("/", 1)[0]
    channel, _, subdir = base.rpartition("/")
    from naja.types.platform import KNOWN_SUBDIRS

    if subdir not in KNOWN_SUBDIRS:
        # a package file in some directory, not a channel: its subdir comes from info/index.json
        channel, subdir = base, ""
    return records.PackageRecord(name=name, version=version, build=build, fn=fn, url=url,
                                 channel=channel, subdir=subdir, md5=md5, sha256=sha256)


def plan_clone(source: str, options: Options) -> Plan:
    """``create --clone SOURCE``: a new environment with exactly the packages of another one (by
    name or path), installed from their recorded URLs without a solve (micromamba 2.5)."""
    if options.files:
        raise EnvironmentFileError("--clone cannot be combined with -f/--file")
    pre_context = Context.from_options(options)
    src = pre_context.prefix_for_name(source, must_exist=True) if "/" not in source else Path(
        os.path.abspath(os.path.expanduser(source)))
    if not is_environment(src):
        raise PrefixError(f"cannot clone {source}: no environment at {src}")
    if pre_context.target_prefix(must_exist=False, allow_default=False) == src:
        raise PrefixError("cannot clone an environment onto itself")
    target = resolve_target(options, create=True, read_files=False, pre_context=pre_context)
    plan = Plan(context=target.context, prefix=target.prefix, command="create", create_prefix=True)
    records = package_records(prefix_object(src).installed())
    missing = [r.dist_name for r in records if not r.url]
    if missing:
        raise PrefixError(f"cannot clone {src}: no download URL recorded for {missing[0]}")
    plan.requested = exact_specs(records)
    return plan.use(diff(target, records, plan.requested, overwrite=bool(target.installed())))


def plan_revision(revision: int, options: Options) -> Plan:
    """``install --revision N``: put the environment back to what it held after history revision N
    (0 is the first), taking each package from the environment, the package cache or the channels."""
    target = resolve_target(options, read_files=False)
    context, prefix = target.context, target.prefix
    revisions = target.env.history.revisions()
    if not 0 <= revision < len(revisions):
        raise PrefixError(f"{prefix} has no revision {revision} (it has 0 to {len(revisions) - 1})")
    wanted: dict[str, str] = {}  # dist name -> channel part of the history line
    for rev in revisions[: revision + 1]:
        for line in rev.unlinked:
            wanted.pop(line.rpartition("::")[2], None)
        for line in rev.linked:
            channel, _, dist = line.rpartition("::")
            wanted[dist] = channel
    found = {r.dist_name: r.package_record() for r in target.installed() if r.dist_name in wanted}
    found.update({d: r for d in wanted if d not in found and (r := _cached_record(context, d)) is not None})
    missing = [d for d in wanted if d not in found]
    if missing:
        names = sorted({d.rsplit("-", 2)[0] for d in missing})
        for rec in load(context, context.channels(), names):
            if rec.dist_name in missing and rec.dist_name not in found:
                found[rec.dist_name] = rec
        missing = [d for d in wanted if d not in found]
    if missing:
        raise PrefixError(f"cannot go back to revision {revision}: {missing[0]} is neither in the package "
                          "cache nor in the channels")
    plan = Plan(context=context, prefix=prefix, command="install")
    records = list(found.values())
    plan.requested = exact_specs(records)
    return plan.use(diff(target, records, plan.requested))


def _cached_record(context: Context, dist: str) -> PackageRecord | None:
    """The record of an extracted package in the package cache (``info/repodata_record.json``)."""
    import msgspec

    from naja.package.info import read_json_file_or_none
    from naja.types import records as records_mod

    for d in context.pkgs_dirs:
        data = read_json_file_or_none(d / dist / "info" / "repodata_record.json")
        if data is None:  # missing or unusable: as if not cached
            continue
        try:
            return records_mod.record_from_dict(data)
        except (ValueError, msgspec.ValidationError):
            continue
    return None
