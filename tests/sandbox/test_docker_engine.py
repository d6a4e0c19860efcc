"""DockerEngine without a daemon: the policy its create call carries, its errors, and the missing-engine message.

What the engine does with that policy is tested against a real daemon in test_container.py.
"""

from __future__ import annotations

from pathlib import Path

import docker.errors
import pytest

from grader.errors import SandboxUnavailable
from grader.sandbox.docker_engine import DockerEngine, connect, create_kwargs
from grader.sandbox.engine import ContainerSpec, EngineError, Mount


def test_no_engine_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(SandboxUnavailable, match="--static"):
        connect()


def test_create_kwargs_carry_the_whole_run_policy(tmp_path: Path) -> None:
    spec = ContainerSpec(
        image="img", command=("python3", "x.py"), run_id="r", mounts=(Mount(tmp_path, "/work", read_only=False),),
        env={"HOME": "/tmp"}, workdir="/work", memory="512m", cpus=1.5, pids=64, tmpfs={"/tmp": "64m"},
        file_size_limit=1024,
    )
    kwargs = create_kwargs(spec, {"grader.run": "r"})
    # The command runs under the container's own deadline (the grader's timeout plus a grace) where `timeout` exists.
    assert kwargs["command"][:2] == ["sh", "-c"] and kwargs["command"][-3:] == ["660", "python3", "x.py"]
    assert kwargs["init"] is True
    assert kwargs["network_mode"] == "none"
    assert kwargs["read_only"] is True
    assert kwargs["user"] == "1000:1000"
    assert kwargs["cap_drop"] == ["ALL"]
    assert kwargs["security_opt"] == ["no-new-privileges"]
    assert (kwargs["mem_limit"], kwargs["memswap_limit"]) == ("512m", "512m")
    assert (kwargs["nano_cpus"], kwargs["pids_limit"]) == (1_500_000_000, 64)
    assert kwargs["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=64m"}
    assert kwargs["environment"] == {"HOME": "/tmp"}
    assert kwargs["labels"] == {"grader.run": "r"}
    assert kwargs["log_config"]["type"] == "none"
    (mount,) = kwargs["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == ("/work", str(tmp_path), "bind")
    assert mount["ReadOnly"] is False
    (fsize,) = kwargs["ulimits"]
    assert (fsize["Name"], fsize["Soft"], fsize["Hard"]) == ("fsize", 1024, 1024)


class _Images:
    """Stands in for `client.images`: every lookup fails the way the SDK's does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, reference: str) -> object:
        raise self.error


class _Client:
    def __init__(self, error: Exception) -> None:
        self.images = _Images(error)


def test_a_missing_image_is_none_and_other_engine_errors_keep_their_name() -> None:
    assert DockerEngine(_Client(docker.errors.ImageNotFound("no such image"))).image_id("x:1") is None
    with pytest.raises(EngineError, match=r"^APIError: .*daemon on fire"):
        DockerEngine(_Client(docker.errors.APIError("daemon on fire"))).image_id("x:1")
