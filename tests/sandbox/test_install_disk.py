"""Disk for the install phase against the real engine: pip's scratch is on disk under a budget, the host's free
space is checked first and watched, and running short is the grader's infra-error, never the group's failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox import diskwatch
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("base_image", "no_leftovers")]

#: A setup.py that writes `mb` megabytes of scratch under /tmp, then waits to be stopped.
FILLER = """
import time
with open("/tmp/grader-test-fill", "wb") as handle:
    for _ in range({mb}):
        handle.write(b"\\1" * 1024 * 1024)
        handle.flush()
time.sleep(120)
"""


@pytest.fixture(autouse=True)
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the disk every half second (the grader's own pace is seconds)."""
    monkeypatch.setattr(diskwatch, "FREE_EVERY_S", 0.5)
    monkeypatch.setattr(diskwatch, "LAYER_EVERY_S", 1.0)


def prepare(engine: Engine, root: Path, **policy: object) -> tuple[PreparedEnvironment, BuildResult]:
    prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy(**policy))  # type: ignore[arg-type]
    assert isinstance(prepared.step.detail, BuildResult), prepared.step
    return prepared, prepared.step.detail


def test_scratch_is_on_disk_not_a_small_ram_tmpfs(engine: Engine, make_tree: MakeTree) -> None:
    # 300 MB of scratch: more than the run steps' 64 MB tmpfs given here, and well within the install budget.
    setup = FILLER.format(mb=300).replace("time.sleep(120)", "raise SystemExit('wrote 300 MB')")
    prepared, build = prepare(engine, make_tree({"setup.py": setup}), tmpfs_size="64m", install_disk="2g")
    assert prepared.step.status is StepStatus.FAILED
    assert "wrote 300 MB" in prepared.step.stderr_tail, "the group's own exit, not ENOSPC"
    assert build.failure_reason != "host-disk-full"


def test_the_install_budget_stops_an_install_as_the_graders_infra_error(
    engine: Engine, make_tree: MakeTree
) -> None:
    prepared, build = prepare(engine, make_tree({"setup.py": FILLER.format(mb=200)}), install_disk="50m")
    assert prepared.step.status is StepStatus.INFRA_ERROR, prepared.step
    assert build.failure_reason == "install-disk-budget"
    assert "sandbox.install_disk" in str(prepared.step.error)
    assert not build.failed_requirement, "never pinned on a requirement"
    assert prepared.step.duration_s < 100, "stopped, not waited out"


def test_no_install_starts_when_the_host_is_below_its_reserve(engine: Engine, make_tree: MakeTree) -> None:
    prepared, build = prepare(engine, make_tree({"requirements.txt": "six\n"}), disk_reserve="1000t")
    assert prepared.step.status is StepStatus.INFRA_ERROR
    assert build.failure_reason == "host-disk-full"
    assert "sandbox.disk_reserve" in str(prepared.step.error)


def test_the_host_filling_up_during_an_install_stops_it(engine: Engine, make_tree: MakeTree) -> None:
    space = engine.disk_space()
    assert space is not None, "the test engine's data root is on this machine"
    # A reserve just under today's free space: 800 MB of scratch takes the host below it.
    reserve = f"{(space.free - 250 * 1024**2) // 1024**2}m"
    prepared, build = prepare(engine, make_tree({"setup.py": FILLER.format(mb=800)}), disk_reserve=reserve)
    assert prepared.step.status is StepStatus.INFRA_ERROR, prepared.step
    assert build.failure_reason == "host-disk-full"
    assert "free disk space on the grading machine" in str(prepared.step.error)


def test_no_space_left_on_device_is_the_graders_not_the_groups(engine: Engine, make_tree: MakeTree) -> None:
    # ENOSPC straight from the kernel (/dev/full), as pip sees it when a disk fills up.
    setup = "open('/dev/full', 'wb').write(b'x' * 65536)\n"
    prepared, build = prepare(engine, make_tree({"setup.py": setup}))
    assert prepared.step.status is StepStatus.INFRA_ERROR
    assert build.failure_reason == "host-disk-full"
    assert "No space left on device" in str(build.explanation)
