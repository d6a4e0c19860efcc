"""Run steps on honest submissions: passing tests, a missing dependency, a notebook failing at cell 3."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.outcomes import ImportsResult, NotebooksResult, PytestResult, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.layout import module_plans
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.steps import StepRunner, copy_submission
from tests.harness import MakeTree, notebook_json

POLICY = SandboxPolicy(timeout=60, memory="512m", pids=128, tmpfs_size="64m", notebook_cell_timeout=30)


GOOD = {
    "src/audio/__init__.py": "",
    "src/audio/features.py": "def frames(n, hop):\n    return max(0, 1 + (n - 1) // hop)\n",
    "scripts/train.py": "import helpers\n\nif __name__ == '__main__':\n    print(helpers.EPOCHS)\n",
    "scripts/helpers.py": "EPOCHS = 1\n",
    "tests/test_features.py": (
        "import sys\nsys.path.insert(0, 'src')\nfrom audio.features import frames\n\n"
        "def test_frames():\n    assert frames(10, 5) == 2\n\n"
        "def test_empty():\n    assert frames(0, 5) == 0\n"
    ),
}


def runner(engine: Engine, image: str, root: Path, tmp_path: Path) -> StepRunner:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return StepRunner(engine, image, POLICY, "test-steps", root, scratch)


def test_modules_are_found_with_their_package_roots(make_tree: MakeTree) -> None:
    tree = SubmissionTree(make_tree({**GOOD, "setup.py": "", "01-intro.py": ""}))
    found = {p.conventions[0].module: (p.conventions[0].paths, p.path) for p in module_plans(tree)[0]}
    assert found["audio.features"] == (("src",), "src/audio/features.py")
    assert found["audio"] == (("src",), "src/audio/__init__.py")
    assert found["helpers"] == (("scripts",), "scripts/helpers.py")
    assert found["test_features"] == (("tests", ""), "tests/test_features.py")
    assert "setup" not in found and "01-intro" not in found


def test_copy_leaves_out_git_and_links(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"main.py": "x = 1\n", ".git/config": "[core]\n"})
    os.symlink("/etc/passwd", root / "passwd")
    dest = tmp_path / "copy"
    dest.mkdir()
    copy_submission(root, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["main.py"]


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_honest_group_imports_and_passes_its_tests(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(GOOD)
    tree = SubmissionTree(root)
    steps = runner(engine, base_image, root, tmp_path)
    imports = steps.imports(tree)
    assert imports.status is StepStatus.PASSED, imports
    assert isinstance(imports.detail, ImportsResult)
    assert (imports.detail.modules, imports.detail.failures, imports.detail.stopped_at) == (5, (), None)
    tests = steps.tests(tree)
    assert tests.status is StepStatus.PASSED, tests
    # The group installs no pytest: the grader's, appended after the group's packages, ran its suite.
    assert tests.detail == PytestResult(tests=2, passed=2, pytest_exit=0,
                                        runner="pytest 9.2.0 from /opt/grader-pytest/pytest")
    smoke = steps.smoke(("python3 scripts/train.py",))
    assert [s.status for s in smoke] == [StepStatus.PASSED]
    assert smoke[0].stdout_tail == "1\n"


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_missing_dependency_is_caught_by_imports_with_path_and_line(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({**GOOD, "src/audio/model.py": '"""Model."""\n\nimport torchaudio_not_installed\n'})
    tree = SubmissionTree(root)
    step = runner(engine, base_image, root, tmp_path).imports(tree)
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, ImportsResult)
    (failure,) = step.detail.failures
    assert failure.module == "audio.model"
    assert failure.error_type == "ModuleNotFoundError"
    assert (failure.error_path, failure.error_line) == ("src/audio/model.py", 3)


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_failing_tests_are_counted(engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path) -> None:
    broken = {**GOOD, "tests/test_more.py": "import pytest\n\ndef test_bad():\n    assert 1 == 2\n\n"
              "@pytest.mark.skip\ndef test_later():\n    pass\n\n"
              "class TestShapes:\n    def test_width(self):\n        raise ValueError('width 3, expected 4')\n",
              "tests/test_collect.py": "import CSVInterface\n\ndef test_never():\n    pass\n"}
    root = make_tree(broken)
    step = runner(engine, base_image, root, tmp_path).tests(SubmissionTree(root))
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, PytestResult)
    assert (step.detail.passed, step.detail.failed, step.detail.errors, step.detail.skipped) == (2, 2, 1, 1)
    assert set(step.detail.failing) == {"tests.test_more::test_bad", "tests.test_more.TestShapes::test_width",
                                        "tests.test_collect"}
    # Each failure as a student reruns it: the file, a node id pytest accepts, and the error's last line.
    assert {(f.path, f.node, f.reason) for f in step.detail.failures} == {
        ("tests/test_more.py", "tests/test_more.py::test_bad", "assert 1 == 2"),
        ("tests/test_more.py", "tests/test_more.py::TestShapes::test_width", "ValueError: width 3, expected 4"),
        ("tests/test_collect.py", "tests/test_collect.py", "ModuleNotFoundError: No module named 'CSVInterface'"),
    }


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_notebook_failing_at_cell_3_is_reported_with_cell_and_error(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "analysis.ipynb": notebook_json("x = 1", "y = x + 1", "raise ValueError('no such file: data.wav')", "z = 3"),
        "ok.ipynb": notebook_json("print(40 + 2)"),
    })
    step = runner(engine, base_image, root, tmp_path).notebooks(SubmissionTree(root))
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, NotebooksResult)
    assert (len(step.detail.results), len(step.detail.failing)) == (2, 1)
    results = {r.path: r for r in step.detail.results}
    assert results["analysis.ipynb"].failed_cell == 3
    assert results["analysis.ipynb"].error == "ValueError: no such file: data.wav"
    assert results["ok.ipynb"].status == "ok"


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_each_step_gets_a_fresh_copy(engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.py": "x = 1\n"})
    steps = runner(engine, base_image, root, tmp_path)
    first, second = steps.smoke(("ls; echo w > written.txt", "ls"))
    assert first.status is StepStatus.PASSED and second.status is StepStatus.PASSED
    assert "written.txt" not in second.stdout_tail
    assert not (root / "written.txt").exists()


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_a_module_that_hangs_is_stopped_and_the_next_one_still_imports(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "a_broken.py": "import not_installed_anywhere\n",
        # Blocks every signal it can: only the driver killing its child ends it.
        "b_train.py": "import signal, time\nsignal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))\n"
                      "time.sleep(600)\n",
        "c_fine.py": "VALUE = 1\n",
    })
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    policy = SandboxPolicy(timeout=30, memory="256m", pids=64, tmpfs_size="16m")
    step = StepRunner(engine, base_image, policy, "test-steps", root, scratch).imports(SubmissionTree(root))
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, ImportsResult)
    assert step.detail.stopped_at is None and step.detail.modules == 3
    failures = {f.module: f for f in step.detail.failures}
    assert sorted(failures) == ["a_broken", "b_train"]
    assert failures["b_train"].error_type == "Timeout"
    assert step.duration_s < policy.timeout


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
def test_import_step_out_of_time_still_names_the_module_that_hung(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({"a_broken.py": "import not_installed_anywhere\n", "b_train.py": "import time\ntime.sleep(600)\n"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # 7 s for the step: the driver signs what it has after ~4.6 s, before the per-module timeout (5 s) is up.
    policy = SandboxPolicy(timeout=7, memory="256m", pids=64, tmpfs_size="16m")
    step = StepRunner(engine, base_image, policy, "test-steps", root, scratch).imports(SubmissionTree(root))
    assert step.status is StepStatus.FAILED
    assert isinstance(step.detail, ImportsResult)
    assert step.detail.stopped_at == "b_train"
    assert [f.module for f in step.detail.failures] == ["a_broken"]
