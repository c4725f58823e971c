"""Conda's version ordering (``VersionOrder`` in conda), parsed once per string and compared by key.

A version string is split into an epoch (``1!``), the version proper and an optional local part
(``+abc``); each part into segments at ``.``/``_`` (``-`` too when there is no ``_``); each segment
into runs of digits and non-digits. Numbers compare numerically, strings lexically (lower-cased),
strings sort before numbers, ``dev`` before every other string and ``post`` after every number.
Missing segments and components count as ``0``, so ``1.0 == 1.0.0``.

The solver sorts many thousands of versions, so each distinct string is parsed once (module-level
cache) and carries a precomputed sort key that Python's tuple comparison orders exactly like conda's
element-by-element comparison with zero padding.
"""

from __future__ import annotations

import re
from typing import Any

from naja.errors import InvalidVersion

__all__ = ["Version"]

_VALID = re.compile(r"^[*.+!_0-9a-z]+$")
_RUNS = re.compile(r"[0-9]+|[*]+|[^0-9*]+")
_INF = float("inf")
# The key of "nothing more" (infinite zero padding): above every string, below every number.
_TERM: tuple[int] = (1,)

Component = int | float | str
Segment = tuple[Component, ...]
Key = tuple[Any, ...]
"""An order key: nested tuples that Python compares exactly as conda compares versions."""

_cache: dict[str, Version] = {}
PARSED: dict[str, Version] = _cache
"""Versions parsed so far, by text: ``PARSED.get(text)`` is the cheapest lookup for hot loops."""


# Interning tables: versions share most segments ('0', '1', '2', ...), so parsed segments and their
# keys are shared objects; this keeps a few hundred thousand cached versions small and parses fast.
_segments: dict[str, Segment] = {}
_segment_keys: dict[Segment, Key] = {}
_elements: dict[Key, Key] = {}


def _segment_key(seg: Segment) -> Key:
    """Order key of one segment under zero padding.

    Zeros are folded into the element that follows them (a run of ``z`` zeros followed by a
    string sorts higher the longer the run; followed by a number, lower), trailing zeros vanish
    and a terminator stands for the infinite padding. Plain tuple comparison of two such keys then
    equals conda's ``zip_longest(..., fillvalue=0)`` comparison.
    """
    out: list[Key] = []
    zeros = 0
    for c in seg:
        if c.__class__ is str:
            out.append((0, zeros, c))
            zeros = 0
        elif c == 0:
            zeros += 1
        else:
            out.append((2, -zeros, c))
            zeros = 0
    out.append(_TERM)
    return tuple(out)


def _part_key(segments: tuple[Segment, ...]) -> Key:
    """Order key of a list of segments (missing segments are all-zero), same folding trick."""
    out: list[Key] = []
    zeros = 0
    for seg in segments:
        k = _segment_keys.get(seg)
        if k is None:
            k = _segment_keys[seg] = _segment_key(seg)
        if len(k) == 1:  # an all-zero segment
            zeros += 1
        else:
            # starting with a string puts a segment below an all-zero one
            element = (0, zeros, k) if k[0][0] == 0 else (2, -zeros, k)
            out.append(_elements.setdefault(element, element))
            zeros = 0
    out.append(_TERM)
    return tuple(out)


_NO_LOCAL_KEY: Key = (_TERM,)
_ZERO_PAIR: tuple[Segment, Segment] = ((0,), ())  # the implicit epoch


def _split_segment(text: str, original: str) -> Segment:
    return _segment_pair(text, original)[0]


def _segment_pair(text: str, original: str) -> tuple[Segment, Segment]:
    """``(segment, segment without trailing zeros)`` of one segment's text, interned."""
    pair = _pairs.get(text)
    if pair is None:
        seg = _segments.get(text)
        if seg is None:
            seg = _parse_segment(text, original)
            if len(_segments) < 100_000:
                _segments[text] = seg
        pair = (seg, strip_zeros(seg))
        if len(_pairs) < 100_000:
            _pairs[text] = pair
    return pair


_pairs: dict[str, tuple[Segment, Segment]] = {}
_part_keys: dict[tuple[Segment, ...], Key] = {}


