"""Commands that need no submission: `grader checks`, `grader rubric validate`, `grader render`."""

from __future__ import annotations

from pathlib import Path

import click

from grader.checks.registry import REGISTRY
from grader.cli.options import format_option, use_color
from grader.cli.output import emit, plan_outputs, terminal_width
from grader.report.common import RenderOptions
from grader.report.jsonio import load_report
from grader.rubric import load_rubric


@click.command("checks")
@click.option("--family", default=None, help="Only this family (readme, env, code, paper, repo, run).")
def checks_command(family: str | None) -> None:
    """List every check id with its title and what it looks at (ids are stable; use them in rubrics)."""
    for check_id, check in REGISTRY.items():
        if family and not check_id.startswith(family + "."):
            continue
        phase = " [sandbox]" if check.phase.value == "runtime" else (
            " [made precise by the sandbox]" if check.refined_by_run else "")
        click.echo(f"{check_id:28} {check.title}{phase}")
        click.echo(f"{'':28} {check.description}")
        for name, field in check.Options.model_fields.items():
            default = field.get_default(call_default_factory=True)
            click.echo(f"{'':28}   {name}={default!r}: {field.description}")


@click.group("rubric")
def rubric_group() -> None:
    """Work with rubric files."""


@rubric_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def rubric_validate(file: Path) -> None:
    """Validate a rubric FILE completely: unknown checks, options and keys are named with the nearest valid one."""
    loaded = load_rubric(file)
    rubric = loaded.rubric
    checks = sum(len(c.checks) for c in rubric.criteria)
    required = [ref.id for _, ref in rubric.check_refs() if ref.required]
    click.echo(
        f"{file}: ok - {rubric.title}: {len(rubric.criteria)} criteria, {checks} checks, "
        f"{rubric.max_points:g} points; required (CI gate): {', '.join(required) or 'none'}"
    )


@click.command("render")
@click.argument("report_file", metavar="REPORT.json", type=click.Path(path_type=Path))
@format_option
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write the files into this folder instead of printing them.")
def render_command(report_file: Path, formats: tuple[str, ...], output: Path | None) -> None:
    """Re-render a saved REPORT.json in other formats, without grading again."""
    report = load_report(report_file)
    # Only what is asked: re-rendering is for a format the saved report lacks, not for every format again.
    plan = plan_outputs(formats, output) if formats else plan_outputs(("terminal",), output)
    emit(report, plan, output, RenderOptions(color=use_color(), width=terminal_width(), full_report=str(report_file)))
