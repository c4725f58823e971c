"""naja run under the name ``micromamba``, as scripts and client tools drive it (issues 15, 16).

Every test goes through an executable named ``micromamba`` (or ``mamba``/``naja``) on PATH that runs
the console-script entry point, so ``argv[0]`` is what a client sees.
"""

from __future__ import annotations

import json
import sys

import pytest

from naja import MICROMAMBA_VERSION, __version__
from tests.support.cli import example_channel as shared_example_channel
from tests.support.micromamba import install_micromamba, mm, path_env


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


@pytest.fixture
def bin_dir(tmp_path):
    return install_micromamba(tmp_path / "bin")


@pytest.fixture
def env(bin_dir, tmp_path):
    return path_env(bin_dir, tmp_path / "root")


def ok(proc):
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    return proc


def names(prefix):
    return sorted(p.name.rsplit("-", 2)[0] for p in (prefix / "conda-meta").glob("*.json"))


# ------------------------------------------------------------------------------ 15.3 global options


@pytest.mark.parametrize("argv", [
    ["--json", "config", "list", "pkgs_dirs"],
    ["config", "--json", "list", "pkgs_dirs"],  # what conda-lock runs
    ["config", "list", "--json", "pkgs_dirs"],
    ["config", "list", "pkgs_dirs", "--json"],
    ["-q", "config", "-v", "list", "pkgs_dirs", "--json"],
])
def test_json_anywhere(bin_dir, env, tmp_path, argv):
    doc = json.loads(ok(mm(bin_dir, *argv, env=env)).stdout)
    assert doc == {"pkgs_dirs": [str(tmp_path / "root" / "pkgs")]}


@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_root_prefix_and_rc_options_anywhere(bin_dir, env, tmp_path, where):
    rc = tmp_path / "only.yaml"
    rc.write_text("channels: [from-rc-file]\n")
    other = tmp_path / "elsewhere"
    opts = ["-r", str(other), "--rc-file", str(rc)]
    argv = {"before": [*opts, "config", "list", "channels"],
            "between": ["config", *opts, "list", "channels"],
            "after": ["config", "list", "channels", *opts]}[where]
    doc = json.loads(ok(mm(bin_dir, "--json", *argv, env=env)).stdout)
    assert doc == {"channels": ["from-rc-file"]}
    base = ok(mm(bin_dir, *(["--root-prefix", str(other), "info", "--base"] if where == "before"
                            else ["info", "--base", f"--root-prefix={other}"]), env=env)).stdout
    assert base.strip() == str(other)


def test_no_rc_before_the_command(bin_dir, env, tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / ".mambarc").write_text("channels: [in-root-rc]\n")
    assert json.loads(ok(mm(bin_dir, "config", "list", "channels", "--json", env=env)).stdout)["channels"] \
        == ["in-root-rc"]
    doc = json.loads(ok(mm(bin_dir, "--no-rc", "--json", "config", "list", "channels", env=env)).stdout)
    assert doc["channels"] != ["in-root-rc"]


def test_specs_and_options_mixed(bin_dir, env, channel, tmp_path):
    """``create -p P hello -c CH greet``, global options before the command, no -y and stdin at EOF."""
    prefix = tmp_path / "e"
    ok(mm(bin_dir, "-q", "create", "-p", prefix, "hello", "-c", channel, "greet", "--override-channels",
          env=env))
    assert {"hello", "greet", "libhello"} <= set(names(prefix))
    # --dry-run and -y before the command
    dry = tmp_path / "dry"
    doc = json.loads(ok(mm(bin_dir, "--dry-run", "-y", "--json", "create", "-p", dry, "libhello", "-c", channel,
                           env=env)).stdout)
    assert doc["dry_run"] is True and not dry.exists()


def test_run_program_arguments_are_its_own(bin_dir, env, channel, tmp_path):
    prefix = tmp_path / "e"
    ok(mm(bin_dir, "create", "-y", "-p", prefix, "-c", channel, "greet", env=env))
    code = "import sys, json; print(json.dumps(sys.argv[1:]))"
    out = ok(mm(bin_dir, "-q", "run", "-p", prefix, "python", "-c", code, "--json", "-q", "-y", "-r", "x",
                "create", env=env)).stdout
    assert json.loads(out.strip().splitlines()[-1]) == ["--json", "-q", "-y", "-r", "x", "create"]


