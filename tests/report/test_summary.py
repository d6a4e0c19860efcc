"""The batch summaries: summary.csv / summary.md per group, grades.csv per student for Moodle, not-graded.csv, and
CSV cells that stay one line of text in a spreadsheet."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from grader.models import CriterionResult, CriterionState, Finding, GradeReport, GradeState, Member, Severity
from grader.report.grades import HEADERS, NOTE_COLUMN, csv_cell, feedback_text, render_grades_csv
from grader.report.summary import GradeFiles, GroupRow, write_summaries
from grader.roster import Group, Student
from grader.rubric import GradeScale
from tests.report.sample import HOSTILE, sample_report

GERMAN = GradeScale.model_validate({"scale": "german", "german": [
    {"min_percent": 90, "grade": 1.0}, {"min_percent": 40, "grade": 2.0}, {"min_percent": 30, "grade": 4.0}]})


def final_report() -> GradeReport:
    """group-7: every criterion final, 12.5 of 30 points."""
    crits = (CriterionResult("readme", "README", 12.5, 20.0, ("readme.present",)),
             CriterionResult("execution", "Code runs", 0.0, 10.0, ("run.tests",),
                             reasons=("run.tests: not run: no test files (counted as 0)",)))
    return replace(sample_report(), criteria=crits, state=GradeState.FINAL, state_reasons=())


def not_graded_report() -> GradeReport:
    """group-8: the clone was refused."""
    return replace(
        sample_report(), total=0.0, gate_passed=False,
        submission=replace(sample_report().submission, id="group-8", commit=None, commit_time=None),
        notes=(Finding(Severity.ERROR, "not graded: refused repository URL 'ext::sh'"),),
        state=GradeState.NOT_GRADED, state_reasons=("refused repository URL 'ext::sh'",),
    )


def pending_report() -> GradeReport:
    """group-9: README final, the presentation not scored yet."""
    crits = (CriterionResult("readme", "README", 20.0, 20.0, ("readme.present",)),
             CriterionResult("talk", "Presentation", 0.0, 10.0, skipped=True, manual=True, state=CriterionState.PENDING,
                             reasons=("no score for it in the scores file yet",)))
    return replace(sample_report(), criteria=crits, total=20.0, gate_passed=True, state=GradeState.PROVISIONAL,
                   state_reasons=("talk pending: no score for it in the scores file yet",))


def rows() -> list[GroupRow]:
    g7 = Group("group-7", "https://git.example.org/group-7.git", students=(
        Student(Member("Ada Lovelace", "ada@example.org", "ada"), "Participant 11"),
        Student(Member("=cmd|' /C calc'!A0", "+evil@example.org"), None),
    ))
    g8 = Group("group-8", "ext::sh", students=(Student(Member(f"Grace {HOSTILE}", "grace@example.org")),))
    g9 = Group("group-9", "x", students=(Student(Member("Alan Turing", "alan@example.org"), "Participant 13"),))
    return [GroupRow(g7, final_report()), GroupRow(g8, not_graded_report()), GroupRow(g9, pending_report())]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_summary_csv_has_one_row_per_group_and_no_number_for_what_is_not_final(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path)
    header, g7, g8, g9 = read_csv(tmp_path / "summary.csv")
    assert header == ["group", "commit", "commit_time", "readme (/20)", "execution (/10)", "talk (/10)", "total",
                      "max_total", "gate", "state", "error"]
    assert g7 == ["group-7", "0123456789abcdef0123", "2026-03-31T21:00:00+00:00", "12.5", "0", "", "12.5", "30",
                  "failed", "final", ""]
    assert g8[3:] == ["", "", "", "", "30", "not graded", "not-graded", "not graded: refused repository URL 'ext::sh'"]
    assert g9[3:] == ["20", "", "", "", "30", "passed", "provisional",
                      "not final: talk pending: no score for it in the scores file yet"]


def test_grades_csv_has_the_importer_s_columns_and_only_final_grades(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path)
    header, ada, evil, grace, alan = read_csv(tmp_path / "grades.csv")
    assert header == [*HEADERS["en"], NOTE_COLUMN]
    assert header[:7] == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
                          "Last modified (grade)", "Feedback comments"]
    assert ada[:6] == ["Participant 11", "Ada Lovelace", "ada@example.org", "12.50", "30.00", "-"]
    assert ada[6].startswith("Automatic grading at commit 0123456789: 12.5/30 points, gate FAILED")
    assert "README 12.5/20" in ada[6] and ada[7] == ""
    assert evil[1] == "'=cmd|' /C calc'!A0" and evil[2] == "'+evil@example.org"
    # not graded: no number and no feedback a student would receive; the note is for the lecturer
    assert (grace[3], grace[6], grace[7]) == ("", "", "not graded: refused repository URL 'ext::sh'")
    assert (alan[3], alan[6]) == ("", "")
    assert alan[7] == "not final: talk pending: no score for it in the scores file yet"


def test_allow_pending_writes_provisional_grades_that_say_so(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path, GradeFiles(allow_pending=True))
    *_, grace, alan = read_csv(tmp_path / "grades.csv")
    assert alan[3] == "20.00"
    assert alan[6].startswith("Provisional - Automatic grading") and "Presentation pending (counted 0)/10" in alan[6]
    assert grace[3] == "", "a group that could not be graded never gets a number"
    assert [r[0] for r in read_csv(tmp_path / "not-graded.csv")] == ["group", "group-8"]


def test_not_graded_csv_lists_every_group_without_a_grade_and_why(tmp_path: Path) -> None:
    write_summaries(rows(), tmp_path)
    header, g8, g9 = read_csv(tmp_path / "not-graded.csv")
    assert header == ["group", "state", "reason", "students"]
    assert g8[:3] == ["group-8", "not-graded", "not graded: refused repository URL 'ext::sh'"]
    assert g8[3].startswith("Grace <script>")
    assert g9 == ["group-9", "provisional", "not final: talk pending: no score for it in the scores file yet",
                  "Alan Turing"]


def test_german_identifiers_give_german_headers_and_the_rubric_s_scale_gives_german_grades() -> None:
    group = Group("g", "x", students=(Student(Member("Ada Lovelace", "ada@example.org"), "Teilnehmer/in1234"),))
    text = render_grades_csv([GroupRow(group, final_report())], GERMAN)
    header, ada = list(csv.reader(io.StringIO(text)))
    assert header[:7] == ["ID", "Vollständiger Name", "E-Mail-Adresse", "Bewertung", "Bestwertung",
                          "Zuletzt geändert (Bewertung)", "Feedback als Kommentar"]
    assert (ada[3], ada[4]) == ("2.0", "")  # 12.5 of 30 points is 41.7 %: the table's 2.0
    assert "grade 2.0, 12.5/30 points" in ada[6]


def test_feedback_escapes_what_moodle_would_read_as_html() -> None:
    report = replace(final_report(), criteria=(CriterionResult("readme", "<b>README</b> & co", 1, 2),))
    assert "&lt;b&gt;README&lt;/b&gt; &amp; co 1/2" in feedback_text(report, GradeScale())


@pytest.mark.parametrize("field", [
    "Ada\rLovelace", "Ada\nLovelace", "Ada\r\n=cmd|' /C calc'!A0", "\r=HYPERLINK(\"x\")", "Ada\tLovelace",
    "Ada\x00Lovelace", "Ada\x1b[31mLovelace", "Ada\u2028Lovelace", "\u3000＝1+1", "  @SUM(A1)", "\x85-2",
])
def test_control_characters_in_a_roster_field_never_split_a_row_or_revive_a_formula(
    tmp_path: Path, field: str
) -> None:
    group = Group("g", "x", students=(Student(Member(field, f"{field}@example.org"), field),
                                      Student(Member("Bob", "bob@example.org"), "Participant 2")))
    write_summaries([GroupRow(group, final_report()), GroupRow(Group("h", "y", students=(Student(Member(field)),)),
                                                               not_graded_report())], tmp_path)
    for name in ("grades.csv", "summary.csv", "not-graded.csv"):
        raw = (tmp_path / name).read_bytes()
        assert b"\r" not in raw and b"\x00" not in raw and b"\x1b" not in raw, name
        table = read_csv(tmp_path / name)
        assert len(table) == {"grades.csv": 4, "summary.csv": 3, "not-graded.csv": 2}[name], (name, table)
        for row in table:
            for cell in row:
                first = cell.lstrip()[:1]
                if cell != "-":  # a lone sign is no formula: Moodle's own "never modified"
                    assert first not in ("=", "+", "-", "@", "＝", "＋", "－", "＠"), (name, cell)


def test_csv_cell_neutralises_formula_starts_and_strips_controls_only() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("-2") == "'-2"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("＝1+1") == "'＝1+1"
    assert csv_cell("\t=1") == "' =1"
    assert csv_cell("-") == "-"
    assert csv_cell("Ada") == "Ada"
    assert csv_cell("Zoë Ça, 1.0") == "Zoë Ça, 1.0"
    assert csv_cell(None) == ""


def test_summary_md_lists_groups_without_a_grade_and_escapes(tmp_path: Path) -> None:
    hostile = replace(final_report(), notes=(Finding(Severity.INFO, HOSTILE),))
    write_summaries([GroupRow(Group("group-7", "x"), hostile), *rows()[1:]], tmp_path,
                    GradeFiles(warnings=(f"roster.yaml: {HOSTILE} is in 2 groups",)))
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "3 groups · gate passed by 1 · failed by 2 · 1 with a grade in grades.csv" in text
    assert "| [group-7](group-7/report.md) | `0123456789` | 12.5 | 0 |  | 12.5 / 30 | ✘ FAILED (readme.links) |" in text
    assert "| [group-8](group-8/report.md) | – | – | – |  | – / 30 | ! not graded |" in text
    assert "## Not graded (no grade in grades.csv; listed in not-graded.csv)" in text
    assert "- **group-8**: refused repository URL 'ext::sh'" in text
    assert "## Not final (no grade in grades.csv; listed in not-graded.csv)" in text
    assert "- **group-9**: talk pending: no score for it in the scores file yet" in text
    assert "## Roster warnings" in text
    assert "<script>" not in text and "\x1b" not in text and "&lt;script&gt;" in text
