"""Private channels, mirrors and the channel/network settings end to end on loopback (issue 18):
the credential store (``.netrc``, micromamba's authentication file), ``mirrored_channels``,
``remote_backoff_factor``, the existing channel and retry keys, and ``-f https://…`` inputs."""

from __future__ import annotations

import base64
import itertools
import json
import os
import socket
import time
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.net import free_port
from tests.support.packages import make_channel

TOKEN = "t0ken-0f-the-private-channel"
PASSWORD = "s3cret-pa55-for-the-channel"
BEARER = "bearer-t0ken-n0t-for-logs"
SECRETS = (TOKEN, PASSWORD, BEARER, base64.b64encode(f"alice:{PASSWORD}".encode()).decode())
_CLEAN_ENV = {k: "" for k in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
                              "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NETRC")}
_counter = itertools.count()
PKGS = [dict(name="a", version="1", depends=["b"], files={"share/a.txt": "a"}),
        dict(name="b", version="1", files={"share/b.txt": "b"})]


def run(tmp_path: Path, *args, env=None, rc: str | None = None, ok=True, pkgs: Path | None = None):
    n = next(_counter)
    full = {**_CLEAN_ENV, "CONDA_PKGS_DIRS": str(pkgs or tmp_path / f"pkgs{n}"), **(env or {})}
    extra: list[str] = []
    if rc is not None:
        (tmp_path / f"condarc{n}").write_text(rc)
        extra = ["--rc-file", str(tmp_path / f"condarc{n}")]
    return naja(*args, *extra, env=full, ok=ok)


def no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text