def test_unknown_option_is_still_an_error(bin_dir, env):
    proc = mm(bin_dir, "--json", "info", "--no-such-flag", env=env)
    assert proc.returncode == 2 and "error:" in proc.stderr and "--no-such-flag" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- 16.1 version identity


def test_version_identity(bin_dir, env):
    assert ok(mm(bin_dir, "--version", env=env)).stdout == f"{MICROMAMBA_VERSION}\n"
    assert ok(mm(bin_dir, "--version", env=env, name="mamba")).stdout == f"{MICROMAMBA_VERSION}\n"
    assert ok(mm(bin_dir, "--version", env=env, name="naja")).stdout == f"{__version__}\n"
    assert MICROMAMBA_VERSION.startswith("2.") and not __version__.startswith("0.")
    for name in ("micromamba", "naja"):
        doc = json.loads(ok(mm(bin_dir, "info", "--json", env=env, name=name)).stdout)
        assert doc["naja version"] == __version__ and doc["micromamba version"] == MICROMAMBA_VERSION
        assert doc["libmamba version"] == MICROMAMBA_VERSION


def test_info_keys_and_env_list_root(bin_dir, env, tmp_path):
    """micromamba's info keys (libmamba/src/api/info.cpp) and ``env list --json`` naming the root prefix
    before it holds an environment (EnvironmentsManager::list_all_known_prefixes)."""
    root = tmp_path / "root"
    doc = json.loads(ok(mm(bin_dir, "info", "--json", env=env)).stdout)
    for key in ("base environment", "envs directories", "package cache", "user config files",
                "populated config files", "virtual packages", "channels", "platform", "environment",
                "env location"):
        assert key in doc, key
    assert doc["base environment"] == str(root) and doc["package cache"] == [str(root / "pkgs")]
    assert not root.exists()
    assert json.loads(ok(mm(bin_dir, "env", "list", "--json", env=env)).stdout) == {"envs": [str(root)]}
    assert json.loads(ok(mm(bin_dir, "info", "--envs", "--json", env=env)).stdout) == {"envs": [str(root)]}
    assert json.loads(ok(mm(bin_dir, "info", "--base", "--json", env=env)).stdout)["base environment"] == str(root)


# ----------------------------------------------------------- 16.2 variables and micromamba's flags


def test_mamba_json_variable(bin_dir, env, channel, tmp_path):
    out = ok(mm(bin_dir, "info", "--base", env={**env, "MAMBA_JSON": "true"})).stdout
    assert json.loads(out)["base environment"] == str(tmp_path / "root")
    # errors too, as metaflow reads them
    proc = mm(bin_dir, "create", "-p", tmp_path / "u", "-c", channel, "nosuchpkg", env={**env, "MAMBA_JSON": "1"})
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["success"] is False
    assert doc["solver_problems"] and all(isinstance(p, str) for p in doc["solver_problems"])
    assert any("nosuchpkg" in p for p in doc["solver_problems"]) and "naja_solver_problems" in doc
    # CONDA_JSON too; --no-env ignores both; false is false
    assert json.loads(ok(mm(bin_dir, "info", "--base", env={**env, "CONDA_JSON": "yes"})).stdout)
    assert ok(mm(bin_dir, "info", "--base", "--no-env", env={**env, "MAMBA_JSON": "true"})).stdout.strip() \
        == str(tmp_path / "root")
    assert not ok(mm(bin_dir, "info", "--base", env={**env, "MAMBA_JSON": "false"})).stdout.startswith("{")


def test_always_yes_variable_skips_the_prompt(bin_dir, env, channel, tmp_path):
    prefix = tmp_path / "e"
    ok(mm(bin_dir, "create", "-y", "-p", prefix, env=env))
    proc = mm(bin_dir, "install", "-p", prefix, "-c", channel, "libhello", input="n\n", env=env)
    assert proc.returncode != 0 and names(prefix) == []
    ok(mm(bin_dir, "install", "-p", prefix, "-c", channel, "libhello", input="n\n",
          env={**env, "MAMBA_ALWAYS_YES": "true"}))
    assert names(prefix) == ["libhello"]


