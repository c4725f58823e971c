"""Downloads against a real loopback HTTP server: verification, retries, resume, file:// and progress."""

from __future__ import annotations

import hashlib
import threading

import pytest

from naja.errors import DownloadError
from naja.package.download import Downloader, DownloadRequest


@pytest.fixture
def files(tmp_path):
    root = tmp_path / "srv"
    (root / "linux-64").mkdir(parents=True)
    out = {}
    for i in range(6):
        data = bytes((i * 7 + j) % 251 for j in range(300_000 + i * 1000))
        name = f"pkg{i}-1.0-0.conda"
        (root / "linux-64" / name).write_bytes(data)
        out[name] = data
    return root, out


def _req(server, tmp_path, name, data, **kw):
    return DownloadRequest(
        url=f"{server.url}/linux-64/{name}",
        dest=tmp_path / "pkgs" / name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        label=name.split("-")[0],
        **kw,
    )


def test_parallel_downloads_are_verified_and_report_progress(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def progress(label, done, total):
        with lock:
            seen[label] = max(seen.get(label, 0), done)
            assert total is None or done <= total

    reqs = [_req(server, tmp_path, n, d) for n, d in blobs.items()]
    paths = Downloader(threads=3).fetch_many(reqs, progress)
    for path, (name, data) in zip(paths, blobs.items()):
        assert path.read_bytes() == data
        assert seen[name.split("-")[0]] == len(data)
    assert not list((tmp_path / "pkgs").glob("*.partial"))


def _bad_body(handler):
    handler.send_bytes(200, b"x" * 1000, {})


def test_checksum_mismatch_is_retried_once(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    name, data = next(iter(blobs.items()))
    data_mod = bytearray(data)
    data_mod[10] ^= 0xFF
    server.faults[f"/linux-64/{name}"] = [lambda h: h.send_bytes(200, bytes(data_mod), {})]
    path = Downloader().fetch(_req(server, tmp_path, name, data))
    assert path.read_bytes() == data
    assert server.paths_requested().count(f"/linux-64/{name}") == 2


def test_persistent_mismatch_names_package_and_redacts_token(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    name, data = next(iter(blobs.items()))
    path = f"/t/sEcReT-token/linux-64/{name}"
    server.routes[path] = _bad_body
    req = DownloadRequest(
        url=server.url + path,
        dest=tmp_path / "pkgs" / name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        label="pkg0",
    )
    with pytest.raises(DownloadError) as info:
        Downloader().fetch(req)
    msg = str(info.value)
    assert "pkg0" in msg and "/linux-64/" + name in msg and "after a retry" in msg
    assert "sEcReT" not in msg
    assert server.paths_requested().count(path) == 2
    assert not (tmp_path / "pkgs" / name).exists()


def test_http_error_and_transient_failures(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    name, data = next(iter(blobs.items()))
    server.faults[f"/linux-64/{name}"] = [500, 503]
    assert Downloader().fetch(_req(server, tmp_path, name, data)).read_bytes() == data
    missing = DownloadRequest(
        url=f"{server.url}/linux-64/nope-1-0.conda", dest=tmp_path / "x.conda", label="nope"
    )
    with pytest.raises(DownloadError, match=r"nope: cannot download .*nope-1-0.conda: HTTP 404"):
        Downloader().fetch(missing)
    server.faults["/linux-64/" + name] = [500] * 10
    (tmp_path / "pkgs" / name).unlink()
    with pytest.raises(DownloadError, match="HTTP 500"):
        Downloader(retries=2).fetch(_req(server, tmp_path, name, data))


def test_partial_download_is_resumed_with_range(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    name, data = list(blobs.items())[1]
    dest = tmp_path / "pkgs" / name
    dest.parent.mkdir()
    (dest.parent / (name + ".partial")).write_bytes(data[:123_456])
    Downloader().fetch(_req(server, tmp_path, name, data))
    assert dest.read_bytes() == data
    _method, _path, headers = server.requests[-1]
    assert headers.get("Range") == "bytes=123456-"


def test_resume_without_server_range_support_restarts(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    server.support_ranges = False
    name, data = list(blobs.items())[2]
    dest = tmp_path / "pkgs" / name
    dest.parent.mkdir()
    (dest.parent / (name + ".partial")).write_bytes(b"garbage" * 100)
    Downloader().fetch(_req(server, tmp_path, name, data))
    assert dest.read_bytes() == data


def test_file_urls_are_copied_and_verified(tmp_path, files):
    root, blobs = files
    name, data = next(iter(blobs.items()))
    src = root / "linux-64" / name
    req = DownloadRequest(
        url=src.as_uri(),
        dest=tmp_path / "out" / name,
        size=len(data),
        md5=hashlib.md5(data).hexdigest(),
        label="pkg0",
    )
    assert Downloader().fetch(req).read_bytes() == data
    bad = DownloadRequest(
        url=src.as_uri(), dest=tmp_path / "out2" / name, size=len(data), md5="0" * 32, label="pkg0"
    )
    with pytest.raises(DownloadError, match="md5"):
        Downloader().fetch(bad)


def test_credentials_in_url_become_basic_auth_and_never_appear_in_errors(tmp_path, files, serve):
    import base64

    root, blobs = files
    server = serve(root)
    name, data = next(iter(blobs.items()))
    seen = []

    def private(handler):
        seen.append(handler.headers.get("Authorization"))
        if handler.headers.get("Authorization") == "Basic " + base64.b64encode(b"me:s3cret").decode():
            handler.send_bytes(200, data, {})
        else:
            handler.send_bytes(401, b"no", {})

    server.routes["/private/" + name] = private
    host = server.url.split("://", 1)[1]
    good = DownloadRequest(url=f"http://me:s3cret@{host}/private/{name}", dest=tmp_path / "a" / name,
                           size=len(data), sha256=hashlib.sha256(data).hexdigest(), label="pkg0")
    assert Downloader().fetch(good).read_bytes() == data
    bad = DownloadRequest(url=f"http://me:wrong@{host}/private/{name}", dest=tmp_path / "b" / name, label="pkg0")
    with pytest.raises(DownloadError, match="HTTP 401") as info:
        Downloader().fetch(bad)
    assert "wrong" not in str(info.value) and "me:" in str(info.value)
    assert seen[0].startswith("Basic ")


def test_redirects_are_followed(tmp_path, files, serve):
    root, blobs = files
    server = serve(root)
    name, data = next(iter(blobs.items()))

    def moved(handler):
        handler.send_bytes(302, b"", {"Location": f"/linux-64/{name}"})

    server.routes["/mirror/" + name] = moved
    req = DownloadRequest(url=f"{server.url}/mirror/{name}", dest=tmp_path / "r" / name, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), label="pkg0")
    assert Downloader().fetch(req).read_bytes() == data
    assert server.paths_requested()[-2:] == [f"/mirror/{name}", f"/linux-64/{name}"]
