"""Secrets at rest (issue 13, class 4): a package URL carrying ``user:password@`` or ``/t/<token>/``
(from an ``@EXPLICIT`` file, a lockfile, or a clone) reaches the server, but conda-meta, the package
cache's ``repodata_record.json``, history, exports, ``list --json`` and every line naja prints keep
the URL without credentials, as conda keeps it. A clone (which reads those clean records) gets the
credentials back at download time from the credential store."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.packages import make_channel

TOKEN = "tk-at-rest-5ecr3t"
PASSWORD = "pw-at-rest-5ecr3t"
BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
SECRETS = (TOKEN, PASSWORD, BASIC)


def _no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} leaks a credential: {text[max(0, text.find(secret) - 80):][:200]}"


def _scan(*roots: Path) -> int:
    scanned = 0
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                if not path.is_symlink():
                    _no_secret(path.read_bytes().decode("utf-8", "replace"), str(path))
                    scanned += 1
    return scanned


@pytest.fixture
def private(tmp_path, serve):
    """A channel that needs both a token in the path and basic auth."""
    make_channel(tmp_path / "srv" / "t" / TOKEN / "chan", [
        dict(name="a", version="1", depends=["b"], files={"share/a.txt": "a"}),
        dict(name="b", version="1", files={"share/b.txt": "b"}),
    ], shards=False)
    server = serve(tmp_path / "srv")
    server.gate = lambda h: h.headers.get("Authorization") == f"Basic {BASIC}"
    host = server.url.split("://", 1)[1]
    return server, host, f"http://alice:{PASSWORD}@{host}/t/{TOKEN}/chan"


def test_explicit_urls_with_credentials_are_stored_without_them(tmp_path, private):
    server, host, secret_url = private
    explicit = tmp_path / "explicit.txt"
    explicit.write_text(f"@EXPLICIT\n{secret_url}/linux-64/b-1-0.conda\n{secret_url}/linux-64/a-1-0.conda\n")
    env = {"CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
    prefix = tmp_path / "env"
    outputs = [naja("create", "-y", "-vv", "-p", prefix, "-f", explicit, env=env),
               naja("list", "--json", "-p", prefix, env=env),
               naja("list", "--explicit", "-p", prefix, env=env),
               naja("env", "export", "-p", prefix, env=env)]
    assert (prefix / "share" / "a.txt").read_text() == "a"
    assert any(p == f"/t/{TOKEN}/chan/linux-64/a-1-0.conda" for p in server.paths_requested())
    for result in outputs:
        _no_secret(result.stdout + result.stderr, "naja output")
    record = json.loads((prefix / "conda-meta" / "a-1-0.json").read_text())
    assert record["url"] == f"http://{host}/chan/linux-64/a-1-0.conda"
    assert record["channel"] == f"http://{host}/chan"
    cached = json.loads((tmp_path / "pkgs" / "a-1-0" / "info" / "repodata_record.json").read_text())
    assert cached["url"] == record["url"]
    listed = {r["name"]: r for r in outputs[1].json()}
    assert listed["a"]["url"] == record["url"]
    assert _scan(prefix, tmp_path / "pkgs", Path(os.environ["HOME"])) > 10


def test_lockfile_urls_with_credentials_are_stored_without_them(tmp_path, private):
    _server, host, secret_url = private
    clean_url = f"http://{host}/chan"
    envfile = tmp_path / "environment.yml"
    envfile.write_text(f"name: x\nchannels: [{secret_url}]\ndependencies: [a]\n")
    lock = tmp_path / "conda-lock.yml"
    naja("lock", "-f", envfile, "--platform", "linux-64", "-o", lock)
    _no_secret(lock.read_text(), "the lockfile naja wrote")
    # a lockfile written by another tool, with the credentials in its URLs
    lock.write_text(lock.read_text().replace(clean_url, secret_url).replace(f"http://{host}/t/*****/chan", secret_url))
    assert PASSWORD in lock.read_text()
    prefix = tmp_path / "env"
    result = naja("create", "-y", "--json", "-p", prefix, "-f", lock, env={"CONDA_PKGS_DIRS": str(tmp_path / "pkgs")})
    _no_secret(result.stdout + result.stderr, "create --json")
    assert (prefix / "share" / "b.txt").read_text() == "b"
    _scan(prefix, tmp_path / "pkgs")


def test_clone_gets_credentials_back_from_the_store(tmp_path, private):
    _server, host, secret_url = private
    explicit = tmp_path / "explicit.txt"
    explicit.write_text(f"@EXPLICIT\n{secret_url}/linux-64/b-1-0.conda\n")
    naja("create", "-y", "-p", tmp_path / "src", "-f", explicit, env={"CONDA_PKGS_DIRS": str(tmp_path / "p1")})
    env = {"CONDA_PKGS_DIRS": str(tmp_path / "p2")}
    # nothing on disk says how to authenticate: the clone fails in one clean line
    refused = naja("create", "-y", "-p", tmp_path / "c1", "--clone", tmp_path / "src", env=env, ok=False)
    assert_one_line_error(refused, "b-1-0.conda")
    _no_secret(refused.stdout + refused.stderr, "a clone error")
    # the credential store (what 'auth login' writes) puts them back for the download only
    auth = Path(os.environ["HOME"]) / ".mamba" / "auth" / "authentication.json"
    auth.parent.mkdir(parents=True, exist_ok=True)
    auth.write_text(json.dumps({host: {"type": "CondaToken", "token": TOKEN}}))
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {PASSWORD}\n")
    result = naja("create", "-y", "-vv", "-p", tmp_path / "c2", "--clone", tmp_path / "src",
                  env={**env, "NETRC": str(netrc)})
    assert (tmp_path / "c2" / "share" / "b.txt").read_text() == "b"
    _no_secret(result.stdout + result.stderr, "clone output")
    _scan(tmp_path / "c2", tmp_path / "p2")
