"""`grader check` grades what will be graded: the committed HEAD of a real checkout (found from a subfolder) with a
real bare remote; untracked, modified and unpushed files named, those that change the verdict first; --worktree;
--deadline; a shallow clone; exit code 3 when the grader cannot grade."""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.engine import Progress, grade
from grader.files import SubmissionTree
from grader.models import Status, Submission
from grader.outcomes import BuildResult, InstalledEnvironment, RunOutcome, StepName, StepOutcome, StepStatus
from grader.rubric import load_rubric
from grader.sandbox.policy import SandboxPolicy
from grader.selfcheck import find_target, with_local_notes
from tests.acquire.builder import AFTER, BEFORE, RepoBuilder, run
from tests.cli.test_check import grader

PAPER = (Path(__file__).parent / "fixtures" / "papers" / "ieee-a4-3.pdf").read_bytes()
RUBRIC = """\
id: selfcheck
title: Self-check rubric
deadline: 2026-03-31T23:59:00+02:00
criteria:
  - id: readme
    title: README
    points: 10
    checks: [{id: readme.present, required: true}]
  - id: paper
    title: Paper
    points: 10
    checks: [{id: paper.present, required: true}]
  - id: repository
    title: Repository
    points: 10
    checks: [{id: repo.contributions}, {id: repo.deadline}]
"""
README = "# Keyword spotting\n\n" + "We train a small network on synthetic audio clips and report it. " * 4 + "\n"


