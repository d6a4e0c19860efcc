"""The container primitive against the real engine: limits, timeout, output cap, OOM, removal, leftovers."""

from __future__ import annotations

import os
from typing import Any

import pytest

from grader.outcomes import StepStatus
from grader.sandbox.container import (
    MANAGED_LABEL,
    OWNER_HOST_LABEL,
    OWNER_PID_LABEL,
    ContainerSpec,
    Mount,
    cleanup_leftovers,
    run_container,
)
from grader.sandbox.engine import Engine

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]


def spec(image: str, script: str, **overrides: Any) -> ContainerSpec:
    """A small-limits spec running a shell script."""
    settings: dict[str, Any] = {
        "image": image, "command": ("sh", "-c", script), "run_id": "test-container", "memory": "128m",
        "pids": 64, "tmpfs": {"/tmp": "8m"}, "timeout": 20.0, "output_limit": 4096,
    }
    settings.update(overrides)
    return ContainerSpec(**settings)


def test_exit_code_and_both_streams_come_back(engine: Engine, base_image: str) -> None:
    result = run_container(engine, spec(base_image, "echo out; echo err >&2; exit 3"))
    assert (result.status, result.exit_code) == (StepStatus.FAILED, 3)
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert not result.truncated


def test_runs_as_non_root_on_a_read_only_root_without_network(engine: Engine, base_image: str) -> None:
    script = (
        "id -u; touch /root-write 2>/dev/null && echo root-writable; "
        "dd if=/dev/zero of=/tmp/x bs=1M count=4 2>/dev/null && echo tmp-ok; "
        "cat /sys/class/net/*/address | wc -l; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status"
    )
    result = run_container(engine, spec(base_image, script))
    lines = result.stdout.split()
    assert lines[0] == "1000"
    assert "root-writable" not in result.stdout
    assert "tmp-ok" in result.stdout
    assert lines[2] == "1"  # only the loopback interface
    assert "CapEff:\t0000000000000000" in result.stdout
    assert "NoNewPrivs:\t1" in result.stdout


