"""container.py's supervision over the fake engine: output caps, kills, commits, removal, leftovers (no Docker).

The same code runs against Docker in test_container.py; here every ending can be scripted and is fast.
"""

from __future__ import annotations

import itertools
import os

import pytest

from grader.batch import remove_own_containers
from grader.outcomes import StepStatus
from grader.sandbox.container import (
    MANAGED_LABEL,
    OWNER_HOST_LABEL,
    OWNER_PID_LABEL,
    RUN_LABEL,
    ContainerSpec,
    cleanup_leftovers,
    owner_labels,
    run_container,
)
from grader.sandbox.engine import EngineError
from tests.sandbox.fake_engine import Call, FakeEngine, Ran

IMAGE = "grader-base:test"


def spec(**overrides: object) -> ContainerSpec:
    settings: dict[str, object] = {"image": IMAGE, "command": ("sh", "-c", "x"), "run_id": "sup", "timeout": 10.0}
    settings.update(overrides)
    return ContainerSpec(**settings)  # type: ignore[arg-type]


def engine_running(ran: Ran) -> FakeEngine:
    def behaviour(_: Call) -> Ran:
        return ran

    return FakeEngine(behaviour, images=[IMAGE])


def test_long_output_keeps_head_and_tail_and_says_how_much_was_dropped() -> None:
    text = b"HEAD" + b"x" * 10_000 + b"TAIL"
    engine = engine_running(Ran(stdout=text, stderr="warning\n"))
    result = run_container(engine, spec(output_limit=100, output_kill_limit=1_000_000))
    assert result.status is StepStatus.PASSED
    assert result.truncated
    assert result.output_bytes == len(text) + len("warning\n")
    assert result.stdout.startswith("HEAD") and result.stdout.endswith("TAIL")
    assert f"[... {len(text) - 100} bytes of output dropped by the grader ...]" in result.stdout
    assert result.stderr == "warning\n"


def test_endless_output_is_killed_as_output_limit() -> None:
    engine = engine_running(Ran(stdout=itertools.repeat(b"line\n" * 100)))
    result = run_container(engine, spec(output_limit=1000))
    assert result.status is StepStatus.OUTPUT_LIMIT
    assert result.output_bytes > 16 * 1000
    assert len(result.stdout) < 1000 + 100
    (container,) = engine.created
    assert container.killed and container.removed


def test_a_hang_is_killed_at_the_wall_timeout() -> None:
    engine = engine_running(Ran(stdout="started\n", hang=True))
    result = run_container(engine, spec(timeout=0.3))
    assert (result.status, result.timed_out) == (StepStatus.TIMEOUT, True)
    assert 0.3 <= result.duration_s < 5
    assert result.stdout == "started\n"
    assert engine.created[0].killed


@pytest.mark.parametrize(
    ("ran", "status", "committed"),
    [
        (Ran(exit_code=0), StepStatus.PASSED, True),
        (Ran(exit_code=1), StepStatus.FAILED, False),
        (Ran(exit_code=137, oom=True), StepStatus.OOM, False),
        (Ran(hang=True), StepStatus.TIMEOUT, False),
    ],
    ids=["exit-0", "exit-1", "oom", "timeout"],
)
def test_commit_only_when_the_container_exits_0(ran: Ran, status: StepStatus, committed: bool) -> None:
    engine = engine_running(ran)
    result = run_container(engine, spec(commit_to="grader-env:abc", timeout=0.3))
    assert result.status is status
    assert (engine.image_id("grader-env:abc") is not None) is committed
    assert result.committed_image == engine.image_id("grader-env:abc")
    assert engine.created[0].removed


@pytest.mark.parametrize("operation", ["attach", "start", "state", "commit"])
def test_an_engine_failure_midway_is_an_infra_error_and_the_container_is_still_removed(operation: str) -> None:
    engine = engine_running(Ran())
    engine.fail[operation] = EngineError(f"APIError: {operation} refused")
    result = run_container(engine, spec(commit_to="grader-env:abc"))
    assert result.status is StepStatus.INFRA_ERROR
    assert result.error == f"APIError: {operation} refused"
    (container,) = engine.created
    assert container.removed


def test_a_refused_create_leaves_nothing_and_says_why() -> None:
    engine = FakeEngine(images=[])
    result = run_container(engine, spec())
    assert result.status is StepStatus.INFRA_ERROR
    assert result.error == f"ImageNotFound: No such image: {IMAGE}"
    assert engine.created == []


def test_every_container_carries_its_owner_and_run_labels() -> None:
    engine = engine_running(Ran())
    run_container(engine, spec(run_id="group-7-abc", extra_labels={"grader.kind": "install"}))
    assert engine.created[0].labels == {**owner_labels(), RUN_LABEL: "group-7-abc", "grader.kind": "install"}


def test_cleanup_removes_leftovers_of_dead_graders_and_spares_live_ones() -> None:
    engine = FakeEngine(images=[IMAGE])
    here = owner_labels()[OWNER_HOST_LABEL]
    dead = engine.create(spec(), {MANAGED_LABEL: "1", OWNER_PID_LABEL: str(2**22 + 12345), OWNER_HOST_LABEL: here})
    alive = engine.create(spec(), {MANAGED_LABEL: "1", OWNER_PID_LABEL: str(os.getpid()), OWNER_HOST_LABEL: here})
    elsewhere = engine.create(spec(), {MANAGED_LABEL: "1", OWNER_PID_LABEL: "1", OWNER_HOST_LABEL: "other-host"})
    foreign = engine.create(spec(), {"somebody.else": "1"})

    assert cleanup_leftovers(engine) == 2
    assert {c.id for c in engine.created if not c.removed} == {alive, foreign}
    assert dead not in {c.id for c in engine.containers({})} and elsewhere not in {c.id for c in engine.containers({})}
    assert cleanup_leftovers(engine, include_live_owners=True) == 1
    assert [c.id for c in engine.containers({})] == [foreign]


def test_an_interrupted_batch_removes_only_its_own_containers() -> None:
    engine = FakeEngine(images=[IMAGE])
    mine = engine.create(spec(), owner_labels())
    other = engine.create(spec(), {**owner_labels(), OWNER_PID_LABEL: "1"})
    assert remove_own_containers(engine) == 1
    assert [c.id for c in engine.containers({})] == [other]
    assert mine not in {c.id for c in engine.containers({})}
