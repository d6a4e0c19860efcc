"""The run.* checks read the sandbox's outcome: verdicts, measurements and findings for each kind of ending."""

from __future__ import annotations

import pytest

from grader.checks.run import RunBuildCheck, RunImportsCheck, RunNotebooksCheck, RunSmokeCheck, RunTestsCheck
from grader.models import Severity, Skip, Status
from grader.outcomes import (
    BuildResult,
    DataNeed,
    FailedTest,
    ImportsResult,
    ModuleImport,
    NotebookRun,
    NotebooksResult,
    PytestResult,
    RunOutcome,
    SmokeResult,
    StepOutcome,
    StepStatus,
)
from tests.harness import MakeTree, run_on

#: A submission with code (without any, every run check is skipped by the submission's choice).
CODE: dict[str, str | bytes] = {"train.py": "print('training')\n"}


def outcome(*steps: StepOutcome) -> RunOutcome:
    """The sandbox's outcome made of the given steps."""
    return RunOutcome(image="grader-env:test", environment="requirements", steps=steps)


RUN_CHECKS = (RunBuildCheck, RunImportsCheck, RunSmokeCheck, RunTestsCheck, RunNotebooksCheck)


def test_static_run_says_every_runtime_check_was_not_run(make_tree: MakeTree) -> None:
    root = make_tree({"a.py": ""})
    for check in RUN_CHECKS:
        result = run_on(check, root)
        assert (result.status, result.skip) == (Status.SKIPPED, Skip.NOT_RUN)
        assert "--static" in result.summary


def test_without_code_every_run_check_is_skipped_by_choice_with_or_without_the_sandbox(make_tree: MakeTree) -> None:
    latex_only = make_tree({"paper/main.tex": "\\documentclass{IEEEtran}\n", "README.md": "# Paper\n"})
    built = outcome(StepOutcome("build", StepStatus.PASSED, detail=BuildResult(environment="plain")))
    for check in RUN_CHECKS:
        for run in (None, built):
            result = run_on(check, latex_only, run=run)
            assert (result.status, result.skip) == (Status.SKIPPED, Skip.BY_CHOICE), (check.id, run)
            assert result.summary == "no Python code or notebooks: nothing to build or run"


def test_steps_after_a_failed_build_fail_and_after_an_infra_error_are_not_run(make_tree: MakeTree) -> None:
    root = make_tree(CODE)
    failed = outcome(StepOutcome("build", StepStatus.FAILED), StepOutcome("tests", StepStatus.SKIPPED, reason="x"))
    result = run_on(RunTestsCheck, root, run=failed)
    assert (result.status, result.score) == (Status.FAILED, 0.0)
    assert result.summary.startswith("not run: the environment did not build (failed); fix the environment first")
    broken = outcome(StepOutcome("build", StepStatus.INFRA_ERROR, error="engine gone"),
                     StepOutcome("tests", StepStatus.SKIPPED, reason="no environment"))
    result = run_on(RunTestsCheck, root, run=broken)
    assert (result.status, result.skip) == (Status.SKIPPED, Skip.NOT_RUN)
    assert "engine gone" in result.summary


def test_a_step_with_nothing_to_run_is_skipped_by_choice_and_notebooks_only_import_nothing(make_tree: MakeTree) -> None:
    built = StepOutcome("build", StepStatus.PASSED)
    no_tests = run_on(RunTestsCheck, make_tree(CODE), run=outcome(
        built, StepOutcome("tests", StepStatus.SKIPPED, reason="no test files (test_*.py, *_test.py)")))
    assert (no_tests.skip, no_tests.summary) == (Skip.BY_CHOICE, "not run: no test files (test_*.py, *_test.py)")
    notebooks = make_tree({"analysis.ipynb": '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}'})
    imports = run_on(RunImportsCheck, notebooks, run=outcome(
        built, StepOutcome("imports", StepStatus.SKIPPED, reason="no Python modules to import")))
    assert (imports.status, imports.skip) == (Status.SKIPPED, Skip.NOT_APPLICABLE)


