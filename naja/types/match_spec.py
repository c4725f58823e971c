"""conda's MatchSpec: the query language for packages (``numpy >=1.8,<2``, ``conda-forge::numpy``,
``numpy=1.8.1=py27_0``, ``numpy[version='>=1.8',build_number=3]``, a package URL, ...).

Parsing follows conda's ``_parse_spec_str`` step by step (comment, package file or URL, bracket and
legacy parenthesis sections, ``channel/subdir:namespace:`` prefix, name, version and build), plus
the keys of conda's newer (CEP) parser: ``when=``, ``extras=`` and ``flags=``. ``str()`` is conda's
canonical form. ``match(record)`` is the solver's hot path: every constraint is compiled once into a
small check (exact-name comparison first, globs precompiled to regexes, versions through the cached
``Version`` keys, channel answers cached per record channel string).
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from naja.errors import ChannelError, InvalidMatchSpec, InvalidSpec
from naja.types.records import PackageRecord
from naja.types.version import PARSED as _version_cache
from naja.types.version import Version
from naja.types.version_spec import BuildNumberSpec, VersionSpec

if TYPE_CHECKING:
    from naja.types.channel import ChannelConfig

__all__ = ["MatchSpec"]

# Field order of the key=value part of the canonical string (conda's FIELD_NAMES, then the CEP keys).
FIELD_NAMES: tuple[str, ...] = (
    "channel",
    "subdir",
    "name",
    "version",
    "build",
    "build_number",
    "track_features",
    "features",
    "url",
    "md5",
    "sha256",
    "license",
    "license_family",
    "fn",
    "when",
    "extras",
    "flags",
)
_FIELD_SET = frozenset(FIELD_NAMES)
_LIST_FIELDS = frozenset(("extras", "flags"))
_PACKAGE_SUFFIXES = (".conda", ".tar.bz2")
_NAME_INVALID = re.compile(r"[^a-z0-9_.\-*]")
# version and build, split the way conda does: the build follows a space or '=' that does not come
# right after an operator character, and contains no operator characters itself
_VERSION_BUILD = re.compile(r"^(.+?)(?:(?<![=!|,<>~])[ =]([^-=,|<>~]+?))?$")
_NAME_REST = re.compile(r"([^ =<>!~]+)?([><!=~ ].+)?")
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PATHLIKE = re.compile(r"^(?:[/~.\\]|[A-Za-z]:[/\\])")
_LEGACY_PARENS = re.compile(r"\(([\w\s,=.'\"-]*)\)\s*$")

_parse_cache: dict[str, dict[str, Any]] = {}


def _plain_glob(v: str) -> bool:
    """Whether ``=<v without its trailing *>`` reads back as ``v`` (not for e.g. ``.*.*`` or ``1.*.*``)."""
    inner = v[:-2] if v.endswith(".*") else v[:-1] if v.endswith("*") else v
    if inner == "*":  # '*.*': conda writes '=*', which reads back as any version, as it means
        return True
    return bool(inner) and "*" not in inner and not inner.startswith(".")


def _quote(text: str) -> str:
    """A bracket value quoted so that it reads back (double quotes when it holds a single quote)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def _error(text: object, why: str) -> InvalidMatchSpec:
    return InvalidMatchSpec(f"invalid match spec {text!r}: {why}")


# ============================================================================== channel handling
def _is_url_or_path(text: str) -> bool:
    return bool(_SCHEME.match(text) or _PATHLIKE.match(text))


def _known_subdirs() -> frozenset[str]:
    from naja.types.platform import KNOWN_SUBDIRS  # imported lazily: MatchSpec must stay cheap to import

    return frozenset(KNOWN_SUBDIRS)


