"""``naja config`` and ``naja info``: values from rc files, environment variables and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.cli import assert_one_line_error, naja


def home() -> Path:
    return Path(os.environ["HOME"])


def test_config_set_append_prepend_remove_edit_user_condarc():
    naja("config", "set", "channel_priority", "strict")
    naja("config", "append", "channels", "first", "second")
    naja("config", "prepend", "channels", "zeroth")
    rc = home() / ".condarc"
    text = rc.read_text()
    assert "channel_priority: strict" in text
    assert naja("config", "get", "channels", "--json").json() == {"channels": ["zeroth", "first", "second"]}
    naja("config", "remove", "channels", "first")
    assert naja("config", "get", "channels", "--json").json() == {"channels": ["zeroth", "second"]}
    naja("config", "remove-key", "channel_priority")
    assert "channel_priority" not in rc.read_text()
    assert naja("config", "get", "channel_priority", "--json").json() == {"channel_priority": "flexible"}


def test_config_set_keeps_comments(tmp_path):
    rc = tmp_path / "my.condarc"
    rc.write_text("# my settings\nalways_yes: false  # keep me\n")
    naja("config", "set", "--file", rc, "always_yes", "true")
    text = rc.read_text()
    assert "# my settings" in text and "always_yes: true" in text


def test_config_list_shows_sources_and_env_vars(tmp_path):
    rc = tmp_path / "a.condarc"
    rc.write_text("channels: [from-file]\nextract_threads: 3\n")
    res = naja("config", "list", "--rc-file", rc, "-s", "--json", env={"MAMBA_DOWNLOAD_THREADS": "7"})
    doc = res.json()
    assert doc["values"]["channels"] == ["from-file"]
    assert doc["values"]["download_threads"] == 7
    assert doc["values"]["extract_threads"] == 3
    assert str(rc) in doc["sources"]["channels"][0]
    assert doc["rc_files"] == [str(rc)]
    # --no-rc ignores the file
    values = naja("config", "list", "--no-rc", "--json").json()
    assert "extract_threads" not in values
    # and without -a only set keys are listed, with -a every key
    every = naja("config", "list", "-a", "--json").json()
    assert {"channels", "pkgs_dirs", "channel_priority"} <= set(every)


def test_config_list_human_output_names_origin(tmp_path):
    rc = tmp_path / "b.condarc"
    rc.write_text("channel_priority: disabled\n")
    out = naja("config", "list", "--rc-file", rc, "-s").stdout
    assert "channel_priority: disabled" in out and str(rc) in out
    # a list merged from two files: every item names its own file
    other = tmp_path / "c.condarc"
    rc.write_text("channels: [one, two]\n")
    other.write_text("channels: [three]\n")
    out = naja("config", "list", "channels", "--rc-file", rc, "--rc-file", other, "-s").stdout
    items = [line for line in out.splitlines() if line.startswith("- ")]
    assert items == [f"- three  # {other}", f"- one  # {rc}", f"- two  # {rc}"], out


def test_config_describe():
    doc = naja("config", "describe", "channels", "pkgs_dirs", "--json").json()
    assert set(doc) == {"channels", "pkgs_dirs"}
    assert doc["channels"]["description"]
    out = naja("config", "describe").stdout
    assert "channel_priority" in out and "always_copy" in out


def test_config_sources_with_rc_file(tmp_path):
    rc = tmp_path / "c.condarc"
    rc.write_text("offline: true\n")
    assert naja("config", "sources", "--rc-file", rc).stdout.split() == [str(rc)]


def test_config_errors_are_one_line(tmp_path):
    assert_one_line_error(naja("config", "set", "no_such_key", "1", ok=False), "no_such_key")
    assert_one_line_error(naja("config", "get", "no_such_key", ok=False), "no_such_key")
    assert_one_line_error(naja("config", "set", "channels", "x", ok=False), "channels")
    # removing what is not there is a notice and success, as micromamba (micromamba/src/config.cpp)
    assert naja("config", "remove", "channels", "never-added").stdout == "Key is not present in file\n"
    bad = tmp_path / "bad.condarc"
    bad.write_text("channels: [unclosed\n")
    assert_one_line_error(naja("config", "list", "--rc-file", bad, ok=False))
    assert_one_line_error(naja("config", "list", "--rc-file", tmp_path / "missing.rc", ok=False), "missing.rc")


def test_info_reports_platform_channels_dirs(tmp_path):
    rc = tmp_path / "d.condarc"
    rc.write_text("channels: [https://example.invalid/chan]\n")
    root = Path(os.environ["NAJA_ROOT_PREFIX"])
    doc = naja("info", "--json", "--rc-file", rc, "-c", "extra-first").json()
    assert doc["root_prefix"] == str(root)
    assert doc["package cache"] == [str(root / "pkgs")]
    assert str(root / "envs") in doc["envs directories"]
    assert doc["channels"][0].endswith("/extra-first/" + doc["platform"])
    assert "https://example.invalid/chan/noarch" in doc["channels"]
    assert any(v.startswith("__unix") or v.startswith("__win") for v in doc["virtual packages"])
    assert doc["populated config files"] == [str(rc)]
    # --override-channels drops the configured channel, -r changes the root, --platform the subdir
    doc = naja("info", "--json", "--rc-file", rc, "-c", "only", "--override-channels", "-r", tmp_path / "r",
               "--platform", "osx-arm64").json()
    assert all("example.invalid" not in c for c in doc["channels"])
    assert doc["platform"] == "osx-arm64" and doc["root_prefix"] == str(tmp_path / "r")
    assert "__osx" in " ".join(doc["virtual packages"])
    assert naja("info", "--base").stdout.strip() == str(root)
    human = naja("info").stdout
    assert "platform" in human and "virtual packages" in human


def test_naja_root_prefix_env_var(tmp_path):
    doc = naja("info", "--json", env={"NAJA_ROOT_PREFIX": str(tmp_path / "elsewhere")}).json()
    assert doc["root_prefix"] == str(tmp_path / "elsewhere")


def test_channel_priority_flags_conflict():
    assert_one_line_error(naja("info", "--strict-channel-priority", "--no-channel-priority", ok=False),
                          "--strict-channel-priority")
