"""Networks as users have them (issue 18): proxies from the environment and ``proxy_servers``,
``NO_PROXY``, authenticated proxies and ``CONNECT``, and the TLS trust order. Every server, proxy
and certificate authority is started by the test on loopback."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, naja
from tests.support.faults import TlsLoopbackServer
from tests.support.net import ClientCertTlsServer, ForwardProxy, free_port, make_pki
from tests.support.packages import make_channel

PROXY_PASSWORD = "pr0xy-pa55-n0t-for-logs"
_NO_PROXY_ENV = {k: "" for k in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
                                 "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                                 "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "NETRC")}
_counter = itertools.count()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> Path:
    return make_channel(tmp_path_factory.mktemp("chan") / "chan",
                        [dict(name="a", version="1", files={"share/a.txt": "a"})], shards=False)


@pytest.fixture
def tls_server(pki, channel):
    server = TlsLoopbackServer(channel.parent, pki.server_cert, pki.server_key).__enter__()
    yield server
    server.__exit__(None, None, None)


def run(tmp_path: Path, *args, env: dict[str, str] | None = None, rc: str | None = None, ok=True):
    """``naja ARGS`` with a fresh package cache (so repodata is fetched again) and no proxy or CA
    variables inherited from the machine running the tests."""
    n = next(_counter)
    full = {**_NO_PROXY_ENV, "CONDA_PKGS_DIRS": str(tmp_path / f"pkgs{n}"), **(env or {})}
    extra: list[str] = []
    if rc is not None:
        rc_file = tmp_path / f"condarc{n}"
        rc_file.write_text(rc)
        extra = ["--rc-file", str(rc_file)]
    return naja(*args, *extra, env=full, ok=ok)


def search(tmp_path, url, **kw):
    return run(tmp_path, "search", "--override-channels", "-c", url, "a", **kw)


# ------------------------------------------------------------------------------------------ proxies


def test_no_proxy_rules_as_curl_applies_them():
    from naja.net.proxy import bypasses

    rules = ("example.com", ".corp.net", "10.0.0.0/8", "::1/128", "192.168.1.7", "Host.Local:8080")
    assert bypasses("example.com", rules) and bypasses("a.b.example.com", rules)
    assert not bypasses("badexample.com", rules)
    assert bypasses("corp.net", rules) and bypasses("x.corp.net", rules)
    assert bypasses("10.200.3.4", rules) and not bypasses("11.0.0.1", rules)
    assert bypasses("[::1]", rules) and not bypasses("::2", rules)
    assert bypasses("192.168.1.7", rules) and not bypasses("192.168.1.8", rules)
    assert bypasses("host.local", rules)
    assert bypasses("anything", ("*",))
    assert not bypasses("example.com", ())


def test_proxy_choice_order():
    from naja.net.proxy import ProxySettings

    env = {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:1", "HTTPS_PROXY": "up:3128",
           "NO_PROXY": "internal.org"}
    settings = ProxySettings.from_sources({"https://special.org": "http://conf:9"}, env)
    assert settings.proxy_for("http://x.org/a") == "http://lower:1"  # lower case wins, as curl
    assert settings.proxy_for("https://x.org/a") == "http://up:3128"  # scheme-less: http://
    assert settings.proxy_for("https://special.org/a") == "http://conf:9"  # proxy_servers first
    assert settings.proxy_for("http://a.internal.org/x") == ""
    configured = ProxySettings.from_sources({"http": "http://conf:9"}, env)
    assert configured.proxy_for("http://a.internal.org/x") == "http://conf:9"  # NO_PROXY: variables only


def test_requests_go_through_the_proxy_variables(tmp_path, channel, serve):
    server = serve(channel.parent)
    with ForwardProxy() as proxy:
        url = f"{server.url}/chan"
        env = {"http_proxy": f"http://{proxy.address}", "HTTP_PROXY": f"http://127.0.0.1:{free_port()}"}
        run(tmp_path, "create", "-y", "-p", tmp_path / "env", "--override-channels", "-c", url, "a", env=env)
        assert (tmp_path / "env" / "share" / "a.txt").read_text() == "a"
        targets = [t for _, t, _ in proxy.requests]
        assert any(t.startswith(f"{url}/linux-64/repodata") for t in targets), targets
        assert any(t.endswith("/a-1-0.conda") for t in targets), targets
        # NO_PROXY (a CIDR rule) sends the same requests direct, past a proxy that is not there
        dead = {"HTTP_PROXY": f"http://127.0.0.1:{free_port()}", "NO_PROXY": "example.org,127.0.0.0/8"}
        before = len(proxy.requests)
        search(tmp_path, url, env=dead)
        assert len(proxy.requests) == before


def test_proxy_servers_wins_over_the_variables(tmp_path, channel, serve):
    server = serve(channel.parent)
    with ForwardProxy() as proxy:
        rc = f"proxy_servers:\n  http: http://{proxy.address}\n"
        search(tmp_path, f"{server.url}/chan", rc=rc, env={"HTTP_PROXY": f"http://127.0.0.1:{free_port()}"})
        assert any("/linux-64/repodata" in t for _, t, _ in proxy.requests)
        # proxy_servers without an entry for this scheme: the variable still applies
        proxy.requests.clear()
        rc = f"proxy_servers:\n  https: http://127.0.0.1:{free_port()}\n"
        search(tmp_path, f"{server.url}/chan", rc=rc, env={"HTTP_PROXY": f"http://{proxy.address}"})
        assert any("/linux-64/repodata" in t for _, t, _ in proxy.requests)


def test_https_through_an_authenticated_connect_proxy(tmp_path, pki, tls_server):
    with ForwardProxy(credentials=f"alice:{PROXY_PASSWORD}") as proxy:
        proxy_url = f"http://alice:{PROXY_PASSWORD.replace('-', '%2D')}@{proxy.address}"
        result = run(tmp_path, "create", "-y", "-vv", "-p", tmp_path / "env", "--override-channels",
                     "-c", f"{tls_server.url}/chan", "--cacert-path", pki.ca, "a",
                     env={"HTTPS_PROXY": proxy_url})
        assert (tmp_path / "env" / "share" / "a.txt").read_text() == "a"
        host = tls_server.url.split("://", 1)[1]
        assert (("CONNECT", host, True) in proxy.requests), proxy.requests
        assert all(authorized for _, _, authorized in proxy.requests)
        assert PROXY_PASSWORD not in result.stdout + result.stderr


def test_proxy_failures_name_the_proxy(tmp_path, channel, serve):
    server = serve(channel.parent)
    url = f"{server.url}/chan"
    with ForwardProxy(credentials=f"alice:{PROXY_PASSWORD}") as proxy:
        for given in (f"http://{proxy.address}", f"http://alice:wrong-{PROXY_PASSWORD}@{proxy.address}"):
            result = search(tmp_path, url, env={"HTTP_PROXY": given}, ok=False)
            assert_one_line_error(result, "proxy http://", proxy.address, "407")
            assert PROXY_PASSWORD not in result.stderr + result.stdout
    port = free_port()
    result = search(tmp_path, url, rc="remote_max_retries: 0\n",
                    env={"HTTP_PROXY": f"http://bob:{PROXY_PASSWORD}@127.0.0.1:{port}"}, ok=False)
    assert_one_line_error(result, f"cannot reach proxy http://bob:*****@127.0.0.1:{port}")
    assert PROXY_PASSWORD not in result.stderr + result.stdout


def test_unsupported_proxy_scheme_is_a_clear_error(tmp_path, channel, serve):
    server = serve(channel.parent)
    result = search(tmp_path, f"{server.url}/chan", env={"HTTP_PROXY": f"socks5://bob:{PROXY_PASSWORD}@127.0.0.1:1080"},
                    ok=False)
    assert_one_line_error(result, "unsupported proxy socks5://bob:*****@127.0.0.1:1080")


# ---------------------------------------------------------------------------------------------- TLS


def test_untrusted_certificate_names_the_host_and_the_fix(tmp_path, tls_server):
    result = search(tmp_path, f"{tls_server.url}/chan", ok=False)
    assert_one_line_error(result, "certificate of 127.0.0.1 is not trusted", "ssl_verify", "--cacert-path")


def test_ca_bundle_variables_when_ssl_verify_is_unset(tmp_path, pki, tls_server):
    url = f"{tls_server.url}/chan"
    for var, value in (("REQUESTS_CA_BUNDLE", pki.ca), ("CURL_CA_BUNDLE", pki.ca),
                       ("SSL_CERT_FILE", pki.ca), ("SSL_CERT_DIR", pki.ca_dir)):
        result = search(tmp_path, url, env={var: str(value)})
        assert "a" in result.stdout, (var, result.stderr)
    # REQUESTS_CA_BUNDLE comes first (as micromamba); a configured ssl_verify replaces them all
    search(tmp_path, url, env={"REQUESTS_CA_BUNDLE": str(pki.ca), "CURL_CA_BUNDLE": "/nonexistent/ca.pem"})
    search(tmp_path, url, rc=f"ssl_verify: {pki.ca}\n", env={"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"})
    refused = search(tmp_path, url, rc="ssl_verify: true\n", env={"REQUESTS_CA_BUNDLE": str(pki.ca)}, ok=False)
    assert_one_line_error(refused, "not trusted")


def test_cacert_path_comes_first_and_missing_bundles_are_named(tmp_path, pki, tls_server):
    url = f"{tls_server.url}/chan"
    run(tmp_path, "create", "-y", "-p", tmp_path / "env", "--override-channels", "-c", url, "a",
        "--cacert-path", pki.ca, rc="ssl_verify: /nonexistent/bundle.pem\n")
    assert (tmp_path / "env" / "share" / "a.txt").is_file()
    for rc, env, needle in (("ssl_verify: /nonexistent/bundle.pem\n", {}, "ssl_verify"),
                            ("", {"REQUESTS_CA_BUNDLE": "/nonexistent/bundle.pem"}, "REQUESTS_CA_BUNDLE")):
        result = search(tmp_path, url, rc=rc, env=env, ok=False)
        assert_one_line_error(result, needle, "/nonexistent/bundle.pem")
    result = search(tmp_path, url, rc="ssl_verify: false\n")
    assert "a" in result.stdout


@pytest.mark.parametrize("word", ["<system>", "truststore"])
def test_system_trust_store(tmp_path, pki, tls_server, word):
    """``<system>``/``truststore`` select the operating system's store (``truststore``), not a file
    of that name: on Linux that store is OpenSSL's, which ``SSL_CERT_FILE`` points at here."""
    url = f"{tls_server.url}/chan"
    rc = f"ssl_verify: '{word}'\n"
    result = search(tmp_path, url, rc=rc, env={"SSL_CERT_FILE": str(pki.ca)})
    assert "a" in result.stdout
    refused = search(tmp_path, url, rc=rc, ok=False)
    assert_one_line_error(refused, "not trusted")


def test_client_certificate(tmp_path, pki, channel):
    server = ClientCertTlsServer(channel.parent, pki).__enter__()
    try:
        url = f"{server.url}/chan"
        without = search(tmp_path, url, rc=f"ssl_verify: {pki.ca}\nremote_max_retries: 0\n", ok=False)
        assert_one_line_error(without)
        with_cert = search(tmp_path, url, rc=f"ssl_verify: {pki.ca}\nclient_ssl_cert: {pki.client_cert}\n")
        assert "a" in with_cert.stdout
        missing = search(tmp_path, url, rc=f"client_ssl_cert: {tmp_path}/nope.pem\n", ok=False)
        assert_one_line_error(missing, "client_ssl_cert", "nope.pem")
    finally:
        server.__exit__(None, None, None)
