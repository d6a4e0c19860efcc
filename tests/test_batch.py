"""Batch grading against real git repositories: reports per group, deadline cut, failures recorded, resume."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from grader.batch import STATE_FILE, TRACEBACK_FILE, BatchOptions, GroupOutcome, OutcomeKind, git_acquire, grade_roster
from grader.errors import ConfigError
from grader.models import Submission
from grader.roster import Group, Roster, load_roster
from grader.rubric import LoadedRubric, load_rubric
from grader.sandbox.container import MANAGED_LABEL, OWNER_PID_LABEL
from tests.acquire.builder import RepoBuilder, run

RUBRIC = """\
id: mini
title: Mini rubric
criteria:
  - id: environment
    title: Environment
    points: 10
    checks:
      - {id: env.file, required: true}
      - {id: env.pinned}
  - id: running
    title: Running
    points: 5
    checks:
      - {id: run.smoke}
"""

GOOD = {"README.md": "# Project\n", "requirements.txt": "numpy==1.26.4\n", "main.py": "import numpy\n"}


@pytest.fixture
def rubric(tmp_path: Path) -> LoadedRubric:
    path = tmp_path / "rubric.yaml"
    path.write_text(RUBRIC, encoding="utf-8")
    return load_rubric(path)


@pytest.fixture
def roster(tmp_path: Path) -> Roster:
    """Three groups: a good one (with a late commit), one without environment file, one refused URL."""
    good = RepoBuilder(tmp_path / "repos" / "good")
    good.commit(GOOD, when="2026-03-30T12:00:00+02:00")
    good.commit({"requirements.txt": ""}, when="2026-04-02T09:00:00+02:00", message="late")
    bare = RepoBuilder(tmp_path / "repos" / "bare")
    bare.commit({"README.md": "# no env\n"}, when="2026-03-29T12:00:00+02:00")
    path = tmp_path / "roster.yaml"
    path.write_text(
        "deadline: 2026-03-31T23:59:00+02:00\n"
        "groups:\n"
        "  - id: good\n    repo: repos/good\n    members: [{name: Ada, email: ada@example.org}]\n"
        "  - id: bare\n    repo: repos/bare\n    members: [{name: Bob}, {name: Cy}]\n"
        "  - id: hostile\n    repo: 'ext::sh -c touch% sentinel'\n    members: [{name: Eve}]\n",
        encoding="utf-8",
    )
    return load_roster(path)


def by_id(outcomes: tuple[GroupOutcome, ...]) -> dict[str, GroupOutcome]:
    return {o.group.id: o for o in outcomes}


def test_every_group_gets_reports_and_one_failure_does_not_stop_the_batch(
    tmp_path: Path, roster: Roster, rubric: LoadedRubric
) -> None:
    out = tmp_path / "out"
    result = grade_roster(roster, rubric, BatchOptions(out_dir=out))
    got = by_id(result.outcomes)
    assert [o.group.id for o in result.outcomes] == ["good", "bare", "hostile"]
    assert got["good"].kind is OutcomeKind.GRADED and got["good"].report.gate_passed
    assert got["bare"].kind is OutcomeKind.GRADED and not got["bare"].report.gate_passed
    assert got["hostile"].kind is OutcomeKind.NOT_ACQUIRED
    assert "refused repository URL" in got["hostile"].report.notes[0].message
    assert not (tmp_path / "sentinel").exists() and not Path("sentinel").exists()
    assert not result.gate_passed
    for gid in ("good", "bare", "hostile"):
        assert sorted(p.name for p in (out / gid).glob("report.*")) == [
            "report.html", "report.json", "report.md", "report.xml"]
    assert {p.name for p in result.summaries} == {"summary.md", "summary.csv", "grades.csv", "not-graded.csv",
                                                  "summary.html"}
    assert (out / "grades.csv").read_text(encoding="utf-8").count("\n") == 1 + 4  # header + one row per student
    # the refused URL has no grade, and the batch says so; `good` ran statically, so its running criterion is open
    assert [o.group.id for o in result.not_graded] == ["hostile"]
    assert [o.group.id for o in result.provisional] == ["good"]
    assert str(got["bare"].report.state) == "final", "no code and no environment file: a final 0 on both"
    assert (out / ".clones" / "good" / "repo.git").is_dir()


def test_the_deadline_cut_and_its_override(tmp_path: Path, roster: Roster, rubric: LoadedRubric) -> None:
    late, early = run("log", "--format=%H", "main", cwd=tmp_path / "repos" / "good").split()
    first = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "a"))
    assert by_id(first.outcomes)["good"].report.submission.commit == early
    override = datetime.fromisoformat("2026-04-05T00:00:00+02:00")
    second = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "b", deadline=override))
    assert by_id(second.outcomes)["good"].report.submission.commit == late


def test_rerun_keeps_reports_for_the_same_commit_and_rubric(
    tmp_path: Path, roster: Roster, rubric: LoadedRubric
) -> None:
    out = tmp_path / "out"
    grade_roster(roster, rubric, BatchOptions(out_dir=out, formats=("json",)))
    saved = (out / "good" / "report.json").read_text(encoding="utf-8")
    state = json.loads((out / "good" / STATE_FILE).read_text(encoding="utf-8"))
    assert state["static"] is True and len(state["rubric_sha256"]) == 64

    again = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out, formats=("json", "md"))).outcomes)
    assert again["good"].kind is OutcomeKind.KEPT and again["bare"].kind is OutcomeKind.KEPT
    assert (out / "good" / "report.json").read_text(encoding="utf-8") == saved  # not regraded...
    assert (out / "good" / "report.md").is_file()  # ...but a newly asked format is rendered from it
    assert again["hostile"].kind is OutcomeKind.NOT_ACQUIRED  # failures are retried, never kept

    forced = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out, force=True)).outcomes)
    assert forced["good"].kind is OutcomeKind.GRADED

    rubric.path.write_text(RUBRIC.replace("points: 5", "points: 6"), encoding="utf-8")
    changed = by_id(grade_roster(roster, load_rubric(rubric.path), BatchOptions(out_dir=out)).outcomes)
    assert changed["good"].kind is OutcomeKind.GRADED and changed["good"].report.max_total == 16


def test_a_new_commit_before_the_deadline_is_regraded(tmp_path: Path, roster: Roster, rubric: LoadedRubric) -> None:
    out = tmp_path / "out"
    grade_roster(roster, rubric, BatchOptions(out_dir=out))
    RepoBuilder(tmp_path / "repos" / "bare").commit({"requirements.txt": "torch==2.2.0\n"},
                                                    when="2026-03-31T20:00:00+02:00")
    got = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out)).outcomes)
    assert got["good"].kind is OutcomeKind.KEPT
    assert got["bare"].kind is OutcomeKind.GRADED and got["bare"].report.gate_passed


def test_a_crash_while_grading_one_group_is_recorded_and_the_batch_goes_on(
    tmp_path: Path, roster: Roster, rubric: LoadedRubric
) -> None:
    real = git_acquire(None)

    def flaky(group: Group, workdir: Path, deadline: datetime | None) -> Submission:
        if group.id == "bare":
            raise RuntimeError("simulated bug in acquisition")
        return real(group, workdir, deadline)

    out = tmp_path / "out"
    got = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out, jobs=2), acquire=flaky).outcomes)
    assert got["bare"].kind is OutcomeKind.CRASHED
    note = got["bare"].report.notes[0].message
    assert "internal error in grader (RuntimeError: simulated bug in acquisition)" in note
    assert "simulated bug" in (out / "bare" / TRACEBACK_FILE).read_text(encoding="utf-8")
    assert not (out / "bare" / STATE_FILE).exists()
    assert got["good"].kind is OutcomeKind.GRADED
    assert "internal error" in (out / "summary.csv").read_text(encoding="utf-8")
    assert str(got["bare"].report.state) == "not-graded"
    assert "internal error in grader" in (out / "not-graded.csv").read_text(encoding="utf-8")


class InterruptAt:
    """Progress that raises KeyboardInterrupt when a group reaches a stage (what Ctrl-C does mid-batch)."""

    def __init__(self, group_id: str, stage: str) -> None:
        self.target = (group_id, stage)

    def stage(self, group_id: str, stage: str) -> None:
        if (group_id, stage) == self.target:
            raise KeyboardInterrupt

    def finished(self, outcome: GroupOutcome) -> None:
        return None


def test_interrupted_batch_continues_where_it_stopped(tmp_path: Path, roster: Roster, rubric: LoadedRubric) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        grade_roster(roster, rubric, BatchOptions(out_dir=out), progress=InterruptAt("bare", "checking"))
    assert (out / "good" / STATE_FILE).is_file()
    assert not (out / "bare" / "report.json").exists()
    assert not (out / "summary.csv").exists()
    assert not list(out.rglob(".report.*"))  # no temporary files left behind
    got = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out)).outcomes)
    assert got["good"].kind is OutcomeKind.KEPT and got["bare"].kind is OutcomeKind.GRADED


def test_parallel_jobs_give_the_same_grades(tmp_path: Path, roster: Roster, rubric: LoadedRubric) -> None:
    one = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "one", jobs=1))
    two = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "two", jobs=3))
    assert [(o.group.id, o.report.total, o.report.gate_passed) for o in one.outcomes] == [
        (o.group.id, o.report.total, o.report.gate_passed) for o in two.outcomes]


def test_jobs_must_be_positive(tmp_path: Path, roster: Roster, rubric: LoadedRubric) -> None:
    with pytest.raises(ConfigError, match="--jobs"):
        grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path, jobs=0))


def test_a_changed_roster_entry_or_a_broken_saved_report_is_regraded(
    tmp_path: Path, roster: Roster, rubric: LoadedRubric
) -> None:
    out = tmp_path / "out"
    grade_roster(roster, rubric, BatchOptions(out_dir=out))
    (out / "bare" / "report.json").write_text("{not json", encoding="utf-8")
    text = roster.path.read_text(encoding="utf-8").replace("    repo: repos/good\n",
                                                           "    repo: repos/good\n    smoke: [python main.py]\n")
    roster.path.write_text(text, encoding="utf-8")
    got = by_id(grade_roster(load_roster(roster.path), rubric, BatchOptions(out_dir=out)).outcomes)
    assert got["good"].kind is OutcomeKind.GRADED
    assert got["bare"].kind is OutcomeKind.GRADED
    assert json.loads((out / "bare" / "report.json").read_text(encoding="utf-8"))["submission"]["id"] == "bare"


def _send_sigint_when_a_container_runs(client: Any, timeout_s: float) -> None:
    """Wait until this process has a sandbox container running, then press Ctrl-C on ourselves."""
    labels = [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={os.getpid()}"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.containers.list(filters={"label": labels, "status": "running"}):
            os.kill(os.getpid(), signal.SIGINT)
            return
        time.sleep(0.1)


@pytest.mark.docker
@pytest.mark.slow
def test_ctrl_c_during_a_sandbox_run_leaves_no_container_and_a_rerun_continues(
    tmp_path: Path, docker_client: Any
) -> None:
    RepoBuilder(tmp_path / "repos" / "sleepy").commit({"main.py": "print('hi')\n"}, when="2026-03-30T12:00:00+02:00")
    rubric_path = tmp_path / "rubric.yaml"
    rubric_path.write_text(
        "id: run\ntitle: Run\nsandbox: {timeout: 8}\n"
        "criteria:\n  - {id: running, title: Running, points: 5, checks: [{id: run.smoke}]}\n", encoding="utf-8")
    roster_path = tmp_path / "roster.yaml"
    roster_path.write_text(
        "groups:\n  - id: sleepy\n    repo: repos/sleepy\n"
        "    smoke: [\"python -c 'import time; time.sleep(60)'\"]\n", encoding="utf-8")
    loaded, roster = load_rubric(rubric_path), load_roster(roster_path)
    from grader.sandbox.runner import run_sandbox

    out = tmp_path / "out"
    watcher = threading.Thread(target=_send_sigint_when_a_container_runs, args=(docker_client, 120), daemon=True)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        grade_roster(roster, loaded, BatchOptions(out_dir=out), sandbox=run_sandbox)
    for thread in threading.enumerate():
        if thread.name.startswith("grade"):
            thread.join(timeout=60)
    mine = docker_client.containers.list(
        all=True, filters={"label": [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={os.getpid()}"]})
    assert mine == []
    assert not (out / "sleepy" / "report.json").exists()

    result = grade_roster(roster, loaded, BatchOptions(out_dir=out), sandbox=run_sandbox)
    (outcome,) = result.outcomes
    assert outcome.kind is OutcomeKind.GRADED
    smoke = outcome.report.run.step("smoke[1]") if outcome.report.run else None
    assert smoke is not None and smoke.status == "timeout"


def test_a_group_the_grader_could_not_grade_is_graded_again_by_the_next_run(
    tmp_path: Path, roster: Roster, rubric: LoadedRubric
) -> None:
    """Docker going away mid-batch leaves the group without a final grade; once the machine is fixed, a plain
    re-run grades it (no --force needed), while the groups graded the first time are kept."""
    from functools import partial

    from grader.sandbox.engine import EngineError
    from grader.sandbox.image import base_image_tag
    from grader.sandbox.runner import run_sandbox
    from tests.sandbox.fake_engine import FakeEngine

    rubric.path.write_text(RUBRIC.replace("run.smoke", "run.imports"), encoding="utf-8")
    rubric = load_rubric(rubric.path)
    out = tmp_path / "out"
    broken = FakeEngine(images=[base_image_tag()])
    broken.fail["create"] = EngineError("500 Server Error: the engine went away")
    first = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out),
                               sandbox=partial(run_sandbox, engine=broken)).outcomes)
    assert str(first["good"].report.state) != "final"
    assert "the container engine failed" in " ".join(first["good"].report.state_reasons)
    assert not (out / "good" / STATE_FILE).exists()
    assert (out / "bare" / STATE_FILE).is_file()  # nothing to run: graded, and kept next time

    fixed = FakeEngine(images=[base_image_tag()])
    again = by_id(grade_roster(roster, rubric, BatchOptions(out_dir=out),
                               sandbox=partial(run_sandbox, engine=fixed)).outcomes)
    assert again["good"].kind is OutcomeKind.GRADED
    assert "the container engine failed" not in " ".join(again["good"].report.state_reasons)
    assert again["bare"].kind is OutcomeKind.KEPT
    assert fixed.created, "the second run did use the sandbox"


#: RUBRIC with the deadline check, whose measurements name the graded commit and count the late ones.
RUBRIC_WITH_DEADLINE = RUBRIC + "  - id: history\n    title: History\n    points: 2\n    checks:\n" \
                                 "      - {id: repo.deadline}\n"
EARLY, LATE, EXTENSION = "2026-03-30T12:00:00+02:00", "2026-04-02T09:00:00+02:00", "2026-04-03T23:59:00+02:00"


def extension_setup(folder: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    """A rubric with repo.deadline, a roster (course deadline 2026-03-31) of `plain` (no extension) and `extended`
    (its own deadline 2026-04-03), each repository with one commit before the course deadline and one after it;
    returns the roster and each group's (early, late) commit."""
    (folder / "rubric.yaml").write_text(RUBRIC_WITH_DEADLINE, encoding="utf-8")
    commits = {}
    for gid in ("plain", "extended"):
        repo = RepoBuilder(folder / "repos" / gid)
        early = repo.commit(dict(GOOD), when=EARLY, message="on time")
        late = repo.commit({"main.py": "import numpy\nprint(numpy.pi)\n"}, when=LATE, message="late")
        commits[gid] = (early, late)
    path = folder / "roster.yaml"
    path.write_text(
        "deadline: 2026-03-31T23:59:00+02:00\n"
        "groups:\n"
        "  - id: plain\n    repo: repos/plain\n    members: [{name: Ada, email: ada@example.org}]\n"
        f"  - id: extended\n    repo: repos/extended\n    deadline: {EXTENSION}\n"
        "    members: [{name: Bob, email: bob@example.org}]\n",
        encoding="utf-8",
    )
    return path, commits