def _channel_parts(
    text: str | None, package_url: bool = False, config: ChannelConfig | None = None
) -> tuple[str | None, str | None]:
    """``(channel as conda prints it, subdir named by the channel text)``.

    Names become canonical names (``pkgs/main`` -> ``defaults``); URLs under the channel alias
    become names (``https://conda.anaconda.org/conda-forge`` -> ``conda-forge``), other URLs and
    paths stay (clean) URLs, including URLs of ``defaults`` members (except in a package URL,
    where conda names the multichannel); globs stay globs.
    """
    if text is None:
        return None, None
    text = text.strip()
    if not text:
        return None, None
    if "*" in text:
        head, _, tail = text.rpartition("/")
        if head and tail in _known_subdirs():
            return head, tail
        return text, None
    suffix = ""
    if text.endswith("]") and "[" in text:  # 'conda-forge[noarch]': kept as written, like conda
        suffix = text[text.rindex("[") :]
    from naja.types.channel import DEFAULT_CONFIG, Channel, MultiChannel

    config = DEFAULT_CONFIG if config is None else config
    try:
        channel = Channel.from_string(text, config)
    except (ChannelError, ValueError) as e:
        raise InvalidSpec(f"invalid channel {text!r}: {e}") from None
    platforms = getattr(channel, "platforms", None)
    subdir = platforms[0] if platforms and not suffix else None
    if isinstance(channel, MultiChannel):
        return channel.name + suffix, subdir
    if _is_url_or_path(text):
        canonical = channel.canonical_name
        if not package_url and canonical != channel.base_url and config.is_multichannel(canonical):
            return channel.base_url, subdir  # a URL naming a defaults member stays a URL
        return canonical, subdir
    return channel.canonical_name + suffix, subdir


class _ChannelMatcher:
    """Does a record's ``channel`` (a base URL, or sometimes a name) belong to the spec's channel?
    Answers are cached per record channel string: a repodata load has only a handful."""

    __slots__ = ("_cache", "_channel", "_config", "_regex", "text")

    def __init__(self, text: str, config: ChannelConfig | None = None) -> None:
        self.text = text
        self._config = config
        self._cache: dict[str, bool] = {}
        self._regex = None
        self._channel: Any = None
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
def _glob_matcher(pattern: str, lower: bool = False) -> Callable[[str], bool] | None:
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


def _is_pattern(value: str) -> bool:
    return "*" in value or (value.startswith("^") and value.endswith("$"))


def _merge_glob(a: str, b: str) -> str:
    """conda's merge of two glob/exact strings: the stricter one, or a regex intersection."""
    if a == b:
        return a
    if not _is_pattern(a) and _is_pattern(b):
        a, b = b, a
    if not _is_pattern(b):
        m = _glob_matcher(a)
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


def _matches_all(key: str, value: Any) -> bool:
    if key in ("channel", "subdir", "build"):
        return bool(value == "*")
    if key == "version":
        return bool(value.matches_all)
    return False


def _feature_set(value: Any) -> frozenset[str]:
    if not value:
        return frozenset()
    if isinstance(value, str):
        return frozenset(f for f in value.replace(",", " ").split() if f)
    return frozenset(f.strip() for f in value if f and f.strip())


def _list_value(key: str, value: Any, spec: str) -> tuple[str, ...]:
    """``extras``/``flags``: ``a``, ``[a, b]``, ``['a', "b"]`` -> sorted unique items."""
    if not isinstance(value, str):
        items = [str(v).strip() for v in value]
    else:
        text = value.strip()
        if text.startswith("["):
            if not text.endswith("]") or text.count("[") != text.count("]"):
                raise _error(spec, f"{key!r} value has unbalanced brackets: {text}")
            text = text[1:-1]
        items = [i.strip() for i in text.split(",")]
        if items and items[-1] == "":
            items.pop()
        if any(not i for i in items):
            raise _error(spec, f"{key!r} list has an empty item: {text!r}")
    out = []
    for item in items:
        if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
            item = item[1:-1].strip()
        if not item:
            raise _error(spec, f"{key!r} list has an empty item")
        out.append(item)
    return tuple(sorted(set(out)))


