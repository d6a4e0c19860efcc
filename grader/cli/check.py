"""`grader check [PATH]`: grade one checkout, for students before they hand in and for CI on every push."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.options import (
    format_option,
    load_rubric_with_overrides,
    progress_printer,
    resolve_formats,
    rubric_option,
    sandbox_options,
    sandbox_runner,
    use_color,
)
from grader.engine import grade
from grader.models import GradeReport
from grader.report import render, write_reports
from grader.report.common import RenderOptions


@click.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
@rubric_option
@format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write report.json / .md / .html / .xml (JUnit) and page images into this folder.")
@sandbox_options
@click.option("--fail-under", type=float, default=None, metavar="POINTS",
              help="Also exit 1 when the total is below POINTS (for a CI gate on the score).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def check_command(
    path: Path, rubric_path: Path | None, formats: tuple[str, ...], output: Path | None, static: bool,
    timeout: int | None, memory: str | None, image_budget: str | None, fail_under: float | None, quiet: bool,
) -> None:
    """Grade the checkout at PATH (default: the current folder) against the rubric.

    \b
    Examples:
      grader check                          # the current folder, full run with the sandbox
      grader check --static                 # seconds, no Docker: README, environment, code, paper
      grader check ../group-3 -o out        # also write out/report.{json,md,html,xml}
      grader check --format md >> "$GITHUB_STEP_SUMMARY"

    Exit code 0 when every required check holds, 1 when one failed (or the total is under
    --fail-under), 2 for a usage or configuration error.
    """
    loaded = load_rubric_with_overrides(rubric_path, timeout, memory, image_budget)
    from grader.acquire import local_submission

    submission = local_submission(path, deadline=loaded.rubric.deadline)
    wanted = resolve_formats(formats, output)
    report = grade(
        submission,
        loaded,
        sandbox=None if static else sandbox_runner(loaded),
        artifacts_dir=output,
        progress=progress_printer(quiet),
    )
    _emit(report, wanted, output)
    failed = not report.gate_passed or (fail_under is not None and report.total < fail_under)
    raise SystemExit(1 if failed else 0)


def _emit(report: GradeReport, formats: list[str], output: Path | None) -> None:
    """Terminal text to stdout; file formats into `output`, or to stdout when no folder is given."""
    if output is not None:
        for written in write_reports(report, formats, output):
            click.echo(f"grader: wrote {written}", err=True)
    for fmt in formats:
        if fmt == "terminal":
            click.echo(render(report, fmt, RenderOptions(color=use_color(), width=_width())), nl=False)
        elif output is None:
            click.echo(render(report, fmt), nl=False)


def _width() -> int:
    import shutil

    return max(80, min(140, shutil.get_terminal_size((100, 24)).columns))
