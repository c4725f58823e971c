"""Matching records against a spec: every constraint is compiled once into a small check (exact-name
comparison first, globs precompiled to regexes, versions through the cached ``Version`` keys, channel
answers cached per record channel string), because ``MatchSpec.match`` is the solver's hot path.
Also conda's merge of two glob/exact values (``MatchSpec.merge``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from typing import TYPE_CHECKING, Any, Literal

from naja.errors import ChannelError, InvalidSpec
from naja.types.match_spec.parse import COMMON_FIELDS, feature_set
from naja.types.version import PARSED as _version_cache
from naja.types.version import Version
from naja.types.version_spec import BuildNumberSpec, VersionSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from naja.types.channel import Channel, ChannelConfig, MultiChannel
    from naja.types.match_spec import MatchSpec
    from naja.types.match_spec.parse import Component
    from naja.types.records import PackageRecord


# ============================================================================== channels
class ChannelMatcher:
    """Does a record's ``channel`` (a base URL, or sometimes a name) belong to the spec's channel?
    Answers are cached per record channel string: a repodata load has only a handful."""

    __slots__ = ("_cache", "_channel", "_config", "_regex", "text")

    def __init__(self, text: str, config: ChannelConfig | None = None) -> None:
        self.text = text
        self._config = config
        self._cache: dict[str, bool] = {}
        self._regex = None
        self._channel: Channel | MultiChannel | Literal[False] | None = None  # False: not a channel
        if text.startswith("^") and text.endswith("$"):
            self._regex = re.compile(text).match
        elif "*" in text:
            self._regex = re.compile("^(?:" + ".*".join(map(re.escape, text.split("*"))) + ")$").match

    def __call__(self, record_channel: str | None) -> bool:
        key = record_channel or ""
        try:
            return self._cache[key]
        except KeyError:
            pass
        result = self._compute(key)
        if len(self._cache) < 4096:
            self._cache[key] = result
        return result

    def _compute(self, value: str) -> bool:
        if not value:
            return False
        if value == self.text:
            return True
        from naja.types.channel import Channel

        if self._regex is not None:
            try:
                other = Channel.from_string(value, self._config)
            except (ChannelError, ValueError):
                return bool(self._regex(value))
            names = {value, getattr(other, "canonical_name", ""), getattr(other, "name", "")}
            return any(self._regex(n) for n in names if n)
        if self._channel is None:
            try:
                self._channel = Channel.from_string(self.text, self._config)
            except (ChannelError, ValueError):
                self._channel = False
        if self._channel is False:
            return False
        try:
            return bool(self._channel.matches(value, config=self._config))
        except (ChannelError, ValueError):
            return False


# ============================================================================== string matchers
def glob_matcher(pattern: str, lower: bool = False) -> Callable[[str], bool] | None:
    """A predicate for a glob (``py3*``) or ``^regex$``; None for a plain string (compare exactly)."""
    try:
        if pattern.startswith("^") and pattern.endswith("$"):
            rx = re.compile(pattern)
        elif "*" in pattern:
            if pattern.endswith("*") and pattern.count("*") == 1:
                prefix = pattern[:-1]
                if lower:
                    return lambda s: s.lower().startswith(prefix)
                return lambda s: s.startswith(prefix)
            rx = re.compile("^(?:" + ".*".join(map(re.escape, pattern.split("*"))) + ")$")
        else:
            return None
    except re.error as e:
        raise InvalidSpec(f"invalid regular expression {pattern!r}: {e}") from None
    m = rx.match
    if lower:
        return lambda s: m(s.lower()) is not None
    return lambda s: m(s) is not None


def is_pattern(value: str) -> bool:
    return "*" in value or (value.startswith("^") and value.endswith("$"))


def merge_glob(a: str, b: str) -> str:
    """conda's merge of two glob/exact strings: the stricter one, or a regex intersection."""
    if a == b:
        return a
    if not is_pattern(a) and is_pattern(b):
        a, b = b, a
    if not is_pattern(b):
        m = glob_matcher(a)
        if m is not None and m(b):
            return b
        raise ValueError(f"incompatible values {a!r} and {b!r}")
    if a.count("*") == b.count("*") == 1 and (a[0] == b[0] == "*" or a[-1] == b[-1] == "*"):
        sa, sb = a.strip("*"), b.strip("*")
        if sa in sb:
            return b
        if sb in sa:
            return a
        raise ValueError(f"incompatible values {a!r} and {b!r}")
    patterns = []
    for value in (a, b):
        if value.startswith("^") and value.endswith("$"):
            patterns.append(value[1:-1])
        else:
            patterns.append(re.escape(value).replace(r"\*", ".*"))
    return f"^(?={patterns[0]})(?:{patterns[1]})$"