# ============================================================================== parsing
def _split_brackets(text: str, spec: str) -> tuple[str, str | None]:
    """``(text without the trailing [key=value] section, the section's content or None)``.

    Brackets nest (CEP ``when=python[version='>=3']``); a bracket group before ``::`` belongs to the
    channel (``conda-forge[noarch]::pkg``)."""
    groups: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "[":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "]":
            if depth == 0:
                raise _error(spec, "unbalanced ']'")
            depth -= 1
            if depth == 0:
                groups.append((start, i))
    if depth:
        raise _error(spec, "unbalanced '[' (a bracket section must be closed)")
    if not groups:
        return text, None
    last_colons = text.rfind("::")
    own = [g for g in groups if g[0] > last_colons]
    if not own:
        return text, None
    if len(own) > 1:
        raise _error(spec, "multiple bracket sections are not allowed")
    s, e = own[0]
    if text[e + 1 :].strip():
        raise _error(spec, f"unexpected text after the bracket section: {text[e + 1 :].strip()!r}")
    return text[:s], text[s + 1 : e]


def _bracket_items(content: str, spec: str) -> dict[str, str]:
    """Parse ``key=value`` pairs separated by commas and/or spaces; values may be quoted and may hold
    nested brackets. ``version<2`` (CEP) means ``version='<2'``."""
    items: dict[str, str] = {}
    i, n = 0, len(content)
    while True:
        while i < n and (content[i].isspace() or content[i] == ","):
            i += 1
        if i >= n:
            break
        m = _KEY.match(content, i)
        j = m.end() if m else i
        key = content[i:j]
        rest = content[j:]
        if key and rest.startswith("="):
            j += 1
        elif key == "version" and rest[:1] in ("<", ">", "!", "~"):
            pass  # CEP 'version<2': the operator is part of the value
        else:
            junk = content[i:].strip()
            if not items:
                if key and (j >= n or content[j] in ", \t") and not rest.strip(", \t").startswith("="):
                    raise _error(spec, f"no key=value pairs in brackets (did you mean extras=[{content.strip()}]?)")
                raise _error(spec, "key-value mismatch in brackets; a key or a value is missing")
            raise _error(spec, f"unrecognized content in brackets: {junk!r}")
        value, j = _bracket_value(content, j)
        if not key or not value:
            raise _error(spec, "key-value mismatch in brackets; a key or a value is missing")
        if key in items:
            raise _error(spec, f"each key can only be given once: repeated {key!r}")
        items[key] = value
        i = j
    return items


def _bracket_value(content: str, i: int) -> tuple[str, int]:
    n = len(content)
    if i < n and content[i] in "'\"":
        quote = content[i]
        depth = 0
        j = i + 1
        while j < n:
            ch = content[j]
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth = max(0, depth - 1)
            elif ch == quote and depth == 0:
                return content[i + 1 : j], j + 1
            j += 1
        return content[i + 1 :], n
    depth = 0
    j = i
    while j < n:
        ch = content[j]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and (ch == "," or ch.isspace()):
            break
        j += 1
    return content[i:j], j


def _condition_atoms(condition: str) -> list[str]:
    """The match specs inside a CEP ``when`` condition (``(__unix and python >=3.8) or __win``)."""
    chars = []
    depth = 0
    for ch in condition:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        chars.append(" " if depth == 0 and ch in "()" else ch)
    atoms = re.split(r"\s+(?:and|or)\s+", "".join(chars))
    return [a.strip() for a in atoms if a.strip()]


def _sanitize_version(version: str, build: str | None) -> str:
    """conda's normalisation of a version written after ``=``: ``=1.2`` -> ``1.2*`` (prefix match)
    when no build follows, ``==1.2`` -> ``1.2``; bare ``=``/``==`` pass through to fail later."""
    if version in ("==", "="):
        return version
    if not version.startswith("="):
        return version
    bare = version.lstrip("=")
    if version.startswith("==") and build is None:
        return bare
    if not any(c in bare for c in "=,|"):
        if build is None and not bare.endswith("*"):
            return bare + "*"
        return bare
    return version


def _check_name(name: str, spec: str) -> str:
    lowered = name.lower()
    bad = _NAME_INVALID.findall(lowered)
    if bad:
        chars = "".join(dict.fromkeys(bad))
        raise _error(spec, f"package name {name!r} contains invalid characters ({chars})")
    if lowered != "*" and (lowered[0] in ".-" or ".." in lowered or "--" in lowered):
        raise _error(spec, f"invalid package name {name!r}")
    return lowered