def test_host_environment_is_not_passed_in(
    engine: Engine, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_FAKE_TOKEN", "ghp_notarealtoken1234567890")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    result = run_container(engine, spec(base_image, "env", env={"ONLY": "this"}))
    assert "ONLY=this" in result.stdout
    assert "ghp_notarealtoken" not in result.stdout
    assert "proxy.invalid" not in result.stdout


def test_wall_timeout_kills_the_container(engine: Engine, base_image: str) -> None:
    result = run_container(engine, spec(base_image, "echo started; sleep 600", timeout=2.0))
    assert result.status is StepStatus.TIMEOUT
    assert result.timed_out
    assert 2.0 <= result.duration_s < 15
    assert result.stdout == "started\n"


def test_endless_output_is_killed_and_kept_as_head_and_tail(engine: Engine, base_image: str) -> None:
    script = "echo FIRST; i=0; while true; do echo line $i; i=$((i+1)); done"
    result = run_container(engine, spec(base_image, script, output_limit=2000))
    assert result.status is StepStatus.OUTPUT_LIMIT
    assert result.truncated
    assert result.output_bytes > 16 * 2000
    assert result.stdout.startswith("FIRST\n")
    assert "bytes of output dropped by the grader" in result.stdout
    assert len(result.stdout) < 2000 + 200


def test_memory_bomb_is_reported_as_oom(engine: Engine, base_image: str) -> None:
    script = "python3 -c 'b = []\nwhile True: b.append(bytearray(8 * 1024 * 1024))'"
    result = run_container(engine, spec(base_image, script, memory="64m"))
    assert result.status is StepStatus.OOM
    assert result.oom_killed


def test_mounts_are_read_only_unless_asked(engine: Engine, base_image: str, tmp_path: Any) -> None:
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    os.chmod(rw, 0o777)
    (ro / "data.txt").write_text("kept")
    script = "echo x > /ro/data.txt; echo y > /rw/new.txt; cat /ro/data.txt"
    result = run_container(
        engine, spec(base_image, script, mounts=(Mount(ro, "/ro"), Mount(rw, "/rw", read_only=False)))
    )
    assert (ro / "data.txt").read_text() == "kept"
    assert (rw / "new.txt").read_text() == "y\n"
    assert "Read-only file system" in result.stderr


def test_missing_image_is_an_infrastructure_error(engine: Engine) -> None:
    result = run_container(engine, spec("grader-no-such-image:never", "true"))
    assert result.status is StepStatus.INFRA_ERROR
    assert result.error is not None and "ImageNotFound" in result.error


def test_commit_to_makes_an_image_from_a_successful_container(
    docker_client: Any, engine: Engine, base_image: str
) -> None:
    tag = f"grader-test-commit:{os.getpid()}"
    result = run_container(
        engine,
        spec(base_image, "echo built > /opt/marker 2>/dev/null || echo built > /tmp/marker", read_only_root=False,
             user="0:0", commit_to=tag),
    )
    try:
        assert result.status is StepStatus.PASSED
        assert result.committed_image == docker_client.images.get(tag).id
        check = run_container(engine, spec(tag, "cat /opt/marker"))
        assert check.stdout == "built\n"
    finally:
        docker_client.images.remove(tag, force=True)


def test_cleanup_removes_leftovers_of_dead_graders_and_spares_live_ones(
    docker_client: Any, engine: Engine, base_image: str
) -> None:
    import socket

    def leftover(pid: int) -> Any:
        labels = {MANAGED_LABEL: "1", OWNER_PID_LABEL: str(pid), OWNER_HOST_LABEL: socket.gethostname()}
        return docker_client.containers.create(base_image, ["sleep", "60"], labels=labels)

    dead = leftover(2**22 + 12345)  # above the kernel's pid_max: no such process can exist
    alive = leftover(os.getpid())
    try:
        removed = cleanup_leftovers(engine)
        names = {c["Id"] for c in docker_client.api.containers(all=True)}
        assert removed >= 1
        assert dead.id not in names
        assert alive.id in names
    finally:
        alive.remove(force=True)
        if dead.id in {c["Id"] for c in docker_client.api.containers(all=True)}:
            dead.remove(force=True)


def test_a_container_whose_grader_is_gone_ends_at_its_own_deadline(
    engine: Engine, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGKILLed worker or grader leaves its container unsupervised: the container carries a deadline of its own
    (its timeout plus a grace), so a student's endless loop stops even when nobody kills it."""
    import time

    from grader.sandbox import docker_engine

    monkeypatch.setattr(docker_engine, "DEADLINE_GRACE_S", 1)
    # A daemonised grandchild in a session of its own must not outlive the deadline either.
    endless = spec(base_image, "setsid sh -c 'while :; do :; done' & while :; do sleep 1; done", timeout=2.0)
    container = engine.create(endless, {MANAGED_LABEL: "1", "grader.run": "test-container"})
    try:
        engine.start(container)  # and nobody supervises it
        started = time.monotonic()
        state = engine.state(container)
        while state.running and time.monotonic() - started < 60:
            time.sleep(0.5)
            state = engine.state(container)
        assert not state.running, "still running a minute after its 3 s deadline"
        assert state.exit_code == 137  # KILL
    finally:
        engine.remove(container)


def test_the_deadline_leaves_a_command_s_exit_code_and_arguments_as_they_are(engine: Engine, base_image: str) -> None:
    script = 'printf "%s|" "$0" "$@"; exit 7'
    result = run_container(engine, spec(base_image, script, command=("sh", "-c", script, "a b", "$HOME", "'")))
    assert (result.status, result.exit_code) == (StepStatus.FAILED, 7)
    assert result.stdout == "a b|$HOME|'|"