@pytest.fixture
def checkout(tmp_path: Path) -> RepoBuilder:
    """A pushed repository (README and code), then local work: a paper never added, the code changed but not
    committed, and a committed but unpushed change to the README."""
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    remote = tmp_path / "remote.git"
    run("init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    repo = RepoBuilder(tmp_path / "work")
    repo.commit({"README.md": README, "src/train.py": "x = 1\n"}, when=BEFORE)
    run("remote", "add", "origin", str(remote), cwd=repo.path)
    run("push", "--quiet", "-u", "origin", "main", cwd=repo.path)
    repo.commit({"README.md": README + "\nMore.\n"}, when=BEFORE, message="not pushed")
    (repo.path / "paper.pdf").write_bytes(PAPER)
    (repo.path / "src" / "train.py").write_text("x = 2\n", encoding="utf-8")
    return repo


#: Outside CI: a CI system's checkout is what was pushed, so grader does not look for unpushed commits there.
LOCAL = {"CI": "", "GITHUB_ACTIONS": "", "GITLAB_CI": ""}


def check(tmp_path: Path, *args: str | Path, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    done = grader("check", "--static", "--rubric", tmp_path / "rubric.yaml", "--format", "json", *args, cwd=cwd,
                  env=env or LOCAL)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def notes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {n["message"]: (n["severity"], n["path"]) for n in report["notes"]}


def status(report: dict[str, Any], check_id: str) -> str:
    return next(c["status"] for c in report["checks"] if c["id"] == check_id)


def test_the_committed_head_is_graded_from_a_subfolder_and_local_files_are_named(
    tmp_path: Path, checkout: RepoBuilder
) -> None:
    head = run("rev-parse", "HEAD", cwd=checkout.path).strip()
    code, report, _ = check(tmp_path, cwd=checkout.path / "src")
    assert code == 1, "the committed HEAD has no paper: the gate fails as it will for the lecturer"
    assert report["submission"]["source"] == str(checkout.path)
    assert report["submission"]["commit"] == head
    assert status(report, "paper.present") == "failed" and status(report, "readme.present") == "passed"
    said = notes(report)
    verdict = next(m for m in said if m.startswith("your uncommitted files change the verdict"))
    assert "paper.present failed 0.00 → passed 1.00" in verdict and said[verdict][0] == "warning"
    assert said["is not committed: the graded repository will not have it (it changes paper.present)"] == (
        "warning", "paper.pdf")
    assert said["has uncommitted changes: the graded repository has the committed version"] == ("info", "src/train.py")
    assert said["1 commit(s) are not pushed to origin/main: the lecturer's clone will not have them until you push "
                "(README.md)"] == ("warning", None)
    assert report["notes"][0]["message"] == verdict, "what changes the verdict comes first"
    _, in_ci, _ = check(tmp_path, cwd=checkout.path, env={"GITHUB_ACTIONS": "true"})
    assert not any("not pushed" in m for m in notes(in_ci)), "a CI checkout is what was pushed"


def test_worktree_grades_the_files_as_they_are_and_says_so(tmp_path: Path, checkout: RepoBuilder) -> None:
    code, report, _ = check(tmp_path, "--worktree", checkout.path)
    assert code == 0
    assert status(report, "paper.present") == "passed"
    said = notes(report)
    assert ("graded the working tree as it is (--worktree): uncommitted files count here but not when the lecturer "
            "grades the pushed repository") in said
    assert said["is not committed: graded here (--worktree), not in the lecturer's grading"] == ("warning", "paper.pdf")


def test_an_explicit_subfolder_is_graded_as_a_plain_folder_with_a_note(tmp_path: Path, checkout: RepoBuilder) -> None:
    _, report, _ = check(tmp_path, checkout.path / "src")
    assert report["submission"]["source"] == str(checkout.path / "src") and report["submission"]["commit"] is None
    assert any(m.startswith(f"{checkout.path / 'src'} is a folder inside the git checkout at {checkout.path}")
               for m in notes(report))


def test_a_clean_pushed_checkout_has_no_notes(tmp_path: Path, checkout: RepoBuilder) -> None:
    (checkout.path / "paper.pdf").unlink()
    run("checkout", "--quiet", "--", "src/train.py", cwd=checkout.path)
    run("push", "--quiet", "origin", "main", cwd=checkout.path)
    for _ in range(2):  # the second time, the first run's reports lie in the checkout: grader's own, not listed
        done = grader("check", "--static", "--rubric", tmp_path / "rubric.yaml", checkout.path, "-o",
                      checkout.path / "grader-report", "--format", "json")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr  # no paper: the gate fails
    report = json.loads((checkout.path / "grader-report" / "report.json").read_text(encoding="utf-8"))
    assert report["notes"] == []


def test_deadline_cuts_the_history_like_the_batch(tmp_path: Path, checkout: RepoBuilder) -> None:
    early = run("rev-parse", "HEAD", cwd=checkout.path).strip()
    checkout.commit({"late.txt": "late\n"}, when=AFTER, stage_all=False)
    _, report, _ = check(tmp_path, checkout.path, "--deadline", "2026-03-31T23:59:00+02:00")
    assert report["submission"]["commit"] == early
    assert next(c for c in report["checks"] if c["id"] == "repo.deadline")["measurements"]["late_commits"] == 1
    done = grader("check", "--static", "--rubric", tmp_path / "rubric.yaml", checkout.path,
                  "--deadline", "2020-01-01T00:00:00+00:00")
    assert done.returncode == 2 and "no commit at or before the deadline 2020-01-01" in done.stderr


def test_a_shallow_clone_is_said_with_the_fix(tmp_path: Path, checkout: RepoBuilder) -> None:
    clone = tmp_path / "ci"
    run("clone", "--quiet", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(clone))
    _, report, _ = check(tmp_path, clone)
    said = [m for m in notes(report) if "shallow clone" in m]
    assert said and "fetch-depth: 0" in said[0]
    for check_id in ("repo.contributions", "repo.deadline"):
        result = next(c for c in report["checks"] if c["id"] == check_id)
        assert (result["status"], result["skip"]) == ("skipped", "not-run")
    assert report["criteria"][2]["state"] == "not-run" and report["state"] == "provisional"


def test_a_repository_without_remote_or_commit_is_said(tmp_path: Path) -> None:
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    lonely = RepoBuilder(tmp_path / "lonely")
    lonely.commit({"README.md": README}, when=BEFORE)
    _, report, _ = check(tmp_path, lonely.path)
    assert any(m.startswith("the repository has no remote") for m in notes(report))
    empty = RepoBuilder(tmp_path / "empty")
    (empty.path / "README.md").write_text(README, encoding="utf-8")
    _, report, _ = check(tmp_path, empty.path)
    assert any(m.startswith("the repository has no commit yet") for m in notes(report))


def test_the_repository_s_filters_and_hooks_never_run(tmp_path: Path, checkout: RepoBuilder) -> None:
    sentinel = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {sentinel}\ncat\n")
    evil.chmod(stat.S_IRWXU)
    (checkout.path / ".gitattributes").write_text("*.py filter=evil\n")
    run("add", ".gitattributes", cwd=checkout.path)
    for key in ("filter.evil.clean", "filter.evil.smudge", "filter.evil.process", "core.fsmonitor"):
        run("config", key, str(evil), cwd=checkout.path)
    (checkout.path / "src" / "train.py").write_text("x = 3\n", encoding="utf-8")  # stat-dirty: status would filter it
    sentinel.unlink(missing_ok=True)
    code, _, stderr = check(tmp_path, checkout.path)
    assert code in (0, 1), stderr
    assert not sentinel.exists()


def test_an_infrastructure_error_exits_3_without_a_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import check as check_module
    from grader.cli import cli
    from grader.sandbox.engine import EngineError
    from grader.sandbox.image import base_image_tag
    from grader.sandbox.runner import run_sandbox
    from tests.sandbox.fake_engine import FakeEngine

    engine = FakeEngine(images=[base_image_tag()])
    engine.fail["create"] = EngineError("APIError: 500 Server Error: the engine went away")
    monkeypatch.setattr(check_module, "sandbox_runner", lambda loaded: partial(run_sandbox, engine=engine))
    project = tmp_path / "p"
    project.mkdir()
    (project / "train.py").write_text("print(1)\n", encoding="utf-8")
    (project / "README.md").write_text(README, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(project), "--format", "json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["state"] == "not-graded" and report["gate_passed"] is False
    assert "the engine went away" in result.stderr and "grader: could not grade:" in result.stderr


def test_a_check_the_sandbox_refined_is_compared_static_with_static(tmp_path: Path) -> None:
    """The working tree is graded statically; env.imports-declared and env.pinned, refined by the sandbox in the
    committed report, are compared with the committed files' static verdicts, so the sandbox's facts never read as
    a local change."""
    rubric = tmp_path / "imports.yaml"
    rubric.write_text("id: imports\ntitle: Imports\ncriteria:\n  - id: env\n    title: Env\n    points: 5\n"
                      "    checks: [{id: env.imports-declared}, {id: env.pinned}, {id: run.build}]\n",
                      encoding="utf-8")
    loaded = load_rubric(rubric)
    repo = RepoBuilder(tmp_path / "work")
    repo.commit({"README.md": README, "requirements.txt": "labtools==1.0\nnumpy\n", "lab.py": "import labkit\n"},
                when=BEFORE)
    (repo.path / "requirements.txt").write_text("labtools==1.0  # our lab's package\nnumpy\n", encoding="utf-8")
    target = find_target(repo.path, tmp_path / "scratch", deadline=None, cut=False, worktree=False)

    def sandbox(submission: Submission, tree: SubmissionTree, policy: SandboxPolicy, steps: Sequence[StepName],
                progress: Progress) -> RunOutcome:
        installed = InstalledEnvironment({"labkit": ("labtools",)}, {}, 1, {"labtools": "1.0", "numpy": "1.26.4"})
        build = StepOutcome("build", StepStatus.PASSED, 0, detail=BuildResult(installed=installed))
        return RunOutcome("grader-env:x", "requirements", (build,))

    report = grade(target.submission, loaded, sandbox=sandbox)
    assert report.check("env.imports-declared").status is Status.PASSED  # type: ignore[union-attr]
    pinned = report.check("env.pinned")
    assert pinned is not None and "a fresh install takes 1.26.4 today: `numpy==1.26.4`" in pinned.findings[0].message
    noted = with_local_notes(target, report, loaded)
    said = [n.message for n in noted.notes]
    assert not any(m.startswith("your uncommitted files change the verdict") for m in said), said
    assert "has uncommitted changes: the graded repository has the committed version" in said
