"""Start-up of the ``naja`` console script from a non-editable install, against ``python -c pass``.

``python -m benchmarks startup [--runs N]``: installs naja (a copy, not editable; dependencies from
the running interpreter) into ``.naja-bench/site`` once per source change, then times (median of ``--runs``, default 21) a bare
interpreter, ``naja --version`` and ``naja create --dry-run`` of the README's example channel (a
small local channel), each a fresh process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / ".naja-bench" / "site"

#: the last run's medians in seconds: "python", "version", "dry_run" (wall) and the same with "_cpu"
LAST: dict[str, float] = {}


def _source_digest() -> str:
    h = hashlib.sha256()
    for path in sorted((REPO / "naja").rglob("*.py")):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


_SCRIPT = """import re
import sys
from naja.cli.main import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


def install() -> Path:
    """A non-editable install: the package copied into ``SITE``, byte-compiled, with the console
    script pip writes for ``[project.scripts]`` (reused while the sources are unchanged)."""
    stamp = SITE / ".digest"
    digest = _source_digest()
    script = SITE / "bin" / "naja"
    if script.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return script
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.copytree(REPO / "naja", SITE / "naja", ignore=shutil.ignore_patterns("__pycache__"))
    script.parent.mkdir(parents=True)
    script.write_text(_SCRIPT)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SITE / "naja")], check=True)
    stamp.write_text(digest)
    return script


def example_channel() -> Path:
    channel = REPO / "examples" / "channel"
    if not (channel / "noarch" / "repodata.json").is_file():
        subprocess.run([sys.executable, str(REPO / "examples" / "build_channel.py")], check=True,
                       stdout=subprocess.DEVNULL)
    return channel


def _time(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run: CPU time (user + system) is the steadier figure when other
    processes share the machine, wall time the one a user sees."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int = 21) -> dict[str, float]:
    script = install()
    channel = example_channel()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "NAJA"))}
    env["PYTHONPATH"] = str(SITE)
    work = REPO / ".naja-bench" / "startup"
    work.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(work)  # no user rc file
    cmds = {
        "python": [sys.executable, "-c", "pass"],
        "version": [sys.executable, str(script), "--version"],
        "dry_run": [sys.executable, str(script), "create", "--dry-run", "-p", str(work / "env"),
                    "--override-channels", "-c", channel.as_uri(), "hello", "greet"],
    }
    for cmd in cmds.values():  # warm the page cache and byte code
        _time(cmd, env, work)
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):  # interleaved, so that load on the machine hits every command alike
        for k, cmd in cmds.items():
            wall, cpu = _time(cmd, env, work)
            walls[k].append(wall)
            cpus[k].append(cpu)
    LAST.clear()
    LAST.update({k: statistics.median(v) for k, v in walls.items()})
    LAST.update({f"{k}_cpu": statistics.median(v) for k, v in cpus.items()})
    return dict(LAST)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks startup")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args(argv)
    m = measure(args.runs)
    base, cbase = m["python"], m["python_cpu"]
    print(f"median of {args.runs}: wall, ratio to python -c pass | CPU (user+system), ratio")
    for key, label in (("python", "python -c pass"), ("version", "naja --version"),
                       ("dry_run", "naja create --dry-run (example channel)")):
        print(f"{label:40} {m[key] * 1e3:7.1f} ms {m[key] / base:5.2f}x | "
              f"{m[key + '_cpu'] * 1e3:7.1f} ms {m[key + '_cpu'] / cbase:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
