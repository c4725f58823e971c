"""Class 10, internal errors: no input reaches the CLI's catch-all (``error: unexpected <Type>``).
Every bad input is an error naming it. Known cases first, then a time-bounded hypothesis fuzz over the
CLI's file inputs: environment files, ``@EXPLICIT`` files, lockfiles, rc files and ``conda-meta``
records (with their ``history``). Runs are in-process (``naja.cli.main.main``), offline and dry-run,
against a ``file://`` channel: nothing leaves the temporary directory."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from naja.cli.main import main
from naja.config.schema import KEYS
from tests.support.cli import assert_one_line_error, naja
from tests.unit.repodata.test_fetch import simple_channel

FUZZ = settings(max_examples=int(os.environ.get("NAJA_FUZZ_EXAMPLES", "40")), deadline=None,
                derandomize=not os.environ.get("NAJA_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

DEEP_YAML = "[" * 10_000 + "]" * 10_000
DEEP_JSON = "[" * 10_000 + "]" * 10_000
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7))


# ------------------------------------------------------------------------------------- known cases


@pytest.mark.parametrize("args, needle", [
    (("repoquery", "depends", ""), "''"),
    (("repoquery", "whoneeds", " "), "' '"),
])
def test_empty_query_spec_is_a_usage_error(args, needle):
    assert_one_line_error(naja(*args, "--offline", ok=False), "match spec", needle)


def test_nul_in_pkgs_dirs_is_a_config_error(tmp_path):
    rc = tmp_path / "condarc"
    rc.write_text('pkgs_dirs:\n  - "/tmp/a\\0b"\n')
    result = naja("create", "-p", tmp_path / "env", "--offline", "-y", ok=False, env={"CONDARC": str(rc)})
    assert_one_line_error(result, str(rc), "pkgs_dirs", "NUL")
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize("text, needle", [
    (f"dependencies:\n  - {DEEP_YAML}\n", "nested"),
    (f"name: x\ndependencies: {DEEP_YAML}\n", "nested"),
    (ALIAS_BOMB + "dependencies: [a]\n", "expands"),
    ("a: &a [*a]\ndependencies: [b]\n", "alias"),
], ids=["deep-dependency", "deep-dependencies", "alias-bomb", "recursive-alias"])
def test_hostile_environment_yml_is_an_error_naming_it(tmp_path, text, needle):
    env_file = tmp_path / "environment.yml"
    env_file.write_text(text)
    result = naja("create", "-p", tmp_path / "env", "-f", env_file, "--dry-run", "--offline", ok=False)
    assert_one_line_error(result, str(env_file), needle)


@pytest.mark.parametrize("text", [f"channels: {DEEP_YAML}\n", ALIAS_BOMB], ids=["deep", "alias-bomb"])
def test_hostile_condarc_is_an_error_naming_it(tmp_path, text):
    rc = tmp_path / ".condarc"
    rc.write_text(text)
    assert_one_line_error(naja("config", "list", ok=False, env={"CONDARC": str(rc)}), str(rc))


def test_hostile_lockfile_is_an_error_naming_it(tmp_path):
    lock = tmp_path / "conda-lock.yml"
    lock.write_text(f"version: 1\nmetadata: {DEEP_YAML}\npackage: []\n")
    result = naja("create", "-p", tmp_path / "env", "-f", lock, "--dry-run", "--offline", ok=False)
    assert_one_line_error(result, str(lock), "nested")


@pytest.mark.parametrize("command", [("list", "-p"), ("remove", "x", "--dry-run", "--offline", "-p"),
                                     ("env", "export", "-p")], ids=["list", "remove", "env-export"])
def test_deeply_nested_record_is_an_error_naming_it(tmp_path, command):
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("")
    record = prefix / "conda-meta" / "x-1-0.json"
    record.write_text(f'{{"name": "x", "version": "1", "build": "0", "depends": {DEEP_JSON}}}')
    assert_one_line_error(naja(*command, prefix, ok=False), str(record), "nested")


# -------------------------------------------------------------------------------------------- fuzz


def run_cli(*args: str | os.PathLike[str]) -> tuple[int, str]:
    """``naja ARGS`` in this process: its exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main([os.fspath(a) for a in args])
        except SystemExit as exc:  # argparse
            status = exc.code if isinstance(exc.code, int) else 1
    return status, err.getvalue()


