"""Concise report: one ruff-style line per problem, `path:line: check-id message`, and a closing verdict line."""

from __future__ import annotations

from grader.models import GradeReport, Severity
from grader.report.common import RenderOptions, gate_text, points, problems
from grader.report.text import one_line


def render_concise(report: GradeReport, options: RenderOptions) -> str:
    """Every error and warning as one line an editor or `grep` can jump to; the last line is the verdict."""
    lines = []
    found = problems(report, options.path_prefix)
    for p in found:
        where = f"{one_line(p.path, 200)}:{p.line}: " if p.path and p.line else f"{one_line(p.path, 200)}: " if p.path \
            else ""
        warning = "warning: " if p.severity is Severity.WARNING else ""
        lines.append(f"{where}{p.check.id} {warning}{one_line(p.message, 400)}")
    errors = sum(1 for p in found if p.severity is Severity.ERROR)
    lines.append(
        f"grader: {errors} error(s), {len(found) - errors} warning(s); "
        f"{points(report.total)}/{points(report.max_total)} points; {gate_text(report)}"
    )
    return "\n".join(lines) + "\n"