def matches_all(key: str, value: Component) -> bool:
    """Whether a constraint matches every record (``*``): such constraints do not count for identity."""
    if key in ("channel", "subdir", "build"):
        return bool(value == "*")
    if key == "version":
        return isinstance(value, VersionSpec) and value.matches_all
    return False


# ============================================================================== record checks
Check = Callable[["PackageRecord | MappingRecord"], bool]
"""One compiled constraint of a spec, called with a record (``PackageRecord`` or a look-alike)."""


def _check_text(key: str, glob: Callable[[str], bool]) -> Check:
    return lambda r: glob(getattr(r, key))


def _check_version(spec: VersionSpec) -> Check:
    vmatch = spec._match
    vcache = _version_cache
    verdicts: dict[str, bool] = {}  # by version string: records share a few versions

    def version_ok(r: PackageRecord | MappingRecord) -> bool:
        s: str = r.version
        ok = verdicts.get(s)
        if ok is None:
            v = vcache.get(s)
            if v is None:
                v = Version(s)
            ok = vmatch(v, s)
            if len(verdicts) < 4096:
                verdicts[s] = ok
        return ok

    return version_ok


def _check_build(build: str) -> Check:
    if build.endswith("*") and build.count("*") == 1 and not build.startswith("^"):
        head = build[:-1]  # 'py36*', the usual build glob: one call less than glob_matcher's
        return lambda r: bool(r.build.startswith(head))
    glob = glob_matcher(build)
    if glob is not None:
        return lambda r: glob(r.build)
    return lambda r: bool(r.build == build)


def _check_build_number(bn: BuildNumberSpec) -> Check:
    return lambda r: bn.match(r.build_number)


def _check_exact_or_glob(key: str, value: str, lower: bool = False) -> Check:
    """``subdir``/``license``-like fields: a glob, or an exact (case-folded when ``lower``) value."""
    glob = glob_matcher(value, lower=lower)
    if glob is not None:
        return lambda r: glob(getattr(r, key, None) or "")
    if lower:
        return lambda r: (getattr(r, key, None) or "").lower() == value
    return lambda r: bool(getattr(r, key, None) == value)


def _check_equal(key: str, value: str) -> Check:
    return lambda r: bool(getattr(r, key, None) == value)


def _check_channel(cm: ChannelMatcher) -> Check:
    known = cm._cache

    def channel_ok(r: PackageRecord | MappingRecord) -> bool:
        ok = known.get(r.channel or "")
        return cm(r.channel) if ok is None else ok

    return channel_ok


def _check_features(key: str, want: frozenset[str]) -> Check:
    return lambda r: feature_set(getattr(r, key, None)) == want


def _check_flags(want: frozenset[str]) -> Check:
    return lambda r: want <= feature_set(getattr(r, "flags", None) or ())


def compile_checks(spec: MatchSpec, fields: Set[str], channel_config: ChannelConfig | None) -> tuple[Check, ...]:
    """The checks of ``spec``'s constraints, cheapest first; the exact name is not among them
    (``MatchSpec.match`` compares it before any check). ``fields``: the constrained fields;
    ``channel_config``: the channel settings the spec's channel is matched under."""
    checks: list[Check] = []
    if spec.name != "*" and spec.exact_name is None:
        glob = glob_matcher(spec.name, lower=True)
        if glob is not None:
            checks.append(_check_text("name", glob))
    if spec.version is not None and not spec.version.matches_all:
        checks.append(_check_version(spec.version))
    if spec.build is not None and spec.build != "*":
        checks.append(_check_build(spec.build))
    if spec.build_number is not None and spec.build_number.spec != "*":
        checks.append(_check_build_number(spec.build_number))
    if spec.subdir is not None and spec.subdir != "*":
        checks.append(_check_exact_or_glob("subdir", spec.subdir))
    if spec.channel is not None and spec.channel != "*":
        checks.append(_check_channel(ChannelMatcher(spec.channel, channel_config)))
    if fields <= COMMON_FIELDS:  # every field below is None
        return tuple(checks)
    for key in ("md5", "sha256", "url", "fn"):
        value = getattr(spec, key)
        if value is not None:
            checks.append(_check_equal(key, value))
    for key in ("license", "license_family"):
        value = getattr(spec, key)
        if value is not None:
            checks.append(_check_exact_or_glob(key, value, lower=True))
    for key in ("track_features", "features"):
        value = getattr(spec, key)
        if value is not None:
            checks.append(_check_features(key, frozenset(value)))
    if spec.flags is not None:
        checks.append(_check_flags(frozenset(spec.flags)))
    return tuple(checks)


class MappingRecord:
    """Attribute view of a repodata mapping, so mappings and ``PackageRecord`` share one code path."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping[str, object]) -> None:
        self._d = data

    def __getattr__(self, key: str) -> Any:
        value = self._d.get(key)
        if value is None and key in ("name", "version", "build", "subdir", "channel"):
            return ""
        if value is None and key == "build_number":
            return 0
        return value