def assert_no_catch_all(status: int, stderr: str, what: str) -> None:
    """No traceback and no ``error: unexpected`` line (a failure is otherwise the command's own: a
    search that finds nothing exits 1 with a notice, as micromamba's does)."""
    assert "Traceback" not in stderr, f"{what}:\n{stderr}"
    unexpected = [line for line in stderr.splitlines() if line.startswith("error: unexpected")]
    assert not unexpected, f"{what}: {unexpected[0]}"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A ``file://`` channel, an empty rc file (``CONDARC``) and a place for the inputs."""
    chan = simple_channel(tmp_path / "chan")
    rc = tmp_path / "condarc"
    rc.write_text(f"channels: [{chan.as_uri()}]\n")
    monkeypatch.setenv("CONDARC", str(rc))
    monkeypatch.setenv("CONDA_OFFLINE", "true")
    return tmp_path


_STRINGS = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["", " ", "a", "b >=1", "a[version='>1']", "::", "a==", "a=1=0=1", "*", "pip", "\x00",
                     "../x", "/abs/x", "a/b", "~", "$HOME", "${X", "{}", "[]", "- x", "&a", "*a", "!!python/x",
                     "sel(linux)", "conda-forge::a", "file:///nonexistent", "http://127.0.0.1:9/x", "1e999"]),
)
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), _STRINGS)
VALUES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_STRINGS, inner, max_size=4)), max_leaves=16)
HOSTILE_TEXT = st.sampled_from([DEEP_YAML, ALIAS_BOMB, "a: &a [*a]", "\ufeffname: x", "\t- x", "%YAML 9.9\n---",
                                "!!binary x", "? [a]\n: b", "---\n---\n", "a: !!set {x}", "a: 0o8", "<<: 1"])


def mutated(base: dict, keys: list[str] | None = None, size: int = 2) -> st.SearchStrategy[dict]:
    """``base`` with up to ``size`` of its (or ``keys``') fields replaced by arbitrary values or dropped:
    mostly-valid inputs get past the first check, where the bugs are."""
    fields = st.sampled_from(sorted(keys or base))
    return st.builds(lambda changes, dropped: {k: v for k, v in {**base, **changes}.items() if k not in dropped},
                     st.dictionaries(fields, VALUES, max_size=size), st.sets(fields, max_size=1))


def _yaml_text(doc: object) -> str:
    return json.dumps(doc, allow_nan=True)  # JSON is YAML (NaN and Infinity as .nan/.inf-like scalars)


ENV_DOCS = st.one_of(
    st.fixed_dictionaries({}, optional={
        "name": VALUES, "channels": st.one_of(VALUES, st.lists(_STRINGS, max_size=3)),
        "dependencies": st.one_of(VALUES, st.lists(st.one_of(_STRINGS, st.dictionaries(
            st.sampled_from(["pip", "sel(linux)", "sel(win)", "x"]), VALUES, max_size=2)), max_size=5)),
        "variables": VALUES, "prefix": VALUES, "platforms": VALUES,
    }).map(_yaml_text),
    VALUES.map(_yaml_text),
    HOSTILE_TEXT,
    st.text(max_size=200),
)


@FUZZ
@given(text=ENV_DOCS)
@example(text=f"dependencies:\n  - {DEEP_YAML}\n")
def test_fuzz_environment_files(workdir, text):
    env_file = workdir / "environment.yml"
    env_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    status, stderr = run_cli("create", "-p", workdir / "env", "-f", env_file, "--dry-run", "--offline")
    assert_no_catch_all(status, stderr, f"environment.yml {text[:200]!r}")