@pytest.mark.parametrize("flags", [
    ["--no-extra-safety-checks", "--retry-clean-cache"],  # metaflow
    ["--lock-timeout", "5", "--no-py-pin", "--py-pin", "--verify-artifacts", "--trusted-channels", "x"],
    ["--relocate-prefix", "/opt/elsewhere", "--skip-run-link-scripts", "--ssl-no-revoke", "--use-uv"],
    ["--experimental", "--debug", "--mamba-repodata-parsing", "--no-shortcuts", "--cacert-path", "{ca}"],
])
def test_micromamba_flags_are_accepted(bin_dir, env, channel, tmp_path, flags):
    prefix = tmp_path / "e"
    ca = tmp_path / "ca.pem"
    ca.write_text("")  # an existing bundle (a missing one is an error naming it); nothing here uses TLS
    flags = [f.replace("{ca}", str(ca)) for f in flags]
    ok(mm(bin_dir, "create", "-p", prefix, "libhello", "-c", channel, "-y", *flags, env=env))
    assert names(prefix) == ["libhello"]


def test_retry_clean_cache_refetches_after_a_failed_solve(bin_dir, env, channel, tmp_path, serve):
    """The cached index (ttl 1 h) lacks a package the channel has since gained: the solve fails, and
    with --retry-clean-cache the index is fetched again and the install succeeds."""
    import shutil

    local = tmp_path / "ch"
    shutil.copytree(channel, local)
    noarch = local / "noarch"
    for extra in {*noarch.glob("*.zst"), *noarch.glob("*.msgpack*")}:
        extra.unlink()
    shutil.rmtree(noarch / "shards", ignore_errors=True)
    full = json.loads((noarch / "repodata.json").read_text())
    partial = {**full, "packages.conda": {k: v for k, v in full["packages.conda"].items() if v["name"] != "hello"}}
    (noarch / "repodata.json").write_text(json.dumps(partial))
    url = serve(local).url
    prefix = tmp_path / "e"
    ttl = ["--repodata-ttl", "3600", "--override-channels"]
    ok(mm(bin_dir, "create", "-y", "-p", prefix, "-c", url, "libhello", *ttl, env=env))
    (noarch / "repodata.json").write_text(json.dumps(full))
    assert mm(bin_dir, "install", "-y", "-p", prefix, "-c", url, "hello", *ttl, env=env).returncode == 1
    ok(mm(bin_dir, "install", "-y", "-p", prefix, "-c", url, "hello", *ttl, "--retry-clean-cache", env=env))
    assert "hello" in names(prefix)


# -------------------------------------------------------------------------------------- 16.3 prompts


@pytest.mark.parametrize("answer", ["", "\n", "y\n", "Yes\n"])
def test_prompt_default_is_yes(bin_dir, env, channel, tmp_path, answer):
    prefix = tmp_path / "e"
    ok(mm(bin_dir, "create", "-p", prefix, "-c", channel, "libhello", input=answer, env=env))
    assert names(prefix) == ["libhello"]


def test_prompt_no_aborts_and_changes_nothing(bin_dir, env, channel, tmp_path):
    prefix = tmp_path / "e"
    proc = mm(bin_dir, "create", "-p", prefix, "-c", channel, "libhello", input="n\n", env=env)
    assert proc.returncode == 1 and "error:" in proc.stderr and not prefix.exists()


def test_env_create_from_file_at_eof(bin_dir, env, channel, tmp_path):
    """pre-commit's ``env create -p ENV --file environment.yml``: no -y, stdin at end of file."""
    yml = tmp_path / "environment.yml"
    yml.write_text(f"channels: [{channel.as_uri()}]\ndependencies: [greet]\n")
    prefix = tmp_path / "pc-env"
    ok(mm(bin_dir, "env", "create", "-p", prefix, "--file", yml, env=env))
    out = ok(mm(bin_dir, "run", "-p", prefix, "greet", env=env)).stdout
    assert out.strip()
    assert sys.executable  # the interpreter the scripts run on


# ------------------------------------------------------------------------------- 15.1 configuration


def test_bare_config_and_bare_command_print_help(bin_dir, env):
    for argv in (["config"], []):
        proc = ok(mm(bin_dir, *argv, env=env))
        assert proc.stdout.startswith("usage:")
    assert "remove-key" in ok(mm(bin_dir, "config", env=env)).stdout


