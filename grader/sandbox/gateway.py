"""The install phase's only way out: a gateway the grader runs on the host for the length of one install.

The install container has no network (network mode none). The gateway listens on a Unix socket in a folder of
its own, bind-mounted into the container, where grader/sandbox/forwarder.py turns it into 127.0.0.1:3128 for
pip. It answers three kinds of request, and nothing else:

- `GET /index/<n>/<project>/` and `/files/...`: the mirror of the configured indexes (mirror.py), served from
  the grader's download cache;
- `CONNECT host:port` (HTTPS) and absolute `http://host:port/...` requests (the proxy pip and git use for URLs
  outside the mirror): only to the configured index hosts and `sandbox.install_hosts`, never to a loopback,
  link-local (cloud metadata) or unspecified address unless such an address is itself the configured host.

So a setup.py can reach the package index and nothing on the host: no loopback service, no host interface, no
metadata endpoint; and it works the same on machines without NAT or iptables (ours), where no bridge network
reaches anywhere. Refused destinations are recorded for the install's diagnosis.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from grader.sandbox.downloads import DownloadCache
from grader.sandbox.engine import Mount
from grader.sandbox.forwarder import relay
from grader.sandbox.mirror import GatewayStats, IndexMirror, send_text

PYPI_INDEX = "https://pypi.org/simple"
#: Where PyPI's pages send pip for the files themselves.
PYPI_FILES = "files.pythonhosted.org"
#: Where the gateway's folder appears in the install container, and the port pip uses there.
MOUNT_POINT = "/grader-gate"
SOCKET_NAME = "gate.sock"
PORT = 3128
MAX_HEAD_BYTES = 64 * 1024
MAX_CONNECTIONS = 64
CONNECT_TIMEOUT_S = 15.0
FOLDER_PREFIX = "grader-gate-"


def _endpoint(text: str, default_port: int | None) -> tuple[str, int | None]:
    """(host, port) of `host`, `host:port` or `[v6]:port`, lower-cased."""
    parts = urlsplit("//" + text)
    return (parts.hostname or "").lower(), parts.port or default_port


class Destinations:
    """The hosts the install may reach through the proxy: the indexes' hosts and `install_hosts`."""

    def __init__(self, indexes: Sequence[str], hosts: Sequence[str]) -> None:
        self.allowed: set[tuple[str, int]] = set()
        for url in indexes:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            self.allowed.add((host, parts.port or (443 if parts.scheme == "https" else 80)))
            if url.rstrip("/") == PYPI_INDEX:
                self.allowed.add((PYPI_FILES, 443))
        for text in hosts:
            host, port = _endpoint(text, None)
            self.allowed.update({(host, port)} if port else {(host, 443), (host, 80)})

    def check(self, host: str, port: int) -> str | None:
        """Why host:port may not be reached, or None when it may."""
        return self.resolve(host, port)[1]

    def resolve(self, host: str, port: int) -> tuple[tuple[str, ...], str | None]:
        """The addresses host:port may be reached at, or why it may not: the connection goes to these addresses,
        never to the name again, so a name that resolves to a public address for the check and to the host's
        loopback for the connection (DNS rebinding) reaches only what was checked."""
        host = host.lower().strip("[]")
        if (host, port) not in self.allowed:
            return (), "not a package index this install may reach"
        literal_local = host == "localhost" or _is_local(host)
        try:
            addresses = tuple(dict.fromkeys(
                str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
        except OSError as exc:
            return (), f"cannot be resolved ({exc})"
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.is_link_local or (not literal_local and (ip.is_loopback or ip.is_unspecified or ip.is_multicast)):
                return (), f"resolves to {ip}, an address of the host or its cloud"
        return addresses, None if addresses else "cannot be resolved (no address)"

    def describe(self) -> str:
        """The allowed destinations, for messages."""
        return ", ".join(sorted(f"{h}:{p}" for h, p in self.allowed))


def _is_local(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False
    gateway: InstallGateway


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        gateway = self.server.gateway  # type: ignore[attr-defined]
        if not gateway.slots.acquire(blocking=False):
            return
        try:
            gateway.handle(self.request)
        except OSError:
            pass  # the container hung up, or went away: nothing to answer
        finally:
            gateway.slots.release()


class InstallGateway:
    """One install's gateway: `with InstallGateway(...) as gate:` mount `gate.mount()`, pass `gate.env()`."""

    def __init__(
        self, indexes: Sequence[str], hosts: Sequence[str], cache: DownloadCache, ca_bundle: str | None
    ) -> None:
        self.indexes = list(indexes) or [PYPI_INDEX]
        self.destinations = Destinations(self.indexes, hosts)
        self.stats = GatewayStats()
        context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
        self.mirror = IndexMirror(self.indexes, cache, context, self.stats, secrets.token_bytes(32))
        self.slots = threading.Semaphore(MAX_CONNECTIONS)
        self.folder: Path | None = None
        self._server: _Server | None = None

    def __enter__(self) -> InstallGateway:
        # The owner's pid in the name lets `grader sandbox clean` find folders a killed grader left behind.
        self.folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self.folder.chmod(0o755)
        server = _Server(str(self.folder / SOCKET_NAME), _Handler)
        server.gateway = self
        # The install runs as uid 1000; the socket is the only thing in the folder it may use.
        (self.folder / SOCKET_NAME).chmod(0o666)
        self._server = server
        threading.Thread(target=server.serve_forever, name="grader-gateway", daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def mount(self) -> Mount:
        """The gateway's folder, read-only in the container (a socket is usable through a read-only mount)."""
        assert self.folder is not None, "use the gateway in a with block"
        return Mount(self.folder, MOUNT_POINT)

    def env(self) -> dict[str, str]:
        """pip's and every HTTP client's settings in the container: the mirror for the indexes, the proxy for
        any other address (which it refuses unless allowed)."""
        local = f"http://127.0.0.1:{PORT}"
        env = {"PIP_INDEX_URL": f"{local}/index/0/"}
        if len(self.indexes) > 1:
            env["PIP_EXTRA_INDEX_URL"] = " ".join(f"{local}/index/{n}/" for n in range(1, len(self.indexes)))
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env[name] = local
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        return env

    def forwarder_command(self, script: str) -> str:
        """The shell line that starts forwarder.py (at `script` in the container) before pip runs."""
        return f"python3 -I -S {script} 127.0.0.1 {PORT} {MOUNT_POINT}/{SOCKET_NAME}"

    # -- one connection ------------------------------------------------------------------------------------------

    def handle(self, sock: socket.socket) -> None:
        """Answer one request: mirror, tunnel, forward, or a refusal."""
        sock.settimeout(60)
        head, rest = _read_head(sock)
        if head is None:
            return
        method, _, remainder = head.partition(" ")
        target = remainder.partition(" ")[0]
        if method == "CONNECT":
            host, port = _endpoint(target, 443)
            self._tunnel(sock, host, port or 443)
        elif target.startswith(("http://", "https://")):
            self._forward(sock, method, target, head, rest)
        elif method == "GET" and target.startswith("/index/"):
            index, _, project = target[len("/index/"):].partition("/")
            project = project.split("?")[0].rstrip("/")
            self.mirror.serve_page(sock, int(index) if index.isdigit() else -1, project)
        elif method == "GET" and target.startswith("/files/"):
            token, _, name = target[len("/files/"):].split("#")[0].partition("/")
            self.mirror.serve_file(sock, token, name)
        else:
            send_text(sock, 400, "Bad Request", "grader: the install gateway serves package indexes only")

    def _refused(self, sock: socket.socket, host: str, port: int, why: str) -> None:
        self.stats.note(self.stats.refused, f"{host}:{port}")
        text = (f"grader: {host}:{port} is {why}; the install may reach {self.destinations.describe()} "
                "(a lecturer can allow more with sandbox.install_hosts)")
        send_text(sock, 403, "Forbidden", text)

    def _connect(self, sock: socket.socket, host: str, port: int) -> socket.socket | None:
        addresses, why = self.destinations.resolve(host, port)
        if why is not None:
            self._refused(sock, host, port, why)
            return None
        failure: OSError | None = None
        for address in addresses:  # the vetted addresses only (see Destinations.resolve)
            try:
                return socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_S)
            except OSError as exc:
                failure = exc
        self.stats.note(self.stats.errors, f"{host}:{port}: {type(failure).__name__}: {failure}")
        send_text(sock, 502, "Bad Gateway", f"grader: {host}:{port} could not be reached")
        return None

    def _tunnel(self, sock: socket.socket, host: str, port: int) -> None:
        upstream = self._connect(sock, host, port)
        if upstream is None:
            return
        with upstream:
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(sock, upstream)

    def _forward(self, sock: socket.socket, method: str, target: str, head: str, rest: bytes) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            send_text(sock, 400, "Bad Request", "grader: only plain http may be proxied without CONNECT")
            return
        upstream = self._connect(sock, parts.hostname, parts.port or 80)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # One request per connection: a kept-alive proxy connection must not carry a second request elsewhere.
        headers = [line for line in head.split("\r\n")[1:] if line and not line.lower().startswith(
            ("proxy-", "connection:", "keep-alive:"))]
        request = "\r\n".join([f"{method} {path} HTTP/1.1", *headers, "Connection: close", "", ""])
        with upstream:
            upstream.sendall(request.encode("latin-1") + rest)
            relay(sock, upstream)


def _read_head(sock: socket.socket) -> tuple[str | None, bytes]:
    """The request's head (request line and headers) and any bytes read past it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(8192)
        if not chunk or len(data) + len(chunk) > MAX_HEAD_BYTES:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def stale_folders() -> list[Path]:
    """Gateway folders whose grader process is gone (left by a kill -9), for `grader sandbox clean`."""
    found = []
    for path in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        pid = path.name[len(FOLDER_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            found.append(path)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders() -> int:
    """Remove the gateway folders of dead graders; how many."""
    removed = 0
    for path in stale_folders():
        with contextlib.suppress(OSError):
            shutil.rmtree(path)
            removed += 1
    return removed
