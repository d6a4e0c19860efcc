"""grade() end to end without Docker: the real sandbox (install, steps, supervision) over the in-memory engine.

Each test scripts what the group's containers do and checks what matters downstream: step statuses and reasons,
run.* verdicts, the report's run section, and the policy every container was given.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pytest

from grader.engine import Progress, SandboxRunner, grade
from grader.files import SubmissionTree
from grader.models import GradeReport, Status, Submission
from grader.outcomes import BuildResult, InstalledCopy, RunOutcome, StepName
from grader.report.jsonio import dump_report
from grader.rubric import LoadedRubric, load_rubric
from grader.sandbox.engine import EngineError
from grader.sandbox.image import base_image_tag
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.runner import run_sandbox
from grader.sandbox.steps import RUN_ENV
from tests.harness import MakeTree, notebook_json
from tests.sandbox.fake_engine import Behaviour, Call, FakeEngine, Ran, honest

RUBRIC = """\
id: engine-test
title: Engine test
sandbox: {{timeout: {timeout}, memory: 256m, pids: 64}}
criteria:
  - id: environment
    title: Environment
    points: 5
    checks:
      - {{id: env.file}}
  - id: running
    title: Running
    points: 10
    checks:
      - {{id: run.build, required: true}}
      - {{id: run.imports}}
      - {{id: run.smoke}}
      - {{id: run.tests}}
      - {{id: run.notebooks}}
"""

CODE: dict[str, str | bytes] = {
    "demo/__init__.py": "",
    "demo/core.py": "VALUE = 1\n",
    "test_demo.py": "def test_one():\n    assert True\n",
    "analysis.ipynb": notebook_json(("code", "print(1)")),
    ".grader.toml": 'smoke = ["python3 -m demo.core"]\n',
}
PROJECT = {**CODE, "requirements.txt": "six==1.17.0\n"}


def rubric(tmp_path: Path, timeout: int = 30) -> LoadedRubric:
    path = tmp_path / "rubric.yaml"
    path.write_text(RUBRIC.format(timeout=timeout), encoding="utf-8")
    return load_rubric(path)


def engine_with(behaviour: Behaviour = honest) -> FakeEngine:
    """A fake engine holding the base image, as after `grader sandbox build`."""
    return FakeEngine(behaviour, images=[base_image_tag()])


def graded(root: Path, loaded: LoadedRubric, engine: FakeEngine) -> GradeReport:
    sandbox: SandboxRunner = partial(run_sandbox, engine=engine)
    return grade(Submission(id="group 1", root=root, source=str(root)), loaded, sandbox=sandbox)


def statuses(report: GradeReport) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks}


def check(report: GradeReport, check_id: str) -> str:
    """A check's status, summary and findings as one string, for asserting on reasons."""
    result = next(c for c in report.checks if c.id == check_id)
    return " | ".join([str(result.status), result.summary, *(f.message for f in result.findings)])