def test_failing_imports_give_one_finding_per_module_with_path_and_line(make_tree: MakeTree) -> None:
    step = StepOutcome("imports", StepStatus.FAILED, detail=ImportsResult(modules=4, failures=(
        ModuleImport("audio.model", "src/audio/model.py", "ModuleNotFoundError", "No module named 'torchaudio'",
                     "src/audio/model.py", 3),
    )))
    result = run_on(RunImportsCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.FAILED
    assert result.score == 0.75
    assert result.measurements == {"modules": 4, "failed": 1, "needs_data": 0, "exited": 0}
    (f,) = result.findings
    assert (f.path, f.line) == ("src/audio/model.py", 3)
    assert "ModuleNotFoundError: No module named 'torchaudio'" in f.message


def test_tests_measurements_are_the_junit_counts(make_tree: MakeTree) -> None:
    step = StepOutcome("tests", StepStatus.FAILED, exit_code=0, detail=PytestResult(
        tests=5, passed=3, failed=1, errors=0, skipped=1, failing=("t::test_bad",), pytest_exit=1,
    ))
    result = run_on(RunTestsCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.FAILED
    assert result.measurements == {"passed": 3, "failed": 1, "errors": 0, "skipped": 1, "needs_data": 0}
    assert result.score == 0.75
    assert [f.message for f in result.findings] == [
        "failed: t::test_bad; run `pytest t::test_bad` in a fresh environment and fix the code or the test"]


def test_a_failing_test_names_its_file_its_error_and_the_command_that_reruns_it(make_tree: MakeTree) -> None:
    """Read on a real hand-in: 'run `pytest ML_Algs.SVM_test`' is no command pytest accepts, and said nothing of
    the missing module that stopped the file from being collected."""
    failures = (FailedTest("ML_Algs.SVM_test", "ML_Algs/SVM_test.py", "ML_Algs/SVM_test.py",
                           "ModuleNotFoundError: No module named 'CSVInterface'"),
                FailedTest("tests.test_more.TestShapes::test_width", "tests/test_more.py",
                           "tests/test_more.py::TestShapes::test_width", "ValueError: width 3"),
                FailedTest("t::test_bad", "", "t::test_bad", ""))
    step = StepOutcome("tests", StepStatus.FAILED, exit_code=1, detail=PytestResult(
        tests=4, passed=1, failed=2, errors=1, pytest_exit=1, failures=failures,
        failing=("ML_Algs.SVM_test", "tests.test_more.TestShapes::test_width", "t::test_bad")))
    result = run_on(RunTestsCheck, make_tree(CODE), run=outcome(step))
    assert [(f.message, f.path) for f in result.findings] == [
        ("pytest could not collect this file: ModuleNotFoundError: No module named 'CSVInterface'; run `python -m "
         "pytest ML_Algs/SVM_test.py` in a fresh environment and fix the code or the test", "ML_Algs/SVM_test.py"),
        ("TestShapes::test_width failed: ValueError: width 3; run `python -m pytest "
         "tests/test_more.py::TestShapes::test_width` in a fresh environment and fix the code or the test",
         "tests/test_more.py"),
        ("failed: t::test_bad; run `python -m pytest t::test_bad` in a fresh environment and fix the code or the test",
         None)]


def test_untrusted_test_results_score_nothing(make_tree: MakeTree) -> None:
    step = StepOutcome("tests", StepStatus.FAILED, rejected="tests.json: nonce mismatch: a forged result")
    result = run_on(RunTestsCheck, make_tree(CODE), run=outcome(step))
    assert (result.status, result.score) == (Status.FAILED, 0.0)
    assert "forged" in result.summary


def test_timeout_and_oom_are_failures_with_evidence_and_infra_errors_are_errors(make_tree: MakeTree) -> None:
    root = make_tree(CODE)
    slow = StepOutcome("tests", StepStatus.TIMEOUT, duration_s=600.2, stdout_tail="epoch 3")
    timeout = run_on(RunTestsCheck, root, run=outcome(slow))
    assert timeout.status is Status.FAILED
    assert "timeout" in timeout.findings[0].message and "epoch 3" in timeout.findings[0].message
    assert timeout.measurements["step_status"] == "timeout"
    oom = run_on(RunImportsCheck, root, run=outcome(StepOutcome("imports", StepStatus.OOM, stderr_tail="Killed")))
    assert oom.status is Status.FAILED and "out of memory" in oom.summary
    infra = run_on(RunBuildCheck, root, run=outcome(StepOutcome("build", StepStatus.INFRA_ERROR, error="engine gone")))
    assert infra.status is Status.ERROR


def test_notebook_failure_names_the_cell_and_the_error(make_tree: MakeTree) -> None:
    step = StepOutcome("notebooks", StepStatus.FAILED, detail=NotebooksResult(results=(
        NotebookRun("nb/analysis.ipynb", "failed", cells=4, executed=3, failed_cell=3, error="ValueError: boom"),
        NotebookRun("ok.ipynb", "ok", cells=1, executed=1),
    )))
    result = run_on(RunNotebooksCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.FAILED
    assert (result.measurements["executed"], result.measurements["failed"]) == (1, 1)
    assert result.measurements["failures"] == [{"path": "nb/analysis.ipynb", "cell": 3, "error": "ValueError: boom"}]
    (f,) = result.findings
    assert (f.path, f.message) == ("nb/analysis.ipynb", "cell 3: ValueError: boom; run nb/analysis.ipynb from a fresh "
                                  "kernel (Restart & Run All) and fix cell 3")


def test_smoke_scores_the_share_of_commands_that_succeed(make_tree: MakeTree) -> None:
    ok = StepOutcome("smoke[1]", StepStatus.PASSED, exit_code=0, detail=SmokeResult(command="python a.py"))
    bad = StepOutcome("smoke[2]", StepStatus.FAILED, exit_code=2, stderr_tail="Traceback\nKeyError: 'lr'\n",
                      detail=SmokeResult(command="python train.py"))
    result = run_on(RunSmokeCheck, make_tree(CODE), run=outcome(ok, bad))
    assert (result.status, result.score) == (Status.FAILED, 0.5)
    assert result.findings[0].message == ("`python train.py` exited with 2: KeyError: 'lr'; run `python train.py` in a "
                                          "fresh clone with a fresh environment and fix the error it prints")


def test_skipped_step_skips_the_check_with_its_reason(make_tree: MakeTree) -> None:
    step = StepOutcome("smoke", StepStatus.SKIPPED, reason="no smoke command declared")
    result = run_on(RunSmokeCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.SKIPPED
    assert "no smoke command declared" in result.summary


def test_build_failure_shows_the_diagnosis(make_tree: MakeTree) -> None:
    step = StepOutcome("build", StepStatus.FAILED, exit_code=1, detail=BuildResult(
        environment="requirements", failure_reason="no-such-version", explanation="torch==9.9: no such version",
    ))
    result = run_on(RunBuildCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.FAILED
    assert result.measurements["kind"] == "requirements"
    assert "torch==9.9: no such version" in result.summary


def test_a_conda_freeze_s_local_paths_are_to_be_replaced_by_versions(make_tree: MakeTree) -> None:
    step = StepOutcome("build", StepStatus.FAILED, exit_code=1, detail=BuildResult(
        environment="requirements", failure_reason="local-path", failed_requirement="numpy",
        explanation="`numpy @ file:///croot/numpy_1/work` points at a file of the machine the environment was "
                    "frozen on, which no other machine has"))
    (first, *_) = run_on(RunBuildCheck, make_tree(CODE), run=outcome(step)).findings
    assert first.message.endswith("replace each line that names a path of your machine (`name @ file:///...`) with "
                                  "`name==version`: `pip list --format=freeze` in your environment writes them so")


def test_imports_timeout_still_lists_the_failures_seen_and_the_module_that_hung(make_tree: MakeTree) -> None:
    step = StepOutcome("imports", StepStatus.TIMEOUT, duration_s=600.0, detail=ImportsResult(
        modules=1, stopped_at="train", failures=(ModuleImport("model", "model.py", "ImportError", "x", "model.py", 2),),
    ))
    result = run_on(RunImportsCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.FAILED
    messages = [f.message for f in result.findings]
    assert "the step ended while importing train" in messages
    assert [(f.path, f.line) for f in result.findings][-1] == ("model.py", 2)


def _notebooks_needing_data() -> RunOutcome:
    need = DataNeed(("dataset/effectData.csv",), "README.md:3: Download it from https://zenodo.org/record/1",
                    ("dataset/effectData.csv: ignored by .gitignore (line 1: dataset/)",))
    runs = (
        NotebookRun("ok.ipynb", "ok", 2, 2),
        NotebookRun("a.ipynb", "failed", 3, 2, 2, "FileNotFoundError: ...", ("dataset/effectData.csv",)),
        NotebookRun("b.ipynb", "failed", 3, 1, 1, "FileNotFoundError: ...", ("dataset/effectData.csv",)),
        NotebookRun("c.ipynb", "failed", 3, 3, 3, "ValueError: shapes"),
    )
    return outcome(StepOutcome("notebooks", StepStatus.FAILED, detail=NotebooksResult(results=runs), needs_data=need))


@pytest.mark.parametrize(("option", "status", "score"), [
    ("exclude", Status.FAILED, 0.5), ("fail", Status.FAILED, 0.25), ("pass", Status.FAILED, 0.75),
])
def test_missing_data_is_counted_as_the_rubric_says(
    make_tree: MakeTree, option: str, status: Status, score: float
) -> None:
    result = run_on(RunNotebooksCheck, make_tree(CODE), run=_notebooks_needing_data(), options={"needs_data": option})
    assert (result.status, result.score) == (status, score)
    assert result.measurements["needs_data"] == 2 and result.measurements["failed"] == 1
    messages = [f.message for f in result.findings]
    assert "needs data that is not in the submission: dataset/effectData.csv" in messages
    assert any(m.startswith("the README says how to get it") for m in messages)
    assert [f.path for f in result.findings if f.severity is Severity.ERROR] == ["c.ipynb"]


def test_a_step_that_only_lacked_data_is_not_judged_by_default(make_tree: MakeTree) -> None:
    need = DataNeed(("data/train.csv",))
    step = StepOutcome("imports", StepStatus.NEEDS_DATA, detail=ImportsResult(modules=1, failures=(
        ModuleImport("train", "train.py", "FileNotFoundError", "[Errno 2] ...", "train.py", 2,
                     "as `train` from the root", ("data/train.csv",)),
    )), needs_data=need)
    result = run_on(RunImportsCheck, make_tree(CODE), run=outcome(step))
    assert result.status is Status.SKIPPED
    assert any(f.message.startswith("the README does not say how to get the data: add the command")
               for f in result.findings)
    failing = run_on(RunImportsCheck, make_tree(CODE), run=outcome(step), options={"needs_data": "fail"})
    assert (failing.status, failing.score) == (Status.FAILED, 0.0)
    assert failing.findings[0].message.endswith("; imported as `train` from the root")


#: A conftest.py that turns every failure into a pass (the forgery pytest's own process allows), and an honest one.
REWRITING_CONFTEST = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
        report.longrepr = None


def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
"""
HONEST_CONFTEST = """\
import pytest


@pytest.fixture
def outcome():
    result = {"outcome": "passed"}
    return result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    item.rep = outcome.get_result()  # kept for a fixture's teardown, a common and honest use
"""


def test_a_conftest_that_rewrites_verdicts_is_shown_with_its_lines(make_tree: MakeTree) -> None:
    step = StepOutcome("tests", StepStatus.PASSED, exit_code=0, detail=PytestResult(
        tests=2, passed=2, failed=0, errors=0, skipped=0, pytest_exit=0))
    files: dict[str, str | bytes] = {**CODE, "tests/conftest.py": REWRITING_CONFTEST, "tests/test_a.py": "x = 1\n"}
    result = run_on(RunTestsCheck, make_tree(files), run=outcome(step))
    warned = [(f.path, f.line, f.severity) for f in result.findings if "conftest.py hook" in f.message]
    assert warned == [("tests/conftest.py", 9, Severity.WARNING), ("tests/conftest.py", 10, Severity.WARNING),
                      ("tests/conftest.py", 14, Severity.WARNING)]
    assert result.measurements["verdict_rewrites"] == 3
    honest = run_on(RunTestsCheck, make_tree({**CODE, "conftest.py": HONEST_CONFTEST}), run=outcome(step))
    assert not [f for f in honest.findings if "conftest.py hook" in f.message]
    assert "verdict_rewrites" not in honest.measurements


def test_a_notebook_stopped_by_a_missing_package_says_to_declare_it(make_tree: MakeTree) -> None:
    step = StepOutcome("notebooks", StepStatus.FAILED, detail=NotebooksResult(results=(
        NotebookRun("Notebook.ipynb", "failed", cells=9, executed=4, failed_cell=5,
                    error="ModuleNotFoundError: No module named 'librosa.display'"),
    )))
    (f,) = run_on(RunNotebooksCheck, make_tree(CODE), run=outcome(step)).findings
    assert f.message == ("cell 5: ModuleNotFoundError: No module named 'librosa.display'; declare `librosa` in the "
                         "environment file if it is a package, or commit it if it is your own module")


@pytest.mark.parametrize(("module", "advice"), [
    ("sklearn", "declare `scikit-learn` (the distribution that provides `sklearn`) in the environment file"),
    ("gin", "declare `gin-config` (the distribution that provides `gin`) in the environment file"),
    ("cv2", "declare `opencv-python` (the distribution that provides `cv2`)"),
    ("cPickle", "`cPickle` is a Python 2 module: in Python 3 use pickle"),
    ("MyHelpers", "no distribution is known to provide `MyHelpers`: declare the package that does"),
])
def test_a_missing_module_is_declared_by_its_distribution_name_never_its_import_name(
    module: str, advice: str, make_tree: MakeTree
) -> None:
    """Read on a real hand-in: 'declare `sklearn`' would install PyPI's sklearn, a placeholder that refuses to."""
    step = StepOutcome("notebooks", StepStatus.FAILED, detail=NotebooksResult(results=(
        NotebookRun("Notebook.ipynb", "failed", cells=3, executed=1, failed_cell=1,
                    error=f"ModuleNotFoundError: No module named '{module}'"),
    )))
    (f,) = run_on(RunNotebooksCheck, make_tree(CODE), run=outcome(step)).findings
    assert advice in f.message
    imports = StepOutcome("imports", StepStatus.FAILED, detail=ImportsResult(
        modules=1, failures=(ModuleImport("train", "train.py", "ModuleNotFoundError", f"No module named '{module}'",
                                          "train.py", 1),)))
    assert any(advice in g.message for g in run_on(RunImportsCheck, make_tree(CODE), run=outcome(imports)).findings)