@pytest.mark.parametrize("argv", [["--json", "config"], ["config", "--json"], ["-q", "config", "-v"],
                                  ["--json"], ["-r", "/tmp/elsewhere", "config"]])
def test_global_options_around_a_bare_command(bin_dir, env, argv):
    # a global option before or after a command with subcommands, none given: its help, exit 0
    proc = ok(mm(bin_dir, *argv, env=env))
    assert proc.stdout.startswith("usage:")
    assert ("remove-key" in proc.stdout) == ("config" in argv)
    bad = mm(bin_dir, "--json", "config", "bogus", env=env)
    assert bad.returncode == 2 and "bogus" in bad.stderr and "Traceback" not in bad.stderr


def test_config_edits_as_micromamba(bin_dir, env, tmp_path):
    rc = tmp_path / "edit.yaml"
    rc.write_text("# mine\nalways_yes: true  # keep\n")
    f = ["--file", str(rc)]
    # micromamba's KEY VALUE pairs, comma-separated lists
    ok(mm(bin_dir, "config", "append", *f, "channels", "a", "channels", "b,c", "pkgs_dirs", "/p", env=env))
    ok(mm(bin_dir, "config", "prepend", "channels", "z", *f, env=env))
    doc = json.loads(ok(mm(bin_dir, "--json", "config", "list", "--rc-file", rc, "channels", "pkgs_dirs",
                           env=env)).stdout)
    assert doc == {"channels": ["z", "a", "b", "c"], "pkgs_dirs": ["/p"]}
    # booleans and several pairs in one set; the file keeps its comment
    ok(mm(bin_dir, "config", "set", *f, "json", "true", "always_yes", "false", env=env))
    text = rc.read_text()
    assert "# mine" in text and "json: true" in text and "always_yes: false" in text
    # json: true in an rc file acts as --json
    assert json.loads(ok(mm(bin_dir, "info", "--base", "--rc-file", rc, env=env)).stdout)
    # get from the file, as written
    assert ok(mm(bin_dir, "config", "get", "always_yes", *f, env=env)).stdout == "always_yes: false\n"
    # removing what is missing: a notice and exit 0 (micromamba/src/config.cpp)
    for argv in (["remove", "channels", "never"], ["remove-key", "not_there"], ["get", "not_there"]):
        proc = ok(mm(bin_dir, "config", *argv, *f, env=env))
        assert proc.stdout == "Key is not present in file\n", argv
    ok(mm(bin_dir, "config", "remove", "channels", "a", *f, env=env))
    ok(mm(bin_dir, "config", "remove-key", "json", *f, env=env))
    doc = json.loads(ok(mm(bin_dir, "config", "list", "--json", "--rc-file", rc, "channels", env=env)).stdout)
    assert doc == {"channels": ["z", "b", "c"]} and "json" not in rc.read_text()


def test_rc_values_expand_variables_and_unknown_keys_warn_once(bin_dir, env, tmp_path):
    rc = tmp_path / "vars.yaml"
    rc.write_text('envs_dirs: ["${MY_BASE}/one", "$MY_BASE/two"]\nchannel_alias: ${MY_ALIAS}\n'
                  "no_such_setting: 1\nrepodata_use_zst: $MY_BOOL\n")
    extra = {"MY_BASE": str(tmp_path / "b"), "MY_ALIAS": "http://127.0.0.1:9/alias", "MY_BOOL": "false"}
    proc = ok(mm(bin_dir, "config", "list", "--json", "--rc-file", rc, "envs_dirs", "channel_alias",
                 "repodata_use_zst", env={**env, **extra}))
    doc = json.loads(proc.stdout)
    assert doc["envs_dirs"][:2] == [str(tmp_path / "b" / "one"), str(tmp_path / "b" / "two")]
    assert doc["channel_alias"] == "http://127.0.0.1:9/alias" and doc["repodata_use_zst"] is False
    assert proc.stderr.count("no_such_setting") == 1


