"""Reading a match spec string into its raw components, the way conda's ``_parse_spec_str`` does it
step by step: comment, package file or URL, bracket and legacy parenthesis sections,
``channel/subdir:namespace:`` prefix, name, version and build; plus the keys of conda's newer (CEP)
parser (``when=``, ``extras=``, ``flags=``). Also the checks and normalisations of single values
(names, channels, feature and list fields) that building a ``MatchSpec`` from parts shares, and
``spec_name``, the cheap name-only reading the solver and repodata loading use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import unquote

from naja.errors import ChannelError, InvalidMatchSpec, InvalidSpec
from naja.types.archive import PACKAGE_EXTENSIONS, strip_archive_suffix

if TYPE_CHECKING:
    from naja.types.channel import ChannelConfig
    from naja.types.version_spec import BuildNumberSpec, VersionSpec

# One constraint of a built spec (``MatchSpec._components``): text, the version or build-number spec,
# or the sorted items of a feature or list field.
Component: TypeAlias = "str | VersionSpec | BuildNumberSpec | tuple[str, ...]"
# A spec string read into its parts (``parse``): text values, and ``optional`` when the legacy
# ``(optional)`` suffix says so.
RawParts: TypeAlias = "dict[str, str | bool | None]"

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
FIELD_SET = frozenset(FIELD_NAMES)
LIST_FIELDS = frozenset(("extras", "flags"))
# the fields of nearly every dependency string: a spec with no other field skips the rest of the work
COMMON_FIELDS = frozenset(("name", "version", "build", "channel", "subdir"))
_NAME_INVALID = re.compile(r"[^a-z0-9_.\-*]")
# version and build, split the way conda does: the build follows a space or '=' that does not come
# right after an operator character, and contains no operator characters itself
_VERSION_BUILD = re.compile(r"^(.+?)(?:(?<![=!|,<>~])[ =]([^-=,|<>~]+?))?$")
_NAME_REST = re.compile(r"([^ =<>!~]+)?([><!=~ ].+)?")
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PATHLIKE = re.compile(r"^(?:[/~.\\]|[A-Za-z]:[/\\])")
_LEGACY_PARENS = re.compile(r"\(([\w\s,=.'\"-]*)\)\s*$")

_parse_cache: dict[str, RawParts] = {}


def spec_error(text: object, why: str) -> InvalidMatchSpec:
    """The one error of a spec that does not read: its text and why."""
    return InvalidMatchSpec(f"invalid match spec {text!r}: {why}")


# ============================================================================== channel handling
def _is_url_or_path(text: str) -> bool:
    return bool(_SCHEME.match(text) or _PATHLIKE.match(text))


def _known_subdirs() -> frozenset[str]:
    from naja.types.platform import KNOWN_SUBDIRS  # imported lazily: MatchSpec must stay cheap to import

    return frozenset(KNOWN_SUBDIRS)


def channel_parts(
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


# ============================================================================== field values
def feature_set(value: str | Iterable[str] | None) -> frozenset[str]:
    """``track_features``/``features`` as a set, from ``"a b"``, ``"a,b"`` or a list."""
    if not value:
        return frozenset()
    if isinstance(value, str):
        return frozenset(f for f in value.replace(",", " ").split() if f)
    return frozenset(f.strip() for f in value if f and f.strip())


def list_value(key: str, value: str | Iterable[object], spec: str) -> tuple[str, ...]:
    """``extras``/``flags``: ``a``, ``[a, b]``, ``['a', "b"]`` -> sorted unique items."""
    if not isinstance(value, str):
        items = [str(v).strip() for v in value]
    else:
        text = value.strip()
        if text.startswith("["):
            if not text.endswith("]") or text.count("[") != text.count("]"):
                raise spec_error(spec, f"{key!r} value has unbalanced brackets: {text}")
            text = text[1:-1]
        items = [i.strip() for i in text.split(",")]
        if items and items[-1] == "":
            items.pop()
        if any(not i for i in items):
            raise spec_error(spec, f"{key!r} list has an empty item: {text!r}")
    out = []
    for item in items:
        if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
            item = item[1:-1].strip()
        if not item:
            raise spec_error(spec, f"{key!r} list has an empty item")
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
                raise spec_error(spec, "unbalanced ']'")
            depth -= 1
            if depth == 0:
                groups.append((start, i))
    if depth:
        raise spec_error(spec, "unbalanced '[' (a bracket section must be closed)")
    if not groups:
        return text, None
    last_colons = text.rfind("::")
    own = [g for g in groups if g[0] > last_colons]
    if not own:
        return text, None
    if len(own) > 1:
        raise spec_error(spec, "multiple bracket sections are not allowed")
    s, e = own[0]
    if text[e + 1 :].strip():
        raise spec_error(spec, f"unexpected text after the bracket section: {text[e + 1 :].strip()!r}")
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
                    raise spec_error(spec, f"no key=value pairs in brackets (did you mean extras=[{content.strip()}]?)")
                raise spec_error(spec, "key-value mismatch in brackets; a key or a value is missing")
            raise spec_error(spec, f"unrecognized content in brackets: {junk!r}")
        value, j = _bracket_value(content, j)
        if not key or not value:
            raise spec_error(spec, "key-value mismatch in brackets; a key or a value is missing")
        if key in items:
            raise spec_error(spec, f"each key can only be given once: repeated {key!r}")
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


def condition_atoms(condition: str) -> list[str]:
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


def check_name(name: str, spec: str) -> str:
    lowered = name.lower()
    bad = _NAME_INVALID.findall(lowered)
    if bad:
        chars = "".join(dict.fromkeys(bad))
        raise spec_error(spec, f"package name {name!r} contains invalid characters ({chars})")
    if lowered != "*" and (lowered[0] in ".-" or ".." in lowered or "--" in lowered):
        raise spec_error(spec, f"invalid package name {name!r}")
    return lowered


def _url_parts(text: str, config: ChannelConfig | None) -> RawParts:
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
        stem = strip_archive_suffix(filename)
        try:
            name, version, build = stem.rsplit("-", 2)
        except ValueError:
            raise InvalidSpec(f"cannot read name-version-build from {filename!r}") from None
        channel, _ = channel_parts(parent, package_url=True, config=config)
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


def parse(text: str, config: ChannelConfig | None = None) -> RawParts:
    """Split a spec string into raw components (strings), conda's ``_parse_spec_str``; channel names
    are read under ``config`` (the default channel settings when None, the only parses cached)."""
    cached = _parse_cache.get(text) if config is None else None
    if cached is not None:
        return cached
    result = _parse_uncached(text, config)
    if config is None and len(_parse_cache) < 100_000:
        _parse_cache[text] = result
    return result


def _parse_uncached(text: str, config: ChannelConfig | None) -> RawParts:
    spec = text
    if spec.endswith("@") and "[" not in spec:  # legacy feature spec 'mkl@'
        feature = spec[:-1].strip()
        if not feature or not all(c.isalnum() or c in "_.+-" for c in feature):  # must round-trip
            raise InvalidMatchSpec(f"invalid match spec {text!r}: invalid feature name {feature!r}")
        return {"name": "*", "track_features": feature}
    if "#" in spec:
        spec = spec[: spec.index("#")]
    spec = spec.strip()
    if spec.endswith(PACKAGE_EXTENSIONS) and (_SCHEME.match(spec) or _PATHLIKE.match(spec) or "/" in spec):
        return _url_parts(spec, config)

    parens = _LEGACY_PARENS.search(spec)
    optional = False
    if parens and ("=" in parens.group(1) or "optional" in parens.group(1)):
        optional = "optional" in parens.group(1)
        spec = spec[: parens.start()]
    spec, bracket_text = _split_brackets(spec, text)
    brackets = _bracket_items(bracket_text, text) if bracket_text is not None else {}
    if bracket_text is not None and not brackets:
        raise spec_error(text, "empty bracket section")

    # channel(/subdir):namespace:name...
    pieces = spec.rsplit(":", 2)
    channel_text: str | None = None
    if len(pieces) == 3:
        channel_text, _namespace, spec = pieces
    elif len(pieces) == 2:
        _namespace, spec = pieces
    channel, subdir = channel_parts(channel_text, config=config)
    if "channel" in brackets:
        b_channel, b_subdir = channel_parts(brackets.pop("channel"), config=config)
        if b_channel:
            channel = b_channel
        if b_subdir:
            subdir = b_subdir
    if "subdir" in brackets:
        subdir = brackets.pop("subdir")

    m = _NAME_REST.match(spec)
    name, rest = m.groups() if m else (None, None)
    if name is None:
        raise spec_error(text, f"no package name found in {spec.strip()!r}")
    name = check_name(name, text)

    version = build = None
    rest = rest.strip() if rest else None
    if rest:
        if "[" in rest:
            raise spec_error(text, "multiple bracket sections are not allowed")
        vb = _VERSION_BUILD.match(rest)
        if vb:
            version, build = vb.groups()
            build = build.strip() if build else None
        else:
            version = rest
        version = version.replace(" ", "") if version else version
        if version:
            version = _sanitize_version(version, build)

    result: RawParts = {"name": name}
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
    unknown = set(brackets) - FIELD_SET
    if unknown:
        raise spec_error(text, f"cannot match on field(s): {', '.join(sorted(unknown))}")
    if "when" in brackets and not brackets["when"].strip():
        raise spec_error(text, "'when' value must not be empty")
    result.update(brackets)
    if optional:
        result["optional"] = True
    return result


# ============================================================================== the name alone
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
