"""The sandbox limits given on `grader check` and `grader grade` reach the sandbox the grading runs (no Docker:
the runner is replaced by one that records the policy it is given), and a bad value is a usage error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.files import SubmissionTree
from grader.models import Progress, Submission
from grader.outcomes import RunOutcome, StepName
from grader.sandbox.policy import SandboxPolicy
from tests.acquire.builder import RepoBuilder
from tests.cli.test_check import grader
from tests.test_batch import GOOD, RUBRIC

COMMANDS = ("check", "grade")


@pytest.fixture
def policies(monkeypatch: pytest.MonkeyPatch) -> list[SandboxPolicy]:
    """The policies the sandbox is run with, in order. The Docker runner `sandbox_runner` picks is replaced by a
    recorder, and the engine `grader grade` connects to before cloning by a stub."""
    seen: list[SandboxPolicy] = []

    def recorder(submission: Submission, tree: SubmissionTree, policy: SandboxPolicy, steps: Sequence[StepName],
                 progress: Progress) -> RunOutcome:
        seen.append(policy)
        return RunOutcome("grader-env:recorded", "requirements")

    class NoEngine:
        def close(self) -> None:
            return None

    monkeypatch.setattr("grader.sandbox.runner.run_sandbox", recorder)
    monkeypatch.setattr("grader.sandbox.docker_engine.connect", NoEngine)
    return seen


def command_line(command: str, folder: Path, *options: str) -> list[str]:
    """`grader check` of a checkout or `grader grade` of a roster with it, against a rubric with a runtime check
    (run.smoke, so the sandbox is used) whose own image budget is 20g."""
    rubric = folder / "rubric.yaml"
    rubric.write_text(RUBRIC + "sandbox:\n  image_budget: 20g\n", encoding="utf-8")
    if not (folder / "group").exists():
        RepoBuilder(folder / "group").commit(dict(GOOD), when="2026-03-30T12:00:00+02:00")
    if command == "check":
        return ["check", str(folder / "group"), "--rubric", str(rubric), "--format", "json", *options]
    roster = folder / "roster.yaml"
    roster.write_text("groups:\n  - id: group\n    repo: group\n    members: [{name: Ada}]\n", encoding="utf-8")
    return ["grade", str(roster), "--rubric", str(rubric), "-o", str(folder / "out"), "--format", "json", *options]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("given", "budget"), [((), "20g"), (("--image-budget", "10g"), "10g"),
                                               (("--image-budget", "none"), None)])
def test_image_budget_reaches_the_sandbox_policy(
    command: str, given: tuple[str, ...], budget: str | None, tmp_path: Path, policies: list[SandboxPolicy]
) -> None:
    result = CliRunner().invoke(cli, command_line(command, tmp_path, *given))
    assert result.exit_code == 0, result.output
    assert [p.image_budget for p in policies] == [budget], "one sandbox run, with the budget given (else the rubric's)"
    assert policies[0].memory == "4g", "the rest of the rubric's policy is kept"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_image_budget_that_is_no_size_is_a_usage_error(command: str, tmp_path: Path) -> None:
    done = grader(*command_line(command, tmp_path, "--image-budget", "lots", "--static"))
    assert done.returncode == 2, done.stderr
    assert "Invalid value for --image-budget: 'lots' is not a size; write a number with k, m, g or t, e.g. 30g" \
        in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists(), "nothing is cloned or written"


@pytest.mark.parametrize("command", COMMANDS)
def test_memory_reaches_the_sandbox_policy(command: str, tmp_path: Path, policies: list[SandboxPolicy]) -> None:
    result = CliRunner().invoke(cli, command_line(command, tmp_path, "--memory", "2.5g"))
    assert result.exit_code == 0, result.output
    assert [p.memory for p in policies] == ["2.5g"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("memory", "said"), [
    ("lots", "'lots' is not a memory size; write a number with k, m or g, e.g. 4g"),
    ("1t", "'1t' is not a memory size"),  # docker-py reads b, k, m and g only
    ("4m", "'4m' is under the 6m Docker allows a container"),
])
def test_a_memory_limit_docker_would_refuse_is_a_usage_error(
    command: str, memory: str, said: str, tmp_path: Path
) -> None:
    """Before, `--memory lots` was accepted and handed to Docker: the first container of every group failed."""
    done = grader(*command_line(command, tmp_path, "--memory", memory, "--static"))
    assert done.returncode == 2, done.stderr
    assert f"Invalid value for --memory: {said}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("key", "value", "said"), [
    ("memory", "lots", "not a memory size"),
    ("tmpfs_size", "1.5g", "should match pattern"),
])
def test_a_rubric_size_docker_would_refuse_names_the_file_and_the_key(
    key: str, value: str, said: str, tmp_path: Path
) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(RUBRIC + f"sandbox:\n  {key}: {value}\n", encoding="utf-8")
    done = grader("rubric", "validate", str(rubric))
    assert done.returncode == 2, done.stderr
    assert str(rubric) in done.stderr and f"sandbox.{key}" in done.stderr and said in done.stderr
