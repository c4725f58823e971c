"""Seeded generated requests for the solver benchmark (``benchmarks/solver.py``).

Three kinds, drawn per channel set from the channels' own records so that most are satisfiable and
some are not: ``popular`` (1–4 of the names most depended upon), ``versioned`` (one of them at an
existing ``major.minor``, plus others) and ``old-pin`` (an older interpreter, by version or by exact
build, with packages that need it: the case that used to backtrack for thousands of conflicts).
The same seed gives the same requests.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from naja.types.match_spec import spec_name

KINDS = ("popular", "versioned", "old-pin")


@dataclass(frozen=True)
class Request:
    rid: str
    channel_set: str  # a key of ``CHANNEL_SETS`` or "scale"
    specs: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class _Rec:
    name: str
    version: str
    build: str
    depends: tuple[str, ...]


def _records(dirs: Iterable[Path]) -> list[_Rec]:
    out = []
    for d in dirs:
        for sub in ("linux-64", "noarch"):
            path = d / sub / "repodata.json"
            if not path.exists():
                continue
            raw = json.loads(path.read_text())
            for group in (raw.get("packages", {}), raw.get("packages.conda", {})):
                for r in group.values():
                    out.append(_Rec(r["name"], r["version"], r.get("build", ""), tuple(r.get("depends", ()))))
    return out


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


class _Universe:
    """What one channel set offers: popular names, their versions, the python builds."""

    def __init__(self, recs: Sequence[_Rec]) -> None:
        self.versions: dict[str, list[str]] = {}
        self.pythons: list[tuple[str, str]] = []
        dependents: Counter[str] = Counter()
        needs_python: set[str] = set()
        for r in recs:
            self.versions.setdefault(r.name, []).append(r.version)
            if r.name == "python":
                self.pythons.append((r.version, r.build))
            for d in sorted({spec_name(x) for x in r.depends}):
                dependents[d] += 1
                if d == "python":
                    needs_python.add(r.name)
        skip = {"python", "pip", "setuptools", "wheel"}
        self.popular = [n for n, _ in dependents.most_common(400) if n in self.versions and n not in skip
                        and not n.startswith("_")][:150]
        self.python_users = [n for n in self.popular if n in needs_python] or self.popular
        self.pythons.sort()

    def request(self, rng: random.Random, kind: str) -> tuple[str, ...]:
        k = rng.randint(1, 4)
        if kind == "popular" or (not self.pythons and kind == "old-pin"):
            return tuple(rng.sample(self.popular, min(k, len(self.popular))))
        if kind == "versioned":
            name = rng.choice(self.popular)
            mm = _major_minor(rng.choice(self.versions[name]))
            others = rng.sample(self.popular, min(k - 1, len(self.popular)))
            return (f"{name}={mm}", *[o for o in others if o != name])
        # old-pin: an interpreter from the older half, by version or exact build
        version, build = rng.choice(self.pythons[: max(1, len(self.pythons) // 2)])
        pin = f"python =={version} {build}" if rng.random() < 0.5 else f"python={_major_minor(version)}"
        return (pin, *rng.sample(self.python_users, min(k, len(self.python_users))))


def generate(channel_sets: dict[str, Sequence[Path]], n: int, seed: int = 17,
             scale_share: float = 0.2) -> list[Request]:
    """``n`` requests spread over ``channel_sets`` (key -> channel directories, priority order) and
    the scale channel (``scale_share`` of them, drawn from the union of every set's records)."""
    rng = random.Random(seed)
    universes = {key: _Universe(_records(dirs)) for key, dirs in channel_sets.items()}
    union = _Universe(_records(sorted({d for dirs in channel_sets.values() for d in dirs})))
    n_scale = round(n * scale_share)
    keys = list(channel_sets)
    out: list[Request] = []
    for i in range(n):
        key = "scale" if i < n_scale else keys[(i - n_scale) % len(keys)]
        uni = union if key == "scale" else universes[key]
        kind = KINDS[i % len(KINDS)]
        specs = uni.request(rng, kind)
        out.append(Request(f"g{i:03d}-{key}-{kind}", key, specs, kind))
    return out
