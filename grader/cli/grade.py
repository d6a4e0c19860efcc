"""`grader grade ROSTER`: the lecturer's batch - fetch every group at the deadline, grade, summarise."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from grader.batch import BatchOptions, BatchResult, GroupOutcome, OutcomeKind, grade_roster
from grader.cli.cluster import check_cluster_options, cluster_options, grade_on_cluster
from grader.cli.options import (
    batch_format_option,
    deadline_option,
    load_rubric_with_overrides,
    rubric_option,
    sandbox_options,
    sandbox_runner,
)
from grader.cli.progress import PipActivity
from grader.manual import load_scores
from grader.models import PIP_OUTPUT, GradeState
from grader.report import FILE_FORMATS
from grader.report.common import points
from grader.report.moodle import Worksheet, check_worksheet, read_worksheet
from grader.roster import load_roster
from grader.rubric import LoadedRubric

GRADE_HELP = """Grade every group in a ROSTER (YAML or CSV) at the deadline.

For each group the repository is fetched (hardened: no hooks, submodules or LFS; https, ssh or a
local path), the last commit at or before the deadline (the group's own, for an extension) is
checked out and graded against the rubric. A failed clone or a crash is recorded in that group's
report and the batch goes on. Re-running keeps the reports already written for the same commit and
rubric (use --force to regrade), so an interrupted batch continues where it stopped.

\b
Writes:
  OUT/<group>/report.json (+ .md .html .xml)   one folder per group
  OUT/summary.md, summary.csv, summary.html    one row per group: points per criterion, total, gate
  OUT/grades.csv                               one row per student, the columns Moodle's grading
                                               worksheet upload needs; only final grades
  OUT/not-graded.csv                           groups without a grade, and why
  WORKSHEET-graded.csv                         with --moodle-worksheet: the worksheet, filled in

A group has no grade (an empty cell, never 0) when it could not be graded (clone failed,
infrastructure error, grader bug) or is not final (a manual criterion without a score, checks not
run under --static); --allow-pending writes provisional totals for the latter.

\b
Roster (YAML):
  deadline: 2026-03-31T23:59:00+02:00     # optional; else the rubric's
  groups:
    - id: group-1
      repo: https://git.example.org/dl4ad/group-1.git   # or ssh, or a local path
      ref: main                                          # optional branch / tag
      deadline: 2026-04-03T23:59:00+02:00                # optional extension for this group
      members:
        - {name: Ada Lovelace, email: ada@example.org, git: [ada, ada-l],
           identifier: Participant 1234}               # identifier: Moodle's, for grades.csv
      smoke: ["python train.py --epochs 1"]             # optional overrides
      paper: paper/main.pdf                             # also data: {dataset: DIR} (sandbox.data)

\b
Roster (CSV, one row per student; rows with the same id form a group; `;` between identities):
  id,repo,ref,name,email,git,identifier,smoke,paper,deadline
  group-1,https://git.example.org/dl4ad/group-1.git,main,Ada Lovelace,ada@example.org,ada;ada-l,,,,

\b
Examples:
  grader grade roster.yaml -o grades --static --jobs 4
  grader grade roster.csv --deadline 2026-04-02T12:00:00+02:00 --force
  grader grade roster.yaml --scores scores.yaml --moodle-worksheet Grades-DL4AD.csv
  grader grade roster.yaml -o grades --cluster tcp://lab-1:8786 --resources docker=1

Private repositories: set GRADER_GIT_TOKEN (and GRADER_GIT_USERNAME); it never appears in a report
(with --cluster it is held in the workers' and the scheduler's memory only). Exit code 0 when every group has
its report and its required checks hold, 1 when some group's failed or a group could not be fetched, 2 for a
configuration error (roster, rubric, worksheet, output folder, Docker missing without --static, no
worker of the cluster able to grade), 3 when the grader failed on a group (an
infrastructure error or a bug: see OUT/not-graded.csv).
"""


@click.command("grade", help=GRADE_HELP)
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False))
@rubric_option
@batch_format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=Path("grades"),
              show_default=True, help="Folder for OUT/<group>/report.* and OUT/summary.md, summary.csv, grades.csv.")
@sandbox_options
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Groups graded at the same time (threads; each may run git, pylint and containers).")
@deadline_option("Grade the last commit at or before this time (overrides the roster and the rubric; a group's own "
                 "deadline in the roster still applies).")
@click.option("--force", is_flag=True, help="Regrade groups whose reports are already up to date.")
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where repositories are fetched and kept between runs. Default: OUT/.clones.")
@click.option("--scores", "scores_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="YAML of points given by hand for the rubric's manual criteria: "
                   "`group-1: {presentation: 8.5}`. Checked against the rubric and the roster.")
@click.option("--moodle-worksheet", "worksheet", type=click.Path(path_type=Path, dir_okay=False), default=None,
              metavar="WORKSHEET.csv",
              help="The grading worksheet downloaded from the Moodle assignment (any language): a copy next to it, "
                   "WORKSHEET-graded.csv, gets each student's grade and feedback; every other cell stays as it was.")
@click.option("--allow-pending", is_flag=True,
              help="Also write grades that are not final (manual scores missing, checks not run): they count 0.")
@cluster_options
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def grade_command(
    roster: Path, rubric_path: Path | None, formats: tuple[str, ...], output: Path, static: bool,
    timeout: int | None, memory: str | None, image_budget: str | None, jobs: int, deadline: datetime | None,
    force: bool, workdir: Path | None, scores_path: Path | None, worksheet: Path | None, allow_pending: bool,
    cluster: str | None, resources: dict[str, float], quiet: bool,
) -> None:
    """Grade every group in a ROSTER at the deadline (the help text is GRADE_HELP)."""
    check_cluster_options(cluster, resources)
    loaded = load_rubric_with_overrides(rubric_path, timeout, memory, image_budget)
    parsed = load_roster(roster)
    sandbox = None if static else sandbox_runner(loaded)
    if sandbox is not None and cluster is None:
        from grader.sandbox.docker_engine import connect

        connect().close()  # no Docker is "the grader cannot run" (exit 2), found before anything is cloned
    options = BatchOptions(
        out_dir=output, formats=tuple(formats) or FILE_FORMATS, workdir=workdir, jobs=jobs, deadline=deadline,
        force=force, allow_pending=allow_pending,
        manual=load_scores(scores_path, loaded.rubric, {g.id for g in parsed.groups}) if scores_path else {},
        worksheet=_worksheet(worksheet, loaded) if worksheet else None,
    )
    for warning in () if quiet else parsed.warnings:
        click.echo(f"grader: warning: {warning}", err=True)
    with _progress_display(len(parsed.groups), quiet) as progress:
        if cluster is None:
            result = grade_roster(parsed, loaded, options, sandbox=sandbox, progress=progress)
        else:
            result = grade_on_cluster(parsed, loaded, options, cluster, resources, sandbox is None, progress,
                                      notify=progress.note)
    _final_lines(result, output, allow_pending, quiet)
    raise SystemExit(exit_code(result))


def _worksheet(path: Path, loaded: LoadedRubric) -> Worksheet:
    """The worksheet read and checked against the rubric before anything is cloned (a problem is exit 2)."""
    sheet = read_worksheet(path)
    check_worksheet(sheet, loaded.rubric)
    return sheet


def exit_code(result: BatchResult) -> int:
    """3 when the grader failed on a group (infrastructure, a bug), 1 when a group could not be fetched or a gate
    failed, 0 otherwise."""
    if any(o.kind is not OutcomeKind.NOT_ACQUIRED for o in result.not_graded):
        return 3
    return 0 if result.gate_passed and not result.not_graded else 1


def _outcome_line(outcome: GroupOutcome) -> str:
    """A finished group: its mark says the gate ("!" when the grader failed on it), never a tick on a failed gate;
    a group without a final grade says so instead of showing a number that reads like one."""
    rep = outcome.report
    where = f" on {outcome.worker}" if outcome.worker else ""
    took = f"({outcome.kind.value}{where}, {outcome.seconds:.1f} s)"
    if rep.state is GradeState.NOT_GRADED:
        mark = "✘" if outcome.kind is OutcomeKind.NOT_ACQUIRED else "!"
        return f"{mark} {outcome.group.id}: not graded: {'; '.join(rep.state_reasons)[:200]} {took}"
    gate = "gate passed" if rep.gate_passed else "gate FAILED"
    mark = "✔" if rep.gate_passed else "✘"
    final = "" if rep.state is GradeState.FINAL else " (not final)"
    return f"{mark} {outcome.group.id}: {points(rep.total)}/{points(rep.max_total)} points{final}, {gate} {took}"


def eta_text(done: int, total: int, elapsed: float) -> str:
    """`ETA 4:10` from the pace so far (groups finished per second of wall time), or '' before the first."""
    if done == 0 or done >= total:
        return ""
    left = int(elapsed / done * (total - done))
    return f"ETA {left // 60}:{left % 60:02d}"


def _final_lines(result: BatchResult, output: Path, allow_pending: bool, quiet: bool) -> None:
    if quiet:
        return
    passed = sum(1 for o in result.outcomes if o.report.gate_passed)
    kept = sum(1 for o in result.outcomes if o.kind is OutcomeKind.KEPT)
    click.echo(
        f"grader: {len(result.outcomes)} groups: gate passed by {passed}, failed by {len(result.outcomes) - passed}"
        f" ({kept} kept from an earlier run)", err=True,
    )
    for outcome in result.not_graded:
        click.echo(f"grader: NOT GRADED {outcome.group.id}: {'; '.join(outcome.report.state_reasons)[:300]}", err=True)
    pending = [o.group.id for o in result.provisional]
    if pending:
        what = "graded provisionally" if allow_pending else "without a grade in grades.csv (--allow-pending writes one)"
        click.echo(f"grader: {len(pending)} group(s) not final, {what}: {', '.join(pending[:10])}", err=True)
    if result.not_graded or (pending and not allow_pending):
        click.echo(f"grader: the groups without a grade and why: {output / 'not-graded.csv'}", err=True)
    for path in result.summaries:
        click.echo(f"grader: wrote {path}", err=True)


class _PlainProgress:
    """Plain lines on stderr (logs, CI, pipes): one per stage change and one per finished group."""

    def __init__(self, total: int, quiet: bool) -> None:
        self._total = total
        self._done = 0
        self._quiet = quiet
        self._lock = threading.Lock()
        self._pip: dict[str, PipActivity] = {}
        self._started = time.monotonic()

    def stage(self, group_id: str, stage: str) -> None:
        """Print the stage; of pip's output only the downloads and the install (a log line each)."""
        if self._quiet:
            return
        with self._lock:
            if stage.startswith(PIP_OUTPUT):
                seen = self._pip.setdefault(group_id, PipActivity()).feed(stage[len(PIP_OUTPUT):])
                if seen is None or not seen[1]:
                    return
                stage = f"pip: {seen[0]}"
            click.echo(f"grader: [{self._done}/{self._total}] {group_id}: {stage}", err=True)

    def finished(self, outcome: GroupOutcome) -> None:
        """Print the group's result and the time left at the pace so far."""
        with self._lock:
            self._done += 1
            self._pip.pop(outcome.group.id, None)
            if not self._quiet:
                eta = eta_text(self._done, self._total, time.monotonic() - self._started)
                click.echo(f"grader: [{self._done}/{self._total}{', ' + eta if eta else ''}] "
                           f"{_outcome_line(outcome)}", err=True)

    def note(self, line: str) -> None:
        """Print a notice about the batch (a cluster's workers and dashboard)."""
        if not self._quiet:
            with self._lock:
                click.echo(f"grader: {line}", err=True)

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    """A rich progress bar on a terminal: the batch's bar plus one live line per group being graded."""

    def __init__(self, total: int, console: Any = None) -> None:
        import os

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = console or Console(stderr=True, no_color="NO_COLOR" in os.environ)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
        )
        self._overall = self._progress.add_task("groups", total=total)
        self._tasks: dict[str, Any] = {}
        self._pip: dict[str, PipActivity] = {}
        self._lock = threading.Lock()

    def stage(self, group_id: str, stage: str) -> None:
        """Show the group's current stage (or what pip is doing for it) on its own line."""
        from rich.markup import escape

        if stage.startswith(PIP_OUTPUT):
            seen = self._pip.setdefault(group_id, PipActivity()).feed(stage[len(PIP_OUTPUT):])
            if seen is None:
                return
            stage = f"pip: {seen[0]}"
        text = escape(f"  {group_id}: {stage}")
        with self._lock:
            task = self._tasks.get(group_id)
            if task is None:
                self._tasks[group_id] = self._progress.add_task(text, total=None)
            else:
                self._progress.update(task, description=text)
            self._progress.refresh()  # stages change seldom: show each at once rather than at the next tick

    def finished(self, outcome: GroupOutcome) -> None:
        """Drop the group's line, advance the bar and print its result above the bar."""
        from rich.markup import escape

        with self._lock:
            task = self._tasks.pop(outcome.group.id, None)
            if task is not None:
                self._progress.remove_task(task)
            self._progress.advance(self._overall)
            self._progress.console.print(escape(_outcome_line(outcome)), highlight=False)

    def note(self, line: str) -> None:
        """Print a notice about the batch above the bar."""
        from rich.markup import escape

        with self._lock:
            self._progress.console.print(escape(f"grader: {line}"), highlight=False)

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()


def _progress_display(total: int, quiet: bool) -> _PlainProgress | _RichProgress:
    """A rich bar when stderr is a terminal, plain lines otherwise."""
    if not quiet and sys.stderr.isatty():
        return _RichProgress(total)
    return _PlainProgress(total, quiet)