def _explicit_line(chan: str) -> st.SearchStrategy[str]:
    names = st.one_of(st.sampled_from(["a", "b", "../a", "", "a-1", "x" * 300]), st.text(max_size=10))
    exts = st.sampled_from([".tar.bz2", ".conda", "", ".zip", "/"])
    hashes = st.one_of(st.just(""), st.sampled_from(["#", "#0", "#" + "0" * 32, "#sha256:" + "1" * 64, "#md5:x"]),
                       st.text(max_size=70).map(lambda t: "#" + t))
    bases = st.sampled_from([chan + "/linux-64/", chan + "/noarch/", "file:///", "", "/", "http://127.0.0.1:9/c/",
                             "https://user:pw@127.0.0.1:9/t/tok/c/linux-64/", "::", "file://host/x/"])
    url = st.builds(lambda b, n, v, bld, e, h: f"{b}{n}-{v}-{bld}{e}{h}", bases, names,
                    st.sampled_from(["1.0", "", "1-2", "x"]), st.sampled_from(["0", "", "py_0"]), exts, hashes)
    good = st.sampled_from([f"{chan}/linux-64/a-1.0-0.tar.bz2", f"{chan}/linux-64/b-1.0-0.tar.bz2",
                            f"{chan}/noarch/d-1.0-0.tar.bz2#" + "0" * 32])
    return st.one_of(good, good, url, _STRINGS, st.sampled_from(["# platform: linux-64", "@EXPLICIT", "#", ""]))


@FUZZ
@given(data=st.data())
def test_fuzz_explicit_files(workdir, data):
    chan = (workdir / "chan").as_uri()
    lines = data.draw(st.lists(_explicit_line(chan), max_size=6))
    text = "\n".join(["@EXPLICIT", *lines]) + "\n"
    spec_file = workdir / "explicit.txt"
    spec_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    status, stderr = run_cli("create", "-p", workdir / "env", "-f", spec_file, "--dry-run", "--offline")
    assert_no_catch_all(status, stderr, f"explicit file {text[:300]!r}")


_LOCK_PACKAGE = mutated({
    "name": "a", "version": "1.0", "manager": "conda", "platform": "linux-64",
    "url": "http://127.0.0.1:9/c/linux-64/a-1.0-0.tar.bz2", "hash": {"md5": "0" * 32, "sha256": "1" * 64},
    "dependencies": {"b": ">=1"}, "category": "main", "optional": False,
}, size=1)
LOCK_DOCS = st.one_of(
    st.fixed_dictionaries({
        "version": st.just(1) | st.just(1) | VALUES,
        "metadata": st.fixed_dictionaries({}, optional={"platforms": VALUES | st.just(["linux-64"]),
                                                        "channels": VALUES, "content_hash": VALUES}) | VALUES,
        "package": st.lists(_LOCK_PACKAGE, min_size=1, max_size=3) | st.lists(_LOCK_PACKAGE, max_size=3) | VALUES,
    }).map(_yaml_text),
    HOSTILE_TEXT,
)


@FUZZ
@given(text=LOCK_DOCS)
@example(text='{"version": 1, "metadata": {"channels": "\\ud800\\udc00"}, "package": null}')
def test_fuzz_lockfiles(workdir, text):
    lock = workdir / "conda-lock.yml"
    lock.write_text(text, encoding="utf-8", errors="surrogatepass")
    status, stderr = run_cli("create", "-p", workdir / "env", "-f", lock, "--dry-run", "--offline")
    assert_no_catch_all(status, stderr, f"lockfile {text[:300]!r}")


RC_DOCS = st.one_of(
    st.dictionaries(st.sampled_from(sorted(KEYS)) | _STRINGS, VALUES, max_size=4).map(_yaml_text),
    HOSTILE_TEXT,
)


@FUZZ
@given(text=RC_DOCS)
@example(text='pkgs_dirs: ["/tmp/a\\u0000b"]')
def test_fuzz_rc_files(workdir, text):
    rc = Path(os.environ["CONDARC"])
    rc.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (("config", "list"), ("info",), ("create", "-p", workdir / "env", "--dry-run", "--offline")):
        status, stderr = run_cli(*args)
        assert_no_catch_all(status, stderr, f"naja {args[0]} with rc file {text[:300]!r}")


