"""The batch's own outputs: summary.md and summary.csv (one row per group), grades.csv for Moodle (one row
per student), and the overview page summary.html (grader.report.overview).

grades.csv follows Moodle's assignment "offline grading worksheet" (the file the assignment's *Download
grading worksheet* gives and *Upload grading worksheet* takes back): ``Identifier, Full name, Email address,
Grade, Maximum Grade, Feedback comments``. The upload matches rows by ``Identifier`` ("Participant 1234",
from the roster's ``identifier``); without identifiers the same file can be imported into the gradebook
(*Import > CSV file*) mapping ``Email address`` to the user's e-mail.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.models import GradeReport
from grader.report import write_atomic
from grader.report.common import gate_text, points
from grader.report.overview import render_overview
from grader.report.text import md, one_line
from grader.roster import Group

#: Moodle's offline grading worksheet columns we fill (a subset Moodle accepts on upload).
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Feedback comments")

#: A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class GroupRow:
    """One group's line in the summary: the roster entry and the report it got (graded, kept or an error)."""

    group: Group
    report: GradeReport


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: formula-like starts get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def _criteria(rows: Sequence[GroupRow]) -> list[tuple[str, float]]:
    """Criterion ids and maximum points, in rubric order, across every report (all share one rubric)."""
    seen: dict[str, float] = {}
    for row in rows:
        for crit in row.report.criteria:
            seen.setdefault(crit.id, crit.max_points)
    return list(seen.items())


def _error(report: GradeReport) -> str:
    """Why the group was not graded (the first error note), or ''."""
    why = next((n.message for n in report.notes if n.severity == "error"), "")
    return one_line(why.removeprefix("not graded: "), 200)


def render_summary_csv(rows: Sequence[GroupRow]) -> str:
    """summary.csv: group, commit, points per criterion, total, maximum, gate, error."""
    criteria = _criteria(rows)
    header: list[object] = ["group", "commit", "commit_time", *[f"{cid} (/{points(mx)})" for cid, mx in criteria],
              "total", "max_total", "gate", "error"]
    table: list[list[object]] = [header]
    for row in rows:
        rep = row.report
        by_id = {c.id: c for c in rep.criteria}
        table.append([
            row.group.id, rep.submission.commit or "",
            rep.submission.commit_time.isoformat() if rep.submission.commit_time else "",
            *[points(by_id[cid].points) if cid in by_id else "" for cid, _ in criteria],
            points(rep.total), points(rep.max_total), "passed" if rep.gate_passed else "failed", _error(rep),
        ])
    return _csv(table)


def render_summary_md(rows: Sequence[GroupRow], title: str = "grader batch summary") -> str:
    """summary.md: one table row per group, every student-controlled string escaped."""
    criteria = _criteria(rows)
    passed = sum(1 for r in rows if r.report.gate_passed)
    lines = [
        f"# {md(title)}",
        "",
        f"{len(rows)} groups · gate passed by {passed} · failed by {len(rows) - passed}",
        "",
        "| Group | Commit | " + " | ".join(md(cid) for cid, _ in criteria) + " | Total | Gate |",
        "|---|---|" + "---:|" * len(criteria) + "---:|---|",
    ]
    for row in rows:
        rep = row.report
        by_id = {c.id: c for c in rep.criteria}
        cells = [points(by_id[cid].points) + (" –" if by_id[cid].skipped else "") if cid in by_id else ""
                 for cid, _ in criteria]
        commit = f"`{rep.submission.commit[:10]}`" if rep.submission.commit else "–"
        link = f"[{md(row.group.id)}]({row.group.id}/report.md)"
        gate = "✔ passed" if rep.gate_passed else f"✘ {md(gate_text(rep).removeprefix('gate '), 120)}"
        lines.append(
            f"| {link} | {commit} | " + " | ".join(cells)
            + f" | {points(rep.total)} / {points(rep.max_total)} | {gate} |"
        )
    errors = [(r.group.id, _error(r.report)) for r in rows if _error(r.report)]
    if errors:
        lines += ["", "## Not graded", ""]
        lines += [f"- **{md(gid)}**: {md(why)}" for gid, why in errors]
    lines += ["", "– after points: every check of the criterion was skipped (e.g. --static).", ""]
    return "\n".join(lines)


def feedback_text(report: GradeReport) -> str:
    """A short feedback line for Moodle: total, gate and points per criterion (or why it was not graded)."""
    error = _error(report)
    if error:
        return f"Not graded automatically: {error}"
    parts = [f"{one_line(c.title, 60)} {points(c.points)}/{points(c.max_points)}" for c in report.criteria]
    commit = f" at commit {report.submission.commit[:10]}" if report.submission.commit else ""
    return (
        f"Automatic grading{commit}: {points(report.total)}/{points(report.max_total)} points, "
        f"{gate_text(report)}. " + "; ".join(parts) + "."
    )


def render_grades_csv(rows: Sequence[GroupRow]) -> str:
    """grades.csv: one row per student with the group's grade and feedback (Moodle worksheet columns)."""
    table: list[list[object]] = [list(MOODLE_COLUMNS)]
    for row in rows:
        rep = row.report
        feedback = feedback_text(rep)
        for student in row.group.students:
            table.append([
                student.identifier or "", student.member.name, student.member.email or "",
                f"{rep.total:.2f}", f"{rep.max_total:.2f}", feedback,
            ])
    return _csv(table)


def report_links(rows: Sequence[GroupRow], out_dir: Path) -> dict[str, str]:
    """Each group's report file relative to `out_dir`, the most readable one written (html, md, then json)."""
    links = {}
    for row in rows:
        for name in ("report.html", "report.md", "report.json"):
            if (out_dir / row.group.id / name).is_file():
                links[row.group.id] = f"{row.group.id}/{name}"
                break
    return links


def write_summaries(rows: Sequence[GroupRow], out_dir: Path) -> list[Path]:
    """Write summary.md, summary.csv, grades.csv and summary.html into `out_dir` (atomically); returns their paths."""
    files = {
        "summary.md": render_summary_md(rows),
        "summary.csv": render_summary_csv(rows),
        "grades.csv": render_grades_csv(rows),
        "summary.html": render_overview([(r.group.id, r.report) for r in rows], report_links(rows, out_dir)),
    }
    written = []
    for name, text in files.items():
        path = out_dir / name
        write_atomic(path, text)
        written.append(path)
    return written
