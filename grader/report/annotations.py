"""GitHub Actions workflow commands: each problem becomes an annotation on its file and line in the run's page.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job); more are dropped
silently. So the most important ones are emitted (required checks first, then rubric order), and what does not
fit is counted in one closing notice, which takes the last notice slot.
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.models import GradeReport, Severity
from grader.report.common import Problem, RenderOptions, gate_text, points, problems
from grader.report.text import clean

#: Annotations GitHub shows per level in one step.
PER_LEVEL = 10
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A command's message as the runner reads it back (`%`, CR and LF encoded, so no text starts a new command)."""
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: also `:` and `,`, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, *, file: str | None = None, line: int | None = None,
            title: str | None = None) -> str:
    """One workflow command line, e.g. `::error file=a.py,line=3,title=x::message`."""
    props = [f"{key}={escape_property(str(value))}" for key, value in (("file", file), ("line", line),
                                                                        ("title", title)) if value]
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def _ranked(found: Iterable[Problem]) -> list[Problem]:
    """Required checks' problems before the others, each group in rubric order (sorting is stable)."""
    return sorted(found, key=lambda p: not p.check.required)


def render_annotations(report: GradeReport, options: RenderOptions) -> str:
    """The problems as workflow commands (at most what GitHub shows), then one notice with the verdict and what
    did not fit."""
    by_level: dict[str, list[Problem]] = {"error": [], "warning": [], "notice": []}
    for p in _ranked(problems(report, options.path_prefix)):
        by_level[_LEVEL[p.severity]].append(p)
    lines: list[str] = []
    left_out = 0
    for level, found in by_level.items():
        room = PER_LEVEL - 1 if level == "notice" else PER_LEVEL  # the closing notice needs its slot
        left_out += max(0, len(found) - room)
        for p in found[:room]:
            lines.append(command(level, p.message[:2000], file=p.path, line=p.line, title=p.check.id))
    verdict = f"{points(report.total)}/{points(report.max_total)} points, {gate_text(report)}"
    if left_out:
        verdict += (f"; {left_out} more problem(s) not shown as annotations (GitHub shows {PER_LEVEL} per level in "
                    "a step); see the job summary and the report files")
    lines.append(command("notice", verdict, title=f"grader: {report.submission.id}"))
    return "\n".join(lines) + "\n"