RECORDS = mutated({
    "name": "x", "version": "1", "build": "0", "build_number": 0, "depends": ["b >=1"], "files": ["bin/x"],
    "paths_data": {"paths_version": 1, "paths": [{"_path": "bin/x", "path_type": "hardlink"}]},
    "url": "http://127.0.0.1:9/c/linux-64/x-1-0.tar.bz2", "channel": "http://127.0.0.1:9/c", "subdir": "linux-64",
    "fn": "x-1-0.tar.bz2", "md5": "0" * 32, "link": {"source": "/nonexistent/x-1-0", "type": 1},
    "requested_spec": "x", "size": 1,
}, keys=["name", "version", "build", "build_number", "depends", "files", "paths_data", "url", "channel", "subdir",
         "fn", "md5", "link", "requested_spec", "size", "noarch", "extracted_package_dir", "constrains",
         "track_features", "timestamp", "license"])
HISTORY = st.lists(st.one_of(_STRINGS, st.builds(lambda k, v: f"# {k}: {v}", st.sampled_from(
    ["cmd", "update specs", "remove specs", "neutered specs", "conda version"]), _STRINGS | VALUES.map(repr)),
    st.sampled_from(["==> 2024-01-01 00:00:00 <==", "+x-1-0", "-x-1-0"])), max_size=6).map("\n".join)


@FUZZ
@given(record=RECORDS.map(lambda d: json.dumps(d, allow_nan=True)) | HOSTILE_TEXT | st.text(max_size=80),
       history=HISTORY)
@example(record=f'{{"name": "x", "version": "1", "build": "0", "depends": {DEEP_JSON}}}', history="")
@example(record='{"name": "x\\ud800", "version": "1", "build": "0"}', history="")
def test_fuzz_conda_meta_records(workdir, record, history):
    prefix = workdir / "env"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    for old in meta.iterdir():
        old.unlink()
    (meta / "history").write_text(history, encoding="utf-8", errors="surrogatepass")
    (meta / "x-1-0.json").write_text(record, encoding="utf-8", errors="surrogatepass")
    for args in (("list", "-p", prefix), ("list", "-p", prefix, "--json"), ("env", "export", "-p", prefix),
                 ("remove", "-p", prefix, "x", "--dry-run", "--offline"),
                 ("install", "-p", prefix, "a", "--dry-run", "--offline")):
        status, stderr = run_cli(*args)
        assert_no_catch_all(status, stderr, f"naja {' '.join(map(str, args[:2]))} with record {record[:300]!r} "
                                            f"and history {history[:200]!r}")


CHANNEL_RECORDS = mutated({
    "name": "a", "version": "1.0", "build": "0", "build_number": 0, "depends": ["b >=1"], "constrains": [],
    "subdir": "linux-64", "md5": "0" * 32, "sha256": "1" * 64, "size": 10, "timestamp": 1700000000000,
    "track_features": "", "license": "MIT", "noarch": None,
}, keys=["name", "version", "build", "build_number", "depends", "constrains", "subdir", "md5", "sha256", "size",
         "timestamp", "track_features", "features", "noarch", "python_site_packages_path", "license"])


@FUZZ
@given(record=CHANNEL_RECORDS, fn=st.sampled_from(["a-1.0-0.tar.bz2", "a-1.0-0.conda", "../a-1.0-0.conda", "a"]))
def test_fuzz_channel_records(workdir, record, fn):
    """A ``file://`` channel whose record for ``a`` is hostile: the solve, search and repoquery report
    it or ignore it, and never reach the catch-all."""
    chan = workdir / "chan"
    b = {"name": "b", "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "linux-64"}
    doc = {"info": {"subdir": "linux-64"}, "packages": {"b-1.0-0.tar.bz2": b}, "packages.conda": {}}
    doc["packages.conda" if fn.endswith(".conda") else "packages"][fn] = record
    (chan / "linux-64" / "repodata.json").write_text(json.dumps(doc, allow_nan=True), encoding="utf-8",
                                                     errors="surrogatepass")
    url = chan.as_uri()
    for args in (("create", "-p", workdir / "env", "--dry-run", "a", "-c", url, "--override-channels"),
                 ("search", "a", "-c", url, "--override-channels"),
                 ("repoquery", "depends", "a", "-c", url, "--override-channels")):
        status, stderr = run_cli(*args, "--offline")
        assert_no_catch_all(status, stderr, f"naja {args[0]} with record {fn}: {json.dumps(record)[:300]}")
