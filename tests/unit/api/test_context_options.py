"""``Context`` turns the configuration into the typed options each layer gets, once per command
(issue 14): the repodata layer, the package cache, the linker and the solver never see ``Config``."""

from __future__ import annotations

from pathlib import Path

import pytest

from naja.api.context import Context
from naja.api.options import Options
from naja.repodata import load_records
from tests.unit.repodata.test_fetch import names, rec, simple_channel
from tests.unit.repodata.test_shards import write_sharded

SHARD_INDEX = "repodata_shards.msgpack.zst"


def _context(tmp_path: Path, rc_text: str, **options: object) -> Context:
    rc = tmp_path / "condarc"
    rc.write_text(f"pkgs_dirs: [{tmp_path / 'pkgs'}]\n" + rc_text)
    return Context.from_options(Options(rc_files=(str(rc),), no_env=True, **options))  # type: ignore[arg-type]


def test_every_layer_gets_its_options_from_the_configuration(tmp_path):
    context = _context(tmp_path, "local_repodata_ttl: 7\nrepodata_use_zst: false\nuse_sharded_repodata: false\n"
                       "repodata_max_bytes: 4096\nremote_read_timeout_secs: 2.5\nremote_max_retries: 1\n"
                       "download_threads: 3\nextract_threads: 0\noffline: true\nsafety_checks: enabled\n"
                       "extra_safety_checks: true\nalways_softlink: true\ncompile_pyc: false\n"
                       "channel_priority: strict\npinned_packages: [numpy <2]\n"
                       "add_pip_as_python_dependency: false\n")
    fetch = context.fetch_options
    assert (fetch.cache_dir, fetch.ttl, fetch.use_zst, fetch.use_shards, fetch.offline) == \
        (tmp_path / "pkgs" / "cache", 7, False, False, True)
    assert fetch.http is context.http_options and fetch.http.max_bytes == 4096
    assert (fetch.http.net.read_timeout, fetch.http.net.retries) == (2.5, 1)
    cache = context.cache_options
    assert (cache.pkgs_dirs, cache.download_threads, cache.extract_threads, cache.offline) == \
        ((tmp_path / "pkgs",), 3, None, True)
    assert (cache.safety.mode, cache.safety.extra) == ("enabled", True)
    from naja.package.cache import PackageCache

    # one set of connection pools per run, built on the first download
    assert PackageCache.from_options(cache).downloader.net is context.config.network is fetch.http.net
    link = context.link_options
    assert (link.always_copy, link.always_softlink, link.compile_pyc) == (False, True, False)
    solve = context.solve_options
    assert (solve.channel_priority, solve.pinned_packages, solve.add_pip_as_python_dependency, solve.pin_python) \
        == ("strict", ("numpy <2",), False, True)
    assert context.fetch_options is fetch  # built once


def test_command_line_options_outrank_the_configuration(tmp_path):
    context = _context(tmp_path, "pinned_packages: [numpy <2]\nchannel_priority: strict\n", no_pin=True,
                       no_py_pin=True, always_copy=True, channel_priority="disabled", offline=True)
    assert context.solve_options.pinned_packages == () and not context.solve_options.pin_python
    assert context.solve_options.channel_priority == "disabled"
    assert context.link_options.always_copy
    assert context.fetch_options.offline and context.cache_options.offline


def _channel_with_json_and_shards(root: Path) -> Path:
    simple_channel(root)
    write_sharded(root, "linux-64", [rec("a", depends=["b >=1"]), rec("b"), rec("c")])
    write_sharded(root, "noarch", [rec("d", subdir="noarch")])
    return root


@pytest.mark.parametrize("enabled", [True, False])
def test_use_sharded_repodata_decides_whether_shards_are_asked_for(tmp_path, serve, enabled):
    """The key is ``use_sharded_repodata``; the fetch layer used to look up ``repodata_use_shards``,
    a key no configuration has, first."""
    server = serve(_channel_with_json_and_shards(tmp_path / "chan"))
    context = _context(tmp_path, f"use_sharded_repodata: {str(enabled).lower()}\n")
    records = load_records([server.url], "linux-64", ["a"], options=context.fetch_options,
                           channel_config=context.channel_config)
    assert names(records) == ["a", "b"]
    asked = any(p.endswith(SHARD_INDEX) for p in server.paths_requested())
    assert asked is enabled
    assert any(p.endswith("repodata.json") for p in server.paths_requested()) is not enabled


def test_an_explicit_cache_dir_wins_over_the_configured_one(tmp_path, serve):
    """``load_records(..., cache_dir=...)`` used to be overridden by the configuration's cache."""
    server = serve(simple_channel(tmp_path / "chan"))
    context = _context(tmp_path, "use_sharded_repodata: false\n")
    mine = tmp_path / "mine"
    load_records([server.url], "linux-64", ["a"], options=context.fetch_options, cache_dir=mine)
    assert any(p.name.endswith(".json") for p in mine.iterdir())
    assert not (tmp_path / "pkgs" / "cache").exists()
