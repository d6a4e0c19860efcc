"""Markdown report: usable as a CI job summary or a pull-request comment."""

from __future__ import annotations

from grader.models import GradeReport, Status
from grader.outcomes import StepStatus
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
from grader.report.text import html_text, md, md_code, md_code_block

#: Submission-level notes listed before the rest are counted.
MAX_NOTES = 50


def render_markdown(report: GradeReport, options: RenderOptions) -> str:
    """The whole report as GitHub-flavoured Markdown, every student-controlled string escaped."""
    sub = report.submission
    lines = [
        f"# grader report: {md(sub.id)}",
        "",
        f"**{total_points(report, ' points')}** · "
        f"{gate_symbol(report)} {md(gate_text(report))}",
        "",
        f"Rubric: {md(report.rubric.title)} ({md_code(report.rubric.id)}) · source: {md(sub.source)}"
        + (f" · commit {md_code(sub.commit[:12])}" if sub.commit else "")
        + (f" ({sub.commit_time.isoformat()})" if sub.commit_time else ""),
        "",
        "| Criterion | Points | Checks |",
        "|---|---:|---|",
    ]
    by_id = {c.id: c for c in report.checks}
    for crit in report.criteria:
        # A no-break space keeps each mark with its check when the table cell wraps.
        marks = " ".join(f"{STATUS_SYMBOL[by_id[i].status]}\u00a0{md(i)}" for i in crit.checks if i in by_id)
        note = f" ({criterion_note(crit)})" if criterion_note(crit) else ""
        lines.append(f"| {md(crit.title)}{note} | {criterion_points(crit, ' / ')} | {marks} |")
    lines += _paper_lines(report)
    lines += ["", "## Checks", "", "| Check | Status | Score | Summary |", "|---|---|---:|---|"]
    for check in report.checks:
        req = " (required)" if check.required else ""
        lines.append(
            f"| {md_code(check.id)}{req} | {STATUS_SYMBOL[check.status]} {status_text(report, check)} | "
            f"{score_text(report, check)} | {md(check.summary)} |"
        )
    lines += _findings(report, options)
    lines += _run_lines(report)
    lines += _notes(report)
    lines += ["", f"<sub>grader {html_text(report.grader_version)} · {report.generated_at.isoformat()}</sub>", ""]
    return "\n".join(lines)


def _findings(report: GradeReport, options: RenderOptions) -> list[str]:
    """Per check with findings (or a traceback): the findings, errors first, and the traceback folded away."""
    detailed = [c for c in report.checks if c.findings or c.status is Status.ERROR]
    lines = ["", "## Findings"] if detailed else []
    for check in detailed:
        lines += ["", f"### {md(check.id)}: {md(check.title)}", ""]
        shown, hidden = visible_findings(check, options.max_findings)
        for f in shown:
            where = f"{md_code(location(f))} " if location(f) else ""
            lines.append(f"- **{f.severity.value}** {where}{md(f.message, 500)}")
        if hidden:
            lines.append(f"- {md(more_text(hidden, options))}")
        if check.detail:
            lines += ["", "<details><summary>traceback</summary>", "", md_code_block(check.detail), "", "</details>"]
    return lines


def _run_lines(report: GradeReport) -> list[str]:
    """The sandbox steps as a table, and the output tail of each step that did not pass, folded away."""
    run = report.run
    if run is None:
        return []
    image = f"Image {md_code(run.image)}" if run.image else "No image (the environment did not install)"
    lines = ["", "## Sandbox run", "", f"{image}, environment {md(run.environment)}."]
    lines += ["", "| Step | Status | Exit | Seconds |", "|---|---|---:|---:|"]
    for step in run.steps:
        exit_code = "" if step.exit_code is None else str(step.exit_code)
        seconds = "" if step.status is StepStatus.SKIPPED else f"{step.duration_s:.1f}"
        lines.append(f"| {md(step.name)} | {step_symbol(step.status)} {step.status.value} | {exit_code} | {seconds} |")
    for step in run.steps:
        if step.status not in (StepStatus.PASSED, StepStatus.SKIPPED) and (step.stderr_tail or step.stdout_tail):
            tail = step.stderr_tail or step.stdout_tail
            # Raw HTML: Markdown escapes would show literally inside <summary>, so HTML escaping it is.
            summary = f"<details><summary>{html_text(step.name)}: output tail</summary>"
            lines += ["", summary, "", md_code_block(tail[-4000:]), "", "</details>"]
    return lines


def _notes(report: GradeReport) -> list[str]:
    """Submission-level notes: why it was not graded, files the grader passed over."""
    if not report.notes:
        return []
    lines = ["", "## Notes", ""]
    lines += [f"- {md_code(location(n)) + ': ' if n.path else ''}{md(n.message)}" for n in report.notes[:MAX_NOTES]]
    if len(report.notes) > MAX_NOTES:
        lines.append(f"- … and {len(report.notes) - MAX_NOTES} more")
    return lines


def _paper_lines(report: GradeReport) -> list[str]:
    """The paper at a glance: which file, its pages against the limit, the template family, the verdict."""
    pages = report.check("paper.pages")
    if pages is None or not isinstance(pages.measurements.get("path"), str):
        return []
    m = pages.measurements
    template = report.check("paper.template")
    family = template.measurements.get("family") if template else None
    out = ["", "## Paper", "", f"- File: {md_code(str(m['path']))}"]
    if "pages" in m:
        extra = " (the last holds only references)" if m.get("references_only_last_page") else ""
        content, limit = m.get("content_pages", "?"), m.get("limit", "?")
        out.append(f"- Pages: {m['pages']}{extra}; content pages {content}; limit {limit}")
    if family:
        out.append(f"- Template: {md(str(family))}" + (f" ({template.status.value})" if template else ""))
    out.append(f"- Verdict: {STATUS_SYMBOL[pages.status]} {md(pages.summary)}")
    images = m.get("page_images")
    if isinstance(images, list) and images:
        out.append(f"- Page images: {len(images)} (shown in report.html)")
    return out
