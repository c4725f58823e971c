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

from naja.errors import InvalidSpec
from naja.solver._spec import MatchSpec, Version
from naja.types.archive import CONDA_EXT
from naja.types.records import PackageRecord

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


class _NameInfo:
    """The records of one name, deduplicated, with their channel rank and strict-priority flag."""

    __slots__ = ("allowed", "by_version", "chan", "installed", "records")

    def __init__(self) -> None:
        self.records: list[PackageRecord] = []
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
        if info is not None:
            return info
        info = _NameInfo()
        seen: dict[tuple[str, str, str, str], int] = {}
        inst = self._installed.get(name)
        inst_idx = -1
        for rec in self._raw.get(name, ()):
            try:
                Version(rec.version)
            except InvalidSpec:
                continue  # a record with an unparseable version cannot take part
            key = (rec.channel, rec.subdir, rec.version, rec.build)
            prev = seen.get(key)
            if prev is not None:
                # The same build as .tar.bz2 and .conda: keep the .conda one.
                if rec.fn.endswith(CONDA_EXT) and not info.records[prev].fn.endswith(CONDA_EXT):
                    info.records[prev] = rec
                continue
            seen[key] = len(info.records)
            info.records.append(rec)
            info.chan.append(self._rank(rec.channel))
            info.installed.append(False)
        if inst is not None:
            for i, rec in enumerate(info.records):
                if rec.version == inst.version and rec.build == inst.build and (
                    inst_idx < 0 or rec.channel.rstrip("/") == inst.channel.rstrip("/")
                ):
                    inst_idx = i
            if inst_idx >= 0:
                info.installed[inst_idx] = True
            else:
                info.records.append(inst)
                info.chan.append(self._rank(inst.channel) if inst.channel else 1 << 30)
                info.installed.append(True)
        if self.channel_priority == "strict" and info.records:
            ranks = [c for c, i in zip(info.chan, info.installed) if not i] or info.chan
            top = min(ranks)
            info.allowed = [c == top or i for c, i in zip(info.chan, info.installed)]
        else:
            info.allowed = [True] * len(info.records)
        self._infos[name] = info
        return info

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
        for i in order:
            rec = info.records[i]
            self.records.append(rec)
            self.var_name.append(name)
            self.var_version.append(Version(rec.version))
            self.var_allowed.append(info.allowed[i])
            self.var_installed.append(info.installed[i])
        rng = self.name_range[name] = (start, len(self.records))
        return rng

    def _sorted_indices(self, name: str, info: _NameInfo) -> list[int]:
        recs = info.records
        n = len(recs)
        if n <= 1:
            return list(range(n))
        favored = name in self._favored
        flexible = self.channel_priority != "disabled"
        vers = [Version(r.version) for r in recs]
        tfc = [_tf_count(r) for r in recs]
        ts = [r.timestamp_ms for r in recs]
        fav = [0 if (favored and info.installed[i]) else 1 for i in range(n)]
        chan = info.chan if flexible else [0] * n
        idx = list(range(n))
        idx.sort(key=ts.__getitem__, reverse=True)
        idx.sort(key=lambda i: recs[i].build_number, reverse=True)
        idx.sort(key=vers.__getitem__, reverse=True)
        idx.sort(key=lambda i: (fav[i], chan[i], tfc[i] > 0, tfc[i]))
        # conda's objective ranks a package's build number right after its version (and its
        # features): only builds tied on (favoured, channel, features, version, build number) are
        # told apart by their dependencies (newer versions allowed first), then by timestamp.
        bn = [r.build_number for r in recs]
        out: list[int] = []
        j = 0
        while j < n:
            k = j + 1
            head = idx[j]
            hkey = (fav[head], chan[head], tfc[head], vers[head], bn[head])
            while k < n and (fav[idx[k]], chan[idx[k]], tfc[idx[k]], vers[idx[k]], bn[idx[k]]) == hkey:
                k += 1
            run = idx[j:k]
            if len(run) > 1 and len({tuple(recs[i].depends) for i in run}) > 1:
                run = self._sort_by_dependencies(run, recs, ts)
            out.extend(run)
            j = k
        return out

    def _sort_by_dependencies(self, run: list[int], recs: list[PackageRecord], ts: list[int]) -> list[int]:
        """Builds of one version and build number: the one whose dependencies allow newer versions first."""
        # Only names with a dependency string that some build lacks can tell the builds apart (a
        # dependency written the same way by every build cannot), and only if every build has them.
        dep_sets = [set(recs[i].depends) for i in run]
        common = set.intersection(*dep_sets)
        name_of: dict[str, str | None] = {}  # each distinct string of the run parsed once
        for dep in set().union(*dep_sets):
            ms = self.try_spec(dep)
            name_of[dep] = None if ms is None else ms.name
        differing = {nm for ds in dep_sets for dep in ds - common if (nm := name_of[dep]) is not None}
        deps: dict[int, dict[str, list[str]]] = {}
        for i in run:
            d: dict[str, list[str]] = {}
            for dep in recs[i].depends:
                nm = name_of[dep]
                if nm is not None and nm in differing:
                    d.setdefault(nm, []).append(dep)
            deps[i] = d
        shared = sorted(nm for nm in differing if all(nm in d for d in deps.values()))
        best: dict[tuple[int, str], tuple[Version, bool] | None] = {}
        for i in run:
            for nm in shared:
                hv = [h for h in (self.highest_version(s) for s in deps[i][nm]) if h is not None]
                best[i, nm] = max(hv, key=lambda h: (not h[1], h[0])) if hv else None

        def cmp(a: int, b: int) -> int:
            for nm in shared:
                va, vb = best[a, nm], best[b, nm]
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
        if text in self._highest:
            return self._highest[text]
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