def _parse_segment(text: str, original: str) -> Segment:
    runs = _RUNS.findall(text)
    if not runs:
        raise InvalidVersion(f"invalid version {original!r}: empty version component")
    comps: list[Component] = []
    if not text[0].isdigit():
        comps.append(0)  # keep numbers and strings in phase: '1.a1' == '1.0a1'
    for r in runs:
        if r.isdigit():
            comps.append(int(r))
        elif r == "post":
            comps.append(_INF)
        elif r == "dev":
            comps.append("DEV")  # upper case sorts before '_' and every lower-case string
        else:
            comps.append(r)
    return tuple(comps)


def _parse_plain(text: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]] | None:
    """``(segments, zero-stripped segments)`` of the usual ``1.2.3`` form (already normalized: digits
    and single inner dots), or None for anything else, which ``_parse`` handles in full."""
    if not text.replace(".", "").isdigit() or not text.isascii() or ".." in text or text[-1] == ".":
        return None
    get = _pairs.get
    pairs = [_ZERO_PAIR]
    for t in text.split("."):
        pair = get(t)
        if pair is None:
            pair = _segment_pair(t, text)
        pairs.append(pair)
    return tuple([p[0] for p in pairs]), tuple([p[1] for p in pairs])


def _parse(text: str) -> tuple[str, tuple[Segment, ...], tuple[Segment, ...]]:
    """``(normalized string, (epoch, *segments), local segments)``; raises ``InvalidVersion``."""
    if not isinstance(text, str):
        raise InvalidVersion(f"invalid version {text!r}: not a string")
    norm = text.strip().lower()
    if not norm:
        raise InvalidVersion(f"invalid version {text!r}: empty version string")
    if not _VALID.match(norm):
        if "-" in norm and "_" not in norm:
            norm = norm.replace("-", "_")  # dashes are separators when there are no underscores
        if not _VALID.match(norm):
            raise InvalidVersion(f"invalid version {text!r}: invalid character(s)")
    parts = norm.split("!")
    if len(parts) == 1:
        epoch = "0"
    elif len(parts) == 2:
        epoch = parts[0]
        if not epoch.isdigit():
            raise InvalidVersion(f"invalid version {text!r}: epoch must be an integer")
    else:
        raise InvalidVersion(f"invalid version {text!r}: duplicated epoch separator '!'")
    main_local = parts[-1].split("+")
    if len(main_local) > 2:
        raise InvalidVersion(f"invalid version {text!r}: duplicated local version separator '+'")
    main = main_local[0]
    if not main:
        raise InvalidVersion(f"invalid version {text!r}: missing version before '+'")
    local_texts = main_local[1].replace("_", ".").split(".") if len(main_local) == 2 else []
    if main[-1] == "_":
        # openssl-style trailing underscore ('1.0.1_' < '1.0.1a') stays on its segment
        main_texts = main[:-1].replace("_", ".").split(".")
        main_texts[-1] += "_"
    else:
        main_texts = main.replace("_", ".").split(".")
    version = tuple(_split_segment(t, text) for t in [epoch, *main_texts])
    local = tuple(_split_segment(t, text) for t in local_texts)
    return norm, version, local


def strip_zeros(seg: Segment) -> Segment:
    """A segment without its trailing zero components (``(1, 'a', 0)`` -> ``(1, 'a')``)."""
    end = len(seg)
    while end and seg[end - 1] == 0 and seg[end - 1].__class__ is int:
        end -= 1
    return seg if end == len(seg) else seg[:end]


def _seg_eq(a: Segment, b: Segment) -> bool:
    """Equality of two segments under zero padding."""
    if len(a) < len(b):
        a, b = b, a
    return all(c == (b[i] if i < len(b) else 0) for i, c in enumerate(a))


def _segs_eq(a: tuple[Segment, ...], b: tuple[Segment, ...]) -> bool:
    if len(a) < len(b):
        a, b = b, a
    return all(_seg_eq(s, b[i] if i < len(b) else ()) for i, s in enumerate(a))


