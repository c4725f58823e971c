"""Credentials in channel URLs (``/t/<token>/`` and ``user:password@``) reach the server and nothing
else: not the terminal (even at ``-vvv``), not ``--json``, not conda-meta (``channel``/``url`` are
stored redacted, as conda does), not history, urls.txt, the caches, exports or lockfiles, and not
error messages.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import naja
from tests.support.packages import make_channel

TOKEN = "tk-5ecr3t-0f-the-channel"
PASSWORD = "pa55-w0rd-n0t-for-logs"
SECRETS = (TOKEN, PASSWORD, base64.b64encode(f"alice:{PASSWORD}".encode()).decode())


@pytest.fixture
def secret_channel(tmp_path, serve):
    srv = tmp_path / "srv"
    make_channel(srv / "t" / TOKEN / "chan", [
        dict(name="a", version="1", depends=["b"], files={"share/a.txt": "a"}),
        dict(name="b", version="1", files={"share/b.txt": "b"}),
        dict(name="c", version="1", files={"share/c.txt": "c"}),
    ])
    server = serve(srv)
    host = server.url.split("://", 1)[1]
    return server, f"{server.url}/t/{TOKEN}/chan", f"http://alice:{PASSWORD}@{host}/t/{TOKEN}/chan"


def _no_secret(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text, f"{where} leaks a credential: ...{text[max(0, text.find(secret) - 80):][:200]}"


def _scan_tree(root: Path) -> int:
    scanned = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            _no_secret(str(path), "a file name")
            if path.is_symlink():
                continue
            _no_secret(path.read_bytes(), str(path))
            scanned += 1
    return scanned


def test_credentials_reach_the_server_and_nothing_else(tmp_path, secret_channel):
    server, token_url, auth_url = secret_channel
    home = Path(os.environ["HOME"])
    env = {"CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
    outputs: list[tuple[str, str]] = []

    def run(*args, ok=True):
        result = naja(*args, ok=ok, env=env)
        outputs.append((" ".join(map(str, args)), result.stdout + result.stderr))
        return result

    env1, env2 = tmp_path / "env1", tmp_path / "env2"
    run("create", "-y", "-vvv", "-p", env1, "-c", auth_url, "a")
    created = run("create", "--json", "-p", env2, "-c", token_url, "c")
    assert created.json()["success"] is True
    run("install", "-y", "-vv", "-p", env2, "-c", auth_url, "a")
    run("list", "-p", env1)
    run("list", "--json", "-p", env1)
    run("env", "export", "-p", env1)
    run("env", "export", "--explicit", "-p", env1)
    run("search", "-c", token_url, "a")
    run("info")
    run("remove", "-y", "-vvv", "-p", env2, "c")

    # the server did get the credentials: the token in the path, basic auth in the header
    requested = server.paths_requested()
    assert any(p.startswith(f"/t/{TOKEN}/chan/linux-64/") and p.endswith(".conda") for p in requested)
    assert any(p == f"/t/{TOKEN}/chan/linux-64/repodata.json" or "repodata" in p for p in requested)
    auth_headers = [h.get("Authorization", "") for _, _, h in server.requests]
    assert f"Basic {SECRETS[2]}" in auth_headers

    for command, text in outputs:
        _no_secret(text, f"'naja {command}' output")
    meta = sorted((env1 / "conda-meta").glob("*.json"))
    assert meta
    import json

    for path in meta:
        record = json.loads(path.read_text())
        assert record["channel"].endswith("/t/*****/chan") or "/t/" not in record["channel"], record["channel"]
        assert "/t/" not in record["url"] or "/t/*****/" in record["url"], record["url"]
    scanned = sum(_scan_tree(root) for root in (env1, env2, tmp_path / "pkgs", home))
    assert scanned > 20


def test_lockfile_from_a_channel_with_credentials(tmp_path, secret_channel):
    _server, token_url, auth_url = secret_channel
    envfile = tmp_path / "environment.yml"
    envfile.write_text(f"name: x\nchannels:\n  - {auth_url}\n  - {token_url}\ndependencies:\n  - a\n")
    out = tmp_path / "conda-lock.yml"
    result = naja("lock", "-f", envfile, "-p", "linux-64", "-o", out, "-vvv", ok=None)
    if result.returncode != 0 and "unrecognized arguments" in result.stderr:
        result = naja("lock", "-f", envfile, "--platform", "linux-64", "-o", out, "-vvv")
    assert result.returncode == 0, result.stderr
    _no_secret(result.stdout + result.stderr, "naja lock output")
    text = out.read_text()
    _no_secret(text, "the lockfile")
    assert "/t/*****/chan" in text or "chan" in text


def test_errors_never_show_credentials(tmp_path, secret_channel):
    _server, token_url, auth_url = secret_channel
    # repodata lists a package whose file is gone: the download error names the package, not the token
    shutil.rmtree(tmp_path / "pkgs", ignore_errors=True)
    archive = tmp_path / "srv" / "t" / TOKEN / "chan" / "linux-64" / "c-1-0.conda"
    archive.unlink()
    env = {"CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
    for url in (token_url, auth_url):
        result = naja("create", "-y", "-vvv", "-p", tmp_path / "env", "-c", url, "c", ok=None, env=env)
        assert result.returncode != 0
        assert "c-1-0.conda" in result.stderr or " c" in result.stderr
        _no_secret(result.stdout + result.stderr, "a download error")
    # a channel that is not there
    result = naja("create", "-y", "-p", tmp_path / "env", "-c", auth_url + "-missing", "c", ok=False, env=env)
    _no_secret(result.stdout + result.stderr, "a missing-channel error")
    # credentials in .condarc instead of on the command line
    rc = tmp_path / "condarc"
    rc.write_text(f"channels:\n  - {auth_url}\n")
    result = naja("create", "-y", "-vvv", "--rc-file", rc, "-p", tmp_path / "env3", "a", env=env)
    _no_secret(result.stdout + result.stderr, "output with credentials from .condarc")
    info = naja("info", "--rc-file", rc, env=env)
    _no_secret(info.stdout + info.stderr, "naja info with credentials from .condarc")


def test_config_commands_never_show_credentials(tmp_path):
    rc = tmp_path / "condarc"
    rc.write_text(
        f"channels:\n  - https://example.invalid/t/{TOKEN}/chan\n"
        f"custom_channels:\n  private: https://alice:{PASSWORD}@example.invalid\n"
        f"channel_alias: https://alice:{PASSWORD}@alias.invalid\n"
    )
    for args in (["config", "list", "--rc-file", rc], ["config", "list", "--json", "--rc-file", rc],
                 ["config", "get", "channel_alias", "--rc-file", rc]):
        result = naja(*args)
        _no_secret(result.stdout + result.stderr, " ".join(map(str, args)))
        assert "example.invalid" in result.stdout or "alias.invalid" in result.stdout
