"""`grader check [PATH]`: grade one checkout, for students before they hand in and for CI on every push."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.options import (
    format_option,
    load_rubric_with_overrides,
    rubric_option,
    sandbox_options,
    sandbox_runner,
    use_color,
)
from grader.cli.output import emit, in_github_actions, plan_outputs, repository_prefix, terminal_width
from grader.cli.progress import CheckProgress
from grader.engine import grade
from grader.report.common import RenderOptions


@click.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
@rubric_option
@format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write one file per file format asked into this folder (default: report.json, .md, .html, .xml), "
                   "and the paper's page images.")
@sandbox_options
@click.option("--fail-under", type=float, default=None, metavar="POINTS",
              help="Also exit 1 when the total is below POINTS (for a CI gate on the score).")
@click.option("--github/--no-github", "github", default=None,
              help="GitHub Actions annotations on the files and the Markdown report appended to $GITHUB_STEP_SUMMARY. "
                   "Default: on when GITHUB_ACTIONS=true.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def check_command(
    path: Path, rubric_path: Path | None, formats: tuple[str, ...], output: Path | None, static: bool,
    timeout: int | None, memory: str | None, image_budget: str | None, fail_under: float | None,
    github: bool | None, quiet: bool,
) -> None:
    """Grade the checkout at PATH (default: the current folder) against the rubric.

    \b
    Examples:
      grader check                          # the current folder, full run with the sandbox
      grader check --static                 # seconds, no Docker: README, environment, code, paper
      grader check ../group-3 -o out        # also write out/report.{json,md,html,xml}
      grader check --static --format concise   # one line per problem: path:line: check-id message
      grader check --format sarif --format gitlab -o out   # out/report.sarif, out/report.codequality.json

    In GitHub Actions (GITHUB_ACTIONS=true) problems also become annotations on the files, and the
    Markdown report is appended to the job summary ($GITHUB_STEP_SUMMARY).

    Exit code 0 when every required check holds, 1 when one failed (or the total is under
    --fail-under), 2 for a usage or configuration error.
    """
    loaded = load_rubric_with_overrides(rubric_path, timeout, memory, image_budget)
    from grader.acquire import local_submission

    submission = local_submission(path, deadline=loaded.rubric.deadline)
    plan = plan_outputs(formats, output)
    display = CheckProgress(quiet)
    try:
        report = grade(submission, loaded, sandbox=None if static else sandbox_runner(loaded), artifacts_dir=output,
                       progress=display)
    finally:
        display.close()
    options = RenderOptions(color=use_color(), width=terminal_width(), path_prefix=repository_prefix(submission.root))
    emit(report, plan, output, options, github=in_github_actions() if github is None else github)
    failed = not report.gate_passed or (fail_under is not None and report.total < fail_under)
    raise SystemExit(1 if failed else 0)
