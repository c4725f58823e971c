"""Every row of docs/json.md checked against naja's --json output (issue 15.6).

The table is parsed, each scenario is run once through the console script (named ``micromamba``),
and each key path must be present (or, with ``!``, absent) in that scenario's document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import REPO
from tests.support.cli import example_channel as shared_example_channel
from tests.support.micromamba import install_micromamba, mm, path_env


def table_rows() -> list[tuple[str, str]]:
    rows = []
    for line in (REPO / "docs" / "json.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("scenario", "---") and not cells[0].startswith("-"):
            rows.append((cells[0], cells[1]))
    return rows


def resolve(doc: Any, path: str) -> list[Any]:
    """The values at ``path`` (``a.b``, ``a[]``, ``[].a`` for a top-level list); raises KeyError when a step is missing."""
    values = [doc]
    for step in path.split("."):
        each = step.endswith("[]")
        name = step[:-2] if each else step
        nxt = []
        for v in values:
            if name and (not isinstance(v, dict) or name not in v):
                raise KeyError(path)
            item = v[name] if name else v  # '[]' alone: the document itself is the list
            if each:
                if not isinstance(item, list) or not item:
                    raise KeyError(f"{path}: {name} is not a non-empty list")
                nxt.extend(item)
            else:
                nxt.append(item)
        values = nxt
    return values


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Any]:
    """scenario -> parsed JSON document."""
    tmp = tmp_path_factory.mktemp("json-shapes")
    channel = shared_example_channel(tmp_path_factory)
    bin_dir = install_micromamba(tmp / "bin")
    env = path_env(bin_dir, tmp / "root")
    ch = ["-c", str(channel), "--override-channels"]
    prefix = tmp / "e"

    def run(*args: Any, ok: bool = True) -> Any:
        proc = mm(bin_dir, *args, "--json", env=env)
        assert (proc.returncode == 0) == ok, proc.stderr
        return json.loads(proc.stdout)

    docs = {
        "create": run("create", "-p", prefix, *ch, "hello"),
        "create without specs": run("create", "-p", tmp / "empty"),
        "install, nothing to do": run("install", "-p", prefix, *ch, "hello"),
        "unsolvable create": run("create", "-p", tmp / "u", *ch, "nosuchpkg", ok=False),
        "list": run("list", "-p", prefix),
        "list --revisions": run("list", "-p", prefix, "--revisions"),
        "info": run("info", "-p", prefix),
        "info --base": run("info", "--base"),
        "env list": run("env", "list"),
        "config list": run("config", "list", "channels", "--rc-file", _rc(tmp, channel)),
        "repoquery depends": run("repoquery", "depends", "-p", prefix, "hello"),
        "repoquery search": run("repoquery", "search", *ch, "hello"),
    }
    docs["remove"] = run("remove", "-p", prefix, "hello")
    docs["list, pip entries"] = [p for p in run("list", "-p", _pip_env(tmp, env, bin_dir))
                                 if p["channel"] == "pypi"]
    return docs


def _pip_env(tmp: Path, env: dict[str, str], bin_dir: Path) -> Path:
    """An environment with conda's ``pip`` and one package pip installed (its ``*.dist-info``)."""
    from tests.support.packages import make_channel

    chan = make_channel(tmp / "pip-channel", [{"name": "pip", "version": "24.0", "noarch": "generic"}])
    prefix = tmp / "with-pip"
    assert mm(bin_dir, "create", "-y", "-p", prefix, "-c", chan.as_uri(), "pip", env=env).returncode == 0
    dist = prefix / "lib" / "python3.12" / "site-packages" / "requests-2.31.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\n")
    (dist / "INSTALLER").write_text("pip\n")
    return prefix


def _rc(tmp: Path, channel: Path) -> Path:
    rc = tmp / "rc.yaml"
    rc.write_text(f"channels: [{channel.as_uri()}]\n")
    return rc


ROWS = table_rows()


def test_table_is_complete():
    assert len(ROWS) > 60
    assert {s for s, _ in ROWS} >= {"create", "remove", "list", "info", "env list", "unsolvable create",
                                    "install, nothing to do", "repoquery depends", "config list"}


@pytest.mark.parametrize("scenario,key", ROWS, ids=[f"{s}:{k}" for s, k in ROWS])
def test_key(outputs, scenario, key):
    doc = outputs[scenario]
    if key.startswith("!"):
        with pytest.raises(KeyError):
            resolve(doc, key[1:])
        return
    values = resolve(doc, key)
    if key == "solver_problems[]":
        assert all(isinstance(v, str) and v for v in values)
    if key.endswith((".track_features", ".license")):
        assert all(isinstance(v, str) for v in values)
    if key.endswith(".timestamp"):
        assert all(isinstance(v, int) for v in values)
    if scenario.startswith("list") and key.endswith((".md5", ".sha256", ".url")):
        assert all(isinstance(v, str) for v in values)  # std::string in libmamba: "" when unknown


def test_pip_entry_values(outputs):
    """The values libmamba gives a pip package (``prefix_data.cpp``, ``list.cpp``)."""
    import platform
    import sys

    (entry,) = outputs["list, pip entries"]
    assert entry == {"name": "requests", "version": "2.31.0", "build_string": "pypi_0", "build_number": 0,
                     "channel": "pypi", "base_url": "https://pypi.org/", "url": "", "md5": "", "sha256": "",
                     "dist_name": "requests-2.31.0-pypi_0",
                     "platform": f"{sys.platform}-{platform.machine()}"}
