"""The disk watch and the install verdict over the fake engine: which failures are the grader's, in what words."""

from __future__ import annotations

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox import diskwatch
from grader.sandbox.engine import DiskSpace
from grader.sandbox.install import prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree
from tests.sandbox.fake_engine import Call, FakeEngine, Ran

GB = 1024**3


@pytest.fixture(autouse=True)
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diskwatch, "FREE_EVERY_S", 0.05)
    monkeypatch.setattr(diskwatch, "LAYER_EVERY_S", 0.1)


def build_of(engine: FakeEngine, root: object, **policy: object) -> tuple[StepStatus, BuildResult, str | None]:
    prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy(**policy))  # type: ignore[arg-type]
    assert isinstance(prepared.step.detail, BuildResult)
    return prepared.step.status, prepared.step.detail, prepared.step.error


def hanging_install(engine: FakeEngine, written: int) -> None:
    """Installs that write `written` bytes, then hang until killed."""

    def behaviour(call: Call) -> Ran:
        if call.step == "install":
            engine.written[call.spec.run_id] = written
            return Ran(hang=True)
        return Ran()

    engine.behaviour = behaviour


def test_an_install_over_its_disk_budget_is_stopped(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=["python:3.11-slim"])
    hanging_install(engine, 3 * GB)
    status, build, error = build_of(engine, make_tree({"requirements.txt": "torch\n"}), install_disk="2g")
    assert status is StepStatus.INFRA_ERROR
    assert build.failure_reason == "install-disk-budget"
    assert "2.1 GB of disk" in str(error) and "sandbox.install_disk" in str(error)
    assert next(c for c in engine.created if c.step == "install").killed


def test_the_host_running_low_stops_an_install(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=["python:3.11-slim"])
    hanging_install(engine, 0)
    engine.disk = DiskSpace("/var/lib/docker", 20 * GB, 100 * GB)

    def fill_up() -> None:
        assert engine.disk is not None
        engine.disk = DiskSpace("/var/lib/docker", GB, 100 * GB)

    original = engine.start

    def start(container: str) -> None:
        original(container)
        fill_up()

    engine.start = start  # type: ignore[method-assign]
    status, build, error = build_of(engine, make_tree({"requirements.txt": "torch\n"}), disk_reserve="5g")
    assert status is StepStatus.INFRA_ERROR
    assert build.failure_reason == "host-disk-full"
    assert "/var/lib/docker" in str(error) and "sandbox.disk_reserve" in str(error)


def test_a_nearly_full_host_starts_no_install_and_a_tight_one_is_noted(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=["python:3.11-slim"])
    engine.disk = DiskSpace("/var/lib/docker", 4 * GB, 100 * GB)
    status, build, _ = build_of(engine, make_tree({"requirements.txt": "six\n"}), disk_reserve="5g")
    assert (status, build.failure_reason) == (StepStatus.INFRA_ERROR, "host-disk-full")
    assert not [c for c in engine.created if c.step == "install"], "nothing started"
    engine.disk = DiskSpace("/var/lib/docker", 12 * GB, 100 * GB)
    status, build, _ = build_of(engine, make_tree({"requirements.txt": "six\n"}), disk_reserve="5g")
    assert status is StepStatus.PASSED
    assert any("less than the install budget" in note for note in build.notes)


def test_an_engine_that_cannot_say_its_free_space_does_not_stop_installs(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=["python:3.11-slim"])
    engine.disk = None
    status, _, _ = build_of(engine, make_tree({"requirements.txt": "six\n"}))
    assert status is StepStatus.PASSED


@pytest.mark.parametrize(
    ("ran", "reason", "knob"),
    [(Ran(exit_code=137, oom=True, stdout="Collecting torch\n"), "install-memory", "sandbox.memory")],
)
def test_the_graders_memory_limit_is_not_the_groups_failure(
    make_tree: MakeTree, ran: Ran, reason: str, knob: str
) -> None:
    engine = FakeEngine(lambda call: ran if call.step == "install" else Ran(), images=["python:3.11-slim"])
    status, build, error = build_of(engine, make_tree({"requirements.txt": "torch\n"}))
    assert (status, build.failure_reason) == (StepStatus.INFRA_ERROR, reason)
    assert knob in str(error) and "Collecting torch" in str(error)
    assert not build.failed_requirement
