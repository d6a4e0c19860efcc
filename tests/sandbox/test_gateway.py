"""The install gateway on the host, without Docker: what it lets through, what it refuses, and its cache."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from grader.sandbox import forwarder
from grader.sandbox.downloads import DownloadCache
from grader.sandbox.gateway import SOCKET_NAME, Destinations, InstallGateway
from tests.sandbox.pyindex import LocalIndex, local_index, wheel


def ask(gate: InstallGateway, request: str) -> str:
    """Send one raw request to the gateway's socket, as the forwarder would; the whole answer."""
    assert gate.folder is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(gate.folder / SOCKET_NAME))
        sock.sendall(request.encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def secret_server() -> Iterator[tuple[int, str]]:
    """A service on the host's loopback holding a secret (port, secret)."""
    secret = "LOOPBACK-SECRET-7d1c"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(f"HTTP/1.0 200 OK\r\n\r\n{secret}".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], secret
    stop.set()
    thread.join(2)
    listener.close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        built = tmp_path / "built"
        built.mkdir()
        served.add(wheel(built, "gatewaypkg", "1.0", pad=4096))
        yield served


def test_destinations_allow_the_indexes_and_nothing_of_the_host() -> None:
    pypi = Destinations(["https://pypi.org/simple"], [])
    assert ("pypi.org", 443) in pypi.allowed and ("files.pythonhosted.org", 443) in pypi.allowed
    assert pypi.check("127.0.0.1", 80) is not None
    assert pypi.check("169.254.169.254", 80) is not None
    assert pypi.check("pypi.org", 22) is not None
    local = Destinations(["http://127.0.0.1:8123/simple"], ["169.254.169.254", "localhost:9"])
    assert local.check("127.0.0.1", 8123) is None, "a lecturer's index on the host's loopback is configured"
    assert local.check("127.0.0.1", 8124) is not None, "but no other port of it"
    assert "cloud" in str(local.check("169.254.169.254", 80)), "metadata stays unreachable even when listed"
    assert local.check("localhost", 9) is None


def test_a_connection_goes_to_the_address_that_was_checked(
    index: LocalIndex, secret_server: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: an allowed name that resolves to a public address when checked and to the host's loopback
    a moment later must not reach the loopback service; the gateway connects to the address it checked."""
    port, secret = secret_server
    answers = iter(["203.0.113.7", "127.0.0.1", "127.0.0.1"])
    resolve = socket.getaddrinfo

    def rebinding(host: str, *args: object, **kwargs: object) -> Sequence[tuple[object, ...]]:
        if host != "rebind.example":
            return resolve(host, *args, **kwargs)  # type: ignore[arg-type]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected: list[tuple[str, int]] = []
    connect = socket.create_connection

    def recording(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        connected.append(address)
        if address[0] == "203.0.113.7":  # a documentation address: nothing answers there
            raise OSError("unreachable")
        return connect(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", recording)
    with InstallGateway([index.url], [f"rebind.example:{port}"], DownloadCache(index.root.parent / "c"), None) as gate:
        answer = ask(gate, f"GET http://rebind.example:{port}/ HTTP/1.1\r\nHost: rebind.example\r\n\r\n")
    assert secret not in answer and answer.split(" ", 2)[1] == "502"
    assert connected == [("203.0.113.7", port)]


def test_refused_destinations_never_reach_the_host(index: LocalIndex, secret_server: tuple[int, str]) -> None:
    port, secret = secret_server
    with InstallGateway([index.url], [], DownloadCache(index.root.parent / "cache"), None) as gate:
        answers = [
            ask(gate, f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: x\r\n\r\n"),
            ask(gate, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            ask(gate, f"GET http://localhost:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            ask(gate, "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            ask(gate, "GET /files/0123456789abcdef01234567/x.whl HTTP/1.1\r\n\r\n"),
            ask(gate, "GET /index/0/..%2f..%2f/ HTTP/1.1\r\n\r\n"),
            ask(gate, "GET /index/7/six/ HTTP/1.1\r\n\r\n"),
            ask(gate, "NONSENSE\r\n\r\n"),
        ]
    assert all(secret not in a for a in answers), answers
    assert [a.split(" ", 2)[1] for a in answers] == ["403", "403", "403", "403", "403", "404", "404", "400"]
    assert f"127.0.0.1:{port}" in gate.stats.refused
    assert "169.254.169.254:80" in gate.stats.refused


def test_the_mirror_serves_listed_files_and_keeps_them(index: LocalIndex, tmp_path: Path) -> None:
    cache = DownloadCache(tmp_path / "cache")
    for attempt in range(2):
        with InstallGateway([index.url], [], cache, None) as gate:
            page = ask(gate, "GET /index/0/GatewayPkg/ HTTP/1.1\r\n\r\n")
            link = re.search(r'href="(/files/[^"#]+)', page)
            assert link, page
            body = ask(gate, f"GET {link.group(1)} HTTP/1.1\r\n\r\n")
            assert body.startswith("HTTP/1.1 200"), body[:200]
        if attempt == 0:
            assert (gate.stats.files_upstream, gate.stats.files_cached) == (1, 0)
    # The second gateway fetched nothing: page and file came from the cache.
    assert (gate.stats.pages_upstream, gate.stats.files_upstream, gate.stats.files_cached) == (0, 0, 1)
    assert len(index.files_fetched()) == 1
    assert cache.size()[0] == 2  # one page, one file


def test_a_local_version_s_file_is_served_however_pip_quotes_its_plus(index: LocalIndex, tmp_path: Path) -> None:
    """A page may link `x-2.0.1+cpu-….whl` with a literal `+` (a plain folder index); pip asks for `%2B`."""
    built = tmp_path / "built"
    built.mkdir(exist_ok=True)
    index.add(wheel(built, "pluspkg", "2.0.1+cpu"))
    with InstallGateway([index.url], [], DownloadCache(tmp_path / "cache"), None) as gate:
        link = re.search(r'href="(/files/[^"#]+)', ask(gate, "GET /index/0/pluspkg/ HTTP/1.1\r\n\r\n"))
        assert link and "+cpu" in link.group(1)
        for asked in (link.group(1), link.group(1).replace("+", "%2B"), link.group(1).replace("+", "%2b")):
            body = ask(gate, f"GET {asked} HTTP/1.1\r\n\r\n")
            assert body.startswith("HTTP/1.1 200"), (asked, body[:200])


def test_a_file_that_does_not_match_the_index_hash_is_not_kept(index: LocalIndex, tmp_path: Path) -> None:
    page = index.root / "simple" / "gatewaypkg" / "index.html"
    page.write_text(re.sub(r"sha256=[0-9a-f]+", "sha256=" + "0" * 64, page.read_text()))
    cache = DownloadCache(tmp_path / "cache")
    with InstallGateway([index.url], [], cache, None) as gate:
        link = re.search(r'href="(/files/[^"#]+)', ask(gate, "GET /index/0/gatewaypkg/ HTTP/1.1\r\n\r\n"))
        assert link
        ask(gate, f"GET {link.group(1)} HTTP/1.1\r\n\r\n")
    assert cache.size()[0] == 1, "only the page is kept"


def test_pip_installs_through_forwarder_and_gateway(index: LocalIndex, tmp_path: Path) -> None:
    """The same path as in the container: pip -> 127.0.0.1 port -> forwarder.py -> Unix socket -> gateway."""
    with InstallGateway([index.url], [], DownloadCache(tmp_path / "cache"), None) as gate:
        assert gate.folder is not None
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.close()
        threading.Thread(target=forwarder.serve, args=("127.0.0.1", port, str(gate.folder / SOCKET_NAME)),
                         kwargs={"daemon": False}, daemon=True).start()
        env = {k: v.replace(":3128", f":{port}") for k, v in gate.env().items()}
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d",
             str(tmp_path / "got"), "gatewaypkg==1.0"],
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_CONFIG_FILE": "/dev/null", **env},
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "got" / "gatewaypkg-1.0-py3-none-any.whl").is_file()
    assert gate.stats.files_upstream == 1