def _url_parts(text: str, config: ChannelConfig | None) -> dict[str, Any]:
    """A package file URL or path: name/version/build from the file name, channel/subdir from the
    directory when it ends in a subdir."""
    url = text
    if not _SCHEME.match(url):
        from pathlib import Path

        url = unquote(Path(os.path.abspath(os.path.expanduser(url))).as_uri())
    plain = unquote(url)
    directory, _, filename = plain.rpartition("/")
    parent, _, maybe_subdir = directory.rpartition("/")
    if parent and maybe_subdir in _known_subdirs() and not parent.endswith(":/"):
        stem = filename[: -len(".conda")] if filename.endswith(".conda") else filename[: -len(".tar.bz2")]
        try:
            name, version, build = stem.rsplit("-", 2)
        except ValueError:
            raise InvalidSpec(f"cannot read name-version-build from {filename!r}") from None
        channel, _ = _channel_parts(parent, package_url=True, config=config)
        return {
            "channel": channel,
            "subdir": maybe_subdir,
            "name": name,
            "version": version,
            "build": build,
            "fn": filename,
            "url": url,
        }
    return {"name": "*", "fn": filename, "url": url}


def _parse(text: str, config: ChannelConfig | None = None) -> dict[str, Any]:
    """Split a spec string into raw components (strings), conda's ``_parse_spec_str``; channel names
    are read under ``config`` (the default channel settings when None, the only parses cached)."""
    cached = _parse_cache.get(text) if config is None else None
    if cached is not None:
        return cached
    result = _parse_uncached(text, config)
    if config is None and len(_parse_cache) < 100_000:
        _parse_cache[text] = result
    return result


def _parse_uncached(text: str, config: ChannelConfig | None) -> dict[str, Any]:
    spec = text
    if spec.endswith("@") and "[" not in spec:  # legacy feature spec 'mkl@'
        feature = spec[:-1].strip()
        if not feature or not all(c.isalnum() or c in "_.+-" for c in feature):  # must round-trip
            raise InvalidMatchSpec(f"invalid match spec {text!r}: invalid feature name {feature!r}")
        return {"name": "*", "track_features": feature}
    if "#" in spec:
        spec = spec[: spec.index("#")]
    spec = spec.strip()
    if spec.endswith(_PACKAGE_SUFFIXES) and (_SCHEME.match(spec) or _PATHLIKE.match(spec) or "/" in spec):
        return _url_parts(spec, config)

    parens = _LEGACY_PARENS.search(spec)
    optional = False
    if parens and ("=" in parens.group(1) or "optional" in parens.group(1)):
        optional = "optional" in parens.group(1)
        spec = spec[: parens.start()]
    spec, bracket_text = _split_brackets(spec, text)
    brackets = _bracket_items(bracket_text, text) if bracket_text is not None else {}
    if bracket_text is not None and not brackets:
        raise _error(text, "empty bracket section")

    # channel(/subdir):namespace:name...
    pieces = spec.rsplit(":", 2)
    channel_text: str | None = None
    if len(pieces) == 3:
        channel_text, _namespace, spec = pieces
    elif len(pieces) == 2:
        _namespace, spec = pieces
    channel, subdir = _channel_parts(channel_text, config=config)
    if "channel" in brackets:
        b_channel, b_subdir = _channel_parts(brackets.pop("channel"), config=config)
        if b_channel:
            channel = b_channel
        if b_subdir:
            subdir = b_subdir
    if "subdir" in brackets:
        subdir = brackets.pop("subdir")

    m = _NAME_REST.match(spec)
    name, rest = m.groups() if m else (None, None)
    if name is None:
        raise _error(text, f"no package name found in {spec.strip()!r}")
    name = _check_name(name, text)

    version = build = None
    rest = rest.strip() if rest else None
    if rest:
        if "[" in rest:
            raise _error(text, "multiple bracket sections are not allowed")
        vb = _VERSION_BUILD.match(rest)
        if vb:
            version, build = vb.groups()
            build = build.strip() if build else None
        else:
            version = rest
        version = version.replace(" ", "") if version else version
        if version:
            version = _sanitize_version(version, build)

    result: dict[str, Any] = {"name": name}
    if channel is not None:
        result["channel"] = channel
    if subdir is not None:
        result["subdir"] = subdir
    if version is not None:
        result["version"] = version
    if build is not None:
        result["build"] = build
    brackets.pop("name", None)  # the name outside brackets always wins (conda warns)
    if "version" in brackets:
        brackets["version"] = _sanitize_version(brackets["version"], None)
    unknown = set(brackets) - _FIELD_SET
    if unknown:
        raise _error(text, f"cannot match on field(s): {', '.join(sorted(unknown))}")
    if "when" in brackets and not brackets["when"].strip():
        raise _error(text, "'when' value must not be empty")
    result.update(brackets)
    if optional:
        result["optional"] = True
    return result


