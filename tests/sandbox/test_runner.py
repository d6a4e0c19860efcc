"""run_sandbox end to end (install side's prepare_environment, then the run steps) and smoke command resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.run import CHECKS
from grader.files import SubmissionTree
from grader.models import Status, StepStatus, Submission
from grader.sandbox.engine import Engine
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.runner import run_sandbox, smoke_commands
from tests.harness import MakeTree, run_on


def submission(root: Path, smoke: tuple[str, ...] = ()) -> Submission:
    return Submission(id="group 7/ä", root=root, source=str(root), smoke=smoke)


def test_smoke_commands_come_from_roster_then_rubric_then_grader_toml_then_pyproject(make_tree: MakeTree) -> None:
    root = make_tree({
        ".grader.toml": 'smoke = ["python train.py --epochs 1"]\n',
        "pyproject.toml": '[tool.grader]\nsmoke = ["python other.py"]\n',
    })
    tree = SubmissionTree(root)
    assert smoke_commands(submission(root), tree, SandboxPolicy()) == ("python train.py --epochs 1",)
    assert smoke_commands(submission(root), tree, SandboxPolicy(smoke=["make demo"])) == ("make demo",)
    assert smoke_commands(submission(root, ("bash run.sh",)), tree, SandboxPolicy(smoke=["x"])) == ("bash run.sh",)
    only_pyproject = make_tree({"pyproject.toml": '[tool.grader]\nsmoke = "python demo.py"\n'})
    assert smoke_commands(submission(only_pyproject), SubmissionTree(only_pyproject), SandboxPolicy()) == (
        "python demo.py",
    )


def test_broken_or_foreign_smoke_declarations_are_ignored(make_tree: MakeTree) -> None:
    root = make_tree({".grader.toml": "smoke = [1, 2", "pyproject.toml": "[tool.grader]\nsmoke = [3]\n"})
    assert smoke_commands(submission(root), SubmissionTree(root), SandboxPolicy()) == ()


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("no_leftovers", "base_image")
def test_run_sandbox_builds_then_runs_every_step_and_the_checks_read_it(
    engine: Engine, make_tree: MakeTree
) -> None:
    root = make_tree({
        "requirements.txt": "# nothing beyond the standard library\n",
        ".grader.toml": 'smoke = ["python3 -m demo"]\n',
        "demo/__init__.py": "",
        "demo/__main__.py": "print('demo ran')\n",
        "demo/broken.py": "import definitely_not_installed_pkg\n",
        "test_demo.py": "def test_one():\n    assert True\n",
    })
    tree = SubmissionTree(root)
    stages: list[str] = []
    steps = [c.step for c in CHECKS]
    policy = SandboxPolicy(timeout=60, memory="512m", pids=128, tmpfs_size="64m")
    run = run_sandbox(submission(root), tree, policy, steps, stages.append, engine=engine)
    assert [s.name for s in run.steps] == ["build", "imports", "smoke[1]", "tests", "notebooks"]
    assert run.step("build").status is StepStatus.PASSED
    assert "building" in stages and "running" in stages
    results = {c.id: run_on(c, submission(root), run=run, tree=tree) for c in CHECKS}
    assert results["run.build"].status is Status.PASSED
    assert results["run.imports"].status is Status.FAILED
    assert results["run.imports"].findings[0].path == "demo/broken.py"
    assert results["run.smoke"].status is Status.PASSED
    assert results["run.tests"].measurements["passed"] == 1
    assert results["run.notebooks"].status is Status.SKIPPED
