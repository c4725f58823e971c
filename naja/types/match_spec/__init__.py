"""conda's MatchSpec: the query language for packages (``numpy >=1.8,<2``, ``conda-forge::numpy``,
``numpy=1.8.1=py27_0``, ``numpy[version='>=1.8',build_number=3]``, a package URL, ...).

The class lives here and builds on three modules: ``parse`` (conda's ``_parse_spec_str`` step by
step, plus the CEP keys ``when=``, ``extras=`` and ``flags=``; ``spec_name``), ``match`` (every
constraint compiled once into a small check: ``match(record)`` is the solver's hot path) and
``format`` (``str()``, conda's canonical form).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from naja.errors import InvalidMatchSpec, InvalidSpec
from naja.types.match_spec.format import canonical_str, components_text, conda_build_form
from naja.types.match_spec.match import (
    Check,
    MappingRecord,
    compile_checks,
    is_pattern,
    matches_all,
    merge_glob,
)
from naja.types.match_spec.parse import (
    COMMON_FIELDS,
    FIELD_NAMES,
    FIELD_SET,
    channel_parts,
    check_name,
    condition_atoms,
    feature_set,
    list_value,
    parse,
    spec_error,
    spec_name,
)
from naja.types.records import PackageRecord
from naja.types.version_spec import BuildNumberSpec, VersionSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from naja.types.channel import ChannelConfig
    from naja.types.match_spec.parse import Component

# A spec's identity: its constraints that do not match everything, in field order; optional; target.
Key = tuple[tuple[tuple[str, "Component"], ...], bool, "str | None"]

__all__ = ["MatchSpec", "spec_name"]


# ============================================================================== the spec
class MatchSpec:
    """A parsed match spec. Attributes are plain values (``None`` when unconstrained):

    ``name`` (``"*"`` when free; may be a glob), ``version`` (``VersionSpec``), ``build`` (exact,
    glob or ``^regex$``), ``build_number`` (``BuildNumberSpec``), ``channel`` (canonical name or
    URL), ``subdir``, ``md5``, ``sha256``, ``fn``, ``url``, ``track_features``/``features`` (sorted
    tuples), ``license``/``license_family`` (lower-cased globs), ``when`` (CEP condition text),
    ``extras``/``flags`` (sorted tuples), ``optional``, ``target``.
    """

    __slots__ = (
        "_channel_config",
        "_checks",
        "_components",
        "_exact_name",
        "_hash",
        "_key",
        "build",
        "build_number",
        "channel",
        "extras",
        "features",
        "flags",
        "fn",
        "license",
        "license_family",
        "md5",
        "name",
        "optional",
        "original",
        "sha256",
        "subdir",
        "target",
        "track_features",
        "url",
        "version",
        "when",
    )

    name: str
    version: VersionSpec | None
    build: str | None
    build_number: BuildNumberSpec | None
    channel: str | None
    subdir: str | None
    md5: str | None
    sha256: str | None
    fn: str | None
    url: str | None
    license: str | None
    license_family: str | None
    track_features: tuple[str, ...] | None
    features: tuple[str, ...] | None
    extras: tuple[str, ...] | None
    flags: tuple[str, ...] | None
    when: str | None
    optional: bool
    target: str | None
    original: str | None
    _channel_config: ChannelConfig | None
    _components: dict[str, Component]
    _checks: tuple[Check, ...]
    _exact_name: str | None
    _key: Key
    _hash: int

    def __init__(self, spec: str | MatchSpec | Mapping[str, object] | None = None, *,
                 channel_config: ChannelConfig | None = None, **kwargs: object) -> None:
        """``channel_config``: the user's channel settings (``channel_alias``, ``custom_channels``, …)
        under which a ``channel::`` part is named and matched; None means conda's defaults."""
        if isinstance(spec, MatchSpec) and channel_config is None:
            channel_config = spec._channel_config
        self._channel_config = channel_config
        if spec.__class__ is str and not kwargs and channel_config is None:
            state = _built.get(spec)
            if state is not None:  # the same string built before: copy its (immutable) result
                for setter, value in zip(_STATE_SETTERS, state):
                    setter(self, value)
                self.original = spec
                return
        original = spec if isinstance(spec, str) else None
        raw: dict[str, Any]  # values of any type from a caller: _build checks and converts each field
        try:
            if isinstance(spec, MatchSpec):
                raw = dict(spec._components)
                raw.setdefault("optional", spec.optional)
                raw.setdefault("target", spec.target)
                original = spec.original
            elif isinstance(spec, str):
                raw = dict(parse(spec, channel_config)) if spec.strip() else {}
                if kwargs and set(kwargs) - {"optional", "target"}:
                    original = None
            elif isinstance(spec, Mapping):
                raw = dict(spec)
            elif spec is None:
                raw = {}
            else:
                raise InvalidSpec(f"cannot make a match spec from {spec!r}")
            raw.update(kwargs)
            self._build(raw, spec if spec is not None else kwargs)
        except InvalidSpec as e:
            shown = spec if spec is not None else ", ".join(f"{k}={v}" for k, v in kwargs.items())
            if isinstance(e, InvalidMatchSpec) and repr(shown) in str(e):
                raise
            raise spec_error(shown, str(e)) from None
        self.original = original
        if spec.__class__ is str and not kwargs and channel_config is None and len(_built) < 100_000:
            _built[spec] = _get_state(self)

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_parts(cls, name: str | None = None, version: str | VersionSpec | None = None,
                   build: str | None = None, **fields: object) -> MatchSpec:
        """Build a spec in code: ``MatchSpec.from_parts("numpy", ">=1.8", channel="conda-forge")``."""
        parts: dict[str, Any] = {
            k: v for k, v in (("name", name), ("version", version), ("build", build)) if v is not None
        }
        if name is not None and not str(name).strip():
            raise spec_error(name, "empty package name")
        parts.update({k: v for k, v in fields.items() if v is not None})
        return cls(**parts)

    def _build(self, raw: dict[str, Any], shown: object) -> None:
        self.optional = bool(raw.pop("optional", False))
        self.target = raw.pop("target", None)
        raw.pop("_original_spec_str", None)
        unknown = set(raw) - FIELD_SET
        if unknown:
            raise spec_error(shown, f"cannot match on field(s): {', '.join(sorted(unknown))}")
        comps: dict[str, Component] = {}

        name = raw.get("name")
        if name is not None:
            name = str(name).strip()
            if not name:
                raise spec_error(shown, "empty package name")
            name = check_name(name, str(shown))
            comps["name"] = name
        self.name = name or "*"
        self._exact_name = None if (name is None or is_pattern(self.name)) else self.name

        channel, subdir = raw.get("channel"), raw.get("subdir")
        if channel is not None and not isinstance(channel, str):
            channel = str(getattr(channel, "canonical_name", channel))
        if channel is not None:
            channel, ch_subdir = channel_parts(channel, config=self._channel_config)
            if subdir is None:
                subdir = ch_subdir
        self.channel = channel or None
        self.subdir = str(subdir).strip() if subdir else None
        if self.channel:
            comps["channel"] = self.channel
        if self.subdir:
            comps["subdir"] = self.subdir

        version = raw.get("version")
        self.version = None if version is None else VersionSpec(version if isinstance(version, VersionSpec) else str(version))
        if self.version is not None:
            comps["version"] = self.version
        build = raw.get("build")
        self.build = None if build is None else str(build).strip()
        if self.build is not None:
            comps["build"] = self.build
        if raw.keys() <= COMMON_FIELDS:  # nearly every dependency string: nothing more to look at
            for key in _OTHER_FIELDS:
                _set_slot(self, key, None)
            self._finish(comps)
            return
        bn = raw.get("build_number")
        self.build_number = None if bn is None else BuildNumberSpec(bn)
        if self.build_number is not None:
            comps["build_number"] = self.build_number

        for key in ("track_features", "features"):
            value = raw.get(key)
            items = None if value is None else tuple(sorted(feature_set(value)))
            setattr(self, key, items)
            if items is not None:
                comps[key] = items
        for key in ("url", "md5", "sha256", "fn"):
            value = raw.get(key)
            value = None if value is None else str(value).strip()
            setattr(self, key, value)
            if value is not None:
                comps[key] = value
        for key in ("license", "license_family"):
            value = raw.get(key)
            value = None if value is None else str(value).strip().lower()
            setattr(self, key, value)
            if value is not None:
                comps[key] = value
        when = raw.get("when")
        self.when = None if when is None else str(when).strip()
        if self.when is not None:
            if not self.when:
                raise spec_error(shown, "'when' value must not be empty")
            for atom in condition_atoms(self.when):
                if MatchSpec(atom).when is not None:
                    raise spec_error(shown, f"'when' specs cannot include inner 'when' fields: {self.when}")
            comps["when"] = self.when
        for key in ("extras", "flags"):
            value = raw.get(key)
            items = None if value is None else list_value(key, value, str(shown))
            setattr(self, key, items)
            if items is not None:
                comps[key] = items
        self._finish(comps)

    def _finish(self, comps: dict[str, Component]) -> None:
        self._components = comps
        # identity ignores constraints that match everything ('*/linux-64::x' == 'x[subdir=linux-64]')
        keys = sorted(comps, key=_FIELD_ORDER.__getitem__) if len(comps) > 1 else comps
        ident = tuple([(k, comps[k]) for k in keys if not matches_all(k, comps[k])])
        self._key = (ident, self.optional, self.target)
        self._hash = hash(self._key)
        self._checks = self._compile()

    # ---------------------------------------------------------------- matching
    def _compile(self) -> tuple[Check, ...]:
        return compile_checks(self, self._components.keys(), self._channel_config)

    def match(self, record: Any) -> bool:
        """Does ``record`` (a ``PackageRecord`` or a mapping of repodata fields) satisfy the spec?

        ``when`` and ``extras`` are not record properties: the solver evaluates them."""
        if record.__class__ is not PackageRecord and isinstance(record, Mapping):
            record = MappingRecord(record)
        name = self._exact_name
        if name is not None and record.name != name:
            return False
        for check in self._checks:  # noqa: SIM110 - a plain loop is faster than all() here
            if not check(record):
                return False
        return True

    __call__ = match

    # ---------------------------------------------------------------- views
    @property
    def exact_name(self) -> str | None:
        """The package name when it is exact (not ``*`` and not a glob): what the solver indexes by."""
        return self._exact_name

    @property
    def is_version_only(self) -> bool:
        """True when only the name and version constrain records (``when``/``extras`` are not record
        constraints): the solver can then decide matches per version instead of per record."""
        return all(k in ("name", "version", "when", "extras") or matches_all(k, v)
                   for k, v in self._components.items())

    @property
    def is_name_only(self) -> bool:
        return set(self._components) == {"name"} and self._exact_name is not None

    def components(self) -> dict[str, str]:
        """Each constraint as conda prints its matcher (for display and comparison)."""
        return components_text(self._components)

    def get(self, field: str, default: object = None) -> object:
        value = self._components.get(field)
        return default if value is None else value

    def __contains__(self, field: str) -> bool:
        return field in self._components

    def __str__(self) -> str:
        return canonical_str(self._components)

    def __repr__(self) -> str:
        extra = ", optional=True" if self.optional else ""
        if self.target:
            extra += f", target={self.target!r}"
        return f"MatchSpec({str(self)!r}{extra})"

    def conda_build_form(self) -> str:
        """``name version build`` as conda-build writes requirements."""
        return conda_build_form(self.name, self._components.get("version"), self.build)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MatchSpec):
            return self._key == other._key
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Callable[..., MatchSpec], tuple[str, bool, str | None, ChannelConfig | None]]:
        return (_rebuild, (str(self), self.optional, self.target, self._channel_config))

    # ---------------------------------------------------------------- merging
    @classmethod
    def merge(cls, specs: Iterable[MatchSpec | str]) -> list[MatchSpec]:
        """Combine specs for the same exact name into one (conda's ``MatchSpec.merge``); specs
        without an exact name are returned unchanged. Conflicting exact values raise
        ``InvalidMatchSpec`` (a ``ValueError``)."""
        parsed = sorted((s if isinstance(s, MatchSpec) else cls(s) for s in specs if s), key=str)
        groups: dict[tuple[str, bool], list[MatchSpec]] = {}
        loose: list[MatchSpec] = []
        for spec in parsed:
            if spec._exact_name is None:
                loose.append(spec)
            else:
                groups.setdefault((spec._exact_name, spec.optional), []).append(spec)
        merged: list[MatchSpec] = []
        for group in groups.values():
            targets = {s.target for s in group if s.target is not None}
            if len(targets) > 1:
                raise spec_error(", ".join(map(str, group)), "incompatible targets")
            result = group[0]
            for other in group[1:]:
                result = result._merge(other)
            merged.append(result)
        return merged + loose

    def _merge(self, other: MatchSpec) -> MatchSpec:
        a, b = self._components, other._components
        final: dict[str, Any] = {}  # the merged spec's keyword arguments
        try:
            for key in FIELD_NAMES:
                x, y = a.get(key), b.get(key)
                if x is None or y is None:
                    value = y if x is None else x
                    if value is not None:
                        final[key] = value
                elif x == y:
                    final[key] = x
                elif key == "version" and isinstance(x, VersionSpec) and isinstance(y, VersionSpec):
                    final[key] = x.merge(y)
                elif key in ("build", "channel", "subdir", "name"):
                    final[key] = merge_glob(str(x), str(y))
                else:
                    raise ValueError(f"incompatible {key}: {x!s} and {y!s}")
        except ValueError as e:
            raise spec_error(f"{self} & {other}", str(e)) from None
        for key in ("track_features", "features", "extras", "flags"):
            if key in final:
                final[key] = list(final[key])
        return MatchSpec(optional=self.optional, target=self.target or other.target,
                         channel_config=self._channel_config, **final)


# Building a spec from a string (parse, version spec, compiled checks) costs ~25 µs and the solver
# builds every dependency string of every candidate; instances are never changed once built, so the
# slot values of a string's spec are kept and copied into later specs of the same string.
_STATE_SLOTS = tuple(slot for slot in MatchSpec.__slots__ if slot != "original")
_OTHER_FIELDS = ("build_number", "track_features", "features", "url", "md5", "sha256", "fn", "license",
                 "license_family", "when", "extras", "flags")
_built: dict[str, tuple[object, ...]] = {}
_get_state = operator.attrgetter(*_STATE_SLOTS)
# The slots' own setters: calling them skips the attribute-name lookup of ``setattr`` (~40% of a copy).
_STATE_SETTERS: tuple[Callable[[MatchSpec, object], None], ...] = tuple(
    getattr(MatchSpec, slot).__set__ for slot in _STATE_SLOTS)
_FIELD_ORDER = {k: i for i, k in enumerate(FIELD_NAMES)}
_set_slot = object.__setattr__


def _rebuild(text: str, optional: bool, target: str | None, channel_config: ChannelConfig | None = None) -> MatchSpec:
    return MatchSpec(text, optional=optional, target=target, channel_config=channel_config)