def scan(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink():
                no_secret(path.read_bytes().decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def plain_channel(tmp_path_factory) -> Path:
    return make_channel(tmp_path_factory.mktemp("srv") / "chan", PKGS)


# -------------------------------------------------------------------------------------- credentials


def _gate(expected: str):
    return lambda handler: handler.headers.get("Authorization") == expected


@pytest.mark.parametrize("kind", ["netrc", "BasicHTTPAuthentication", "BearerToken", "CondaToken"])
def test_credential_store(kind, tmp_path, serve):
    srv = tmp_path / "srv"
    home = Path(os.environ["HOME"])
    if kind == "CondaToken":
        make_channel(srv / "t" / TOKEN / "chan", PKGS)
    else:
        make_channel(srv / "chan", PKGS)
    server = serve(srv)
    host = server.url.split("://", 1)[1]
    env: dict[str, str] = {}
    if kind == "netrc":
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1\n  login alice\n  password {PASSWORD}\n")
        env["NETRC"] = str(netrc)
    else:
        entry = {"BasicHTTPAuthentication": {"type": kind, "user": "alice",
                                             "password": base64.b64encode(PASSWORD.encode()).decode()},
                 "BearerToken": {"type": kind, "token": BEARER},
                 "CondaToken": {"type": kind, "token": TOKEN}}[kind]
        auth = home / ".mamba" / "auth" / "authentication.json"
        auth.parent.mkdir(parents=True, exist_ok=True)
        auth.write_text(json.dumps({host: entry}))
    if kind in ("netrc", "BasicHTTPAuthentication"):
        server.gate = _gate("Basic " + SECRETS[3])
    elif kind == "BearerToken":
        server.gate = _gate(f"Bearer {BEARER}")
    prefix = tmp_path / "env"
    result = run(tmp_path, "create", "-y", "-vv", "-p", prefix, "--override-channels", "-c", f"{server.url}/chan",
                 "a", env=env, pkgs=tmp_path / "pkgs")
    assert (prefix / "share" / "a.txt").read_text() == "a"
    listed = run(tmp_path, "list", "--json", "-p", prefix)
    no_secret(result.stdout, result.stderr, listed.stdout)
    scan(prefix)
    scan(tmp_path / "pkgs")
    if kind == "CondaToken":
        assert all(p.startswith(f"/t/{TOKEN}/chan/") for p in server.paths_requested())
    else:
        assert any(p.endswith("a-1-0.conda") for p in server.paths_requested())
        # without the store: one line saying authentication is needed (and where)
        if kind == "netrc":
            env["NETRC"] = str(tmp_path / "missing-netrc")
        else:
            (home / ".mamba" / "auth" / "authentication.json").unlink()
        refused = run(tmp_path, "search", "--override-channels", "-c", f"{server.url}/chan", "a", env=env, ok=False)
        assert_one_line_error(refused, "authentication required", "127.0.0.1")


def test_credential_store_matching_and_bad_files(tmp_path):
    from naja.errors import ConfigError
    from naja.net.credentials import CredentialStore, read_auth_file

    auth = tmp_path / "authentication.json"
    auth.write_text(json.dumps({
        "private.example.org": {"type": "BearerToken", "token": "outer"},
        "private.example.org/team": {"type": "CondaToken", "token": "inner"},
        "other.example.org:8443": {"type": "BasicHTTPAuthentication", "user": "u",
                                   "password": base64.b64encode(b"p").decode()},
    }))
    store = CredentialStore(read_auth_file(auth))
    assert store.attach("https://private.example.org/team/linux-64/x.conda") == (
        "https://private.example.org/t/inner/team/linux-64/x.conda", {})
    assert store.attach("https://private.example.org/teamX/repodata.json")[1] == {"Authorization": "Bearer outer"}
    assert store.attach("https://other.example.org:8443/c")[1] == {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    assert store.attach("https://other.example.org/c") == ("https://other.example.org/c", {})  # port differs
    # credentials in the URL win over the store
    url, headers = store.attach("https://bob:pw@private.example.org/team/x")
    assert url == "https://private.example.org/team/x" and headers["Authorization"].startswith("Basic ")
    for bad, needle in (("[1]", "JSON object"), ("{", "not valid JSON"), ('{"h": {"type": "Nope"}}', "'h'"),
                        ('{"h": {"type": "BasicHTTPAuthentication", "user": "u", "password": "%%%"}}', "base64")):
        auth.write_text(bad)
        with pytest.raises(ConfigError, match=needle) as info:
            read_auth_file(auth)
        assert str(auth) in str(info.value)


# ------------------------------------------------------------------------------------------ mirrors


def test_mirrored_channels_fall_back_and_remember(tmp_path, plain_channel, serve):
    good = serve(plain_channel.parent)
    bad = serve(tmp_path)
    bad.always_status = 503
    dead = f"http://127.0.0.1:{free_port()}/chan"
    rc = (f"channels: [mychan]\nremote_max_retries: 0\nmirrored_channels:\n"
          f"  mychan: [{dead}, {bad.url}/chan, {good.url}/chan]\n")
    prefix = tmp_path / "env"
    run(tmp_path, "create", "-y", "-p", prefix, "a", rc=rc)
    assert (prefix / "share" / "b.txt").read_text() == "b"
    assert any(p.startswith("/chan/linux-64/repodata") for p in bad.paths_requested())
    # the failing mirror is remembered: the packages come from the good one without asking it again
    assert not [p for p in bad.paths_requested() if p.endswith(".conda")]
    assert sum(p.endswith(".conda") for p in good.paths_requested()) == 2
    record = json.loads(next((prefix / "conda-meta").glob("a-1-0.json")).read_text())
    assert record["url"] == "https://conda.anaconda.org/mychan/linux-64/a-1-0.conda"


def test_remote_backoff_factor_sets_the_wait(tmp_path, plain_channel, serve):
    from naja.config.load import load_config
    from naja.repodata import fetch

    server = serve(plain_channel.parent)
    url = f"{server.url}/chan/linux-64/repodata.json"
    elapsed = {}
    for factor in (0, 4):
        rc = tmp_path / f"rc{factor}"
        rc.write_text(f"remote_backoff_factor: {factor}\nremote_max_retries: 2\n")
        options = fetch.HttpOptions(load_config(rc_files=[rc]).network)
        server.faults["/chan/linux-64/repodata.json"] = [500, 500]
        start = time.monotonic()
        assert fetch.get(url, label="x", options=options).status == 200
        elapsed[factor] = time.monotonic() - start
    assert elapsed[0] < 0.3, elapsed
    assert elapsed[4] >= 0.2 + 0.8, elapsed  # 0.2 s, then 0.2 s * 4


# --------------------------------------------------------------------------- existing channel keys


def _search(tmp_path, *channels, rc: str, **kw):
    args = [a for c in channels for a in ("-c", c)]
    return run(tmp_path, "search", "--json", *args, "a", rc=rc, **kw)


def _found(result) -> bool:
    return "a-1-0" in result.stdout or '"a"' in result.stdout


def test_channel_name_keys(tmp_path, serve):
    srv = tmp_path / "srv"
    make_channel(srv / "one", PKGS)
    make_channel(srv / "mine", PKGS)
    make_channel(srv / "two", [dict(name="c", version="1")])
    server = serve(srv)
    assert _found(_search(tmp_path, "one", rc=f"channel_alias: {server.url}\nchannels: []\n"))
    # custom_channels: the name is appended to the location, as conda does (mine -> <url>/mine)
    before = len(server.requests)
    assert _found(_search(tmp_path, "mine", rc=f"custom_channels:\n  mine: {server.url}\nchannels: []\n"))
    assert any(p.startswith("/mine/linux-64/repodata") for _, p, _ in server.requests[before:])
    multi = run(tmp_path, "search", "--json", "-c", "both", "c", rc=(
        f"custom_multichannels:\n  both: [{server.url}/one, {server.url}/two]\nchannels: []\n"))
    assert '"c"' in multi.stdout
    assert _found(_search(tmp_path, "defaults", rc=f"default_channels: [{server.url}/one]\nchannels: []\n"))


def test_repodata_keys(tmp_path, plain_channel, serve):
    server = serve(plain_channel.parent)
    url = f"{server.url}/chan"

    def requested(rc: str, pkgs: Path | None = None) -> list[str]:
        before = len(server.requests)
        _search(tmp_path, url, rc=rc, pkgs=pkgs)
        return [p for _, p, _ in server.requests[before:]]

    plain = requested("repodata_use_zst: false\nuse_sharded_repodata: false\n")
    assert "/chan/linux-64/repodata.json" in plain and not any(p.endswith(".zst") for p in plain)
    zst = requested("repodata_use_zst: true\nuse_sharded_repodata: false\n")
    assert "/chan/linux-64/repodata.json.zst" in zst and not any("shards" in p for p in zst)
    shards = requested("use_sharded_repodata: true\n")
    assert any("repodata_shards" in p for p in shards)
    # local_repodata_ttl: a long lifetime asks nothing the second time; 0 revalidates
    cache = tmp_path / "ttl-pkgs"
    rc = "use_sharded_repodata: false\nlocal_repodata_ttl: 3600\n"
    assert requested(rc, cache)
    assert requested(rc, cache) == []
    assert requested("use_sharded_repodata: false\nlocal_repodata_ttl: 0\n", cache)


def test_retries_and_timeouts(tmp_path, plain_channel, serve):
    server = serve(plain_channel.parent)
    url = f"{server.url}/chan"
    rc = "use_sharded_repodata: false\nrepodata_use_zst: false\nremote_backoff_factor: 0\n"
    path = "/chan/linux-64/repodata.json"
    server.faults[path] = [503, 503]
    failed = _search(tmp_path, url, rc=rc + "remote_max_retries: 1\n", ok=False)
    assert "503" in failed.stdout + failed.stderr
    server.faults[path] = [503, 503]
    assert _found(_search(tmp_path, url, rc=rc + "remote_max_retries: 2\n"))

    def slow(handler):
        time.sleep(8)
        handler.send_bytes(200, b"{}", {})

    server.faults[path] = [slow]
    start = time.monotonic()
    timed_out = _search(tmp_path, url, rc=rc + "remote_max_retries: 0\nremote_read_timeout_secs: 0.5\n", ok=False)
    assert time.monotonic() - start < 7  # the server answers after 8 s
    assert_one_line_error(timed_out, "timed out")


def test_connect_timeout(tmp_path):
    """A listener whose backlog is full never completes a handshake: the connect timeout decides."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.2)
        rc = "remote_max_retries: 0\nremote_connect_timeout_secs: 0.5\n"
        start = time.monotonic()
        result = _search(tmp_path, f"http://127.0.0.1:{port}/chan", rc=rc, ok=False)
        assert time.monotonic() - start < 5
        assert_one_line_error(result, "cannot connect")
    finally:
        for s in fillers:
            s.close()
        listener.close()


# ------------------------------------------------------------------------------------ remote inputs


def test_remote_file_inputs(tmp_path, plain_channel, serve):
    server = serve(plain_channel.parent)
    files = serve(tmp_path / "files") if (tmp_path / "files").mkdir() is None else None
    url = f"{server.url}/chan"
    (tmp_path / "files" / "environment.yml").write_text(f"name: x\nchannels: [{url}]\ndependencies: [a]\n")
    (tmp_path / "files" / "explicit.txt").write_text(f"@EXPLICIT\n{url}/linux-64/b-1-0.conda\n")
    for name, wanted in (("environment.yml", "a.txt"), ("explicit.txt", "b.txt")):
        prefix = tmp_path / name
        run(tmp_path, "create", "-y", "-p", prefix, "-f", f"{files.url}/{name}")
        assert (prefix / "share" / wanted).is_file(), name
    lock = tmp_path / "files" / "conda-lock.yml"
    naja("lock", "-f", tmp_path / "files" / "environment.yml", "--platform", "linux-64", "-o", lock)
    run(tmp_path, "create", "-y", "-p", tmp_path / "locked", "-f", f"{files.url}/conda-lock.yml")
    assert (tmp_path / "locked" / "share" / "b.txt").is_file()
    missing = run(tmp_path, "create", "-y", "-p", tmp_path / "m", "-f", f"{files.url}/nope.yml", ok=False)
    assert_one_line_error(missing, "nope.yml", "not found")