def test_all_steps_pass_and_every_container_gets_the_run_policy(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(PROJECT)
    engine = engine_with()
    report = graded(root, rubric(tmp_path), engine)

    assert all(status is Status.PASSED for status in statuses(report).values()), statuses(report)
    run = json.loads(dump_report(report))["run"]
    assert [(s["name"], s["status"]) for s in run["steps"]] == [
        ("build", "passed"), ("imports", "passed"), ("smoke[1]", "passed"), ("tests", "passed"),
        ("notebooks", "passed"),
    ]
    assert run["environment"] == "requirements" and run["image"].startswith("grader-env:")

    install, *steps = engine.created
    assert install.spec is not None and install.spec.commit_to == run["image"]
    # No network at all: only the grader's install gateway, mounted for the install alone (and its download
    # cache never mounted anywhere).
    assert (install.spec.network_mode, install.spec.read_only_root) == ("none", False)
    assert "/grader-gate" in install.mounts and all("/grader-gate" not in c.mounts for c in steps)
    assert "HTTPS_PROXY" in install.spec.env and all("HTTPS_PROXY" not in c.spec.env for c in steps if c.spec)
    assert [c.step for c in steps] == ["imports", "smoke", "tests", "notebooks"]
    for container in steps:
        spec = container.spec
        assert spec is not None and spec.image == run["image"]
        assert (spec.network_mode, spec.read_only_root, spec.user) == ("none", True, "1000:1000")
        assert (spec.memory, spec.pids, spec.timeout) == ("256m", 64, 30.0)
        assert dict(spec.env) == dict(RUN_ENV)
        mounts = container.mounts
        driver = {"/grader-in": True, "/grader-out": False} if container.step != "smoke" else {}
        assert {target: read_only for target, (_, read_only) in mounts.items()} == {
            "/grader-src": True, "/grader": True, **driver,
        }
        # The group's code runs in a copy made in the container (a tmpfs): the grader's own tree is never mounted.
        assert mounts["/grader-src"][0] != root and root not in mounts["/grader-src"][0].parents
        assert set(spec.owned_tmpfs) == {"/work"}
        assert container.labels["grader.managed"] == "1"
    assert steps[1].command[-1] == "python3 -m demo.core"
    assert all(c.removed for c in engine.created)


def test_a_failed_build_skips_the_later_steps_with_the_reason(make_tree: MakeTree, tmp_path: Path) -> None:
    def pip_fails(call: Call) -> Ran:
        if call.step == "install":
            return Ran(exit_code=1, stderr="ERROR: No matching distribution found for six==1.17.0\n")
        return honest(call)

    engine = engine_with(pip_fails)
    report = graded(make_tree(PROJECT), rubric(tmp_path), engine)

    assert statuses(report)["run.build"] is Status.FAILED
    assert report.gate_passed is False
    assert report.run is not None
    assert [(s.name, str(s.status)) for s in report.run.steps] == [
        ("build", "failed"), ("imports", "skipped"), ("smoke", "skipped"), ("tests", "skipped"),
        ("notebooks", "skipped"),
    ]
    assert report.run.steps[1].reason == "the environment did not build (failed)"
    for check_id in ("run.imports", "run.smoke", "run.tests", "run.notebooks"):
        # never run, because the group's environment does not install: 0, not left out of the mean
        assert "failed | not run: the environment did not build" in check(report, check_id)
    assert report.criteria[1].points == 0 and str(report.state) == "final"
    assert [c.step for c in engine.created] == ["install"]
    assert engine.images(repository="grader-env") == [], "a failed install is never committed"


def test_a_hanging_step_is_killed_at_the_timeout(make_tree: MakeTree, tmp_path: Path) -> None:
    def smoke_hangs(call: Call) -> Ran:
        return Ran(stdout="epoch 1\n", hang=True) if call.step == "smoke" else honest(call)

    engine = engine_with(smoke_hangs)
    started = time.monotonic()
    report = graded(make_tree(CODE), rubric(tmp_path, timeout=1), engine)

    assert time.monotonic() - started < 20
    assert report.run is not None
    smoke = report.run.step("smoke[1]")
    assert smoke is not None and str(smoke.status) == "timeout"
    assert 1.0 <= smoke.duration_s < 10
    assert smoke.stdout_tail == "epoch 1\n"
    assert "failed | " in check(report, "run.smoke") and "wall-clock timeout" in check(report, "run.smoke")
    (hung,) = [c for c in engine.created if c.step == "smoke"]
    assert hung.killed and hung.removed
    assert statuses(report)["run.tests"] is Status.PASSED, "later steps still run"


def test_a_memory_kill_is_oom(make_tree: MakeTree, tmp_path: Path) -> None:
    def imports_oom(call: Call) -> Ran:
        return Ran(exit_code=137, stderr="Killed\n", oom=True) if call.step == "imports" else honest(call)

    report = graded(make_tree(CODE), rubric(tmp_path), engine_with(imports_oom))

    assert report.run is not None
    imports = report.run.step("imports")
    assert imports is not None and str(imports.status) == "oom"
    assert "failed | " in check(report, "run.imports") and "out of memory" in check(report, "run.imports")


def test_an_engine_refusing_to_create_is_an_infra_error_not_a_failure(make_tree: MakeTree, tmp_path: Path) -> None:
    engine = engine_with()
    engine.fail["create"] = EngineError("APIError: 500 Server Error: no space left on device")
    report = graded(make_tree(CODE), rubric(tmp_path), engine)

    assert report.run is not None
    assert str(report.run.steps[0].status) == "passed", "no environment file: the base image is used as is"
    for name in ("imports", "smoke[1]", "tests", "notebooks"):
        step = report.run.step(name)
        assert step is not None and str(step.status) == "infra-error", name
        assert "no space left on device" in str(step.error)
    for check_id in ("run.imports", "run.smoke", "run.tests", "run.notebooks"):
        assert statuses(report)[check_id] is Status.ERROR, check(report, check_id)
    assert engine.created == []
    # the grader could not run the code: no points for it, and no grade (never a 0 the group did not earn)
    assert str(report.state) == "not-graded"
    assert str(report.criteria[1].state) == "not-graded" and report.criteria[1].skipped
    assert any("no space left on device" in reason for reason in report.state_reasons)


def test_an_engine_refusing_the_install_is_a_build_error(make_tree: MakeTree, tmp_path: Path) -> None:
    engine = engine_with()
    engine.fail["create"] = EngineError("APIError: 500 Server Error: no space left on device")
    report = graded(make_tree(PROJECT), rubric(tmp_path), engine)

    assert statuses(report)["run.build"] is Status.ERROR
    assert "no space left on device" in check(report, "run.build")
    assert statuses(report)["run.tests"] is Status.SKIPPED
    assert str(report.state) == "not-graded"


@pytest.mark.parametrize("forged", ["0" * 64, None])
def test_a_result_not_signed_by_the_driver_is_rejected(make_tree: MakeTree, tmp_path: Path, forged: str | None) -> None:
    def group_writes_its_own(call: Call) -> Ran:
        if call.step != "tests":
            return honest(call)
        junit = '<testsuite tests="3"><testcase name="a"/><testcase name="b"/><testcase name="c"/></testsuite>'
        payload = {"exit_code": 0, "junit": junit}
        if forged is None:  # the old, unsigned form
            call.folder("/grader-out").write_text(json.dumps(payload), encoding="utf-8")
        else:  # signed with a guessed key
            call.answer(payload, key=forged)
        return Ran()

    report = graded(make_tree(CODE), rubric(tmp_path), engine_with(group_writes_its_own))

    assert report.run is not None
    tests = report.run.step("tests")
    assert tests is not None and str(tests.status) == "failed"
    assert "not a result of the grader's driver" in str(tests.rejected) or "forged" in str(tests.rejected)
    assert tests.detail is None
    assert "failed | test results not usable" in check(report, "run.tests")


def test_static_mode_skips_the_runtime_checks(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(PROJECT)
    report = grade(Submission(id="g", root=root, source=str(root)), rubric(tmp_path), sandbox=None)

    assert report.run is None
    assert statuses(report)["env.file"] is Status.PASSED
    for check_id in ("run.build", "run.imports", "run.smoke", "run.tests", "run.notebooks"):
        assert check(report, check_id) == "skipped | not run: the sandbox was off (--static)"
    environment, running = report.criteria
    assert (str(environment.state), str(running.state), running.skipped) == ("final", "not-run", True)
    assert str(report.state) == "provisional"
    assert report.state_reasons == ("running not run: the sandbox was off (--static)",)


def test_a_latex_only_submission_scores_0_on_execution_without_running_anything(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    engine = engine_with()
    root = make_tree({"paper/main.tex": "\\documentclass[conference]{IEEEtran}\n", "paper/main.pdf": b"%PDF-1.5\n",
                      "README.md": "# Our paper\n"})
    for sandbox in (partial(run_sandbox, engine=engine), None):
        report = grade(Submission(id="latex", root=root, source=str(root)), rubric(tmp_path), sandbox=sandbox)
        running = report.criteria[1]
        assert (running.points, str(running.state)) == (0.0, "final"), sandbox
        assert "run.build: no Python code or notebooks: nothing to build or run (counted as 0)" in running.reasons
        assert report.gate_passed is False, "run.build is required, and there is nothing to build"
        assert str(report.state) == "final"
    assert engine.created == [], "nothing to run: no container"


def test_a_submission_that_was_not_acquired_never_reaches_the_sandbox(tmp_path: Path) -> None:
    calls: list[Sequence[str]] = []

    def sandbox(
        submission: Submission, tree: SubmissionTree, policy: SandboxPolicy, steps: Sequence[StepName],
        progress: Progress,
    ) -> RunOutcome:
        calls.append(steps)
        return RunOutcome(image="", environment="")

    missing = tmp_path / "never-cloned"
    submission = Submission(id="g", root=missing, source="https://example.org/g.git", acquire_error="clone refused")
    report = grade(submission, rubric(tmp_path), sandbox=sandbox)

    assert calls == []
    assert report.run is None
    assert set(statuses(report).values()) == {Status.ERROR}
    assert "not graded: clone refused" in check(report, "run.build")
    assert (str(report.state), report.state_reasons) == ("not-graded", ("clone refused",))


IMPORTS_RUBRIC = """\
id: imports-test
title: Imports test
sandbox: {timeout: 30}
criteria:
  - id: environment
    title: Environment
    points: 5
    checks:
      - {id: env.imports-declared}
      - {id: run.build}
"""
#: A distribution whose import name no static table knows (labtools gives labkit), and what it brings in.
LAB = {"requirements.txt": "labtools==1.0\n", "lab.py": '"""Lab."""\nimport labkit\nimport numpy\nimport rave\n'}


def decisions(report: GradeReport) -> dict[str, tuple[str, str]]:
    result = next(c for c in report.checks if c.id == "env.imports-declared")
    listed = result.measurements["decisions"]
    assert isinstance(listed, list)
    return {d["import"]: (d["kind"], d["decided_by"]) for d in listed if isinstance(d, dict)}


def test_a_static_check_the_sandbox_refines_runs_again_with_the_installed_metadata(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    def installed(call: Call) -> Ran:
        if call.step == "metadata":
            call.answer({"distributions": {"labkit": ["labtools"], "numpy": ["numpy"], "rave": ["acids-rave"],
                                           "other": ["unrelated"]},
                         "requires": {"labtools": ["numpy"], "numpy": [], "acids-rave": [], "unrelated": ["numpy"]}})
            return Ran()
        return honest(call)

    path = tmp_path / "rubric.yaml"
    path.write_text(IMPORTS_RUBRIC, encoding="utf-8")
    loaded = load_rubric(path)
    root = make_tree(LAB)
    engine = engine_with(installed)
    report = graded(root, loaded, engine)

    assert decisions(report) == {"labkit": ("declared", "environment metadata"),
                                 "numpy": ("transitive", "environment metadata"),
                                 "rave": ("undeclared", "environment metadata")}
    assert "checked against the installed environment" in check(report, "env.imports-declared")
    assert "add `acids-rave`" in check(report, "env.imports-declared")
    # Kept small: the imported names only, and only the edge that explains numpy.
    assert report.run is not None and isinstance(report.run.steps[0].detail, BuildResult)
    kept = report.run.steps[0].detail.installed
    assert kept is not None
    assert (kept.distributions, kept.requires, kept.count) == (
        {"labkit": ("labtools",), "numpy": ("numpy",), "rave": ("acids-rave",)}, {"labtools": ("numpy",)}, 4)
    (metadata,) = [c for c in engine.created if c.step == "metadata"]
    assert metadata.spec is not None
    assert (metadata.spec.network_mode, metadata.spec.read_only_root) == ("none", True)
    assert "cp -R /grader-src" not in " ".join(metadata.spec.command), "reading metadata needs no working copy"

    static = grade(Submission(id="group 1", root=root, source=str(root)), loaded, sandbox=None)
    assert decisions(static)["labkit"] == ("undeclared", "unknown")
    assert "installed environment" not in check(static, "env.imports-declared")


def test_metadata_that_cannot_be_read_leaves_the_static_verdict_and_says_why(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    def forged(call: Call) -> Ran:
        if call.step == "metadata":
            call.answer({"distributions": {"labkit": ["labtools"]}, "requires": {}}, key="not the step's key")
            return Ran()
        return honest(call)

    path = tmp_path / "rubric.yaml"
    path.write_text(IMPORTS_RUBRIC, encoding="utf-8")
    report = graded(make_tree(LAB), load_rubric(path), engine_with(forged))

    assert decisions(report)["labkit"] == ("undeclared", "unknown")
    said = check(report, "env.imports-declared")
    assert "decided with the static tables: the installed environment's metadata could not be read" in said
    assert "the installed environment's metadata could not be read" in check(report, "run.build")


CODE_RUBRIC = """\
id: vendored-test
title: Vendored test
sandbox: {timeout: 30}
criteria:
  - id: code
    title: Code
    points: 5
    checks:
      - {id: code.comments}
      - {id: run.build}
"""


def test_code_checks_run_again_without_the_files_the_sandbox_found_installed(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    copied = "".join(f"value_{i} = {i}  # a line of the library\n" for i in range(40))
    asked: list[object] = []

    def installed(call: Call) -> Ran:
        if call.step == "metadata":
            asked.append(call.request().get("digests"))
            call.answer({"distributions": {}, "requires": {},
                         "copies": {d: ["six", "six.py"] for d in call.request()["digests"]}})
            return Ran()
        return honest(call)

    path = tmp_path / "rubric.yaml"
    path.write_text(CODE_RUBRIC, encoding="utf-8")
    loaded = load_rubric(path)
    root = make_tree({"requirements.txt": "six==1.17.0\n", "main.py": '"""Entry."""\nfrom lib import six\n',
                      "lib/six.py": copied})
    report = graded(root, loaded, engine_with(installed))

    digest = base64.urlsafe_b64encode(hashlib.sha256(copied.encode()).digest()).rstrip(b"=").decode()
    assert asked == [[digest]], "only the digests of files worth comparing are sent, never their text"
    assert report.run is not None and isinstance(report.run.steps[0].detail, BuildResult)
    assert report.run.steps[0].detail.installed_copies == (InstalledCopy("lib/six.py", "six", "six.py"),)
    said = check(report, "code.comments")
    assert "left out as vendored code: identical to six.py of the installed distribution six" in said
    comments = report.check("code.comments")
    assert comments is not None and comments.measurements["files"] == 1
    static = grade(Submission(id="group 1", root=root, source=str(root)), loaded, sandbox=None).check("code.comments")
    assert static is not None and static.measurements["files"] == 2 and static.measurements["vendored"] == []
