"""run_sandbox end to end (install side's prepare_environment, then the run steps) and smoke command resolution."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader.checks.run import CHECKS, RunSmokeCheck
from grader.files import SubmissionTree
from grader.models import Status, Submission
from grader.outcomes import RunOutcome, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.image import base_image_tag
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.runner import run_sandbox, smoke_commands
from tests.harness import MakeTree, run_on
from tests.sandbox.fake_engine import Behaviour, Call, FakeEngine, Ran, honest


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
        "README.md": "# Demo\n\nRun it:\n\n    python3 -m demo\n",
    })
    tree = SubmissionTree(root)
    stages: list[str] = []
    steps = [c.step for c in CHECKS]
    policy = SandboxPolicy(timeout=60, memory="512m", pids=128, tmpfs_size="64m")
    run = run_sandbox(submission(root), tree, policy, steps, stages.append, engine=engine)
    assert [s.name for s in run.steps] == ["build", "imports", "smoke[1]", "tests", "notebooks", "readme"]
    assert run.step("build").status is StepStatus.PASSED
    assert "building" in stages and "running" in stages
    results = {c.id: run_on(c, submission(root), run=run, tree=tree) for c in CHECKS}
    assert results["run.build"].status is Status.PASSED
    assert results["run.imports"].status is Status.FAILED
    assert results["run.imports"].findings[0].path == "demo/broken.py"
    assert results["run.smoke"].status is Status.PASSED
    assert results["run.tests"].measurements["passed"] == 1
    assert results["run.notebooks"].status is Status.SKIPPED
    assert results["run.readme"].status is Status.PASSED, results["run.readme"]


def fake_run(
    root: Path, policy: SandboxPolicy, behaviour: Behaviour = honest, submission_data: tuple[tuple[str, str], ...] = ()
) -> tuple[RunOutcome, FakeEngine]:
    engine = FakeEngine(behaviour, images=[base_image_tag()])
    sub = Submission(id="g", root=root, source=str(root), data=submission_data)
    steps = [c.step for c in CHECKS]
    return run_sandbox(sub, SubmissionTree(root), policy, steps, lambda _: None, engine=engine), engine


def test_smoke_commands_beyond_the_limit_are_reported_not_run(make_tree: MakeTree) -> None:
    smoke_list = "smoke = [" + ", ".join(f'"echo {n}"' for n in range(7)) + "]\n"
    root = make_tree({"main.py": "print(1)\n", ".grader.toml": smoke_list})
    run, engine = fake_run(root, SandboxPolicy(max_smoke_commands=3))
    smoke = [s for s in run.steps if s.name.startswith("smoke")]
    assert [s.name for s in smoke] == ["smoke[1]", "smoke[2]", "smoke[3]", "smoke[4]"]
    assert [c.step for c in engine.created].count("smoke") == 3
    assert smoke[-1].status is StepStatus.SKIPPED
    assert "4 more smoke command(s) not run: at most 3 run" in str(smoke[-1].reason)
    result = run_on(RunSmokeCheck, submission(root), run=run, tree=SubmissionTree(root))
    assert result.status is Status.PASSED and result.measurements["commands"] == 3
    assert any("4 more smoke command(s)" in f.message for f in result.findings)


def test_the_run_budget_bounds_all_steps_together(make_tree: MakeTree) -> None:
    root = make_tree({".grader.toml": 'smoke = ["python slow.py", "python slow.py"]\n', "a.py": "",
                      "test_a.py": "def test_a():\n    pass\n"})

    def slow_smoke(call: Call) -> Ran:
        if call.step == "smoke":
            time.sleep(call.spec.timeout + 0.5)  # as if killed at the step's timeout
            return Ran(exit_code=137)
        return honest(call)

    run, engine = fake_run(root, SandboxPolicy(timeout=60, run_budget=12), slow_smoke)
    by_name = {s.name: s for s in run.steps}
    timeouts = [c.spec.timeout for c in engine.created if c.spec is not None and c.step == "smoke"]
    # The first smoke command gets what is left of the budget, not the per-step 60 s; nothing starts after it.
    assert len(timeouts) == 1 and timeouts[0] <= 12
    for name in ("smoke[2]", "tests", "notebooks"):
        assert by_name[name].status is StepStatus.SKIPPED, name
        assert "time budget (12 s for all of them) is spent" in str(by_name[name].reason)


def test_data_folders_from_rubric_and_roster_are_mounted_read_only_in_place_of_the_group_s(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({"a.py": "", "dataset/README": "the group's placeholder\n", "clips/x.wav": "RIFF"})
    rubric_data, roster_data = tmp_path / "rubric-data", tmp_path / "roster-data"
    rubric_data.mkdir()
    roster_data.mkdir()
    policy = SandboxPolicy(data={"dataset": str(rubric_data), "clips": str(rubric_data)})
    seen: dict[str, list[str]] = {}

    def look(call: Call) -> Ran:
        seen[call.step] = sorted(str(p.relative_to(call.folder("/grader-src"))) for p in
                                 call.folder("/grader-src").rglob("*"))
        return honest(call)

    _, engine = fake_run(root, policy, look, (("dataset", str(roster_data)),))
    container = next(c for c in engine.created if c.step == "imports")
    mounts = container.mounts
    # The roster's folder wins for `dataset`; the rubric's stays for `clips`.
    assert mounts["/work/dataset"] == (roster_data.resolve(), True)
    assert mounts["/work/clips"] == (rubric_data.resolve(), True)
    # The group's own files at those paths are not in the copy: the lecturer's data takes their place.
    assert seen["imports"] == ["a.py"]