def test_rc_files_of_root_and_target_prefix(bin_dir, env, channel, tmp_path):
    """``<root_prefix>/.mambarc`` and ``<target_prefix>/.mambarc`` take part, the target's last."""
    root = tmp_path / "root"
    root.mkdir()
    (root / ".mambarc").write_text("channels: [from-root]\nchannel_priority: disabled\n")
    prefix = tmp_path / "e"
    ok(mm(bin_dir, "create", "-y", "-p", prefix, env=env))
    (prefix / ".mambarc").write_text("channel_priority: strict\n")
    doc = json.loads(ok(mm(bin_dir, "config", "list", "--json", "-p", prefix, "channels", "channel_priority",
                           env=env)).stdout)
    assert doc == {"channels": ["from-root"], "channel_priority": "strict"}
    srcs = ok(mm(bin_dir, "config", "sources", "-p", prefix, env=env)).stdout
    assert str(root / ".mambarc") in srcs and str(prefix / ".mambarc") in srcs
    assert srcs.index(str(root / ".mambarc")) < srcs.index(str(prefix / ".mambarc"))
    # CONDARC / MAMBARC name extra files
    extra = tmp_path / "extra.rc"
    extra.write_text("channel_alias: http://127.0.0.1:9/x\n")
    out = json.loads(ok(mm(bin_dir, "config", "list", "--json", "channel_alias",
                           env={**env, "MAMBARC": str(extra)})).stdout)
    assert out == {"channel_alias": "http://127.0.0.1:9/x"}


# ------------------------------------------------------------------------------------------ 15.4 auth


