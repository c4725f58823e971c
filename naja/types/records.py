"""Package records: the typed form of a repodata entry, parsed once at the edge with msgspec."""

from __future__ import annotations

from typing import Literal

import msgspec

from naja.errors import InvalidVersion
from naja.types.version import Version

ChangeKind = Literal["upgrade", "downgrade", "reinstall", "change"]


class PackageRecord(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """One package build as described by repodata (``packages`` / ``packages.conda`` entries).

    ``fn``, ``url`` and ``channel`` are not in a channel's repodata entry; the loader fills them in
    (``channel`` is the channel's base URL, with any token removed).
    """

    name: str
    version: str
    build: str = ""
    build_number: int = 0
    depends: list[str] = msgspec.field(default_factory=list)
    constrains: list[str] = msgspec.field(default_factory=list)
    track_features: str | list[str] = ""
    features: str | list[str] | None = None
    subdir: str = ""
    noarch: str | bool | None = None
    timestamp: int | float | None = None
    size: int | None = None
    md5: str | None = None
    sha256: str | None = None
    license: str | None = None
    license_family: str | None = None
    arch: str | None = None
    platform: str | None = None
    python_site_packages_path: str | None = None
    legacy_bz2_md5: str | None = None
    legacy_bz2_size: int | None = None
    fn: str = ""
    url: str = ""
    channel: str = ""

    @property
    def dist_name(self) -> str:
        """``name-version-build``: the package-cache directory name and the ``conda-meta`` stem."""
        return f"{self.name}-{self.version}-{self.build}"

    @property
    def track_features_list(self) -> tuple[str, ...]:
        return _split_features(self.track_features)

    @property
    def features_list(self) -> tuple[str, ...]:
        return _split_features(self.features)

    @property
    def noarch_kind(self) -> str | None:
        """``"python"``, ``"generic"`` or None; legacy ``noarch: true`` means generic."""
        if self.noarch is True:
            return "generic"
        return self.noarch or None

    @property
    def timestamp_ms(self) -> int:
        """Timestamp in milliseconds (repodata mixes seconds and milliseconds)."""
        ts = self.timestamp or 0
        return int(ts * 1000) if ts < 253402300799 else int(ts)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = msgspec.to_builtins(self)
        return data


def _split_features(value: str | list[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(f for f in value.replace(",", " ").split() if f)
    return tuple(value)


_record_decoder = msgspec.json.Decoder(PackageRecord)


def record_from_json(data: bytes | str) -> PackageRecord:
    """Decode one record (e.g. ``info/index.json`` or ``repodata_record.json``)."""
    return _record_decoder.decode(data)


def record_from_dict(data: object) -> PackageRecord:
    """A record from decoded JSON, converted leniently (``strict=False``): other tools' records are not
    always typed exactly."""
    return msgspec.convert(data, PackageRecord, strict=False)


def same_artifact(old: PackageRecord, new: PackageRecord) -> bool:
    """Is ``new`` the very file ``old`` was installed from (hash, else channel and subdir)?"""
    if old.dist_name != new.dist_name:
        return False
    if old.sha256 and new.sha256:
        return old.sha256 == new.sha256
    if old.md5 and new.md5:
        return old.md5 == new.md5
    if not (old.channel and new.channel):
        return True
    return (old.channel.rstrip("/"), old.subdir) == (new.channel.rstrip("/"), new.subdir)


def change_kind(old: PackageRecord, new: PackageRecord) -> ChangeKind:
    """How replacing ``old`` by ``new`` (same name) is reported, in the summary and in JSON alike:
    ordered by (version, build number) as mamba orders them; the same artifact is a reinstall and
    an equal key with another build string or channel a change."""
    if same_artifact(old, new):
        return "reinstall"
    order = _compare_builds(old, new)
    return "upgrade" if order > 0 else "downgrade" if order < 0 else "change"


def _compare_builds(old: PackageRecord, new: PackageRecord) -> int:
    """Sign of ``new - old`` by (version, build number); unparsable versions compare equal."""
    try:
        va, vb = Version(old.version), Version(new.version)
    except InvalidVersion:  # a record already installed may carry any string
        va = vb = Version("0")
    if va != vb:
        return 1 if vb > va else -1
    return (new.build_number > old.build_number) - (new.build_number < old.build_number)
