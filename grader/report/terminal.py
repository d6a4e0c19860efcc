"""Terminal report: criteria with their points and checks, each check with its findings, the sandbox steps, the
verdict. Laid out here rather than by a table widget, so that a check's mark never wraps away from its name
and a long line wraps under its own text (a hanging indent) at any width from 80 columns up."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from grader.models import CheckResult, GradeReport, Status
from grader.outcomes import RunOutcome, StepStatus
from grader.report.common import (
    STATUS_SYMBOL,
    RenderOptions,
    criterion_note,
    criterion_points,
    gate_symbol,
    gate_text,
    location,
    more_text,
    score_text,
    status_text,
    step_symbol,
    total_points,
    visible_findings,
)
from grader.report.text import clean, one_line

_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "magenta", Status.SKIPPED: "dim"}
_STEP_STYLE = {StepStatus.PASSED: "green", StepStatus.SKIPPED: "dim", StepStatus.INFRA_ERROR: "magenta"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}
#: Notes on the submission's files shown before the rest are counted.
MAX_NOTES = 5


def render_terminal(report: GradeReport, options: RenderOptions) -> str:
    """The report as terminal text; ANSI colours only when `options.color`. Student text never becomes markup."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=options.width, color_system="standard" if options.color else None,
        force_terminal=options.color, no_color=not options.color, highlight=False, emoji=False,
    )
    lines = [*_header(report, console, options.width), Text()]
    lines += _criteria(report, console, options.width)
    lines.append(Text())
    for check in report.checks:
        lines += _check(report, check, console, options)
    if report.run is not None:
        lines += [Text(), *_steps(report.run, console, options.width)]
    lines += _notes(report, console, options.width)
    verdict = "bold green" if report.gate_passed else "bold red"
    lines += [Text(), Text.assemble(
        ("total ", "bold"), (total_points(report), "bold"), "  ",
        (f"{gate_symbol(report)} {gate_text(report)}", verdict),
    )]
    for line in lines:
        console.print(line, no_wrap=True, overflow="ignore", crop=False)
    return buffer.getvalue()


def hanging(text: Text, console: Console, width: int, indent: int) -> list[Text]:
    """`text` wrapped at `width`, its continuation lines indented by `indent`, no line ending in a space."""
    cut = len(text.wrap(console, width, overflow="fold")[0].plain)
    head, tail = text[:cut], text[cut:]
    head.rstrip()
    lines = [head]
    tail = tail[len(tail.plain) - len(tail.plain.lstrip()):]
    if tail.plain:
        for line in tail.wrap(console, max(10, width - indent), overflow="fold"):
            line.rstrip()
            lines.append(Text(" " * indent) + line)
    return lines


def _header(report: GradeReport, console: Console, width: int) -> list[Text]:
    sub = report.submission
    title = Text.assemble(
        ("grader ", "bold"), (clean(sub.id), "bold cyan"), f"  commit {sub.commit[:12]}" if sub.commit else "",
    )
    source = Text(f"source: {one_line(sub.source)}", style="dim")
    rubric = Text(f"rubric: {one_line(report.rubric.title)} ({clean(report.rubric.path)})", style="dim")
    return [line for text in (title, source, rubric) for line in hanging(text, console, width, 2)]


def _criteria(report: GradeReport, console: Console, width: int) -> list[Text]:
    """One line per criterion (points right-aligned, then the title), its checks packed beneath in whole units."""
    by_id = {c.id: c for c in report.checks}
    shown = [criterion_points(c) for c in report.criteria]
    column = max((len(p) for p in shown), default=0)
    indent = column + 2
    lines: list[Text] = []
    for crit, earned in zip(report.criteria, shown, strict=True):
        title = Text.assemble((earned.rjust(column), "bold"), "  ", one_line(crit.title, 200))
        note = criterion_note(crit)
        if note:
            title.append(f" ({note})", style="dim")
        lines += hanging(title, console, width, indent)
        units = [Text.assemble((f"{STATUS_SYMBOL[by_id[i].status]} ", _STYLE[by_id[i].status]), i)
                 for i in crit.checks if i in by_id]
        lines += _packed(units, width - indent, indent)
    return lines


def _packed(units: list[Text], room: int, indent: int) -> list[Text]:
    """Units laid out left to right, two spaces apart, a new line when the next would not fit (never split)."""
    lines: list[Text] = []
    current = Text()
    for unit in units:
        if current.plain and len(current.plain) + 2 + len(unit.plain) > room:
            lines.append(current)
            current = Text()
        current += Text("  ") + unit if current.plain else unit
    if current.plain:
        lines.append(current)
    return [Text(" " * indent) + line for line in lines]


def _check(report: GradeReport, check: CheckResult, console: Console, options: RenderOptions) -> list[Text]:
    """A check's line (mark, id, score, summary; a skipped one says how it counted) and its findings, each wrapped
    under its own text."""
    how = status_text(report, check).removeprefix("skipped").removeprefix(", ")
    how = f" ({how})" if how and check.status is Status.SKIPPED else ""
    line = Text.assemble(
        (f"{STATUS_SYMBOL[check.status]} ", _STYLE[check.status]), (check.id, "bold"),
        (" (required)" if check.required else "", "yellow"), f"  {score_text(report, check)}  ",
        one_line(check.summary, 400), (how, "dim"),
    )
    lines = hanging(line, console, options.width, 2)
    shown, hidden = visible_findings(check, options.max_findings)
    for f in shown:
        where = location(f)
        text = Text.assemble(
            "    ", (f.severity.value, _SEVERITY_STYLE.get(f.severity.value, "")), " ",
            (clean(where) + ": " if where else "", "cyan"), one_line(f.message, 400),
        )
        lines += hanging(text, console, options.width, 6)
    if hidden:
        lines += hanging(Text(f"    {more_text(hidden, options)}", style="dim"), console, options.width, 6)
    return lines


def _steps(run: RunOutcome, console: Console, width: int) -> list[Text]:
    """The sandbox steps in aligned columns: mark, name, status, seconds, exit code."""
    image = clean(run.image) if run.image else "no image"
    lines = hanging(Text(f"sandbox: {image} ({clean(run.environment)})", style="bold"), console, width, 2)
    names = max((len(clean(s.name)) for s in run.steps), default=0)
    statuses = max((len(s.status.value) for s in run.steps), default=0)
    for step in run.steps:
        ran = step.status is not StepStatus.SKIPPED
        lines.append(Text.assemble(
            "  ", (step_symbol(step.status), _STEP_STYLE.get(step.status, "red")), " ",
            clean(step.name).ljust(names), "  ", step.status.value.ljust(statuses),
            f"  {step.duration_s:6.1f} s" if ran else "",
            f"  exit {step.exit_code}" if step.exit_code is not None else "",
        ))
        lines[-1].rstrip()
    return lines


def _notes(report: GradeReport, console: Console, width: int) -> list[Text]:
    """The submission-level notes (files passed over, why it was not graded), the first few in full."""
    if not report.notes:
        return []
    lines = [Text(), Text("notes on the submission:", style="bold")]
    for note in report.notes[:MAX_NOTES]:
        where = f"{clean(note.path)}: " if note.path else ""
        lines += hanging(Text(f"  {where}{one_line(note.message, 300)}"), console, width, 4)
    if len(report.notes) > MAX_NOTES:
        lines.append(Text(f"  … and {len(report.notes) - MAX_NOTES} more", style="dim"))
    return lines
