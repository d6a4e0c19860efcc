"""The batch summaries: summary.csv / summary.md per group, grades.csv per student for Moodle, escaping."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from grader.models import Finding, Member, Severity
from grader.report.summary import MOODLE_COLUMNS, GroupRow, csv_cell, feedback_text, write_summaries
from grader.roster import Group, Student
from tests.report.sample import HOSTILE, sample_report


def rows() -> list[GroupRow]:
    graded = sample_report()
    failed = replace(
        sample_report(), total=0.0, gate_passed=False,
        submission=replace(sample_report().submission, id="group-8", commit=None, commit_time=None),
        notes=(Finding(Severity.ERROR, "not graded: refused repository URL 'ext::sh'"),),
    )
    g7 = Group("group-7", "https://git.example.org/group-7.git", students=(
        Student(Member("Ada Lovelace", "ada@example.org", "ada"), "Participant 11"),
        Student(Member("=cmd|' /C calc'!A0", "+evil@example.org"), None),
    ))
    g8 = Group("group-8", "ext::sh", students=(Student(Member(f"Grace {HOSTILE}", "grace@example.org")),))
    return [GroupRow(g7, graded), GroupRow(g8, failed)]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_summary_csv_has_one_row_per_group_with_points_per_criterion(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path)
    header, g7, g8 = read_csv(tmp_path / "summary.csv")
    assert header == ["group", "commit", "commit_time", "readme (/20)", "execution (/10)", "total", "max_total",
                      "gate", "error"]
    assert g7 == ["group-7", "0123456789abcdef0123", "2026-03-31T21:00:00+00:00", "12.5", "0", "12.5", "30",
                  "failed", ""]
    assert g8[0] == "group-8" and g8[1] == "" and g8[-2] == "failed"
    assert g8[-1] == "refused repository URL 'ext::sh'"


def test_grades_csv_is_moodle_worksheet_one_row_per_student(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path)
    header, ada, evil, grace = read_csv(tmp_path / "grades.csv")
    assert tuple(header) == MOODLE_COLUMNS
    assert ada[:5] == ["Participant 11", "Ada Lovelace", "ada@example.org", "12.50", "30.00"]
    assert ada[5].startswith("Automatic grading at commit 0123456789: 12.5/30 points, gate FAILED")
    assert "README 12.5/20" in ada[5]
    assert evil[1] == "'=cmd|' /C calc'!A0" and evil[2] == "'+evil@example.org"
    assert grace[3] == "0.00"
    assert grace[5] == "Not graded automatically: refused repository URL 'ext::sh'"


def test_no_cell_of_any_csv_starts_like_a_formula(tmp_path: Path) -> None:
    for path in write_summaries(rows(), tmp_path):
        if path.suffix == ".csv":
            for row in read_csv(path):
                assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), (path.name, row)


def test_csv_cell_escapes_formula_starts_only() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("-2") == "'-2"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("Ada") == "Ada"
    assert csv_cell(None) == ""


def test_summary_md_escapes_and_links_each_group(tmp_path: Path) -> None:
    hostile = replace(sample_report(), notes=(Finding(Severity.ERROR, f"not graded: {HOSTILE}"),))
    write_summaries([GroupRow(Group("group-7", "x"), hostile), *rows()[1:]], tmp_path)
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "2 groups · gate passed by 0 · failed by 2" in text
    assert "| [group-7](group-7/report.md) | `0123456789` | 12.5 | 0 – | 12.5 / 30 |" in text
    assert "<script>" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text
    assert "- **group-8**: refused repository URL 'ext::sh'" in text


def test_feedback_names_every_criterion() -> None:
    text = feedback_text(sample_report())
    assert "README 12.5/20" in text and "Code runs 0/10" in text
