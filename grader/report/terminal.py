"""Terminal report: a table of criteria and checks with points, and the findings that explain them."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from grader.models import GradeReport, Status, StepStatus
from grader.report.common import STATUS_SYMBOL, RenderOptions, gate_text, location, points, visible_findings
from grader.report.text import clean, one_line

_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "magenta", Status.SKIPPED: "dim"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def render_terminal(report: GradeReport, options: RenderOptions) -> str:
    """The report as terminal text; ANSI colours only when `options.color`. Student text never becomes markup."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=options.width, color_system="standard" if options.color else None,
        force_terminal=options.color, no_color=not options.color, highlight=False, emoji=False,
    )
    sub = report.submission
    header = Text.assemble(
        ("grader ", "bold"), (clean(sub.id), "bold cyan"), f"  {clean(sub.source)}",
        f"  commit {sub.commit[:12]}" if sub.commit else "",
    )
    console.print(header)
    console.print(Text(f"rubric: {one_line(report.rubric.title)} ({clean(report.rubric.path)})", style="dim"))

    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    table.add_column("criterion")
    table.add_column("points", justify="right")
    table.add_column("checks")
    by_id = {c.id: c for c in report.checks}
    for crit in report.criteria:
        marks = Text()
        for check_id in crit.checks:
            check = by_id.get(check_id)
            if check is not None:
                marks.append(f"{STATUS_SYMBOL[check.status]} {check_id}  ", style=_STYLE[check.status])
        label = Text(one_line(crit.title, 60))
        if crit.manual:
            label.append(" (manual)", style="dim")
        elif crit.skipped:
            label.append(" (not graded)", style="dim")
        table.add_row(label, f"{points(crit.points)}/{points(crit.max_points)}", marks)
    console.print(table)

    for check in report.checks:
        line = Text.assemble(
            (f"{STATUS_SYMBOL[check.status]} ", _STYLE[check.status]),
            (check.id, "bold"),
            (" (required)" if check.required else "", "yellow"),
            f"  {check.score:.2f}  ",
            one_line(check.summary, 200),
        )
        parts = [line]
        shown, hidden = visible_findings(check, options.max_findings)
        for f in shown:
            where = location(f)
            parts.append(
                Text.assemble(
                    "    ", (f.severity.value, _SEVERITY_STYLE.get(f.severity.value, "")), " ",
                    (clean(where) + " " if where else "", "cyan"), one_line(f.message, 240),
                )
            )
        if hidden:
            parts.append(Text(f"    … and {hidden} more (see report.json)", style="dim"))
        console.print(Group(*parts))

    if report.run is not None:
        console.print(Text(f"sandbox: {clean(report.run.image)} ({clean(report.run.environment)})", style="bold"))
        for step in report.run.steps:
            ok = step.status in (StepStatus.PASSED, StepStatus.SKIPPED)
            console.print(
                Text.assemble(
                    ("  ✔ " if ok else "  ✘ ", "green" if ok else "red"), step.name,
                    f"  {step.status.value}  {step.duration_s:.1f}s",
                    f"  exit {step.exit_code}" if step.exit_code is not None else "",
                )
            )
    if report.notes:
        console.print(Text(f"{len(report.notes)} note(s) on the submission's files (see report.json)", style="dim"))
    verdict_style = "bold green" if report.gate_passed else "bold red"
    console.print(
        Text.assemble(
            ("total ", "bold"), (f"{points(report.total)} / {points(report.max_total)}", "bold"), "  ",
            (gate_text(report), verdict_style),
        )
    )
    return buffer.getvalue()
