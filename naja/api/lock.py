"""``naja lock``: solve environment files for several platforms and write a conda-lock v1 file.

Each platform is solved on its own, with that platform's repodata (plus ``noarch``) and its virtual
packages (``detect_virtual_packages`` gives defaults for a foreign platform, ``CONDA_OVERRIDE_*``
honoured), so one machine can lock for all of them. The file is the conda-lock tool's own format:
``naja create -f conda-lock.yml`` and ``conda-lock install`` both read it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from naja.api.context import Context
from naja.api.options import Options
from naja.errors import EnvironmentFileError, NajaError, UnsatisfiableError, first_line
from naja.progress import repodata_hook

if TYPE_CHECKING:
    from naja.types.records import PackageRecord

log = logging.getLogger(__name__)

DEFAULT_FILES = ("environment.yml", "environment.yaml")
DEFAULT_OUTPUT = "conda-lock.yml"


class LockJson(TypedDict):
    """``LockResult.to_json``'s shape (``naja lock --json``)."""

    success: bool
    lockfile: str
    channels: list[str]
    platforms: dict[str, list[str]]
    pip_skipped: list[str]


@dataclass
class LockResult:
    """What ``lock`` wrote: the lockfile path and, per platform, the locked records."""

    path: Path
    solutions: dict[str, list[PackageRecord]] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    pip_skipped: list[str] = field(default_factory=list)

    def to_json(self) -> LockJson:
        return {
            "success": True,
            "lockfile": str(self.path),
            "channels": self.channels,
            "platforms": {
                p: [f"{r.name}-{r.version}-{r.build}" for r in sorted(recs, key=lambda r: r.name)
                    if not r.name.startswith("__")]
                for p, recs in self.solutions.items()
            },
            "pip_skipped": self.pip_skipped,
        }


def lock(files: Sequence[str] = (), platforms: Sequence[str] = (), options: Options | None = None, *,
         output: str | Path | None = None) -> LockResult:
    """Solve ``files`` (environment.yml or spec lists) for each of ``platforms`` and write the lockfile.

    Nothing is written unless every platform solves: a package missing for one platform is an
    ``UnsatisfiableError`` naming that platform.
    """
    options = options or Options()
    context = Context.from_options(options)
    from naja.net.remote import localize

    paths = [Path(f) for f in localize([str(f) for f in files], context.http_options)] or _default_files()
    targets = _platforms(platforms, paths, context)
    out = Path(output) if output else Path(DEFAULT_OUTPUT)
    from naja.environment import files as env_files

    solutions: dict[str, list[PackageRecord]] = {}
    channel_names: list[str] = []
    pip_skipped: list[str] = []
    for platform in targets:
        spec = env_files.read_env_files(paths, platform=platform)
        if spec is None or spec.kind not in ("yaml", "specs"):
            raise EnvironmentFileError(
                "naja lock reads environment.yml files or spec lists, not @EXPLICIT or lock files")
        names = context.channel_names(spec.channels)
        for n in names:
            if n not in channel_names:
                channel_names.append(n)
        for p in spec.pip:
            if p not in pip_skipped:
                pip_skipped.append(p)
        solutions[platform] = _solve_platform(context, platform, spec.specs, spec.channels)
    from naja.environment import conda_lock as lockfile_mod
    from naja.types.url import redact_url as redact

    lockfile = lockfile_mod.build_lockfile(solutions, [redact(c) for c in channel_names],
                                           sources=[p.name for p in paths])
    if not options.dry_run:
        lockfile_mod.write_lockfile(lockfile, out)
    return LockResult(path=out, solutions=solutions, channels=channel_names, pip_skipped=pip_skipped)


def _default_files() -> list[Path]:
    for name in DEFAULT_FILES:
        if Path(name).is_file():
            return [Path(name)]
    raise EnvironmentFileError("no environment file: pass -f environment.yml")


def _platforms(given: Sequence[str], paths: Sequence[Path], context: Context) -> list[str]:
    """``-p`` platforms, else the ``platforms:`` key of the environment files, else this platform."""
    from naja.types import platform as platform_mod

    wanted = list(given) or _file_platforms(paths) or [context.platform]
    out: list[str] = []
    for p in wanted:
        try:
            subdir = str(platform_mod.Platform.parse(p))
        except NajaError:
            raise
        except Exception as exc:  # a platform layer that raises something else still reads as bad input
            raise EnvironmentFileError(f"unknown platform {p!r}: {exc}") from None
        if subdir == "noarch":
            raise EnvironmentFileError("cannot lock for noarch: name real platforms (noarch is always included)")
        if subdir not in out:
            out.append(subdir)
    return out


def _file_platforms(paths: Sequence[Path]) -> list[str]:
    """conda-lock's ``platforms:`` key of environment.yml (naja's reader ignores it otherwise)."""
    from ruamel.yaml.error import YAMLError

    from naja import safe_yaml

    found: list[str] = []
    for path in paths:
        if path.suffix.lower() not in (".yml", ".yaml"):
            continue
        try:
            data = safe_yaml.load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError):
            continue  # read_env_files reports it properly
        if isinstance(data, dict) and isinstance(data.get("platforms"), list):
            found += [str(p) for p in data["platforms"] if str(p) not in found]
    return found


def _solve_platform(context: Context, platform: str, specs: Sequence[str], file_channels: Sequence[str]
                    ) -> list[PackageRecord]:
    from naja import repodata, solver
    from naja import virtual_packages as vp
    from naja.api.pipeline import parse_specs
    from naja.types import platform as platform_mod

    match_specs = parse_specs(specs, context.channel_config)
    if not match_specs:
        raise EnvironmentFileError("nothing to lock: the environment file has no dependencies")
    channels = context.channels(list(file_channels))
    if not channels:
        raise NajaError("no channels configured: pass -c CHANNEL or list 'channels' in the environment file")
    available = repodata.load_records(channels, platform, match_specs, options=context.fetch_options,
                                      channel_config=context.channel_config, progress=repodata_hook())
    task = solver.SolverTask(
        specs=match_specs,
        available=available,
        virtual_packages=vp.detect_virtual_packages(platform_mod.Platform.parse(platform)),
        channel_priority=context.solve_options.channel_priority,
        channels=[c.base_url for c in channels],
    )
    try:
        solution = solver.solve(task)
    except UnsatisfiableError as exc:
        raise UnsatisfiableError(f"cannot lock for {platform}: {first_line(exc, 'unsatisfiable')}", exc.explanation, exc.data) from None
    log.info("locked %d packages for %s", len(solution), platform)
    return list(solution)
