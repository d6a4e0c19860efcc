"""run.readme read from README step outcomes: the first failure with its output, needs-data per option, what was
reported rather than run, and a step that ended abnormally."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.run import RunReadmeCheck
from grader.models import CheckResult, Severity, Status
from grader.outcomes import DataNeed, ReadmeCommandRun, ReadmeRunResult, RunOutcome, StepOutcome, StepStatus
from tests.harness import run_on


def command(text: str, outcome: str, line: int, **fields: object) -> ReadmeCommandRun:
    return ReadmeCommandRun(text=text, path="README.md", line=line, outcome=outcome, **fields)  # type: ignore[arg-type]


PASSED = command("python prepare.py", "passed", 10, kind="run", reason="runs the project", exit_code=0, duration_s=1.2)
STARTED = command("python train.py", "started", 11, kind="training", duration_s=30.0,
                  reason="still running after 30 s without an error: started cleanly")
FAILED = command("python evaluate.py", "failed", 12, kind="run", reason="exited with 1", exit_code=1, duration_s=2.5,
                 cwd="src", output_tail="Traceback (most recent call last):\n  ...\nKeyError: 'label'\n")
BLOCKED = command("python plot.py", "not-run", 13, kind="run", reason="not run: an earlier command failed "
                  "(README.md:12)")
DOWNLOAD = command("wget https://x.org/d.zip", "reported", 5, kind="download",
                   reason="downloads data or code: not run (no network)")
DATA = command("python infer.py --ckpt runs/best.pt", "needs-data", 14, kind="needs-data",
               missing_data=("runs/best.pt",), reason="reads runs/best.pt, which the repository does not have")
INSTALL = command("pip install -r requirements.txt", "skipped", 4, kind="environment")


def judged(tmp_path: Path, commands: tuple[ReadmeCommandRun, ...], status: StepStatus = StepStatus.PASSED,
           option: str = "exclude", **step: object) -> CheckResult:
    outcome = StepOutcome("readme", status, detail=ReadmeRunResult(commands=commands), **step)  # type: ignore[arg-type]
    (tmp_path / "train.py").write_text("print('training')\n")  # a submission with code (without, nothing runs)
    return run_on(RunReadmeCheck, tmp_path, {"needs_data": option}, run=RunOutcome("img", "plain", (outcome,)))


def test_every_runnable_command_worked(tmp_path: Path) -> None:
    result = judged(tmp_path, (INSTALL, DOWNLOAD, PASSED, STARTED))
    assert (result.status, result.score, result.summary) == (Status.PASSED, 1.0,
                                                             "all 2 README commands that ran worked")
    assert {k: result.measurements[k] for k in ("commands", "passed", "started", "reported", "skipped")} == {
        "commands": 4, "passed": 1, "started": 1, "reported": 1, "skipped": 1}
    # What was reported rather than run, and what only started, are said at info level with their line.
    assert [(f.severity, f.line, f.message) for f in result.findings] == [
        (Severity.INFO, 11, "`python train.py`: still running after 30 s without an error: started cleanly"),
        (Severity.INFO, 5, "`wget https://x.org/d.zip`: downloads data or code: not run (no network)"),
    ]


def test_the_first_failure_is_the_verdict_with_its_output(tmp_path: Path) -> None:
    result = judged(tmp_path, (PASSED, STARTED, FAILED, BLOCKED), StepStatus.FAILED)
    assert result.status is Status.FAILED
    # Two worked; the failing one and the one it kept from running count against the score.
    assert result.score == pytest.approx(2 / 4)
    assert result.summary == "`python evaluate.py` (README.md:12) fails, after 2 README command(s) worked: " \
        "KeyError: 'label'"
    first = result.findings[0]
    assert (first.severity, first.path, first.line) == (Severity.ERROR, "README.md", 12)
    assert first.message.startswith("`python evaluate.py` (in src/) exited with 1 after 2.5 s: KeyError: 'label'; "
                                    "follow README.md step by step")
    assert result.findings[1].message == "1 later README command(s) not run after the failure"
    failure = result.measurements["first_failure"]
    assert isinstance(failure, dict) and failure["exit_code"] == 1 and "KeyError" in str(failure["output_tail"])


@pytest.mark.parametrize(("text", "tail", "advice"), [
    # Read on a README running `jupyter nbconvert` with no nbconvert in the group's requirements.
    ("jupyter nbconvert --execute demo.ipynb", "Jupyter command `jupyter-nbconvert` not found.",
     "the environment has no `jupyter nbconvert`: declare `nbconvert` in the environment file, or say in the README "
     "where it comes from"),
    ("tensorboard --logdir runs", "sh: 1: tensorboard: not found", "declare `tensorboard` in the environment file"),
    ("jupyter notebook", "bash: line 2: jupyter: command not found", "declare `jupyter` in the environment file"),
    ("mytool --x", "bash: line 1: mytool: command not found",
     "the environment has no `mytool`: declare the package that provides it in the environment file, or say in the "
     "README how to install it"),
    # Read on MarkHershey's README: `python train.py` stops at an undeclared import.
    ("python train.py --debug_all", "Traceback (most recent call last):\n"
     "ModuleNotFoundError: No module named 'sklearn'",
     "declare `scikit-learn` (the distribution that provides `sklearn`) in the environment file"),
    ("sh ./run.sh", "sh: 0: cannot open ./run.sh: No such file", "follow README.md step by step in a fresh clone"),
])
def test_a_failing_command_says_what_the_environment_lacks(tmp_path: Path, text: str, tail: str, advice: str) -> None:
    failing = command(text, "failed", 20, kind="run", reason="exited with 127", exit_code=127, duration_s=0.2,
                      output_tail=tail + "\n")
    (first, *_) = judged(tmp_path, (failing,), StepStatus.FAILED).findings
    assert advice in first.message


@pytest.mark.parametrize(("option", "status", "score"), [
    ("exclude", Status.PASSED, 1.0), ("fail", Status.FAILED, 0.5), ("pass", Status.PASSED, 1.0)])
def test_commands_needing_data_count_per_option(tmp_path: Path, option: str, status: Status, score: float) -> None:
    need = DataNeed(missing=("runs/best.pt",), readme_help="README.md:5: wget https://x.org/d.zip")
    result = judged(tmp_path, (DOWNLOAD, PASSED, DATA), StepStatus.PASSED, option, needs_data=need)
    assert (result.status, result.score) == (status, score)
    assert result.summary.endswith("; 1 command(s) need data that is not in the submission")
    messages = [f.message for f in result.findings]
    assert "`python infer.py --ckpt runs/best.pt` needs data that is not in the submission: runs/best.pt" in messages
    assert "the README says how to get it: wget https://x.org/d.zip" in messages


def test_only_commands_needing_data_is_not_judged(tmp_path: Path) -> None:
    result = judged(tmp_path, (DATA,), StepStatus.NEEDS_DATA)
    assert result.status is Status.SKIPPED
    assert result.summary.startswith("not judged: no README command could be judged in the sandbox")


def test_a_step_that_ended_abnormally_fails_with_what_it_had(tmp_path: Path) -> None:
    result = judged(tmp_path, (PASSED, BLOCKED), StepStatus.TIMEOUT, duration_s=600.0, stdout_tail="epoch 3\n")
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.summary == "the readme step was killed at the wall-clock timeout after 600.0 s"
    assert result.measurements["step_status"] == "timeout"


def test_the_sandbox_off_or_a_readme_without_runnable_commands_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('training')\n")
    assert run_on(RunReadmeCheck, tmp_path).status is Status.SKIPPED
    skipped = StepOutcome("readme", StepStatus.SKIPPED, reason="no README command runs in the sandbox; its commands: "
                          "2 install (the build did it)")
    result = run_on(RunReadmeCheck, tmp_path, run=RunOutcome("img", "plain", (skipped,)))
    assert result.status is Status.SKIPPED and "2 install (the build did it)" in result.summary
