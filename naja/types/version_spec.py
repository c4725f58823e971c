"""Conda version specs: ``1.2.*``, ``>=1.2,<2``, ``1.5|(>2,<3)``, ``!=1.7.*``, ``~=1.2.3``, ``^1\\.[23]$``.

Semantics follow conda's ``VersionSpec``: ``,`` (and) binds tighter than ``|`` (or), parentheses
group; a leaf is ``*`` (anything), a regex (``^...$``), an operator and a version (``=`` is a prefix
match, ``~=`` a compatible release), a glob with an inner ``*`` (matched as a regex against the
version string), a trailing-``*`` prefix match, or an exact version (``1.2`` means ``==1.2``).
``str()`` is conda's canonical form (conda flattens nested groups when printing, so does naja).

Specs are cached by string and compile to small closures over precomputed ``Version`` keys, because
the solver evaluates them for every candidate record.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import TypeAlias

from naja.errors import InvalidSpec, InvalidVersion
from naja.types.version import Key, Segment, Version, strip_zeros

__all__ = ["BuildNumberSpec", "VersionSpec"]

# A matcher takes the parsed version and the version string as given (regexes see the string).
Matcher = Callable[[Version, str], bool]
VersionKey: TypeAlias = "tuple[Key, Key]"
Compare: TypeAlias = "tuple[Callable[[VersionKey, VersionKey], bool], VersionKey]"
"""``(operator, version key)`` of one plain comparison, fused by ``_all_of``."""
Ident: TypeAlias = "str | tuple[str | Ident, ...]"
"""A spec's identity (canonical leaf text, or the operator and the children's identities)."""

_TOKENS = re.compile(r"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+")
_NEEDS_TREE = re.compile(r".*[()|,^$]")
_RELATION = re.compile(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")
_OPERATOR_START = frozenset("=<>!~")

_cache: dict[str, VersionSpec] = {}


def _err(text: str, why: str) -> InvalidSpec:
    return InvalidSpec(f"invalid version spec {text!r}: {why}")


# --- expression tree ----------------------------------------------------------------------------
Tree: TypeAlias = "str | tuple[Tree, ...]"  # a leaf string or ("|" or ",", *children)


def _treeify(text: str) -> Tree:
    """Parse ``,``/``|``/parentheses into a tree (``,`` binds tighter), fusing same operators."""
    output: list[Tree] = []
    stack: list[str] = []

    def reduce_until(stops: str) -> None:
        while stack and stack[-1] not in stops:
            if len(output) < 2:
                raise _err(text, "an operator is missing an operand")
            op = stack.pop()
            right = output.pop()
            left = output.pop()
            lparts = left[1:] if isinstance(left, tuple) and left[0] == op else (left,)
            rparts = right[1:] if isinstance(right, tuple) and right[0] == op else (right,)
            output.append((op, *lparts, *rparts))

    for raw in _TOKENS.findall(f"({text})"):
        tok = raw.strip()
        if tok == "|":
            reduce_until("(")
            stack.append("|")
        elif tok == ",":
            reduce_until("|(")
            stack.append(",")
        elif tok == "(":
            stack.append("(")
        elif tok == ")":
            reduce_until("(")
            if not stack:
                raise _err(text, "unbalanced ')'")
            stack.pop()
        else:
            output.append(tok)
    if stack:
        raise _err(text, "unbalanced '('")
    if len(output) != 1:
        raise _err(text, "cannot parse expression")
    return output[0]


# --- leaf matchers ------------------------------------------------------------------------------
def _always(v: Version, s: str) -> bool:
    return True


_COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
            ">": operator.gt, "<": operator.lt}


def _make_op(op: str, target: Version, text: str) -> Matcher:
    key = target.key
    if op == "==":
        return lambda v, s: v.key == key
    if op == "!=":
        return lambda v, s: v.key != key
    if op == ">=":
        return lambda v, s: v.key >= key
    if op == "<=":
        return lambda v, s: v.key <= key
    if op == ">":
        return lambda v, s: v.key > key
    if op == "<":
        return lambda v, s: v.key < key
    if op == "=":
        return _make_prefix(target)
    if op == "!=startswith":
        prefix = _make_prefix(target)
        return lambda v, s: not prefix(v, s)
    if op == "~=":
        return _make_compatible(target, text)
    raise _err(text, f"invalid operator {op!r}")


def _make_prefix(target: Version) -> Matcher:
    """``Version.startswith(target)`` specialised for one target, on the zero-stripped segments
    (plain tuple equality there is conda's zero-padded equality)."""
    if target.local:
        return lambda v, s: v.startswith(target)
    segs = target.segments
    n = len(segs) - 1
    head = target.nsegs[:n]
    last = segs[n]
    m = len(last) - 1
    last_head = strip_zeros(last[:m])
    want = last[m]
    want_is_str = want.__class__ is str
    empty: Segment = ()

    def prefix(v: Version, s: str) -> bool:
        ns = v.nsegs
        if len(ns) >= n:
            if ns[:n] != head:
                return False
        elif ns + (empty,) * (n - len(ns)) != head:
            return False
        mine = v.segments
        seg = mine[n] if len(mine) > n else empty
        if m and strip_zeros(seg[:m]) != last_head:
            return False
        c = seg[m] if len(seg) > m else 0
        if want_is_str:
            return isinstance(c, str) and isinstance(want, str) and c.startswith(want)
        return c == want

    return prefix


def _all_of(fns: tuple[Matcher, ...], compares: tuple[Compare, ...] | None = None) -> Matcher:
    if compares is not None and len(compares) == 2:
        # the common range '>=a,<b': both comparisons on the version key, one call
        (o1, k1), (o2, k2) = compares
        return lambda v, s: o1(v.key, k1) and o2(v.key, k2)
    if len(fns) == 2:
        f1, f2 = fns
        return lambda v, s: f1(v, s) and f2(v, s)
    if len(fns) == 3:
        f1, f2, f3 = fns
        return lambda v, s: f1(v, s) and f2(v, s) and f3(v, s)

    def every(v: Version, s: str) -> bool:
        for f in fns:  # noqa: SIM110 - faster than all() with a generator
            if not f(v, s):
                return False
        return True

    return every


def _any_of(fns: tuple[Matcher, ...]) -> Matcher:
    if len(fns) == 2:
        f1, f2 = fns
        return lambda v, s: f1(v, s) or f2(v, s)
    if len(fns) == 3:
        f1, f2, f3 = fns
        return lambda v, s: f1(v, s) or f2(v, s) or f3(v, s)

    def some(v: Version, s: str) -> bool:
        for f in fns:  # noqa: SIM110 - faster than any() with a generator
            if f(v, s):
                return True
        return False

    return some


def _make_compatible(target: Version, text: str) -> Matcher:
    """``~=1.2.3``: at least 1.2.3 and starting with 1.2 (conda drops the last dot-part of the
    written version; with a single part there is no prefix and conda fails when asked)."""
    key = target.key
    head = str(target).split(".")[:-1]
    prefix = Version(".".join(head)) if head else None

    def compatible(v: Version, s: str) -> bool:
        if v.key < key:
            return False
        if prefix is None:
            raise _err(text, "'~=' needs a version with at least two components")
        return v.startswith(prefix)

    return compatible


def _make_regex(pattern: str, text: str) -> Matcher:
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise _err(text, f"invalid regular expression ({e})") from None
    m = rx.match
    return lambda v, s: m(s) is not None


def _version(text: str, spec: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as e:
        raise InvalidSpec(f"invalid version spec {spec!r}: {e}") from None


def _leaf(text: str) -> tuple[str, Matcher, bool, bool, Compare | None]:
    """``(canonical string, matcher, is_exact, looks only at the string, (compare, key) or None)``."""
    if not text:
        raise _err(text, "empty version spec")
    if "'" in text or '"' in text:  # a stray quote from a bracket value: never part of a version
        raise _err(text, "unexpected quote character")
    if text[0] == "^" or text[-1] == "$":
        if text[0] != "^" or text[-1] != "$":
            raise _err(text, "regex specs must start with '^' and end with '$'")
        return text, _make_regex(text, text), False, True, None
    if text[0] in _OPERATOR_START:
        m = _RELATION.match(text)
        if m is None:
            raise _err(text, "invalid operator")
        op, vtext = m.groups()
        if vtext.endswith(".*"):
            if op == "!=":
                op = "!=startswith"
            elif op == "~=":
                raise _err(text, "'~=' cannot be combined with '.*'")
            vtext = vtext[:-2]  # conda ignores '.*' after other operators
        target = _version(vtext, text)
        compare = (_COMPARE[op], target.key) if op in _COMPARE else None
        return text, _make_op(op, target, text), op == "==", False, compare
    if not text.strip("*"):  # '*', and '**' (which would otherwise match nothing)
        return "*", _always, False, True, None
    if "*" in text.rstrip("*"):
        # glob with an inner '*': a regex over the version string
        rx = text.replace(".", r"\.").replace("+", r"\+").replace("*", r".*")
        return text, _make_regex(rf"^(?:{rx})$", text), False, True, None
    if text[-1] == "*":
        canon = text if text.endswith(".*") else text[:-1] + ".*"
        target = _version(canon.rstrip("*").rstrip("."), text)
        return canon, _make_prefix(target), False, False, None
    if "@" in text:
        return text, lambda v, s: s == text, True, True, None
    target = _version(text, text)
    key = target.key
    return text, lambda v, s: v.key == key, True, False, (operator.eq, key)


# --- the spec -----------------------------------------------------------------------------------
class VersionSpec:
    """A parsed version spec. ``match(version)`` takes a ``Version`` or a version string.

    Equality and hashing are structural (``1.7*`` equals ``1.7.*``); ``str()`` is conda's form.
    """

    __slots__ = ("_compare", "_exact", "_ident", "_match", "_string_only", "children", "op", "spec")

    spec: str
    children: tuple[VersionSpec, ...]
    op: str | None
    _compare: Compare | None
    _exact: bool
    _ident: Ident
    _match: Matcher
    _string_only: bool

    def __new__(cls, text: str | VersionSpec) -> VersionSpec:
        if isinstance(text, VersionSpec):
            return text
        if not isinstance(text, str):
            raise InvalidSpec(f"invalid version spec {text!r}: not a string")
        try:
            return _cache[text]
        except KeyError:
            pass
        self = object.__new__(cls)
        stripped = text.strip()
        tree: Tree = _treeify(stripped) if _NEEDS_TREE.match(stripped) else stripped
        self._init_tree(tree, text)
        if len(_cache) < 200_000:
            _cache[text] = self
        return self

    @classmethod
    def _from_tree(cls, tree: Tree, text: str) -> VersionSpec:
        if isinstance(tree, str):
            try:
                return cls(tree)
            except InvalidSpec as e:
                raise InvalidSpec(f"invalid version spec {text!r}: {e}") from None
        self = object.__new__(cls)
        self._init_tree(tree, text)
        return self

    def _init_tree(self, tree: Tree, text: str) -> None:
        if isinstance(tree, tuple):
            op = str(tree[0])  # "|" or ","; the children follow
            kids = tuple(VersionSpec._from_tree(t, text) for t in tree[1:])
            self.children = kids
            self.op = op
            self.spec = op.join(k.spec for k in kids)
            self._exact = False
            self._ident = (op, *(k._ident for k in kids))
            self._string_only = all(k._string_only for k in kids)
            fns = tuple(k._match for k in kids)
            self._compare = None
            compares = tuple(k._compare for k in kids if k._compare is not None)
            if op == "|":
                self._match = _any_of(fns)
            else:
                self._match = _all_of(fns, compares if len(compares) == len(kids) else None)
        else:
            self.children = ()
            self.op = None
            try:
                self.spec, self._match, self._exact, self._string_only, self._compare = _leaf(tree.strip())
            except InvalidSpec as e:
                if tree.strip() == text.strip():
                    raise
                raise InvalidSpec(f"invalid version spec {text!r}: {e}") from None
            self._ident = self.spec

    def match(self, version: Version | str) -> bool:
        """Does ``version`` satisfy this spec? (Invalid version strings raise ``InvalidVersion``
        unless only regexes look at them.)"""
        if version.__class__ is Version:
            return self._match(version, version.text)
        try:
            parsed = Version(version)
        except InvalidVersion:
            if self._string_only:  # regexes and '*' judge the text; conda parses nothing here either
                return self._match(None, version)  # type: ignore[arg-type]
            raise
        return self._match(parsed, version)  # type: ignore[arg-type]

    __call__ = match

    def is_exact(self) -> bool:
        """True for a single exact version (``1.2``, ``==1.2``)."""
        return self._exact

    @property
    def exact_value(self) -> str | None:
        return self.spec if self._exact else None

    @property
    def matches_all(self) -> bool:
        return self.spec == "*"

    def merge(self, other: VersionSpec | str) -> VersionSpec:
        """Both constraints (conda: the two strings sorted and joined with ``,``)."""
        other = VersionSpec(other)
        return VersionSpec(",".join(sorted((self.spec, other.spec))))

    def union(self, other: VersionSpec | str) -> str:
        other = VersionSpec(other)
        return "|".join(sorted({self.spec, other.spec}))

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"VersionSpec({self.spec!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VersionSpec):
            return self._ident == other._ident
        if isinstance(other, str):
            try:
                return self._ident == VersionSpec(other)._ident
            except InvalidSpec:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._ident)

    def __reduce__(self) -> tuple[type[VersionSpec], tuple[str]]:
        return (VersionSpec, (self.spec if self.op is None else _tree_text(self),))


def _tree_text(spec: VersionSpec) -> str:
    """A re-parseable text for a spec, keeping the parentheses conda's ``str()`` drops."""
    if spec.op is None:
        return spec.spec
    parts = [_tree_text(k) if k.op is None or k.op == spec.op or spec.op == "|" else f"({_tree_text(k)})"
             for k in spec.children]
    return spec.op.join(parts)


# --- build numbers ------------------------------------------------------------------------------
_bn_cache: dict[int | str, BuildNumberSpec] = {}


class BuildNumberSpec:
    """A build-number constraint: an int, ``*``, an operator (``>=3``) or a regex (conda's
    ``BuildNumberMatch``)."""

    __slots__ = ("_exact", "_match", "spec")

    spec: str
    _exact: int | None
    _match: Callable[[int], bool]

    def __new__(cls, value: int | str | BuildNumberSpec) -> BuildNumberSpec:
        if isinstance(value, BuildNumberSpec):
            return value
        try:
            return _bn_cache[value]
        except (KeyError, TypeError):
            pass
        self = object.__new__(cls)
        self._build(value)
        _bn_cache[value] = self
        return self

    def _build(self, value: int | str) -> None:
        number: int | None
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is not None and not isinstance(value, bool):
            self.spec = str(number)
            self._exact = number
            self._match = lambda n: n == number
            return
        text = str(value).strip()
        self._exact = None
        if not text:
            raise InvalidSpec(f"invalid build number spec {value!r}: empty")
        if text == "*":
            self.spec = text
            self._match = lambda n: True
        elif text[0] in "=<>!":
            m = _RELATION.match(text)
            if m is None:
                raise InvalidSpec(f"invalid build number spec {text!r}: invalid operator")
            op, vtext = m.groups()
            if op == "~=":
                raise InvalidSpec(f"invalid build number spec {text!r}: invalid operator")
            target = _version(vtext, text)
            vm = _make_op(op, target, text)
            self.spec = text
            self._match = lambda n: vm(Version(str(n)), str(n))
        elif text[0] == "^" or text[-1] == "$":
            if text[0] != "^" or text[-1] != "$":
                raise InvalidSpec(f"invalid build number spec {text!r}: regex must be ^...$")
            rm = _make_regex(text, text)
            self.spec = text
            self._match = lambda n: rm(None, str(n))  # type: ignore[arg-type]
        else:
            self.spec = text
            self._match = lambda n: str(n) == text

    def match(self, build_number: int | str | None) -> bool:
        return bool(self._match(int(build_number or 0)))

    @property
    def exact_value(self) -> int | None:
        return self._exact

    def merge(self, other: BuildNumberSpec | int | str) -> BuildNumberSpec:
        other = BuildNumberSpec(other)
        if other.spec != self.spec:
            raise ValueError(f"incompatible build numbers: {self.spec!r} and {other.spec!r}")
        return self

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"BuildNumberSpec({self.spec!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BuildNumberSpec):
            return self.spec == other.spec
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("bn", self.spec))

    def __reduce__(self) -> tuple[type[BuildNumberSpec], tuple[str]]:
        return (BuildNumberSpec, (self.spec,))
