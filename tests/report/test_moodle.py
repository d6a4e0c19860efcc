"""Filling in Moodle's grading worksheet: English and German worksheets made here with the columns Moodle's
export writes round-trip with grades and feedback filled in and every other byte as it was; rows are matched by
identifier, e-mail or name; what Moodle would refuse is refused before grading."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.models import Member
from grader.report.grades import feedback_text
from grader.report.moodle import check_worksheet, fill_worksheet, read_worksheet
from grader.report.summary import GradeFiles, GroupRow, write_summaries
from grader.roster import Group, Student
from grader.rubric import GradeScale, Rubric
from tests.report.test_summary import final_report, not_graded_report, pending_report

#: Columns of a worksheet as mod/assign/gradingtable.php downloads it (identity field: e-mail; online text on).
COLUMNS = {
    "en": ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
           "Last modified (submission)", "Online text", "Last modified (grade)", "Feedback comments"],
    "de": ["ID", "Vollständiger Name", "E-Mail-Adresse", "Status", "Bewertung", "Bestwertung",
           "Bewertung kann geändert werden", "Zuletzt geändert (Abgabe)", "Texteingabe online",
           "Zuletzt geändert (Bewertung)", "Feedback als Kommentar"],
}
PREFIX = {"en": "Participant ", "de": "Teilnehmer/in"}
WORDS = {"en": ("Submitted for grading - Graded", "Yes", "Tuesday, 31 March 2026, 11:58 PM"),
         "de": ("Zur Bewertung abgegeben", "Ja", "Dienstag, 31. März 2026, 23:58")}
GRADE, FEEDBACK = 4, 10


def php_cell(value: str, delimiter: str) -> str:
    """A cell as PHP's fputcsv writes it (quoted when it holds the delimiter, a quote, a space or a line break)."""
    if any(ch in value for ch in (delimiter, '"', " ", "\\", "\t", "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def worksheet_rows(lang: str, maximum: str) -> list[list[str]]:
    """Five students: matched by identifier, by e-mail, by name, one in a group not graded, one not in the roster."""
    status, yes, when = WORDS[lang]
    p = PREFIX[lang]
    return [
        COLUMNS[lang],
        [f"{p}101", "Ada Lovelace", "ada@example.org", status, "", maximum, yes, when, "Hi, \"team\"\nline 2", "-", ""],
        [f"{p}999", "Charles Babbage", "CB@Example.org", status, "", maximum, yes, when, "", "-", ""],
        [f"{p}998", "Turing, Alan", "alan@elsewhere.org", status, "3,50", maximum, yes, when, "", when, "old; kept"],
        [f"{p}103", "Grace Hopper", "grace@example.org", status, "", maximum, yes, "-", "", "-", ""],
        [f"{p}104", "Eve Example", "eve@example.org", status, "", maximum, "Nein" if lang == "de" else "No", "-", "",
         "-", ""],
    ]


def write_worksheet(path: Path, lang: str, delimiter: str, end: str, bom: bool, maximum: str) -> list[list[str]]:
    """The worksheet file: the raw cells of every row (as written) are returned for byte comparisons."""
    raw = [[php_cell(v, delimiter) for v in row] for row in worksheet_rows(lang, maximum)]
    text = "".join(delimiter.join(row) + end for row in raw)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return raw


def roster_rows(lang: str) -> list[GroupRow]:
    p = PREFIX[lang]
    graded = Group("g1", "x", students=(
        Student(Member("Ada Lovelace", "ada@example.org"), f"{p}101"),
        Student(Member("Charles Babbage", "cb@example.org"), None),  # no identifier: matched by e-mail
        Student(Member("Alan Turing", "alan@example.org"), None),  # matched by name, written the other way round
        Student(Member("Eve Example", "eve@example.org"), f"{p}104"),
    ))
    failed = Group("g2", "y", students=(Student(Member("Grace Hopper", "grace@example.org"), f"{p}103"),
                                        Student(Member("Hedy Lamarr", "hedy@example.org"), f"{p}105")))
    return [GroupRow(graded, final_report()), GroupRow(failed, not_graded_report())]


def moodle_import(text: str, lang: str) -> dict[str, str]:
    """What the importer reads: columns found by exact name, the user by the number after the participant prefix,
    rows with an empty grade skipped (importgradeslib.php's init() and next(), locallib.php's skip rules)."""
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))
    header = rows[0]
    grade, ident, modified = (header.index(COLUMNS[lang][i]) for i in (GRADE, 0, 9))
    assert modified >= 0
    return {row[ident][len(PREFIX[lang]):]: row[grade] for row in rows[1:] if row[grade].strip()}