def deadline_facts(report_json: Path) -> tuple[str | None, Any, Any, Any]:
    """From a saved report.json: the graded commit, and repo.deadline's deadline, graded commit and late count."""
    report = json.loads(report_json.read_text(encoding="utf-8"))
    (check,) = [c for c in report["checks"] if c["id"] == "repo.deadline"]
    found = check["measurements"]
    return report["submission"]["commit"], found["deadline"], found["graded_commit"], found["late_commits"]


def test_a_groups_own_deadline_is_its_extension(tmp_path: Path) -> None:
    path, commits = extension_setup(tmp_path)
    out = tmp_path / "out"
    result = grade_roster(load_roster(path), load_rubric(tmp_path / "rubric.yaml"), BatchOptions(out_dir=out))
    got = by_id(result.outcomes)
    (a_early, a_late), (_, b_late) = commits["plain"], commits["extended"]
    assert got["plain"].report.submission.commit == a_early
    assert got["extended"].report.submission.commit == b_late
    # what the lecturer reads: the course deadline and one late commit for `plain`, the extension and none for
    # `extended`, whose late commit is its hand-in (and not flagged as graded late)
    assert deadline_facts(out / "plain" / "report.json") == (a_early, "2026-03-31T23:59:00+02:00", a_early, 1)
    assert deadline_facts(out / "extended" / "report.json") == (b_late, EXTENSION, b_late, 0)
    plain, extended = got["plain"].report.check("repo.deadline"), got["extended"].report.check("repo.deadline")
    assert plain is not None and extended is not None
    assert f"commit {a_late[:12]} by Ada Lovelace at 2026-04-02T09:00:00+02:00 is after the deadline" in \
        [f.message for f in plain.findings]
    assert str(extended.status) == "passed" and extended.measurements["graded_commit_is_late"] is False
    # a re-run compares the deadline each group was graded at: the saved state holds the group's own
    assert json.loads((out / "extended" / STATE_FILE).read_text(encoding="utf-8"))["deadline"] == EXTENSION
    assert json.loads((out / "plain" / STATE_FILE).read_text(encoding="utf-8"))["deadline"] == \
        "2026-03-31T23:59:00+02:00"
