"""Markdown report: usable as a CI job summary or a pull-request comment."""

from __future__ import annotations

from grader.models import GradeReport, Status, StepStatus
from grader.report.common import STATUS_SYMBOL, RenderOptions, gate_text, location, points, visible_findings
from grader.report.text import md, md_code, md_code_block

_STEP_SYMBOL = {StepStatus.PASSED: "✔", StepStatus.SKIPPED: "–"}


def render_markdown(report: GradeReport, options: RenderOptions) -> str:
    """The whole report as GitHub-flavoured Markdown, every student-controlled string escaped."""
    sub = report.submission
    lines = [
        f"# grader report: {md(sub.id)}",
        "",
        f"**{points(report.total)} / {points(report.max_total)} points** · "
        f"{'✔' if report.gate_passed else '✘'} {md(gate_text(report))}",
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
        marks = " ".join(f"{STATUS_SYMBOL[by_id[i].status]} {md(i)}" for i in crit.checks if i in by_id)
        note = " (manual)" if crit.manual else " (not graded)" if crit.skipped else ""
        lines.append(f"| {md(crit.title)}{note} | {points(crit.points)} / {points(crit.max_points)} | {marks} |")
    lines += _paper_lines(report)
    lines += ["", "## Checks", "", "| Check | Status | Score | Summary |", "|---|---|---:|---|"]
    for check in report.checks:
        req = " (required)" if check.required else ""
        lines.append(
            f"| {md_code(check.id)}{req} | {STATUS_SYMBOL[check.status]} {check.status.value} | "
            f"{check.score:.2f} | {md(check.summary)} |"
        )
    detailed = [c for c in report.checks if c.findings or c.status is Status.ERROR]
    if detailed:
        lines += ["", "## Findings"]
    for check in detailed:
        lines += ["", f"### {md(check.id)}: {md(check.title)}", ""]
        shown, hidden = visible_findings(check, options.max_findings)
        for f in shown:
            where = f"{md_code(location(f))} " if location(f) else ""
            lines.append(f"- **{f.severity.value}** {where}{md(f.message, 500)}")
        if hidden:
            lines.append(f"- … and {hidden} more (see report.json)")
        if check.detail:
            lines += ["", "<details><summary>traceback</summary>", "", md_code_block(check.detail), "", "</details>"]
    if report.run is not None:
        run = report.run
        lines += ["", "## Sandbox run", "", f"Image {md_code(run.image)}, environment {md(run.environment)}."]
        lines += ["", "| Step | Status | Exit | Seconds |", "|---|---|---:|---:|"]
        for step in report.run.steps:
            symbol = _STEP_SYMBOL.get(step.status, "✘")
            exit_code = "" if step.exit_code is None else str(step.exit_code)
            lines.append(f"| {md(step.name)} | {symbol} {step.status.value} | {exit_code} | {step.duration_s:.1f} |")
        for step in report.run.steps:
            if step.status not in (StepStatus.PASSED, StepStatus.SKIPPED) and (step.stderr_tail or step.stdout_tail):
                tail = step.stderr_tail or step.stdout_tail
                summary = f"<details><summary>{md(step.name)}: output tail</summary>"
                lines += ["", summary, "", md_code_block(tail[-4000:]), "", "</details>"]
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {md_code(location(n)) + ': ' if n.path else ''}{md(n.message)}" for n in report.notes[:50]]
        if len(report.notes) > 50:
            lines.append(f"- … and {len(report.notes) - 50} more")
    lines += ["", f"<sub>grader {md(report.grader_version)} · {report.generated_at.isoformat()}</sub>", ""]
    return "\n".join(lines)


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
