"""The solver's view of the records: package names, their candidates in preference order, and the
candidates of each spec, all computed lazily (only names reachable from the request are ever looked
at) and cached for the duration of one solve.

Every candidate is a solver variable (an int). The candidates of one name get consecutive variables,
allocated when the name is first needed, in preference order: so the candidates of any spec are a
sorted sub-sequence of their name's range, which the search relies on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from naja.errors import InvalidSpec
from naja.solver._spec import MatchSpec, Version
from naja.types.archive import CONDA_EXT
from naja.types.records import PackageRecord
from naja.types.version import PARSED

_SPEC_FIELDS = ("build", "build_number", "channel", "subdir", "md5", "sha256", "fn", "url",
                "track_features", "license")


def spec_is_version_only(ms: MatchSpec) -> bool:
    """True when a spec constrains only name and version: its matches can be decided per version."""
    exact = getattr(ms, "is_version_only", None)
    if isinstance(exact, bool):
        return exact
    return all(getattr(ms, f, None) in (None, "", ()) for f in _SPEC_FIELDS)


def _tf_count(rec: PackageRecord) -> int:
    tf = rec.track_features
    if not tf:
        return 0
    return len(rec.track_features_list)


def _version_ranks(versions: list[Version]) -> list[int]:
    """Each version's rank among ``versions`` (equal versions, even written differently, share one):
    ints sort and compare much faster than ``Version`` objects."""
    by_text: dict[str, Version] = {}
    for v in versions:
        by_text.setdefault(v.text, v)
    rank: dict[str, int] = {}
    prev = None
    r = -1
    for v in sorted(by_text.values(), key=_version_key):
        if prev is None or v.key != prev:
            r += 1
            prev = v.key
        rank[v.text] = r
    return [rank[v.text] for v in versions]


def _feature_free_version(h: tuple[Version, bool]) -> tuple[bool, Version]:
    return (not h[1], h[0])


def _version_key(v: Version) -> tuple[Any, ...]:
    return v.key


class _NameInfo:
    """The records of one name, deduplicated, with their channel rank and strict-priority flag."""

    __slots__ = ("allowed", "by_version", "chan", "installed", "records", "versions")

    def __init__(self) -> None:
        self.records: list[PackageRecord] = []
        # Each record's parsed version, kept so candidates and their ordering do not look it up again.
        self.versions: list[Version] = []
        self.chan: list[int] = []
        self.allowed: list[bool] = []
        self.installed: list[bool] = []
        self.by_version: list[tuple[Version, list[PackageRecord]]] | None = None


class Pool:
    """Lazily built candidate lists for one solve (see the module docstring)."""

    def __init__(
        self,
        available: Iterable[PackageRecord],
        *,
        installed: Sequence[PackageRecord] = (),
        virtual_packages: Sequence[PackageRecord] = (),
        channels: Sequence[str] = (),
        channel_priority: str = "strict",
        favored: Iterable[str] = (),
        add_pip_as_python_dependency: bool = False,
    ) -> None:
        self.channel_priority = channel_priority
        self._add_pip = add_pip_as_python_dependency
        self._chan_rank: dict[str, int] = {c.rstrip("/"): i for i, c in enumerate(channels)}
        self._rank_of: dict[str, int] = {}  # ``_rank`` by the unnormalised channel string
        self._raw: dict[str, list[PackageRecord]] = {}
        for rec in available:
            if rec.name.startswith("__"):
                continue
            lst = self._raw.get(rec.name)
            if lst is None:
                self._raw[rec.name] = [rec]
            else:
                lst.append(rec)
        for rec in virtual_packages:
            self._raw.setdefault(rec.name, []).append(rec)
        self._installed: dict[str, PackageRecord] = {r.name: r for r in installed}
        self._favored = set(favored)
        self._infos: dict[str, _NameInfo] = {}
        # Variable 0 is the root (the request itself).
        self.records: list[PackageRecord | None] = [None]
        self.var_name: list[str] = ["<request>"]
        self.var_version: list[Version | None] = [None]
        self.var_allowed: list[bool] = [True]
        self.var_installed: list[bool] = [False]
        self.name_range: dict[str, tuple[int, int]] = {}
        self._specs: dict[str, MatchSpec] = {}
        self._matches: dict[str, tuple[int, ...]] = {}
        self._highest: dict[str, tuple[Version, bool] | None] = {}
        self._dep_names: dict[str, str | None] = {}

    # -- specs -------------------------------------------------------------------------------
    def spec(self, text: str) -> MatchSpec:
        """Parse a dependency string once per solve (raises ``InvalidSpec``)."""
        ms = self._specs.get(text)
        if ms is None:
            ms = self._specs[text] = MatchSpec(text)
        return ms

    def try_spec(self, text: str) -> MatchSpec | None:
        """Like ``spec`` but None for a dependency string that does not parse: a record carrying
        one can never be installed, rather than failing the whole solve."""
        try:
            return self.spec(text)
        except InvalidSpec:
            return None

    def depends(self, v: int) -> list[str]:
        """The dependencies of candidate v: python 2/3 gains ``pip`` when the task asks for it and
        the channels carry pip (as micromamba: a channel without pip keeps an installable python)."""
        # v is a candidate (>= 1): only the root's slot 0 holds None (no run-time check on this hot path)
        rec: PackageRecord = self.records[v]  # type: ignore[assignment]
        deps = rec.depends
        if self._add_pip and rec.name == "python" and rec.version[:2] in ("2.", "3.") and self.known_name(
                "pip") and not any(
                d == "pip" or d.startswith(("pip ", "pip=", "pip>", "pip<")) for d in deps):
            return [*deps, "pip"]
        return deps

    # -- names -------------------------------------------------------------------------------
    def _rank(self, channel: str) -> int:
        key = channel.rstrip("/")
        rank = self._chan_rank.get(key)
        if rank is None:
            rank = self._chan_rank[key] = len(self._chan_rank)
        return rank

    def _info(self, name: str) -> _NameInfo:
        info = self._infos.get(name)
        if info is None:
            info = self._infos[name] = self._build_info(name)
        return info

    def _build_info(self, name: str) -> _NameInfo:
        """``name``'s usable records (each build once, the ``.conda`` one preferred), their channel
        ranks and, under strict priority, which of them the top channel allows."""
        info = _NameInfo()
        records, versions, chan = info.records, info.versions, info.chan
        seen: dict[tuple[str, str, str, str], int] = {}
        ranks = self._rank_of  # by channel string as written: most records repeat a few of them
        parsed = PARSED
        for rec in self._raw.get(name, ()):
            ver = parsed.get(rec.version)
            if ver is None:
                try:
                    ver = Version(rec.version)
                except InvalidSpec:
                    continue  # a record with an unparseable version cannot take part
            key = (rec.channel, rec.subdir, rec.version, rec.build)
            prev = seen.get(key)
            if prev is not None:
                # The same build as .tar.bz2 and .conda: keep the .conda one.
                if rec.fn.endswith(CONDA_EXT) and not records[prev].fn.endswith(CONDA_EXT):
                    records[prev] = rec
                continue
            seen[key] = len(records)
            records.append(rec)
            versions.append(ver)
            rank = ranks.get(rec.channel)
            if rank is None:
                rank = ranks[rec.channel] = self._rank(rec.channel)
            chan.append(rank)
        info.installed = [False] * len(records)
        inst = self._installed.get(name)
        if inst is not None:
            self._add_installed(info, inst)
        if self.channel_priority == "strict" and records:
            ranks_ = [c for c, i in zip(chan, info.installed) if not i] or chan
            top = min(ranks_)
            info.allowed = [c == top or i for c, i in zip(chan, info.installed)]
        else:
            info.allowed = [True] * len(records)
        return info

    def _add_installed(self, info: _NameInfo, inst: PackageRecord) -> None:
        """Mark the installed build among the records (the one of its channel if several), or add it."""
        inst_idx = -1
        for i, rec in enumerate(info.records):
            if rec.version == inst.version and rec.build == inst.build and (
                inst_idx < 0 or rec.channel.rstrip("/") == inst.channel.rstrip("/")
            ):
                inst_idx = i
        if inst_idx >= 0:
            info.installed[inst_idx] = True
        else:
            info.records.append(inst)
            info.versions.append(Version(inst.version))
            info.chan.append(self._rank(inst.channel) if inst.channel else 1 << 30)
            info.installed.append(True)

    def known_name(self, name: str) -> bool:
        return bool(self._info(name).records)

    def candidates(self, name: str) -> tuple[int, int]:
        """The variable range of ``name``'s candidates (allocated on first use, preference order)."""
        rng = self.name_range.get(name)
        if rng is not None:
            return rng
        info = self._info(name)
        order = self._sorted_indices(name, info)
        start = len(self.records)
        recs, vers, allowed, installed = info.records, info.versions, info.allowed, info.installed
        self.records.extend([recs[i] for i in order])
        self.var_name.extend([name] * len(order))
        self.var_version.extend([vers[i] for i in order])
        self.var_allowed.extend([allowed[i] for i in order])
        self.var_installed.extend([installed[i] for i in order])
        rng = self.name_range[name] = (start, len(self.records))
        return rng

    def _sorted_indices(self, name: str, info: _NameInfo) -> list[int]:
        recs = info.records
        n = len(recs)
        if n <= 1:
            return list(range(n))
        favored = name in self._favored
        inst = info.installed
        chan = info.chan if self.channel_priority != "disabled" else [0] * n
        # Order keys as plain ints (a version's rank among the name's versions): the sorts and the
        # tie test below then compare in C, not through ``Version``'s methods.
        vrank = _version_ranks(info.versions)
        bn = [r.build_number for r in recs]
        ts = [r.timestamp_ms for r in recs]
        tfc = [_tf_count(r) for r in recs]
        fav = [0 if (favored and inst[i]) else 1 for i in range(n)]
        idx = list(range(n))
        idx.sort(key=lambda i: (vrank[i], bn[i], ts[i]), reverse=True)  # reverse keeps ties stable
        idx.sort(key=lambda i: (fav[i], chan[i], tfc[i]))  # features: none first, then fewest
        # conda's objective ranks a package's build number right after its version (and its
        # features): only builds tied on (favoured, channel, features, version, build number) are
        # told apart by their dependencies (newer versions allowed first), then by timestamp.
        tie = [(fav[i], chan[i], tfc[i], vrank[i], bn[i]) for i in idx]
        out: list[int] = []
        j = 0
        while j < n:
            k = j + 1
            head = tie[j]
            while k < n and tie[k] == head:
                k += 1
            run = idx[j:k]
            if len(run) > 1 and len({tuple(recs[i].depends) for i in run}) > 1:
                run = self._sort_by_dependencies(run, recs, ts)
            out.extend(run)
            j = k
        return out

    def dep_name(self, dep: str) -> str | None:
        """The package name of a dependency string (None if it does not parse), cached per solve."""
        names = self._dep_names
        if dep in names:
            return names[dep]
        ms = self.try_spec(dep)
        nm = names[dep] = None if ms is None else ms.name
        return nm

    def _sort_by_dependencies(self, run: list[int], recs: list[PackageRecord], ts: list[int]) -> list[int]:
        """Builds of one version and build number: the one whose dependencies allow newer versions first."""
        # Only names with a dependency string that some build lacks can tell the builds apart (a
        # dependency written the same way by every build cannot), and only if every build has them.
        dep_sets = [set(recs[i].depends) for i in run]
        common = set.intersection(*dep_sets)
        names = self._dep_names
        for ds in dep_sets:
            for dep in ds.difference(names):  # each string parsed once per solve
                self.dep_name(dep)
        differing = {nm for ds in dep_sets for dep in ds - common if (nm := names[dep]) is not None}
        if not differing:
            return run  # tied on everything but the timestamp: already newest first
        shared_set = differing.intersection(*[{names[d] for d in ds} for ds in dep_sets])
        if not shared_set:
            return run
        shared = sorted(shared_set)
        deps: dict[int, dict[str, list[str]]] = {}
        for i in run:
            by_name: dict[str, list[str]] = {}
            for dep in recs[i].depends:
                nm = names[dep]
                if nm is not None and nm in shared_set:
                    by_name.setdefault(nm, []).append(dep)
            deps[i] = by_name
        best = {i: tuple([self._best_allowed(deps[i][nm]) for nm in shared]) for i in run}
        first = best[run[0]]
        if all(best[i] == first for i in run):
            return run  # the dependencies allow the same versions: the timestamp order stands

        def cmp(a: int, b: int) -> int:
            for va, vb in zip(best[a], best[b]):
                if va is None or vb is None:
                    if va is None and vb is None:
                        continue
                    return 1 if va is None else -1
                if va[1] != vb[1]:
                    return 1 if va[1] else -1
                if va[0] != vb[0]:
                    return -1 if va[0] > vb[0] else 1
            return (ts[b] > ts[a]) - (ts[b] < ts[a])

        return sorted(run, key=functools.cmp_to_key(cmp))

    def _best_allowed(self, texts: list[str]) -> tuple[Version, bool] | None:
        """The best of the highest versions some dependency strings on one name allow (builds without
        features first): usually there is one string, whose answer is cached."""
        if len(texts) == 1:
            text = texts[0]
            highest = self._highest
            return highest[text] if text in highest else self.highest_version(text)
        hv = [h for h in map(self.highest_version, texts) if h is not None]
        return max(hv, key=_feature_free_version) if hv else None

    def _versions_desc(self, name: str) -> list[tuple[Version, list[PackageRecord]]]:
        info = self._info(name)
        if info.by_version is None:
            groups: dict[str, list[PackageRecord]] = {}
            for rec, ok in zip(info.records, info.allowed):
                if ok:
                    groups.setdefault(rec.version, []).append(rec)
            info.by_version = sorted(((Version(v), g) for v, g in groups.items()),
                                     key=lambda t: t[0], reverse=True)
        return info.by_version

    def highest_version(self, text: str) -> tuple[Version, bool] | None:
        """The highest version a dependency string allows (and whether that build has features)."""
        highest = self._highest
        if text in highest:
            return highest[text]
        ms = self.spec(text)  # callers only pass strings that parsed
        result = None
        vonly = spec_is_version_only(ms)
        for ver, group in self._versions_desc(ms.name):
            if vonly:
                if ms.version is None or ms.version.match(ver):
                    result = (ver, all(_tf_count(r) for r in group))
                    break
            else:
                hits = [r for r in group if ms.match(r)]
                if hits:
                    result = (ver, all(_tf_count(r) for r in hits))
                    break
        self._highest[text] = result
        return result

    # -- spec → candidates -------------------------------------------------------------------
    def matches(self, text: str, ms: MatchSpec | None = None) -> tuple[int, ...]:
        """Variables of the candidates matching a spec, in preference order (cached per string)."""
        hit = self._matches.get(text)
        if hit is not None:
            return hit
        if ms is None:
            ms = self.try_spec(text)
            if ms is None:
                self._matches[text] = ()
                return ()
        start, end = self.candidates(ms.name)
        strict = self.channel_priority == "strict" and not getattr(ms, "channel", None)
        allowed = self.var_allowed
        vs = ms.version
        out: list[int] = []
        if spec_is_version_only(ms):
            verdict: dict[Version, bool] = {}
            versions = self.var_version
            for v in range(start, end):
                if strict and not allowed[v]:
                    continue
                if vs is not None:
                    ver: Version = versions[v]  # type: ignore[assignment]  # a candidate's, never the root's
                    ok = verdict.get(ver)
                    if ok is None:
                        ok = verdict[ver] = vs.match(ver)
                    if not ok:
                        continue
                out.append(v)
        else:
            recs = self.records
            for v in range(start, end):
                if strict and not allowed[v]:
                    continue
                if ms.match(recs[v]):
                    out.append(v)
        result = self._matches[text] = tuple(out)
        return result

    # -- display -----------------------------------------------------------------------------
    def candidate(self, v: int) -> PackageRecord:
        """Candidate v's record (v >= 1: slot 0 is the root, which has none)."""
        rec = self.records[v]
        if rec is None:
            raise IndexError("variable 0 is the request, not a candidate")
        return rec

    def describe(self, v: int) -> str:
        rec = self.records[v]
        if rec is None:
            return "the request"
        return f"{rec.name} {rec.version} {rec.build}".rstrip()
