"""Where a graded report goes: one format on stdout, one file per format with -o, and, inside GitHub Actions,
annotations and the job summary by themselves.

The rule for --format: a screen format (terminal, concise, github) is printed, a file format (json, md, html,
junit, sarif, gitlab) is written to `-o DIR`. Without -o every format asked would go to stdout, and two formats
there would be one unreadable stream, so asking for two is a usage error naming the fix.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import click

from grader.models import GradeReport
from grader.report import FILE_FORMATS, SCREEN_FORMAT, SCREEN_FORMATS, render, write_reports
from grader.report.common import RenderOptions

#: GitHub refuses a job summary over 1 MiB per step.
STEP_SUMMARY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Outputs:
    """The formats asked for, split by where they go."""

    stdout: str | None
    files: tuple[str, ...]


def plan_outputs(formats: tuple[str, ...], output: Path | None) -> Outputs:
    """Split --format by destination; by default the terminal report, plus every file format with -o."""
    if not formats:
        return Outputs(SCREEN_FORMAT, FILE_FORMATS if output else ())
    wanted = list(dict.fromkeys(formats))
    screen = [f for f in wanted if f in SCREEN_FORMATS]
    files = tuple(f for f in wanted if f not in SCREEN_FORMATS)
    on_stdout = screen if output is not None else wanted
    if len(on_stdout) > 1:
        names = " and ".join(f"--format {f}" for f in on_stdout)
        fix = ("give -o DIR to write the file formats there (one file per format)" if files and output is None
               else "ask for one of them")
        raise click.UsageError(f"{names} would all print on stdout, one after the other: {fix}")
    return Outputs(on_stdout[0] if on_stdout else None, files if output is not None else ())


def in_github_actions() -> bool:
    """True inside a GitHub Actions job (the runner sets GITHUB_ACTIONS=true)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def repository_prefix(root: Path) -> str:
    """The submission's folder relative to the repository CI checked out (or the current folder), so that CI
    formats name files the way the CI system does; '' when it is that folder or outside it."""
    base = os.environ.get("GITHUB_WORKSPACE") or os.environ.get("CI_PROJECT_DIR") or os.getcwd()
    try:
        relative = root.resolve().relative_to(Path(base).resolve())
    except ValueError:
        return ""
    return "" if str(relative) == "." else relative.as_posix()


def terminal_width() -> int:
    """The terminal's width (COLUMNS honoured), between 80 and 140 columns."""
    return max(80, min(140, shutil.get_terminal_size((100, 24)).columns))


def emit(report: GradeReport, plan: Outputs, output: Path | None, options: RenderOptions, *,
         github: bool = False) -> None:
    """Write the files, then print the stdout format; with `github`, also the annotations and the job summary."""
    if output is not None and plan.files:
        for written in write_reports(report, plan.files, output, options=options):
            click.echo(f"grader: wrote {written}", err=True)
        if "json" in plan.files:
            options = replace(options, full_report=str(output / "report.json"))
    if github:
        _github(report, plan, options)
    if plan.stdout is not None:
        click.echo(render(report, plan.stdout, options), nl=False)


def _github(report: GradeReport, plan: Outputs, options: RenderOptions) -> None:
    """Annotations (unless they are the stdout format anyway) and the Markdown report in the job summary."""
    if plan.stdout != "github":
        # On stdout next to a report for people; on stderr, which the runner reads as well, when stdout carries a
        # document (JSON, SARIF...) that a workflow command line would spoil.
        to_stderr = plan.stdout not in (None, *SCREEN_FORMATS)
        click.echo(render(report, "github", options), nl=False, err=to_stderr)
        sys.stdout.flush()
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = render(report, "md", options)
        if len(text.encode("utf-8")) > STEP_SUMMARY_LIMIT:
            text = f"grader: the Markdown report is over GitHub's {STEP_SUMMARY_LIMIT} byte limit for a job summary\n"
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:  # the job goes on without a summary; the step's log says why
            click.echo(f"grader: cannot append the job summary to {summary}: {exc}", err=True)
