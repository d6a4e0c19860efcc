"""A second Docker Engine for the cluster tests: its own socket, data root and exec root, started and removed here.

It gets the sandbox base image from the first engine (docker save | docker load through the SDK), so that each
worker of a test cluster grades against an engine of its own without a 70-second rebuild.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
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
        shutil.rmtree(folder, ignore_errors=True)


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
