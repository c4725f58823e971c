"""How records and plans are shown: the summary rows, channel labels and micromamba's JSON shapes.

The CLI's tables and ``--json`` output (``list``, ``repoquery``, ``env remove``, the transaction
summary) read records through these functions, imported from ``naja.api``, so that a record looks
the same everywhere and never shows a channel's credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import msgspec

if TYPE_CHECKING:
    from naja.solver.solution import Solution
    from naja.types.channel import ChannelConfig
    from naja.types.records import PackageRecord


class _RecordJsonNoarch(TypedDict, total=False):
    noarch: str


class RecordJson(_RecordJsonNoarch):
    """``record_json``'s shape: a record in micromamba's JSON (``noarch`` only when set)."""

    name: str
    version: str
    build: str
    build_string: str
    build_number: int
    channel: str
    base_url: str
    platform: str
    subdir: str
    dist_name: str
    fn: str
    url: str
    md5: str | None
    sha256: str | None
    size: int | None
    depends: list[str]
    constrains: list[str]
    timestamp: int
    license: str
    track_features: str


class TransactionActions(TypedDict, total=False):
    """The ``actions`` of micromamba's transaction JSON: the non-empty lists, then ``PREFIX``."""

    FETCH: list[RecordJson]
    LINK: list[RecordJson]
    UNLINK: list[RecordJson]
    PREFIX: str


class _TransactionJsonHead(TypedDict, total=False):
    actions: TransactionActions
    message: str


class TransactionJson(_TransactionJsonHead):
    """``transaction_json``'s shape: ``actions`` or ``message``, then the three flags."""

    dry_run: bool
    prefix: str
    success: bool


class ListEntryJson(TypedDict):
    """One ``list --json`` entry (``list_entry_json``)."""

    base_url: str
    build_number: int
    build_string: str
    channel: str
    dist_name: str
    name: str
    platform: str
    version: str
    url: str
    md5: str
    sha256: str


class Change(msgspec.Struct):
    """One row of the transaction summary."""

    kind: str  # install | upgrade | downgrade | reinstall | change | remove
    name: str
    version: str
    build: str
    channel: str
    size: int | None
    old_version: str = ""
    needs_download: bool = True


def channel_label(channel: str, config: ChannelConfig | None = None) -> str:
    """A record's channel as the user names it (``conda-forge``, a custom channel's name, or the
    URL), under the user's channel settings when given."""
    if not channel:
        return ""
    try:
        from naja.types.channel import Channel

        return Channel.from_string(channel, config).canonical_name
    except Exception:  # a URL the channel layer cannot name: show it without credentials
        from naja.types.url import strip_credentials

        return strip_credentials(channel)


def change_rows(changes: Solution, fetch: Iterable[PackageRecord],
                config: ChannelConfig | None = None) -> list[Change]:
    """The summary table's rows, one per changed package by name: its kind as the solution's
    action says (the one classifier), the new build (the old one for a removal)."""
    from naja.solver import solution as sol

    fetched = {r.url or r.fn for r in fetch}
    rows: list[Change] = []
    for action in changes.changes:
        if isinstance(action, sol.Remove):
            o = action.remove
            rows.append(Change("remove", o.name, o.version, o.build, channel_label(o.channel, config), o.size,
                               needs_download=False))
        elif not isinstance(action, sol.Omit):
            n = action.install
            old = action.remove.version if not isinstance(action, sol.Install) else n.version
            rows.append(Change(action.kind, n.name, n.version, n.build, channel_label(n.channel, config), n.size,
                               old_version=old if old != n.version else "",
                               needs_download=(n.url or n.fn) in fetched))
    return rows


def record_json(rec: PackageRecord) -> RecordJson:
    """A record the way micromamba's JSON shows it (``build_string``, ``channel``, ``url``, …), without
    credentials."""
    from naja.types.url import strip_credentials

    doc: RecordJson = {
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
    }
    if rec.noarch_kind:
        doc["noarch"] = rec.noarch_kind
    return doc


def transaction_json(prefix: Path, *, fetch: Sequence[PackageRecord], link: Sequence[PackageRecord],
                     unlink: Sequence[PackageRecord], create_prefix: bool, dry_run: bool,
                     success: bool) -> TransactionJson:
    """micromamba's transaction JSON (libmamba core/transaction.cpp ``log_json``, api/create.cpp):
    ``actions`` holds FETCH/LINK/UNLINK only when not empty, and PREFIX; a transaction with
    nothing to do has no ``actions`` but a ``message``; then ``dry_run``, ``prefix``, ``success``."""
    actions: TransactionActions = {}
    if fetch:
        actions["FETCH"] = [record_json(r) for r in fetch]
    if link:
        actions["LINK"] = [record_json(r) for r in link]
    if unlink:
        actions["UNLINK"] = [record_json(r) for r in unlink]
    doc: TransactionJson = {"dry_run": dry_run, "prefix": str(prefix), "success": success}
    if actions:
        actions["PREFIX"] = str(prefix)
        doc = {"actions": actions, **doc}
    elif create_prefix:  # create without specs
        doc = {"actions": {"FETCH": [], "PREFIX": str(prefix)}, **doc}
    else:
        doc = {"message": "All requested packages already installed", **doc}
    return doc


def list_entry_json(rec: PackageRecord) -> ListEntryJson:
    """One ``list --json`` entry as libmamba's api/list.cpp writes it; pip rows keep pypi's URL."""
    from naja.install.pip_records import PYPI, PYPI_BASE_URL
    from naja.types.url import strip_credentials

    def url(value: str) -> str:  # records written by older tools may carry credentials
        return PYPI_BASE_URL if value == PYPI else strip_credentials(value)

    return {"base_url": url(rec.channel), "build_number": rec.build_number, "build_string": rec.build,
            "channel": channel_label(rec.channel), "dist_name": rec.dist_name, "name": rec.name,
            "platform": rec.subdir, "version": rec.version, "url": url(rec.url),
            "md5": rec.md5 or "", "sha256": rec.sha256 or ""}  # std::string in libmamba: "" when unknown
