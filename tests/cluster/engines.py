"""A second Docker Engine for the cluster tests: its own socket, data root and exec root, started and removed here.

It gets the sandbox base image from the first engine (docker save | docker load through the SDK), so that each
worker of a test cluster grades against an engine of its own without a 70-second rebuild.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker

#: Options that keep a second engine off the first one's network setup (this machine has no NAT anyway).
_QUIET_NETWORK = ("--iptables=false", "--ip-masq=false", "--bridge=none")


@contextmanager
def second_engine(first: Any, image: str) -> Iterator[str]:
    """Run a second dockerd holding `image` (copied from the engine of client `first`); yields its DOCKER_HOST.

    Stopped and its folders removed on the way out, whatever happened."""
    if shutil.which("dockerd") is None:
        raise RuntimeError("dockerd is not installed (../shared/scripts/start-dockerd.sh installs it)")
    # A unix socket path is limited to about 100 bytes: keep the folder short, under /tmp.
    folder = Path(tempfile.mkdtemp(prefix="grader-engine-", dir="/tmp"))
    host = f"unix://{folder}/docker.sock"
    process: subprocess.Popen[bytes] | None = None
    try:
        for driver in ("overlay2", "vfs"):
            process = _start(folder, host, driver)
            if process is not None:
                break
        if process is None:
            raise RuntimeError(f"the second dockerd did not start; see {folder}/dockerd.log")
        client = docker.DockerClient(base_url=host, timeout=300)
        try:
            client.images.load(first.images.get(image).save(chunk_size=1 << 20, named=True))
        finally:
            client.close()
        yield host
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder)  # fails loudly if the stopped engine left a mount or a file behind


def _start(folder: Path, host: str, driver: str) -> subprocess.Popen[bytes] | None:
    """dockerd with its own folders and storage `driver`; None when it does not answer within 40 s."""
    for sub in ("data", "exec"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    log = (folder / "dockerd.log").open("ab")
    process = subprocess.Popen(
        ["dockerd", "--host", host, "--data-root", str(folder / "data"), "--exec-root", str(folder / "exec"),
         "--pidfile", str(folder / "docker.pid"), f"--storage-driver={driver}", *_QUIET_NETWORK],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(host):
                return process
            time.sleep(0.5)
    except BaseException:
        _stop(process)
        raise
    _stop(process)
    return None


def _answers(host: str) -> bool:
    try:
        client = docker.DockerClient(base_url=host, timeout=5)  # asks the engine for its API version already
    except docker.errors.DockerException:
        return False
    try:
        return bool(client.ping())
    except docker.errors.DockerException:
        return False
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (dockerd stops its containers and containerd), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class SocketRelay:
    """A unix socket relaying every connection to another one (a Docker Engine's) until the test cuts it: an
    engine that answers when a worker starts and is gone when the worker next needs it."""

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target.removeprefix("unix://")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(16)
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    @property
    def host(self) -> str:
        """The relay's DOCKER_HOST."""
        return f"unix://{self.path}"

    def cut(self) -> None:
        """Stop relaying: close the socket and every open connection."""
        self._listener.close()
        self.path.unlink(missing_ok=True)
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