@pytest.mark.parametrize(("lang", "delimiter", "end", "bom", "maximum"), [
    ("en", ",", "\n", False, "30.00"),   # as Moodle downloads it
    ("de", ",", "\n", True, "30,00"),    # German decimal comma, with a byte-order mark
    ("de", ";", "\r\n", False, "30,00"),  # re-saved by a German spreadsheet program
    ("en", "\t", "\r\n", True, "30.00"),
])
def test_a_worksheet_round_trips_with_grades_and_feedback_and_every_other_byte_kept(
    tmp_path: Path, lang: str, delimiter: str, end: str, bom: bool, maximum: str
) -> None:
    path = tmp_path / "Grades-DL4AD-Project-42.csv"
    raw = write_worksheet(path, lang, delimiter, end, bom, maximum)
    sheet = read_worksheet(path)
    filled = fill_worksheet(sheet, roster_rows(lang), GradeScale())
    out = filled.write()
    assert out == tmp_path / "Grades-DL4AD-Project-42-graded.csv"

    decimal = "," if "," in maximum else "."
    feedback = php_cell(feedback_text(final_report(), GradeScale()), delimiter)
    expected = [list(row) for row in raw]
    for line in (1, 2, 3, 5):  # Ada (identifier), Charles (e-mail), Alan (name), Eve (locked in Moodle, reported)
        expected[line][GRADE] = php_cell(f"12{decimal}50", delimiter)
        expected[line][FEEDBACK] = feedback
    expected_text = "".join(delimiter.join(row) + end for row in expected)
    assert out.read_bytes() == (b"\xef\xbb\xbf" if bom else b"") + expected_text.encode("utf-8")
    assert path.read_bytes() == (b"\xef\xbb\xbf" if bom else b"") + "".join(
        delimiter.join(row) + end for row in raw).encode("utf-8"), "the downloaded worksheet is never changed"

    imported = moodle_import(out.read_text(encoding="utf-8"), lang)
    assert imported == {"101": f"12{decimal}50", "999": f"12{decimal}50", "998": f"12{decimal}50",
                        "104": f"12{decimal}50"}
    lines = filled.lines()
    assert lines[0] == "4 row(s) filled in; copy written to Grades-DL4AD-Project-42-graded.csv"
    assert any(line.startswith("left as it was (no grade): line 5") and "g2: not graded" in line for line in lines)
    assert any("Grade can be changed: no" in line and "line 6" in line for line in lines)
    assert "roster student not in the worksheet: Hedy Lamarr (g2)" in lines


def test_the_batch_writes_the_filled_copy_and_reports_it_in_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "worksheet.csv"
    write_worksheet(path, "en", ",", "\n", False, "30.00")
    extra = Group("g3", "z", students=(Student(Member("Zoe Zed", "zoe@example.org"), "Participant 300"),))
    rows = [*roster_rows("en"), GroupRow(extra, pending_report())]
    written = write_summaries(rows, tmp_path / "out", GradeFiles(worksheet=read_worksheet(path)))
    assert tmp_path / "worksheet-graded.csv" in written
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "## Moodle worksheet" in summary and "4 row(s) filled in" in summary
    assert "roster student not in the worksheet: Zoe Zed (g3)" in summary


