"""`grader check [PATH]`: grade one checkout, for students before they hand in and for CI on every push."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import click

from grader.cli.options import (
    deadline_option,
    format_option,
    load_rubric_with_overrides,
    rubric_option,
    sandbox_options,
    sandbox_runner,
    use_color,
)
from grader.cli.output import emit, in_github_actions, plan_outputs, repository_prefix, terminal_width
from grader.cli.progress import CheckProgress
from grader.config import writable_folder
from grader.engine import grade
from grader.models import GradeState
from grader.report.common import RenderOptions
from grader.selfcheck import find_target, with_local_notes


@click.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=None, required=False)
@rubric_option
@format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write one file per file format asked into this folder (default: report.json, .md, .html, .xml), "
                   "and the paper's page images.")
@sandbox_options
@click.option("--worktree", is_flag=True,
              help="Grade the working tree as it is, uncommitted files included (default: the committed HEAD, "
                   "which is what the lecturer's batch will see).")
@deadline_option("Grade the last commit at or before this time, as the lecturer's batch will (default: HEAD; the "
                 "rubric's deadline is still used to report late commits).")
@click.option("--fail-under", type=float, default=None, metavar="POINTS",
              help="Also exit 1 when the total is below POINTS (for a CI gate on the score).")
@click.option("--github/--no-github", "github", default=None,
              help="GitHub Actions annotations on the files and the Markdown report appended to $GITHUB_STEP_SUMMARY. "
                   "Default: on when GITHUB_ACTIONS=true.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def check_command(
    path: Path | None, rubric_path: Path | None, formats: tuple[str, ...], output: Path | None, static: bool,
    timeout: int | None, memory: str | None, image_budget: str | None, worktree: bool, deadline: datetime | None,
    fail_under: float | None,
    github: bool | None, quiet: bool,
) -> None:
    """Grade the checkout at PATH (default: the repository around the current folder) against the rubric.

    In a git checkout the committed HEAD is graded, exported cleanly the way the lecturer's batch
    will see it; untracked, modified and unpushed files are listed, and those that change the
    verdict are named. --worktree grades the files as they are instead. A shallow clone is said
    (contributions and deadline are then not judged; CI: check out with fetch-depth: 0).

    \b
    Examples:
      grader check                          # the repository around the current folder, with the sandbox
      grader check --static                 # seconds, no Docker: README, environment, code, paper
      grader check ../group-3 -o out        # also write out/report.{json,md,html,xml}
      grader check --static --format concise   # one line per problem: path:line: check-id message
      grader check --format sarif --format gitlab -o out   # out/report.sarif, out/report.codequality.json

    In GitHub Actions (GITHUB_ACTIONS=true) problems also become annotations on the files, and the
    Markdown report is appended to the job summary ($GITHUB_STEP_SUMMARY).

    Exit code 0 when every required check holds, 1 when one failed (or the total is under
    --fail-under), 2 for a usage or configuration error, 3 when the grader could not grade (an
    infrastructure error such as the Docker Engine going away, or a bug in grader).
    """
    loaded = load_rubric_with_overrides(rubric_path, timeout, memory, image_budget)
    plan = plan_outputs(formats, output)
    if output is not None:
        writable_folder(output, "-o/--output")
    display = CheckProgress(quiet)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as scratch:
        target = find_target(path, Path(scratch), deadline=deadline or loaded.rubric.deadline, cut=deadline is not None,
                             worktree=worktree, output=output)
        try:
            report = grade(target.submission, loaded, sandbox=None if static else sandbox_runner(loaded),
                           artifacts_dir=output, progress=display)
            report = with_local_notes(target, report, loaded)
        finally:
            display.close()
    options = RenderOptions(color=use_color(), width=terminal_width(), path_prefix=repository_prefix(target.root))
    emit(report, plan, output, options, github=in_github_actions() if github is None else github)
    if report.state is GradeState.NOT_GRADED:
        click.echo(f"grader: could not grade: {'; '.join(report.state_reasons)[:1000]}", err=True)
        raise SystemExit(3)
    failed = not report.gate_passed or (fail_under is not None and report.total < fail_under)
    raise SystemExit(1 if failed else 0)