# ============================================================================== record checks
Check = Callable[[Any], bool]
"""One compiled constraint of a spec, called with a record (``PackageRecord`` or a look-alike)."""


def _check_text(key: str, glob: Callable[[str], bool]) -> Check:
    return lambda r: glob(getattr(r, key))


def _check_version(spec: VersionSpec) -> Check:
    vmatch = spec._match
    vcache = _version_cache
    verdicts: dict[str, bool] = {}  # by version string: records share a few versions

    def version_ok(r: Any) -> bool:
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
        head = build[:-1]  # 'py36*', the usual build glob: one call less than _glob_matcher's
        return lambda r: bool(r.build.startswith(head))
    glob = _glob_matcher(build)
    if glob is not None:
        return lambda r: glob(r.build)
    return lambda r: bool(r.build == build)


def _check_build_number(bn: BuildNumberSpec) -> Check:
    return lambda r: bn.match(r.build_number)


def _check_exact_or_glob(key: str, value: str, lower: bool = False) -> Check:
    """``subdir``/``license``-like fields: a glob, or an exact (case-folded when ``lower``) value."""
    glob = _glob_matcher(value, lower=lower)
    if glob is not None:
        return lambda r: glob(getattr(r, key, None) or "")
    if lower:
        return lambda r: (getattr(r, key, None) or "").lower() == value
    return lambda r: bool(getattr(r, key, None) == value)


def _check_equal(key: str, value: str) -> Check:
    return lambda r: bool(getattr(r, key, None) == value)


def _check_channel(cm: _ChannelMatcher) -> Check:
    known = cm._cache

    def channel_ok(r: Any) -> bool:
        ok = known.get(r.channel or "")
        return cm(r.channel) if ok is None else ok

    return channel_ok


def _check_features(key: str, want: frozenset[str]) -> Check:
    return lambda r: _feature_set(getattr(r, key, None)) == want