def test_a_german_grade_goes_into_a_moodle_scale_as_the_scale_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "scale.csv"
    scale_items = "5,0\n4,0\n3,0\n2,0\n1,0"
    rows = [["ID", "Vollständiger Name", "E-Mail-Adresse", "Bewertung", "Skala", "Zuletzt geändert (Bewertung)",
             "Feedback als Kommentar"],
            ["Teilnehmer/in101", "Ada Lovelace", "ada@example.org", "", scale_items, "-", ""]]
    path.write_text("".join(",".join(php_cell(v, ",") for v in row) + "\n" for row in rows), encoding="utf-8")
    german = GradeScale.model_validate({"scale": "german", "german": [
        {"min_percent": 90, "grade": 1.0}, {"min_percent": 40, "grade": 2.0}, {"min_percent": 30, "grade": 4.0}]})
    criteria = [{"id": "c", "title": "C", "points": 30, "checks": [{"id": "env.file"}]}]
    rubric = Rubric.model_validate({"id": "r", "title": "R", "grades": german.model_dump(), "criteria": criteria})
    sheet = read_worksheet(path)
    check_worksheet(sheet, rubric)
    text = fill_worksheet(sheet, roster_rows("de")[:1], german).text()
    assert list(csv.reader(io.StringIO(text)))[1][3] == "2,0"  # 12.5 of 30 is 41.7 %: 2.0
    three = rubric.model_copy(update={"grades": GradeScale.model_validate({"scale": "german", "german": [
        {"min_percent": 90, "grade": 1.3}]})})
    with pytest.raises(ConfigError, match=r"lacks the grades 1.3 of the rubric's table"):
        check_worksheet(sheet, three)


def test_a_maximum_grade_below_the_rubric_s_total_is_refused_before_grading(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_worksheet(path, "en", ",", "\n", False, "20.00")
    rubric = Rubric.model_validate({"id": "r", "title": "R", "criteria": [
        {"id": "c", "title": "C", "points": 30, "checks": [{"id": "env.file"}]}]})
    with pytest.raises(ConfigError, match=re.escape("the assignment's maximum grade is 20.00 but the rubric can give "
                                                    "30 (Moodle skips grades above the maximum without a word)")):
        check_worksheet(read_worksheet(path), rubric)


def test_headers_in_another_language_are_found_by_position_and_content(tmp_path: Path) -> None:
    french = ["Identifiant", "Nom complet", "Adresse de courriel", "Statut", "Note", "Note maximale",
              "La note peut être modifiée", "Dernière modification (travail remis)", "Dernière modification (note)",
              "Feedback par commentaires"]
    rows = [french,
            ["Participant 101", "Ada Lovelace", "ada@example.org", "Remis", "", "30,00", "Oui",
             "mardi 31 mars 2026, 23:58", "-", ""],
            ["Participant 102", "Bob Builder", "bob@example.org", "Remis", "7,00", "30,00", "Oui", "-",
             "mardi 31 mars 2026, 23:59", ""]]
    path = tmp_path / "fr.csv"
    path.write_text("".join(",".join(php_cell(v, ",") for v in row) + "\n" for row in rows), encoding="utf-8")
    sheet = read_worksheet(path)
    assert {k: sheet.columns[k] for k in ("identifier", "email", "grade", "maximum", "modified", "feedback")} == {
        "identifier": 0, "email": 2, "grade": 4, "maximum": 5, "modified": 8, "feedback": 9}
    text = fill_worksheet(sheet, roster_rows("en")[:1], GradeScale()).text()
    assert list(csv.reader(io.StringIO(text)))[1][4] == "12,50"


@pytest.mark.parametrize("content", [
    "Name,Points\nAda,3\n",
    "",
    "Identifier,Full name,Grade\nParticipant 1,Ada,\n",
])
def test_a_file_that_is_no_worksheet_is_refused_naming_what_is_missing(tmp_path: Path, content: str) -> None:
    path = tmp_path / "not.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not.csv(:1)?: (the grading worksheet is empty|not a Moodle grading "
                                          r"worksheet: no column for .*last modified)"):
        read_worksheet(path)


def test_a_worksheet_that_is_not_utf8_or_not_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Identifier,Full name\nParticipant 1,Zoë\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        read_worksheet(path)
    with pytest.raises(ConfigError, match="is a folder"):
        read_worksheet(tmp_path)


def test_a_student_in_two_groups_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_worksheet(path, "en", ",", "\n", False, "30.00")
    ada = Student(Member("Ada Lovelace", "ada@example.org"), "Participant 101")
    rows = [GroupRow(Group("g1", "x", students=(ada,)), final_report()),
            GroupRow(Group("g2", "y", students=(ada,)), final_report())]
    filled = fill_worksheet(read_worksheet(path), rows, GradeScale())
    assert "left as it was (no grade): line 2 (Participant 101, Ada Lovelace): in 2 groups of the roster (g1, g2)" \
        in filled.lines()
    assert filled.text() == path.read_text(encoding="utf-8"), "nothing filled in"
