"""Configuration: rc-file search path and precedence, environment variables, CLI overrides, typed
values, errors naming the file and key, `describe`, and editing rc files without losing content."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from naja.config import locations
from naja.config.edit import append_value, prepend_value, remove, remove_key, remove_value, set_value
from naja.config.load import load_config, read_rc_file
from naja.config.locations import rc_search_paths
from naja.config.schema import Config, describe, known_keys
from naja.errors import ConfigError
from naja.types.channel import Channel
from naja.types.platform import Platform


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """An isolated HOME, XDG config dir and system dir (so host files never leak in)."""
    home = tmp_path / "home"
    home.mkdir()
    system = tmp_path / "etc-conda"
    system.mkdir()
    monkeypatch.setattr(locations, "system_rc_dirs", lambda env=None: [system])
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


@pytest.fixture
def env(home: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "NAJA_ROOT_PREFIX": str(tmp_path / "root"),
    }


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def system_dir(tmp_path: Path) -> Path:
    return tmp_path / "etc-conda"


# ------------------------------------------------------------------------------------- defaults


def test_defaults(env, tmp_path):
    cfg = load_config(env=env)
    root = tmp_path / "root"
    assert isinstance(cfg, Config)
    assert cfg.root_prefix == root
    assert cfg.channels == ()  # as micromamba: no channel is implied
    assert cfg.pkgs_dirs == (root / "pkgs",)
    assert cfg.envs_dirs == (root / "envs",)
    assert cfg.repodata_cache_dir == root / "pkgs" / "cache"
    assert cfg.channel_priority == "flexible"
    assert cfg.channel_alias == "https://conda.anaconda.org"
    assert cfg.default_channels[:2] == (
        "https://repo.anaconda.com/pkgs/main",
        "https://repo.anaconda.com/pkgs/r",
    )
    assert cfg.platform == Platform.host().subdir
    assert cfg.ssl_verify is True and cfg.offline is False and cfg.repodata_use_zst is True
    assert cfg.local_repodata_ttl == 1 and cfg.download_threads == 5
    assert cfg.rc_files == ()
    assert cfg.sources["channels"] == ()  # one "default" label per value: none
    assert cfg.set_keys() == []


def test_root_prefix_resolution(env, tmp_path, monkeypatch):
    assert load_config(env=env).root_prefix == tmp_path / "root"
    both = {**env, "MAMBA_ROOT_PREFIX": str(tmp_path / "mamba")}
    assert load_config(env=both).root_prefix == tmp_path / "root"  # NAJA_ROOT_PREFIX wins
    only_mamba = {k: v for k, v in both.items() if k != "NAJA_ROOT_PREFIX"}
    assert load_config(env=only_mamba).root_prefix == tmp_path / "mamba"
    assert load_config(env=both, root_prefix=tmp_path / "cli").root_prefix == tmp_path / "cli"
    bare = {k: v for k, v in env.items() if k != "NAJA_ROOT_PREFIX"}
    bare["XDG_DATA_HOME"] = str(tmp_path / "data")
    assert load_config(env=bare).root_prefix == tmp_path / "data" / "naja"


def test_conftest_root_prefix_is_used_by_default():
    assert load_config().root_prefix == Path(os.environ["NAJA_ROOT_PREFIX"])


# ------------------------------------------------------------------------------ files and merging


def test_rc_precedence_and_list_merging(env, home, tmp_path):
    target = tmp_path / "target"
    root = tmp_path / "root"
    write(system_dir(tmp_path) / ".condarc", "channels: [sys]\nchannel_priority: disabled\nofflne: true\n")
    write(root / ".condarc", "channels: [rootc]\n")
    write(home / ".condarc", "channels: [user]\nchannel_priority: strict\nalways_yes: true\n")
    write(home / ".mambarc", "channels: [mamba, user]\n")
    write(target / ".condarc", "channels: [env]\nchannel_priority: flexible\n")
    cfg = load_config(env=env, target_prefix=target)
    assert cfg.channels == ("env", "mamba", "user", "rootc", "sys")
    assert cfg.channel_priority == "flexible"  # scalar: the highest-precedence file wins
    assert cfg.always_yes is True
    assert cfg.rc_files == (
        system_dir(tmp_path) / ".condarc",
        root / ".condarc",
        home / ".condarc",
        home / ".mambarc",
        target / ".condarc",
    )
    assert cfg.sources["channels"] == (
        str(target / ".condarc"),
        str(home / ".mambarc"),
        str(home / ".mambarc"),
        str(root / ".condarc"),
        str(system_dir(tmp_path) / ".condarc"),
    )
    assert cfg.sources["channel_priority"] == (str(target / ".condarc"),)
    assert cfg.unknown_keys == (("offlne", str(system_dir(tmp_path) / ".condarc")),)
    assert "channels" in cfg.set_keys() and "offline" not in cfg.set_keys()


def test_search_path_order(env, home, tmp_path):
    env = {**env, "CONDARC": str(tmp_path / "x.condarc"), "MAMBARC": str(tmp_path / "x.mambarc")}
    paths = rc_search_paths(env, tmp_path / "root", tmp_path / "target")
    order = [
        system_dir(tmp_path) / ".condarc",
        tmp_path / "root" / ".condarc",
        home / ".config" / "conda" / ".condarc",
        home / ".conda" / ".condarc",
        home / ".condarc",
        tmp_path / "x.condarc",
        home / ".config" / "mamba" / ".mambarc",
        home / ".mamba" / ".mambarc",
        home / ".mambarc",
        tmp_path / "x.mambarc",
        tmp_path / "target" / ".condarc",
    ]
    positions = [paths.index(p) for p in order]
    assert positions == sorted(positions)
    assert system_dir(tmp_path) / "condarc.d" in paths


def test_xdg_condarc_d_and_env_var_files(env, home, tmp_path):
    write(home / ".config" / "conda" / ".condarc", "channels: [xdg]\n")
    d = home / ".conda" / "condarc.d"
    write(d / "b.yaml", "channels: [d-b]\n")
    write(d / "a.yml", "channels: [d-a]\n")
    write(d / "notes.txt", "channels: [ignored]\n")
    write(tmp_path / "custom.condarc", "channels: [condarc-var]\n")
    write(tmp_path / "custom.mambarc", "channels: [mambarc-var]\n")
    env = {**env, "CONDARC": str(tmp_path / "custom.condarc"), "MAMBARC": str(tmp_path / "custom.mambarc")}
    cfg = load_config(env=env)
    assert cfg.channels == ("mambarc-var", "condarc-var", "d-b", "d-a", "xdg")


def test_same_file_is_read_once(env, home, tmp_path):
    write(home / ".condarc", "pinned_packages: [python=3.11]\n")
    cfg = load_config(env={**env, "CONDARC": str(home / ".condarc")})
    assert cfg.rc_files == (home / ".condarc",)


def test_conda_prefix_rc_is_read(env, tmp_path):
    write(tmp_path / "active" / "condarc", "offline: true\n")
    assert load_config(env={**env, "CONDA_PREFIX": str(tmp_path / "active")}).offline is True


def test_maps_merge_key_by_key(env, home, tmp_path):
    write(home / ".condarc", "custom_channels:\n  a: https://a.example\n  b: https://b.example\n")
    write(
        home / ".mambarc",
        "custom_channels:\n  b: https://b2.example\nproxy_servers: {https: 'http://proxy:8080'}\n",
    )
    cfg = load_config(env=env)
    assert cfg.custom_channels == {"a": "https://a.example", "b": "https://b2.example"}
    assert cfg.sources["custom_channels"] == (str(home / ".condarc"), str(home / ".mambarc"))
    assert cfg.proxy_servers == {"https": "http://proxy:8080"}
    assert Channel.from_string("b", cfg.channel_config).base_url == "https://b2.example/b"


def test_rc_files_replace_search_path_and_no_rc(env, home, tmp_path):
    write(home / ".condarc", "channels: [user]\n")
    only = write(tmp_path / "only.yml", "channels: [only]\n")
    assert load_config(env=env, rc_files=[only]).channels == ("only",)
    assert load_config(env=env, no_rc=True).channels == ()
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(env=env, rc_files=[tmp_path / "missing.yml"])


def test_paths_are_expanded(env, home, tmp_path):
    write(home / ".condarc", "pkgs_dirs: [~/pkgs, $HOME/more]\nenvs_dirs: [~/envs]\nssl_verify: ~/ca.pem\n")
    cfg = load_config(env=env)
    assert cfg.pkgs_dirs == (home / "pkgs", home / "more")
    assert cfg.repodata_cache_dir == home / "pkgs" / "cache"
    assert cfg.envs_dirs == (home / "envs", tmp_path / "root" / "envs")
    assert cfg.ssl_verify == str(home / "ca.pem")


def test_value_forms(env, home):
    write(
        home / ".condarc",
        "ssl_verify: false\nchannel_priority: false\nlocal_repodata_ttl: '30'\nsafety_checks: Enabled\n"
        "custom_multichannels: {mine: [conda-forge, bioconda]}\nplatform: osx-arm64\n",
    )
    cfg = load_config(env=env)
    assert cfg.ssl_verify is False
    assert cfg.channel_priority == "disabled"
    assert cfg.local_repodata_ttl == 30
    assert cfg.safety_checks == "enabled"
    assert cfg.custom_multichannels == {"mine": ["conda-forge", "bioconda"]}
    assert cfg.platform == "osx-arm64"


# ------------------------------------------------------------------------------------------- env


def test_environment_variables(env, home):
    write(home / ".condarc", "channels: [user]\nchannel_priority: strict\noffline: false\n")
    env = {
        **env,
        "CONDA_CHANNELS": "a, b",
        "MAMBA_CHANNEL_PRIORITY": "disabled",
        "CONDA_OFFLINE": "yes",
        "CONDA_PKGS_DIRS": "/p1,/p2",
        "CONDA_SUBDIR": "linux-aarch64",
        "MAMBA_EXTRACT_THREADS": "3",
        "CONDA_SSL_VERIFY": "<false>",
    }
    cfg = load_config(env=env)
    assert cfg.channels == ("a", "b", "user")
    assert cfg.channel_priority == "disabled"
    assert cfg.offline is True
    assert cfg.pkgs_dirs == (Path("/p1"), Path("/p2"))
    assert cfg.platform == "linux-aarch64"
    assert cfg.extract_threads == 3
    assert cfg.ssl_verify is False
    assert cfg.sources["channels"] == ("env:CONDA_CHANNELS", "env:CONDA_CHANNELS", str(home / ".condarc"))
    assert cfg.sources["platform"] == ("env:CONDA_SUBDIR",)
    assert load_config(env=env, no_env=True).channels == ("user",)


def test_mamba_env_beats_conda_env(env):
    cfg = load_config(env={**env, "CONDA_CHANNEL_PRIORITY": "strict", "MAMBA_CHANNEL_PRIORITY": "disabled"})
    assert cfg.channel_priority == "disabled"
    assert load_config(env={**env, "MAMBA_PLATFORM": "win-64"}).platform == "win-64"


def test_envs_dirs_env_vars(env, tmp_path):
    value = os.pathsep.join([str(tmp_path / "e1"), str(tmp_path / "e2")])
    cfg = load_config(env={**env, "CONDA_ENVS_DIRS": value})
    assert cfg.envs_dirs == (tmp_path / "e1", tmp_path / "e2", tmp_path / "root" / "envs")
    assert load_config(env={**env, "CONDA_ENVS_PATH": value}).envs_dirs[0] == tmp_path / "e1"
    with pytest.raises(ConfigError, match="CONDA_ENVS_DIRS and CONDA_ENVS_PATH"):
        load_config(env={**env, "CONDA_ENVS_DIRS": value, "CONDA_ENVS_PATH": value})


def test_bad_env_value_names_variable(env):
    with pytest.raises(ConfigError, match=r"CONDA_OFFLINE.*'offline'"):
        load_config(env={**env, "CONDA_OFFLINE": "maybe"})
    with pytest.raises(ConfigError, match=r"MAMBA_PLATFORM.*unknown platform"):
        load_config(env={**env, "MAMBA_PLATFORM": "beos/64"})
    # any subdir-shaped platform is taken, as micromamba takes any (naja warns)
    assert load_config(env={**env, "MAMBA_PLATFORM": "beos-64"}).platform == "beos-64"


# ------------------------------------------------------------------------------------- overrides


def test_cli_overrides_win(env, home):
    write(home / ".condarc", "channels: [user]\nchannel_priority: strict\n")
    env = {**env, "MAMBA_CHANNEL_PRIORITY": "disabled"}
    cfg = load_config(
        env=env, overrides={"channel_priority": "flexible", "channels": ["cli"], "offline": True}
    )
    assert cfg.channel_priority == "flexible"
    assert cfg.channels == ("cli", "user")
    assert cfg.offline is True
    assert cfg.sources["channel_priority"] == ("cli",)
    cfg = load_config(env=env, overrides={"channels": ["cli"], "override_channels": True})
    assert cfg.channels == ("cli",)
    with pytest.raises(ConfigError, match=r"command line.*'channel_priority'"):
        load_config(env=env, overrides={"channel_priority": "sometimes"})
    with pytest.raises(ConfigError, match="unknown configuration key"):
        load_config(env=env, overrides={"no_such_key": 1})


def test_override_channels_can_be_disabled(env, home):
    write(home / ".condarc", "override_channels_enabled: false\n")
    with pytest.raises(ConfigError, match="override_channels_enabled"):
        load_config(env=env, overrides={"channels": ["x"], "override_channels": True})


# ---------------------------------------------------------------------------------------- errors


def test_invalid_yaml_names_file_and_line(env, home):
    path = write(home / ".condarc", "channels:\n  - a\n  b: [\n")
    with pytest.raises(ConfigError) as info:
        load_config(env=env)
    assert str(path) in str(info.value) and "line" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("channels: 5\n", "channels"),
        ("offline: maybe\n", "offline"),
        ("download_threads: many\n", "download_threads"),
        ("custom_channels: [a, b]\n", "custom_channels"),
        ("channel_priority: sometimes\n", "channel_priority"),
        ("platform: linux/65\n", "platform"),
        ("ssl_verify: [1]\n", "ssl_verify"),
    ],
)
def test_wrong_types_name_file_and_key(env, home, text, key):
    path = write(home / ".condarc", text)
    with pytest.raises(ConfigError) as info:
        load_config(env=env)
    assert str(path) in str(info.value) and repr(key) in str(info.value)


def test_non_mapping_file(env, home):
    path = write(home / ".condarc", "- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        read_rc_file(path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(env, home):
    path = write(home / ".condarc", "channels: [a]\n")
    path.chmod(0)
    try:
        with pytest.raises(ConfigError, match="cannot read"):
            load_config(env=env)
    finally:
        path.chmod(0o644)


def test_empty_file_and_null_values(env, home):
    write(home / ".condarc", "")
    write(home / ".mambarc", "channels:\n# nothing\n")
    cfg = load_config(env=env)
    assert cfg.channels == ()
    assert len(cfg.rc_files) == 2


# -------------------------------------------------------------------------------------- describe


def test_describe_covers_every_key():
    rows = describe()
    assert [r.name for r in rows] == list(known_keys())
    required = [
        *("channels", "channel_alias", "custom_channels", "custom_multichannels", "default_channels"),
        *("channel_priority", "pkgs_dirs", "envs_dirs", "pinned_packages", "ssl_verify", "proxy_servers"),
        *("repodata_use_zst", "local_repodata_ttl", "always_copy", "always_softlink", "allow_softlinks"),
        *("extract_threads", "download_threads", "offline", "platform", "safety_checks"),
        *("extra_safety_checks", "remote_connect_timeout_secs", "remote_max_retries"),
        *("remote_read_timeout_secs", "show_channel_urls", "auto_activate_base", "changeps1"),
        "allow_non_channel_urls",
    ]
    for key in required:
        assert key in known_keys()
    assert all(r.type and r.description and r.description.endswith(".") for r in rows)
    assert describe("channel_priority")[0].default == "flexible"
    assert "strict" in describe("channel_priority")[0].type
    with pytest.raises(ConfigError, match="unknown configuration key"):
        describe("nope")


def test_every_key_is_a_config_attribute_and_gettable(env):
    cfg = load_config(env=env)
    for key in known_keys():
        assert hasattr(cfg, key)
        cfg.get(key)
    assert cfg.get("pkgs_dirs") == [str(cfg.pkgs_dirs[0])]
    with pytest.raises(KeyError):
        cfg.get("nope")
    assert set(cfg.to_dict()) == {"root_prefix", *known_keys()}
    with pytest.raises(AttributeError):
        cfg.offline = True  # type: ignore[misc]
    assert cfg.replace(offline=True).offline is True


# --------------------------------------------------------------------------------------- editing


def test_set_preserves_comments_and_other_keys(tmp_path, env):
    path = write(
        tmp_path / "rc" / ".condarc", "# my settings\nchannels:\n  - conda-forge  # main one\nofflne: 1\n"
    )
    assert set_value(path, "channel_priority", "strict") == "strict"
    assert set_value(path, "offline", "true") is True
    assert set_value(path, "download_threads", "8") == 8
    text = path.read_text()
    assert "# my settings" in text and "# main one" in text and "offlne: 1" in text
    data = read_rc_file(path)
    assert data["channel_priority"] == "strict" and data["offline"] is True and data["download_threads"] == 8
    cfg = load_config(env=env, rc_files=[path])
    assert (cfg.channel_priority, cfg.offline, cfg.download_threads) == ("strict", True, 8)


def test_set_validates(tmp_path):
    path = tmp_path / ".condarc"
    with pytest.raises(ConfigError, match="'offline'"):
        set_value(path, "offline", "perhaps")
    with pytest.raises(ConfigError, match="unknown configuration key"):
        set_value(path, "not_a_key", "1")
    with pytest.raises(ConfigError, match="append"):
        set_value(path, "channels", "conda-forge")
    assert not path.exists()


def test_set_map_entry(tmp_path, env):
    path = tmp_path / "new" / ".condarc"
    set_value(path, "proxy_servers.https", "http://proxy.local:3128")
    set_value(path, "custom_channels.internal", "https://pkgs.example")
    cfg = load_config(env=env, rc_files=[path])
    assert cfg.proxy_servers == {"https": "http://proxy.local:3128"}
    assert cfg.custom_channels == {"internal": "https://pkgs.example"}
    remove_key(path, "proxy_servers.https")
    assert read_rc_file(path)["proxy_servers"] == {}


def test_append_prepend_remove(tmp_path):
    path = write(tmp_path / ".condarc", "channels:\n  - a\n  - b\nalways_yes: true\n")
    assert append_value(path, "channels", "c") == ["a", "b", "c"]
    assert prepend_value(path, "channels", ["c", "d"]) == ["c", "d", "a", "b"]
    assert append_value(path, "channels", ["a"]) == ["c", "d", "b", "a"]
    assert remove_value(path, "channels", "d") == ["c", "b", "a"]
    assert read_rc_file(path) == {"channels": ["c", "b", "a"], "always_yes": True}
    with pytest.raises(ConfigError, match="'zzz' is not in"):
        remove_value(path, "channels", "zzz")
    with pytest.raises(ConfigError, match="not a list"):
        append_value(path, "offline", "x")
    assert append_value(path, "pinned_packages", "python=3.11") == ["python=3.11"]
    remove(path, "channels")
    assert "channels" not in read_rc_file(path)
    with pytest.raises(ConfigError, match="is not set"):
        remove(path, "channels")
    with pytest.raises(ConfigError, match="not a list"):
        remove(path, "channel_alias", "x")


def test_edit_rejects_broken_file(tmp_path):
    path = write(tmp_path / ".condarc", "channels: [\n")
    with pytest.raises(ConfigError, match=str(path)):
        append_value(path, "channels", "x")
    assert path.read_text() == "channels: [\n"


# --------------------------------------------------------------------------------------- startup


def test_import_is_light():
    code = (
        "import sys, naja.config.load as c; c.load_config(no_rc=True);"
        "print(sorted(m for m in ('ruamel', 'ruamel.yaml', 'dataclasses', 'msgspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_non_utf8_file_is_a_clear_error(env, home):
    path = home / ".condarc"
    path.write_bytes(b"channels: [\xff\xfe]\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(env=env)


def test_channel_config_is_built_once_and_used(env, home):
    write(
        home / ".condarc",
        "channel_alias: https://mirror.example.org/conda/\nchannels: [conda-forge, defaults]\n",
    )
    cfg = load_config(env=env)
    assert cfg.channel_config is cfg.channel_config
    assert [c.base_url for c in cfg.resolved_channels(["bioconda"])] == [
        "https://mirror.example.org/conda/bioconda",
        "https://mirror.example.org/conda/conda-forge",
        "https://repo.anaconda.com/pkgs/main",
        "https://repo.anaconda.com/pkgs/r",
        *(["https://repo.anaconda.com/pkgs/msys2"] if sys.platform == "win32" else []),
    ]
    assert cfg.replace(offline=True).channel_config.channel_alias == "https://mirror.example.org/conda"


def test_env_lists_dedup_with_matching_sources(env):
    cfg = load_config(env={**env, "CONDA_CHANNELS": "a,b,a", "MAMBA_CHANNELS": "b,c"})
    assert cfg.channels == ("b", "c", "a")
    assert cfg.sources["channels"] == ("env:MAMBA_CHANNELS", "env:MAMBA_CHANNELS", "env:CONDA_CHANNELS")


def test_local_multichannel_is_conda_bld(env, home, tmp_path):
    assert "local" not in load_config(env=env).channel_config.custom_multichannels
    (home / "conda-bld").mkdir()
    cfg = load_config(env=env)
    local = Channel.from_string("local", cfg.channel_config)
    assert [c.base_url for c in local.expand()] == [(home / "conda-bld").as_uri()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG layout")
def test_default_root_matches_platformdirs(env, tmp_path, monkeypatch):
    import platformdirs

    monkeypatch.delenv("XDG_DATA_HOME", raising=False)  # platformdirs reads os.environ
    bare = {"HOME": env["HOME"]}
    expected = Path(platformdirs.user_data_dir("naja", appauthor=False))
    assert load_config(env={**bare}).root_prefix == expected
    assert (
        load_config(env={**bare, "XDG_DATA_HOME": str(tmp_path / "d")}).root_prefix == tmp_path / "d" / "naja"
    )