def _check_flags(want: frozenset[str]) -> Check:
    return lambda r: want <= _feature_set(getattr(r, "flags", None) or ())


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
    _components: dict[str, Any]
    _checks: tuple[Check, ...]
    _exact_name: str | None
    _key: tuple[Any, ...]
    _hash: int

    def __init__(self, spec: str | MatchSpec | Mapping[str, Any] | None = None, *,
                 channel_config: ChannelConfig | None = None, **kwargs: Any) -> None:
        """``channel_config``: the user's channel settings (``channel_alias``, ``custom_channels``, …)
        under which a ``channel::`` part is named and matched; None means conda's defaults."""
        if isinstance(spec, MatchSpec) and channel_config is None:
            channel_config = spec._channel_config
        self._channel_config = channel_config
        if spec.__class__ is str and not kwargs and channel_config is None:
            state = _built.get(spec)
            if state is not None:  # the same string built before: copy its (immutable) result
                for slot, value in zip(_STATE_SLOTS, state):
                    _set_slot(self, slot, value)
                self.original = spec
                return
        original = spec if isinstance(spec, str) else None
        try:
            if isinstance(spec, MatchSpec):
                raw = dict(spec._components)
                raw.setdefault("optional", spec.optional)
                raw.setdefault("target", spec.target)
                original = spec.original
            elif isinstance(spec, str):
                raw = dict(_parse(spec, channel_config)) if spec.strip() else {}
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
            raise _error(shown, str(e)) from None
        self.original = original
        if spec.__class__ is str and not kwargs and channel_config is None and len(_built) < 100_000:
            _built[spec] = _get_state(self)

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_parts(cls, name: str | None = None, version: str | VersionSpec | None = None,
                   build: str | None = None, **fields: Any) -> MatchSpec:
        """Build a spec in code: ``MatchSpec.from_parts("numpy", ">=1.8", channel="conda-forge")``."""
        parts: dict[str, Any] = {
            k: v for k, v in (("name", name), ("version", version), ("build", build)) if v is not None
        }
        if name is not None and not str(name).strip():
            raise _error(name, "empty package name")
        parts.update({k: v for k, v in fields.items() if v is not None})
        return cls(**parts)

    def _build(self, raw: dict[str, Any], shown: object) -> None:
        self.optional = bool(raw.pop("optional", False))
        self.target = raw.pop("target", None)
        raw.pop("_original_spec_str", None)
        unknown = set(raw) - _FIELD_SET
        if unknown:
            raise _error(shown, f"cannot match on field(s): {', '.join(sorted(unknown))}")
        comps: dict[str, Any] = {}

        name = raw.get("name")
        if name is not None:
            name = str(name).strip()
            if not name:
                raise _error(shown, "empty package name")
            name = _check_name(name, str(shown))
            comps["name"] = name
        self.name = name or "*"
        self._exact_name = None if (name is None or _is_pattern(self.name)) else self.name

        channel, subdir = raw.get("channel"), raw.get("subdir")
        if channel is not None and not isinstance(channel, str):
            channel = str(getattr(channel, "canonical_name", channel))
        if channel is not None:
            channel, ch_subdir = _channel_parts(channel, config=self._channel_config)
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
        if raw.keys() <= _COMMON_FIELDS:  # nearly every dependency string: nothing more to look at
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
            items = None if value is None else tuple(sorted(_feature_set(value)))
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
                raise _error(shown, "'when' value must not be empty")
            for atom in _condition_atoms(self.when):
                if MatchSpec(atom).when is not None:
                    raise _error(shown, f"'when' specs cannot include inner 'when' fields: {self.when}")
            comps["when"] = self.when
        for key in ("extras", "flags"):
            value = raw.get(key)
            items = None if value is None else _list_value(key, value, str(shown))
            setattr(self, key, items)
            if items is not None:
                comps[key] = items
        self._finish(comps)

    def _finish(self, comps: dict[str, Any]) -> None:
        self._components = comps
        # identity ignores constraints that match everything ('*/linux-64::x' == 'x[subdir=linux-64]')
        keys = sorted(comps, key=_FIELD_ORDER.__getitem__) if len(comps) > 1 else comps
        ident = tuple([(k, comps[k]) for k in keys if not _matches_all(k, comps[k])])
        self._key = (ident, self.optional, self.target)
        self._hash = hash(self._key)
        self._checks = self._compile()

    # ---------------------------------------------------------------- matching
    def _compile(self) -> tuple[Check, ...]:
        checks: list[Check] = []
        if self.name != "*" and self._exact_name is None:
            glob = _glob_matcher(self.name, lower=True)
            if glob is not None:
                checks.append(_check_text("name", glob))
        if self.version is not None and not self.version.matches_all:
            checks.append(_check_version(self.version))
        if self.build is not None and self.build != "*":
            checks.append(_check_build(self.build))
        if self.build_number is not None and self.build_number.spec != "*":
            checks.append(_check_build_number(self.build_number))
        if self.subdir is not None and self.subdir != "*":
            checks.append(_check_exact_or_glob("subdir", self.subdir))
        if self.channel is not None and self.channel != "*":
            checks.append(_check_channel(_ChannelMatcher(self.channel, self._channel_config)))
        if self._components.keys() <= _COMMON_FIELDS:  # every field below is None
            return tuple(checks)
        for key in ("md5", "sha256", "url", "fn"):
            value = getattr(self, key)
            if value is not None:
                checks.append(_check_equal(key, value))
        for key in ("license", "license_family"):
            value = getattr(self, key)
            if value is not None:
                checks.append(_check_exact_or_glob(key, value, lower=True))
        for key in ("track_features", "features"):
            value = getattr(self, key)
            if value is not None:
                checks.append(_check_features(key, frozenset(value)))
        if self.flags is not None:
            checks.append(_check_flags(frozenset(self.flags)))
        return tuple(checks)

    def match(self, record: Any) -> bool:
        """Does ``record`` (a ``PackageRecord`` or a mapping of repodata fields) satisfy the spec?

        ``when`` and ``extras`` are not record properties: the solver evaluates them."""
        if record.__class__ is not PackageRecord and isinstance(record, Mapping):
            record = _MappingRecord(record)
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
        return all(k in ("name", "version", "when", "extras") or _matches_all(k, v)
                   for k, v in self._components.items())

    @property
    def is_name_only(self) -> bool:
        return set(self._components) == {"name"} and self._exact_name is not None

    def components(self) -> dict[str, str]:
        """Each constraint as conda prints its matcher (for display and comparison)."""
        out: dict[str, str] = {}
        for key, value in self._components.items():
            if key in ("track_features", "features"):
                out[key] = " ".join(value)
            elif key in _LIST_FIELDS:
                out[key] = repr(list(value))
            else:
                out[key] = str(value)
        return out

    def get(self, field: str, default: Any = None) -> Any:
        value = self._components.get(field)
        return default if value is None else value

    def __contains__(self, field: str) -> bool:
        return field in self._components

    def __str__(self) -> str:
        comps = self._components
        out: list[str] = []
        brackets: list[str] = []
        channel: str | None = comps.get("channel")
        channel_exact = channel is not None and not _is_pattern(channel)
        if channel is not None and channel_exact:
            out.append(channel)
        elif channel is not None and channel != "*":
            brackets.append(f"channel={channel}")
        subdir = comps.get("subdir")
        if subdir is not None:
            if channel_exact:
                out.append(f"/{subdir}")
            else:
                brackets.append(f"subdir={subdir}")
        name = comps.get("name", "*")
        out.append(f"::{name}" if out else name)

        version = comps.get("version")
        build = comps.get("build")
        version_exact = False
        if version is not None:
            v = str(version)
            if v == "*":
                pass
            elif any(c in v for c in "><$^|,@'\"[]# ") or not _plain_glob(v):  # inline, would not read back
                brackets.append(f"version={_quote(v)}")
            elif v[:2] in ("!=", "~="):
                if build is not None:
                    brackets.append(f"version={_quote(v)}")
                else:
                    out.append(v)
            elif v.endswith(".*"):
                out.append("=" + v[:-2])
            elif v.endswith("*"):
                out.append("=" + v[:-1])
            elif v.startswith("=="):
                out.append(v)
                version_exact = True
            else:
                out.append("==" + v)
                version_exact = True
        if build is not None:
            if any(c in build for c in "><$^|,'\"[]# "):
                brackets.append(f"build={_quote(build)}")
            elif "*" in build or not version_exact:
                brackets.append(f"build={build}")
            else:
                out.append("=" + build)

        skip = {"channel", "subdir", "name", "version", "build"}
        if "url" in comps and "fn" in comps:
            skip.add("fn")
        for key in FIELD_NAMES:
            if key in skip or key not in comps:
                continue
            if key == "url" and channel is not None:
                continue
            value = comps[key]
            if key in _LIST_FIELDS:
                brackets.append(f"{key}={list(value)!r}")
                continue
            text = " ".join(value) if key in ("track_features", "features") else str(value)
            if any(c in text for c in ", ="):
                brackets.append(f"{key}='{text}'")
            else:
                brackets.append(f"{key}={text}")
        if brackets:
            out.append("[" + ",".join(brackets) + "]")
        return "".join(out)

    def __repr__(self) -> str:
        extra = ", optional=True" if self.optional else ""
        if self.target:
            extra += f", target={self.target!r}"
        return f"MatchSpec({str(self)!r}{extra})"

    def conda_build_form(self) -> str:
        """``name version build`` as conda-build writes requirements."""
        parts = [self.name]
        version = self._components.get("version")
        if self.build is not None:
            parts += [str(version) if version is not None else "*", self.build]
        elif version is not None:
            parts.append(str(version))
        return " ".join(parts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MatchSpec):
            return self._key == other._key
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (str(self), self.optional, self.target, self._channel_config))

    # ---------------------------------------------------------------- merging
    @classmethod
    def merge(cls, specs: Iterable[MatchSpec | str]) -> list[MatchSpec]:
        """Combine specs for the same exact name into one (conda's ``MatchSpec.merge``); specs
        without an exact name are returned unchanged. Conflicting exact values raise
        ``InvalidMatchSpec`` (a ``ValueError``)."""
        parsed = sorted((s if isinstance(s, MatchSpec) else cls(s) for s in specs if s), key=str)
        groups: dict[tuple[Any, ...], list[MatchSpec]] = {}
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
                raise _error(", ".join(map(str, group)), "incompatible targets")
            result = group[0]
            for other in group[1:]:
                result = result._merge(other)
            merged.append(result)
        return merged + loose

    def _merge(self, other: MatchSpec) -> MatchSpec:
        a, b = self._components, other._components
        final: dict[str, Any] = {}
        try:
            for key in FIELD_NAMES:
                x, y = a.get(key), b.get(key)
                if x is None or y is None:
                    value = y if x is None else x
                    if value is not None:
                        final[key] = value
                elif x == y:
                    final[key] = x
                elif key == "version":
                    final[key] = x.merge(y)
                elif key in ("build", "channel", "subdir", "name"):
                    final[key] = _merge_glob(str(x), str(y))
                else:
                    raise ValueError(f"incompatible {key}: {x!s} and {y!s}")
        except ValueError as e:
            raise _error(f"{self} & {other}", str(e)) from None
        for key in ("track_features", "features", "extras", "flags"):
            if key in final:
                final[key] = list(final[key])
        return MatchSpec(optional=self.optional, target=self.target or other.target,
                         channel_config=self._channel_config, **final)


