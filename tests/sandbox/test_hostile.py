"""The hostile corpus: each tiny submission in hostile/ gets its verdict, leaves nothing behind, harms nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.models import Submission
from grader.outcomes import ImportsResult, NotebooksResult, PytestResult, StepOutcome, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.runner import smoke_commands
from grader.sandbox.steps import StepRunner

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

HOSTILE = Path(__file__).parent / "hostile"
#: Small limits keep the corpus fast: a hostile case must end by its limit, not by the default 10 minutes.
POLICY = SandboxPolicy(
    timeout=6, memory="256m", pids=64, tmpfs_size="16m", output_limit=64 * 1024, notebook_cell_timeout=5
)
FAKE_TOKEN = "ghp_GraderFakeToken0123456789abcdefABCD"


def fingerprint(root: Path) -> dict[str, str]:
    """Hash of every file under root, to prove the grader's own copy was not touched."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def case(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A private copy of one hostile submission (the repository's copy stays pristine)."""
    root = tmp_path / str(request.param)
    shutil.copytree(HOSTILE / request.param, root)
    yield root


def run_smoke(engine: Engine, image: str, root: Path, tmp_path: Path) -> StepOutcome:
    tree = SubmissionTree(root)
    commands = smoke_commands(Submission(id="hostile", root=root, source=str(root)), tree, POLICY)
    assert len(commands) == 1
    (step,) = runner(engine, image, root, tmp_path).smoke(commands)
    return step


SMOKE_VERDICTS = {
    "fork_bomb": {StepStatus.FAILED, StepStatus.TIMEOUT},
    "thread_bomb": {StepStatus.FAILED, StepStatus.TIMEOUT},
    "memory_bomb": {StepStatus.OOM},
    "infinite_loop": {StepStatus.TIMEOUT},
    "sleep_forever": {StepStatus.TIMEOUT},
    "input_wait": {StepStatus.FAILED},
    "stdout_flood": {StepStatus.OUTPUT_LIMIT},
    "write_everywhere": {StepStatus.PASSED},
    "fill_tmp": {StepStatus.PASSED},
    "network": {StepStatus.PASSED},
    "secrets": {StepStatus.PASSED},
    "daemon_grandchild": {StepStatus.PASSED},
}


@pytest.mark.parametrize("case", sorted(SMOKE_VERDICTS), indirect=True)
def test_hostile_smoke_command_gets_its_verdict(
    engine: Engine, base_image: str, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_FAKE_TOKEN", FAKE_TOKEN)
    before = fingerprint(case)
    step = run_smoke(engine, base_image, case, tmp_path)
    assert step.status in SMOKE_VERDICTS[case.name], (step.status, step.stdout_tail[-500:], step.stderr_tail[-500:])
    # Bounded by the policy: nothing outlives the timeout by much (kill, output pump, removal).
    assert step.duration_s < POLICY.timeout + 10
    assert fingerprint(case) == before
    assert FAKE_TOKEN not in step.stdout_tail + step.stderr_tail
    assert not Path("/evil.txt").exists()


def test_input_fails_at_once_because_stdin_is_closed(
    engine: Engine, base_image: str, tmp_path: Path
) -> None:
    root = tmp_path / "submission"
    shutil.copytree(HOSTILE / "input_wait", root)
    step = run_smoke(engine, base_image, root, tmp_path)
    assert "EOFError" in step.stderr_tail
    assert step.duration_s < POLICY.timeout


def test_stdout_flood_is_cut_and_says_so(engine: Engine, base_image: str, tmp_path: Path) -> None:
    root = tmp_path / "submission"
    shutil.copytree(HOSTILE / "stdout_flood", root)
    step = run_smoke(engine, base_image, root, tmp_path)
    assert step.status is StepStatus.OUTPUT_LIMIT
    output_bytes = step.output_bytes
    assert isinstance(output_bytes, int) and 16 * POLICY.output_limit < output_bytes < 1024**3
    assert "dropped by the grader" in step.stdout_tail or "not shown" in step.stdout_tail


def test_network_and_secrets_are_out_of_reach(engine: Engine, base_image: str, tmp_path: Path) -> None:
    root = tmp_path / "submission"
    shutil.copytree(HOSTILE / "network", root)
    step = run_smoke(engine, base_image, root, tmp_path)
    assert "reached: []" in step.stdout_tail
    assert "dns blocked" in step.stdout_tail


def runner(engine: Engine, image: str, root: Path, tmp_path: Path, policy: SandboxPolicy = POLICY) -> StepRunner:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return StepRunner(engine, image, policy, "hostile", root, scratch)


#: The drivers' steps start the group's interpreter (and a kernel) as children: time for that on a busy machine.
DRIVER_POLICY = POLICY.model_copy(update={"timeout": 40, "notebook_cell_timeout": 20})


@pytest.mark.parametrize("case", ["symlink_output", "forged_results"], indirect=True)
def test_tampered_test_results_are_not_trusted(engine: Engine, base_image: str, case: Path, tmp_path: Path) -> None:
    step = runner(engine, base_image, case, tmp_path, DRIVER_POLICY).tests(SubmissionTree(case))
    assert step.status is StepStatus.FAILED
    assert step.detail is None or step.detail.passed == 0  # type: ignore[union-attr]
    # The test process ended at once: pytest exited 0 without its XML, which the driver signed as it was.
    assert "JUnit XML rejected" in str(step.rejected), step.rejected
    assert os.path.exists("/etc/passwd")


@pytest.mark.parametrize("case", ["forged_conftest"], indirect=True)
def test_a_conftest_cannot_find_the_key_or_forge_a_result(
    engine: Engine, base_image: str, case: Path, tmp_path: Path
) -> None:
    step = runner(engine, base_image, case, tmp_path, DRIVER_POLICY).tests(SubmissionTree(case))
    # The hunt found nothing that signs (the driver is another, non-dumpable process): the truth is reported.
    assert step.rejected is None
    assert isinstance(step.detail, PytestResult)
    assert (step.detail.passed, step.detail.failed) == (1, 1), step.detail
    assert step.status is StepStatus.FAILED


@pytest.mark.parametrize("case", ["forged_junit"], indirect=True)
def test_junit_rewritten_behind_pytest_s_back_disagrees_with_its_exit_status(
    engine: Engine, base_image: str, case: Path, tmp_path: Path
) -> None:
    step = runner(engine, base_image, case, tmp_path, DRIVER_POLICY).tests(SubmissionTree(case))
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, PytestResult)
    assert step.detail.pytest_exit == 1
    assert "disagrees with pytest's exit status" in str(step.detail.note)


@pytest.mark.parametrize("case", ["forged_notebook"], indirect=True)
def test_a_notebook_cannot_forge_its_result(engine: Engine, base_image: str, case: Path, tmp_path: Path) -> None:
    step = runner(engine, base_image, case, tmp_path, DRIVER_POLICY).notebooks(SubmissionTree(case))
    assert step.rejected is None
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, NotebooksResult)
    (run,) = step.detail.results
    assert (run.status, run.failed_cell, run.error) == ("failed", 2, "ValueError: the honest failure")


@pytest.mark.parametrize("case", ["forged_import"], indirect=True)
def test_an_imported_module_cannot_forge_the_import_results(
    engine: Engine, base_image: str, case: Path, tmp_path: Path
) -> None:
    step = runner(engine, base_image, case, tmp_path, DRIVER_POLICY).imports(SubmissionTree(case))
    assert "hunt: 0 candidate keys" in step.stdout_tail
    assert step.rejected is None
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, ImportsResult)
    assert [f.module for f in step.detail.failures] == ["zz_broken"]
    assert [e.module for e in step.detail.exited] == ["evil"]