def test_auth_login_logout_file_as_micromamba(bin_dir, env, tmp_path):
    """micromamba/src/login.cpp's format: key host[:port]/path, sorted keys, base64 password."""
    import base64
    import stat

    home = tmp_path / "home"
    env = {**env, "HOME": str(home)}
    path = home / ".mamba" / "auth" / "authentication.json"
    out = ok(mm(bin_dir, "auth", "login", "https://Example.com:8443/private/chan/", "-u", "me", "-p", "s3cret ",
                env=env)).stdout
    assert out == "Successfully stored login information\n"
    ok(mm(bin_dir, "auth", "login", "conda.example.org", "--token", "tok-123", env=env))
    ok(mm(bin_dir, "auth", "login", "http://127.0.0.1:8000", "--bearer-stdin", input="bear-456\n", env=env))
    expected = {
        "127.0.0.1:8000": {"token": "bear-456", "type": "BearerToken"},
        "conda.example.org": {"token": "tok-123", "type": "CondaToken"},
        "example.com:8443/private/chan": {"password": base64.b64encode(b"s3cret").decode(),
                                          "type": "BasicHTTPAuthentication", "user": "me"},
    }
    assert path.read_text() == json.dumps(expected, indent=4, sort_keys=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    out = ok(mm(bin_dir, "auth", "logout", "conda.example.org", env=env)).stdout
    assert out == "Logged out from conda.example.org\n"
    assert "conda.example.org" not in json.loads(path.read_text())
    assert ok(mm(bin_dir, "auth", "logout", "nowhere.example", env=env)).stdout == \
        "You are not logged in to nowhere.example\n"
    proc = mm(bin_dir, "auth", "login", "h.example", "-u", "x", env=env)
    assert proc.returncode == 1 and "error:" in proc.stderr and "Traceback" not in proc.stderr
    ok(mm(bin_dir, "auth", "logout", "--all", env=env))
    assert not path.exists()


# ----------------------------------------------------------------------------------- 15.7 constructor


def test_constructor_extract_conda_pkgs_and_tarball(bin_dir, env, channel, tmp_path):
    """micromamba/src/constructor.cpp: records from the cached repodata (its values win, index.json
    fills in) or from index.json plus the URL's hash; then a tarball from stdin into the prefix."""
    import io
    import shutil
    import subprocess
    import tarfile

    from naja.repodata.cache import cache_key

    prefix = tmp_path / "inst"
    pkgs = prefix / "pkgs"
    pkgs.mkdir(parents=True)
    for fn in ("hello-1.0-0.conda", "libhello-1.0-0.conda"):
        shutil.copy(channel / "noarch" / fn, pkgs)
    base = "http://repo.example.org/chan/noarch/"
    (pkgs / "urls").write_text(f"{base}hello-1.0-0.conda#{'a' * 32}\n{base}libhello-1.0-0.conda#{'b' * 64}\n")
    (pkgs / "cache").mkdir()
    patched = {"packages.conda": {"hello-1.0-0.conda": {"depends": ["libhello >=1"], "license": "patched",
                                                        "size": 5}}}
    (pkgs / "cache" / f"{cache_key(base)}.json").write_text(json.dumps(patched))
    out = ok(mm(bin_dir, "constructor", "--prefix", prefix, "--extract-conda-pkgs", env=env)).stdout
    assert "Extracting hello-1.0-0.conda" in out
    hello = json.loads((pkgs / "hello-1.0-0" / "info" / "repodata_record.json").read_text())
    assert hello["depends"] == ["libhello >=1"] and hello["license"] == "patched" and hello["size"] == 5
    assert hello["name"] == "hello" and hello["fn"] == "hello-1.0-0.conda"
    assert hello["url"] == base + "hello-1.0-0.conda" and hello["channel"] == "http://repo.example.org/chan"
    lib = json.loads((pkgs / "libhello-1.0-0" / "info" / "repodata_record.json").read_text())
    assert lib["sha256"] == "b" * 64 and lib["size"] == (pkgs / "libhello-1.0-0.conda").stat().st_size
    assert lib["constrains"] == [] and "track_features" not in lib
    assert (pkgs / "libhello-1.0-0" / "share" / "hello" / "greeting.txt").is_file()
    # --extract-tarball: stdin into the prefix, the temporary file removed
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:bz2") as tf:
        data = b"installer payload\n"
        info = tarfile.TarInfo("etc/payload.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    proc = subprocess.run([str(bin_dir / "micromamba"), "constructor", "-p", str(prefix), "--extract-tarball"],
                          input=buf.getvalue(), capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (prefix / "etc" / "payload.txt").read_bytes() == b"installer payload\n"
    assert not (prefix / "_tmp.tar.bz2").exists()


@pytest.mark.parametrize("cache", ["[" * 100_000, "[1, 2]", "{not json"], ids=["deep", "list", "broken"])
def test_constructor_hostile_repodata_cache_falls_back_to_index_json(bin_dir, env, channel, tmp_path, cache):
    """A cached repodata file that is not a JSON object (or nests beyond the parser) is ignored, as an
    unreadable one is: the record comes from index.json and the URL, with no traceback."""
    import shutil

    from naja.repodata.cache import cache_key

    pkgs = tmp_path / "inst" / "pkgs"
    pkgs.mkdir(parents=True)
    shutil.copy(channel / "noarch" / "libhello-1.0-0.conda", pkgs)
    base = "http://repo.example.org/chan/noarch/"
    (pkgs / "urls").write_text(f"{base}libhello-1.0-0.conda#{'b' * 64}\n")
    (pkgs / "cache").mkdir()
    (pkgs / "cache" / f"{cache_key(base)}.json").write_text(cache)
    ok(mm(bin_dir, "constructor", "--prefix", tmp_path / "inst", "--extract-conda-pkgs", env=env))
    lib = json.loads((pkgs / "libhello-1.0-0" / "info" / "repodata_record.json").read_text())
    assert lib["name"] == "libhello" and lib["sha256"] == "b" * 64


def test_skip_run_link_scripts(bin_dir, env, tmp_path):
    """``--skip-run-link-scripts`` (micromamba's link option): the post-link script does not run."""
    from naja.repodata.channel_index import index_channel
    from tests.support.packages import make_package

    ch = tmp_path / "ch"
    (ch / "noarch").mkdir(parents=True)
    (ch / "linux-64").mkdir()
    script = 'echo ran > "$PREFIX/post-link-ran"\n'
    make_package(ch / "noarch", "scripted", "1.0", noarch="generic",
                 files={"share/scripted.txt": "x", "bin/.scripted-post-link.sh": script})
    index_channel(ch)
    skipped, ran = tmp_path / "skipped", tmp_path / "ran"
    ok(mm(bin_dir, "create", "-y", "-p", skipped, "-c", ch, "scripted", "--skip-run-link-scripts", env=env))
    ok(mm(bin_dir, "create", "-y", "-p", ran, "-c", ch, "scripted", env=env))
    assert (skipped / "share" / "scripted.txt").is_file() and not (skipped / "post-link-ran").exists()
    assert (ran / "post-link-ran").read_text() == "ran\n"