class Version:
    """A conda version: hashable, totally ordered, ``str()`` is the normalized form.

    ``Version(text)`` returns a cached instance for a string seen before; passing a ``Version``
    returns it unchanged.
    """

    __slots__ = ("_hash", "epoch", "key", "local", "norm", "nsegs", "segments", "text")

    text: str
    norm: str
    epoch: int
    segments: tuple[Segment, ...]
    nsegs: tuple[Segment, ...]
    """``segments`` with trailing zeros stripped from each: tuple equality == padded equality."""
    local: tuple[Segment, ...]
    key: tuple[Key, Key]
    _hash: int

    def __new__(cls, text: str | Version) -> Version:
        if type(text) is Version:
            return text
        try:
            return _cache[text]  # type: ignore[index]  # a Version was returned above
        except KeyError:
            pass
        except TypeError:
            raise InvalidVersion(f"invalid version {text!r}: not a string") from None
        if not isinstance(text, str):
            raise InvalidVersion(f"invalid version {text!r}: not a string")
        plain = _parse_plain(text) if type(text) is str else None
        local: tuple[Segment, ...]
        if plain is not None:
            norm, local = text, ()
            version, nsegs = plain
        else:
            norm, version, local = _parse(text)
            nsegs = tuple(map(strip_zeros, version))
        self = object.__new__(cls)
        self.text = text
        self.norm = text if norm == text else norm
        self.epoch = version[0][0]  # type: ignore[assignment]  # the epoch segment is one int
        self.segments = version
        self.nsegs = nsegs
        self.local = local
        main_key = _part_keys.get(version)
        if main_key is None:
            main_key = _part_key(version)
            if len(_part_keys) < 200_000:
                _part_keys[version] = main_key
        self.key = (main_key, _part_key(local) if local else _NO_LOCAL_KEY)
        self._hash = hash(self.key)
        if len(_cache) < 1_000_000:
            _cache[text] = self
        return self

    def __reduce__(self) -> tuple[type[Version], tuple[str]]:
        return (Version, (self.text,))

    # --- representation -------------------------------------------------------------------
    def __str__(self) -> str:
        return self.norm

    def __repr__(self) -> str:
        return f"Version({self.norm!r})"

    @property
    def parts(self) -> list[list[Component]]:
        """conda's internal form: ``[[epoch], [seg...], ...]`` (``inf`` = post, ``'DEV'`` = dev)."""
        return [list(s) for s in self.segments]

    @property
    def local_parts(self) -> list[list[Component]]:
        return [list(s) for s in self.local]

    # --- ordering -------------------------------------------------------------------------
    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if other.__class__ is Version:
            return self.key == other.key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if other.__class__ is Version:
            return self.key != other.key
        return NotImplemented

    def __lt__(self, other: Version) -> bool:
        if other.__class__ is Version:
            return self.key < other.key
        return NotImplemented

    def __le__(self, other: Version) -> bool:
        if other.__class__ is Version:
            return self.key <= other.key
        return NotImplemented

    def __gt__(self, other: Version) -> bool:
        if other.__class__ is Version:
            return self.key > other.key
        return NotImplemented

    def __ge__(self, other: Version) -> bool:
        if other.__class__ is Version:
            return self.key >= other.key
        return NotImplemented

    # --- prefix matching ------------------------------------------------------------------
    def startswith(self, prefix: Version | str) -> bool:
        """conda's prefix test used by ``1.2.*`` and ``=1.2``: every segment of ``prefix`` but the
        last equals ours, and within the last one every component but the last equals ours, the
        last comparing equal (numbers) or as a string prefix (``1.0.1p1`` starts with ``1.0.1p``).
        With a local part in ``prefix`` the main versions must be equal and the test applies to
        the local parts."""
        other = Version(prefix)
        if other.local:
            if not _segs_eq(self.segments, other.segments):
                return False
            mine, theirs = self.local, other.local
        else:
            mine, theirs = self.segments, other.segments
        n = len(theirs) - 1
        if not _segs_eq(mine[:n], theirs[:n]):
            return False
        seg = mine[n] if len(mine) > n else ()
        last = theirs[n]
        m = len(last) - 1
        if not _seg_eq(seg[:m], last[:m]):
            return False
        mine_c = seg[m] if len(seg) > m else 0
        want = last[m]
        if want.__class__ is str:
            return mine_c.__class__ is str and mine_c.startswith(want)
        return mine_c == want

    def compatible_with(self, older: Version | str, level: int) -> bool:
        """``self >= older`` with the same epoch and the first ``level`` segments equal
        (libmamba's building block for ``~=``)."""
        other = Version(older)
        if self.epoch != other.epoch or self < other:
            return False
        mine, theirs = self.segments[1:], other.segments[1:]
        for i in range(level):
            a = mine[i] if i < len(mine) else ()
            b = theirs[i] if i < len(theirs) else ()
            if not _seg_eq(a, b):
                return False
        return True


def parse_version(text: str | Version) -> Version:
    """``Version(text)``; a function form for ``sorted(key=...)`` and ``map``."""
    return Version(text)
