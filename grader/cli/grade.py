"""`grader grade ROSTER`: the lecturer's batch - fetch every group at the deadline, grade, summarise."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import click
from click.core import ParameterSource

from grader.batch import BatchOptions, BatchResult, GroupOutcome, OutcomeKind, grade_roster
from grader.cli.options import (
    batch_format_option,
    load_rubric_with_overrides,
    rubric_option,
    sandbox_options,
    sandbox_runner,
)
from grader.engine import SandboxRunner
from grader.errors import ConfigError
from grader.manual import load_scores
from grader.report import FILE_FORMATS
from grader.report.common import points
from grader.roster import Roster, load_roster
from grader.rubric import LoadedRubric

_SYMBOL = {OutcomeKind.GRADED: "✔", OutcomeKind.KEPT: "=", OutcomeKind.NOT_ACQUIRED: "✘", OutcomeKind.CRASHED: "!"}


def _deadline(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """--deadline: an ISO 8601 time with its offset (a naive time would be ambiguous across time zones)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2026-03-31T23:59:00+02:00") from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone; add one, e.g. 2026-03-31T23:59:00+02:00")
    return parsed


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--cluster: an empty address (GRADER_CLUSTER= or --cluster '') grades on this machine."""
    return (value or "").strip() or None


def _resources(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, float]:
    """--resources docker=1 (repeatable; or comma- or space-separated, as `dask worker --resources` takes them)."""
    parsed: dict[str, float] = {}
    for item in (part for value in values for part in value.replace(",", " ").split()):
        name, _, amount = item.partition("=")
        try:
            parsed[name.strip()] = float(amount)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not NAME=NUMBER, e.g. docker=1") from None
        if not name.strip() or parsed[name.strip()] <= 0:
            raise click.BadParameter(f"{item!r}: give a name and an amount above 0, e.g. docker=1")
    return parsed


@click.command("grade")
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False))
@rubric_option
@batch_format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=Path("grades"),
              show_default=True, help="Folder for OUT/<group>/report.* and OUT/summary.md, summary.csv, grades.csv.")
@sandbox_options
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Groups graded at the same time (threads; each may run git, pylint and containers).")
@click.option("--deadline", callback=_deadline, default=None, metavar="ISO-TIME",
              help="Grade the last commit at or before this time (overrides the roster and the rubric).")
@click.option("--force", is_flag=True, help="Regrade groups whose reports are already up to date.")
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where repositories are fetched and kept between runs. Default: OUT/.clones.")
@click.option("--scores", "scores_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="YAML of points given by hand for the rubric's manual criteria: "
                   "`group-1: {presentation: 8.5}`. Checked against the rubric and the roster.")
@click.option("--cluster", envvar="GRADER_CLUSTER", default=None, metavar="ADDRESS", callback=_address,
              help="Grade on a Dask cluster: the scheduler's address, e.g. tcp://lab-1:8786 (or GRADER_CLUSTER; "
                   "empty: this machine). "
                   "One task per group; workers fetch and grade with their own Docker Engine, this machine "
                   'writes the files. Needs `pip install "grader[cluster]"`.')
@click.option("--resources", "resources", multiple=True, callback=_resources, metavar="NAME=N",
              help="With --cluster: what each group's task holds on a worker, e.g. docker=1 for workers started "
                   "with `dask worker ADDRESS --resources docker=2` (so each runs at most two groups at once).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def grade_command(
    roster: Path, rubric_path: Path | None, formats: tuple[str, ...], output: Path, static: bool,
    timeout: int | None, memory: str | None, jobs: int, deadline: datetime | None, force: bool,
    workdir: Path | None, scores_path: Path | None, cluster: str | None, resources: dict[str, float], quiet: bool,
) -> None:
    """Grade every group in a ROSTER (YAML or CSV) at the deadline.

    For each group the repository is fetched (hardened: no hooks, submodules or LFS; https, ssh or a
    local path), the last commit at or before the deadline is checked out and graded against the rubric.
    A failed clone or a crash is recorded in that group's report and the batch goes on. Re-running keeps
    the reports already written for the same commit and rubric (use --force to regrade), so an
    interrupted batch continues where it stopped.

    \b
    Writes:
      OUT/<group>/report.json (+ .md .html .xml)   one folder per group
      OUT/summary.md, OUT/summary.csv              one row per group: points per criterion, total, gate
      OUT/grades.csv                               one row per student for Moodle's grading worksheet

    \b
    Roster (YAML):
      deadline: 2026-03-31T23:59:00+02:00     # optional; else the rubric's
      groups:
        - id: group-1
          repo: https://git.example.org/dl4ad/group-1.git   # or ssh, or a local path
          ref: main                                          # optional branch / tag
          members:
            - {name: Ada Lovelace, email: ada@example.org, git: ada,
               identifier: Participant 1234}               # identifier: Moodle's, for grades.csv
          smoke: ["python train.py --epochs 1"]             # optional overrides
          paper: paper/main.pdf

    \b
    Roster (CSV, one row per student; rows with the same id form a group):
      id,repo,ref,name,email,git,identifier,smoke,paper
      group-1,https://git.example.org/dl4ad/group-1.git,main,Ada Lovelace,ada@example.org,ada,,,

    \b
    Examples:
      grader grade roster.yaml -o grades --static --jobs 4
      grader grade roster.csv --deadline 2026-04-02T12:00:00+02:00 --force
      grader grade roster.yaml -o grades --cluster tcp://lab-1:8786 --resources docker=1

    Private repositories: set GRADER_GIT_TOKEN (and GRADER_GIT_USERNAME); it never appears in a report
    (with --cluster it reaches the workers' memory only). Exit code 0 when every group's required checks
    hold, 1 when some group's failed, 2 for a configuration error (roster, rubric, Docker missing without
    --static, no worker of the cluster able to grade).
    """
    _check_cluster_options(cluster, resources)
    loaded = load_rubric_with_overrides(rubric_path, timeout, memory)
    parsed = load_roster(roster)
    sandbox = None if static else sandbox_runner(loaded)
    manual = load_scores(scores_path, loaded.rubric, {g.id for g in parsed.groups}) if scores_path else {}
    options = BatchOptions(out_dir=output, formats=tuple(formats) or FILE_FORMATS, workdir=workdir, jobs=jobs,
                           deadline=deadline, force=force, manual=manual)
    result = _run(parsed, loaded, options, sandbox, cluster, resources, quiet)
    _final_lines(result, quiet)
    raise SystemExit(0 if result.gate_passed else 1)


def _run(
    roster: Roster, loaded: LoadedRubric, options: BatchOptions, sandbox: SandboxRunner | None, cluster: str | None,
    resources: dict[str, float], quiet: bool,
) -> BatchResult:
    """The batch on this machine, or on the cluster at `cluster`, with the progress display."""
    if sandbox is not None and cluster is None:
        from grader.sandbox.docker_engine import connect

        connect().close()  # no Docker is "the grader cannot run" (exit 2), found before anything is cloned
    with _progress_display(len(roster.groups), quiet) as progress:
        if cluster is None:
            return grade_roster(roster, loaded, options, sandbox=sandbox, progress=progress)
        return _grade_on_cluster(roster, loaded, options, cluster, resources, sandbox is None, progress)


def _check_cluster_options(cluster: str | None, resources: dict[str, float]) -> None:
    """Options that mean something on this machine only, or on a cluster only, are refused in the other mode."""
    ctx = click.get_current_context()
    given = {name for name in ("jobs", "workdir") if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT}
    if cluster is None and resources:
        raise click.UsageError("--resources is for --cluster (what each group's task needs from a worker)")
    if cluster is not None and "jobs" in given:
        raise click.UsageError("--jobs counts threads on this machine; with --cluster each worker grades as many "
                               "groups at once as its threads (`dask worker --nthreads`) or --resources allow")
    if cluster is not None and "workdir" in given:
        raise click.UsageError("--workdir is a folder on this machine; with --cluster each worker fetches into "
                               "its own local directory (`dask worker --local-directory`)")


def _grade_on_cluster(
    roster: Roster, loaded: LoadedRubric, options: BatchOptions, address: str, resources: dict[str, float],
    static: bool, progress: _PlainProgress | _RichProgress,
) -> BatchResult:
    """The batch on a Dask cluster; Dask is imported here only."""
    try:
        from grader.cluster import ClusterOptions, grade_on_cluster
    except ImportError as exc:
        if exc.name not in {"dask", "distributed"}:
            raise
        raise ConfigError('--cluster needs Dask, which is not installed: pip install "grader[cluster]"') from None
    cluster = ClusterOptions(address, resources, notify=progress.note)
    return grade_on_cluster(roster, loaded, options, cluster, static=static, progress=progress)


def _outcome_line(outcome: GroupOutcome) -> str:
    rep = outcome.report
    gate = "gate passed" if rep.gate_passed else "gate FAILED"
    where = f" on {outcome.worker}" if outcome.worker else ""
    return (
        f"{_SYMBOL[outcome.kind]} {outcome.group.id}: {points(rep.total)}/{points(rep.max_total)} points, {gate} "
        f"({outcome.kind.value}{where}, {outcome.seconds:.1f} s)"
    )


def _final_lines(result: BatchResult, quiet: bool) -> None:
    if quiet:
        return
    passed = sum(1 for o in result.outcomes if o.report.gate_passed)
    kept = sum(1 for o in result.outcomes if o.kind is OutcomeKind.KEPT)
    click.echo(
        f"grader: {len(result.outcomes)} groups: gate passed by {passed}, failed by {len(result.outcomes) - passed}"
        f" ({kept} kept from an earlier run)", err=True,
    )
    for path in result.summaries:
        click.echo(f"grader: wrote {path}", err=True)


class _PlainProgress:
    """Plain lines on stderr (logs, CI, pipes): one per stage change and one per finished group."""

    def __init__(self, total: int, quiet: bool) -> None:
        self._total = total
        self._done = 0
        self._quiet = quiet
        self._lock = threading.Lock()

    def stage(self, group_id: str, stage: str) -> None:
        """Print the stage."""
        if not self._quiet:
            with self._lock:
                click.echo(f"grader: [{self._done}/{self._total}] {group_id}: {stage}", err=True)

    def finished(self, outcome: GroupOutcome) -> None:
        """Print the group's result."""
        with self._lock:
            self._done += 1
            if not self._quiet:
                click.echo(f"grader: [{self._done}/{self._total}] {_outcome_line(outcome)}", err=True)

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
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = console or Console(stderr=True, no_color="NO_COLOR" in os.environ)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console,
        )
        self._overall = self._progress.add_task("groups", total=total)
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def stage(self, group_id: str, stage: str) -> None:
        """Show the group's current stage on its own line."""
        from rich.markup import escape

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


