"""The batch's own outputs: summary.md and summary.csv (one row per group), grades.csv and not-graded.csv
(grader.report.grades), the filled Moodle worksheet (grader.report.moodle), and the overview page summary.html
(grader.report.overview)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.models import CriterionResult, GradeReport, GradeState
from grader.report import write_atomic
from grader.report.common import gate_text, not_graded, points
from grader.report.grades import (
    GroupRow,
    csv_cell,
    feedback_text,
    has_grade,
    render_csv,
    render_grades_csv,
    render_not_graded_csv,
    why_no_grade,
)
from grader.report.moodle import Filled, Worksheet, fill_worksheet
from grader.report.overview import render_overview
from grader.report.text import md, one_line
from grader.rubric import GradeScale

__all__ = ["GradeFiles", "GroupRow", "csv_cell", "feedback_text", "render_summary_csv", "render_summary_md",
           "write_summaries"]


@dataclass(frozen=True)
class GradeFiles:
    """How the grade files are made: the rubric's scale, whether provisional totals are written, the worksheet
    to fill (already read and checked), and roster warnings to show in summary.md."""

    scale: GradeScale = field(default_factory=GradeScale)
    allow_pending: bool = False
    worksheet: Worksheet | None = None
    warnings: tuple[str, ...] = ()


def _criteria(rows: Sequence[GroupRow]) -> list[tuple[str, float]]:
    """Criterion ids and maximum points, in rubric order, across every report (all share one rubric)."""
    seen: dict[str, float] = {}
    for row in rows:
        for crit in row.report.criteria:
            seen.setdefault(crit.id, crit.max_points)
    return list(seen.items())


def _shown(report: GradeReport, crit: CriterionResult) -> bool:
    """Whether a criterion's points are a number to show: final, in a report that was graded."""
    return report.state is not GradeState.NOT_GRADED and not not_graded(crit)


def _error(report: GradeReport) -> str:
    """Why the group has no grade, or ''."""
    return why_no_grade(report)


def render_summary_csv(rows: Sequence[GroupRow]) -> str:
    """summary.csv: group, commit, points per criterion, total, maximum, gate, state and why it is not final; a
    criterion or total that is not final is an empty cell, never a number."""
    criteria = _criteria(rows)
    header: list[object] = ["group", "commit", "commit_time", *[f"{cid} (/{points(mx)})" for cid, mx in criteria],
              "total", "max_total", "gate", "state", "error"]
    table: list[list[object]] = [header]
    for row in rows:
        rep = row.report
        by_id = {c.id: c for c in rep.criteria}
        final = rep.state is GradeState.FINAL
        table.append([
            row.group.id, rep.submission.commit or "",
            rep.submission.commit_time.isoformat() if rep.submission.commit_time else "",
            *["" if cid not in by_id or not _shown(rep, by_id[cid]) else points(by_id[cid].points)
              for cid, _ in criteria],
            points(rep.total) if final else "", points(rep.max_total),
            "not graded" if rep.state is GradeState.NOT_GRADED else "passed" if rep.gate_passed else "failed",
            str(rep.state), _error(rep),
        ])
    return render_csv(table)


def render_summary_md(rows: Sequence[GroupRow], title: str = "grader batch summary",
                      files: GradeFiles | None = None, filled: Filled | None = None) -> str:
    """summary.md: one table row per group, then the groups without a grade and why, roster warnings and what
    happened to the Moodle worksheet; every student-controlled string escaped."""
    files = files or GradeFiles()
    criteria = _criteria(rows)
    passed = sum(1 for r in rows if r.report.gate_passed)
    graded = sum(1 for r in rows if has_grade(r.report, files.allow_pending))
    lines = [
        f"# {md(title)}",
        "",
        f"{len(rows)} groups · gate passed by {passed} · failed by {len(rows) - passed} · "
        f"{graded} with a grade in grades.csv",
        "",
        "| Group | Commit | " + " | ".join(md(cid) for cid, _ in criteria) + " | Total | Gate |",
        "|---|---|" + "---:|" * len(criteria) + "---:|---|",
    ]
    for row in rows:
        rep = row.report
        by_id = {c.id: c for c in rep.criteria}
        cells = [(points(by_id[cid].points) if _shown(rep, by_id[cid]) else "–") if cid in by_id else ""
                 for cid, _ in criteria]
        commit = f"`{rep.submission.commit[:10]}`" if rep.submission.commit else "–"
        link = f"[{md(row.group.id)}]({row.group.id}/report.md)"
        total = points(rep.total) if rep.state is GradeState.FINAL else "–"
        gate = "✔ passed" if rep.gate_passed else f"✘ {md(gate_text(rep).removeprefix('gate '), 120)}"
        if rep.state is GradeState.NOT_GRADED:
            gate = "! not graded"
        lines.append(f"| {link} | {commit} | " + " | ".join(cells) + f" | {total} / {points(rep.max_total)} | {gate} |")
    lines += _without_grade(rows, files.allow_pending)
    if files.warnings:
        lines += ["", "## Roster warnings", "", *[f"- {md(one_line(w, 400))}" for w in files.warnings]]
    if filled is not None:
        lines += ["", "## Moodle worksheet", "", *[f"- {md(one_line(line, 400))}" for line in filled.lines()]]
    lines += ["", "– instead of points: not final (pending, not run) or not graded; see the group's report.", ""]
    return "\n".join(lines)


def _without_grade(rows: Sequence[GroupRow], allow_pending: bool) -> list[str]:
    """The summary's sections naming the groups that have no grade: not graded at all, and not final."""
    out: list[str] = []
    for state, heading in ((GradeState.NOT_GRADED, "Not graded"), (GradeState.PROVISIONAL, "Not final")):
        listed = [r for r in rows if r.report.state is state and not has_grade(r.report, allow_pending)]
        if listed:
            out += ["", f"## {heading} (no grade in grades.csv; listed in not-graded.csv)", ""]
            out += [f"- **{md(r.group.id)}**: {md(one_line('; '.join(r.report.state_reasons), 300))}" for r in listed]
    return out


def report_links(rows: Sequence[GroupRow], out_dir: Path) -> dict[str, str]:
    """Each group's report file relative to `out_dir`, the most readable one written (html, md, then json)."""
    links = {}
    for row in rows:
        for name in ("report.html", "report.md", "report.json"):
            if (out_dir / row.group.id / name).is_file():
                links[row.group.id] = f"{row.group.id}/{name}"
                break
    return links


def write_summaries(rows: Sequence[GroupRow], out_dir: Path, files: GradeFiles | None = None) -> list[Path]:
    """Write summary.md, summary.csv, grades.csv, not-graded.csv and summary.html into `out_dir`, and the filled
    copy of the Moodle worksheet next to it when one is given (each atomically); returns their paths."""
    files = files or GradeFiles()
    filled = fill_worksheet(files.worksheet, rows, files.scale, files.allow_pending) if files.worksheet else None
    texts = {
        out_dir / "summary.md": render_summary_md(rows, files=files, filled=filled),
        out_dir / "summary.csv": render_summary_csv(rows),
        out_dir / "grades.csv": render_grades_csv(rows, files.scale, files.allow_pending),
        out_dir / "not-graded.csv": render_not_graded_csv(rows, files.allow_pending),
        out_dir / "summary.html": render_overview([(r.group.id, r.report) for r in rows], report_links(rows, out_dir)),
    }
    written = []
    for path, text in texts.items():
        write_atomic(path, text)
        written.append(path)
    if filled is not None:
        written.append(filled.write())
    return written
