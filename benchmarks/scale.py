"""The conda-forge-sized channel every scale benchmark shares, generated once into ``.naja-bench/scale``.

``../shared/tools/make_scale_channel.py`` writes ~461k linux-64 records (renamed copies of real
records, so real names reach exactly what they reach in the real data), as plain ``repodata.json``
(about a minute); later runs reuse the output. It is written to a temporary directory and renamed into place so an
interrupted run never leaves a half channel behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".naja-bench"
SCALE_DIR = BENCH_DIR / "scale"
SUBDIRS = ("linux-64", "noarch")


def shared_dir() -> Path:
    return Path(os.environ.get("NAJA_SHARED", REPO.parent / "shared"))


def scale_channel(records: int | None = None) -> Path:
    """The scale channel directory (``<dir>/linux-64/repodata.json``, ``<dir>/noarch/...``)."""
    if all((SCALE_DIR / s / "repodata.json").is_file() for s in SUBDIRS):
        return SCALE_DIR
    tool = shared_dir() / "tools" / "make_scale_channel.py"
    if not tool.is_file():
        raise SystemExit(f"error: {tool} not found (set NAJA_SHARED to the shared checkout)")
    BENCH_DIR.mkdir(exist_ok=True)
    tmp = BENCH_DIR / f"scale.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"generating the scale channel into {SCALE_DIR} (once)...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    # The tool also writes repodata.json.zst at zstd level 19 when zstandard imports: minutes of one
    # core for 186 MB that no benchmark reads. It runs with zstandard hidden instead.
    argv = [str(tool), str(tmp), *(["--records", str(records)] if records else [])]
    cmd = [sys.executable, "-c", "import runpy, sys; sys.modules['zstandard'] = None; "
           f"sys.argv = {argv!r}; runpy.run_path(sys.argv[0], run_name='__main__')"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(SCALE_DIR, ignore_errors=True)
    os.replace(tmp, SCALE_DIR)
    print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return SCALE_DIR