# Building a spec from a string (parse, version spec, compiled checks) costs ~25 µs and the solver
# builds every dependency string of every candidate; instances are never changed once built, so the
# slot values of a string's spec are kept and copied into later specs of the same string.
_STATE_SLOTS = tuple(slot for slot in MatchSpec.__slots__ if slot != "original")
_COMMON_FIELDS = frozenset(("name", "version", "build", "channel", "subdir"))
_OTHER_FIELDS = ("build_number", "track_features", "features", "url", "md5", "sha256", "fn", "license",
                 "license_family", "when", "extras", "flags")
_built: dict[str, tuple[Any, ...]] = {}
_get_state = operator.attrgetter(*_STATE_SLOTS)
_FIELD_ORDER = {k: i for i, k in enumerate(FIELD_NAMES)}
_set_slot = object.__setattr__


def _rebuild(text: str, optional: bool, target: Any, channel_config: ChannelConfig | None = None) -> MatchSpec:
    return MatchSpec(text, optional=optional, target=target, channel_config=channel_config)


class _MappingRecord:
    """Attribute view of a repodata mapping, so mappings and ``PackageRecord`` share one code path."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._d = data

    def __getattr__(self, key: str) -> Any:
        value = self._d.get(key)
        if value is None and key in ("name", "version", "build", "subdir", "channel"):
            return ""
        if value is None and key == "build_number":
            return 0
        return value


_NAME_END = re.compile(r"[\s<>=!~\[\](),;|@]")
_spec_names: dict[str, str] = {}


def spec_name(spec: str) -> str:
    """The package name a spec or dependency string is about, lower-cased, without building a
    ``MatchSpec`` (repodata's ``depends`` repeat the same strings many times, so it is cached):
    ``numpy >=1.2``, ``numpy 1.2``, ``conda-forge::numpy`` and ``numpy[version='>=1']`` give
    ``numpy``; a glob stays a glob (``py*``)."""
    name = _spec_names.get(spec)
    if name is None:
        text = spec.strip()
        bracket = text.find("[")
        channel_end = text[: bracket if bracket >= 0 else len(text)].split(" ", 1)[0].rfind("::")
        if channel_end >= 0:
            text = text[channel_end + 2 :]
        m = _NAME_END.search(text)
        name = (text[: m.start()] if m else text).strip().lower()
        if len(_spec_names) < 500_000:
            _spec_names[spec] = name
    return name
