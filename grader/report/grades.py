"""The grade file a course uploads, and the groups that have no grade in it.

grades.csv is the standalone form of Moodle's assignment *offline grading worksheet* (used without
`--moodle-worksheet`): one row per student with every column the worksheet importer requires. The importer
(mod/assign/feedback/offline/importgradeslib.php, `assignfeedback_offline_grade_importer::init`) finds its columns
by their names in the uploading user's language - the record id (``Identifier``), ``Grade`` and ``Last modified
(grade)`` must all be present or the upload is refused - and reads the feedback from the column named after the
feedback plugin's field (``Feedback comments``); unknown columns are ignored. It matches a row by the number after
the participant prefix of the identifier (``Participant 1234``, German ``Teilnehmer/in1234``), skips a row whose
grade is empty, and skips one whose grade changed in Moodle after the worksheet's last-modified time (see
grader.report.moodle, which fills the worksheet itself and keeps those times). The headers are German when the
roster's identifiers are, English otherwise.

A group gets a grade only when its report is final (see grader.scoring); with `allow_pending` a provisional total
(criteria pending or not run count 0) is written too. Otherwise the grade and feedback stay empty, the
``Grader note`` column (ignored by Moodle) says why, and not-graded.csv lists the group.
"""

from __future__ import annotations

import csv
import html
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from grader.models import GradeReport, GradeState
from grader.report.common import gate_text, points
from grader.report.text import one_line
from grader.roster import Group
from grader.rubric import GradeScale
from grader.scoring import grade_value

#: The worksheet's column names as Moodle writes them: record id, full name, e-mail, grade, maximum grade, last
#: modified (grade), feedback. From mod/assign/lang/en/assign.php (recordid, maxgrade, lastmodifiedgrade), core's
#: `grade` and `fullname`, assignfeedback_comments' `pluginname`, and the same strings of the German language pack.
HEADERS = {
    "en": ("Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)",
           "Feedback comments"),
    "de": ("ID", "Vollständiger Name", "E-Mail-Adresse", "Bewertung", "Bestwertung", "Zuletzt geändert (Bewertung)",
           "Feedback als Kommentar"),
}
#: The identifier's prefix per language (mod_assign's `hiddenuser` string; the importer strips exactly this).
PARTICIPANT = {"en": "Participant ", "de": "Teilnehmer/in"}
#: Our own column in grades.csv, for the lecturer; Moodle ignores columns it does not know.
NOTE_COLUMN = "Grader note"
#: Moodle writes "-" as the last-modified time of a grade never given; the importer then has nothing to protect.
NEVER_MODIFIED = "-"

#: A spreadsheet treats a cell starting with one of these as a formula (CSV injection); checked after leading
#: spaces and after NFKC folding, which turns the full-width forms (＝＋－＠) into these.
_FORMULA_START = "=+-@"
#: Control characters (a CR splits a row in a spreadsheet; a tab or escape shifts or hides cells).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class GroupRow:
    """One group in the batch's outputs: the roster entry and the report it got (graded, kept or an error)."""

    group: Group
    report: GradeReport


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as one line of text: control characters (CR, LF, tab...) become a space
    and a formula-like start gets a leading apostrophe."""
    text = "" if value is None else _CONTROL.sub(" ", str(value))
    start = text.lstrip()
    first = unicodedata.normalize("NFKC", start[:1])[:1]
    # a lone sign is no formula (Moodle writes "-" for a time never set, and reads it back)
    return "'" + text if first and first in _FORMULA_START and len(start.rstrip()) > 1 else text


def render_csv(rows: Sequence[Sequence[object]]) -> str:
    """Rows as CSV, every cell made safe by `csv_cell` (the one way grader writes CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def has_grade(report: GradeReport, allow_pending: bool) -> bool:
    """Whether the grade file gets a grade for this report: final, or provisional when the lecturer allows it."""
    return report.state is GradeState.FINAL or (allow_pending and report.state is GradeState.PROVISIONAL)


def grade_text(report: GradeReport, scale: GradeScale, decimal: str = ".") -> str:
    """The grade as the file holds it: points with two decimals, or a German grade with one."""
    value = grade_value(report.total, report.max_total, scale)
    text = f"{value:.2f}" if scale.scale == "points" else f"{value:.1f}"
    return text.replace(".", decimal)


def why_no_grade(report: GradeReport) -> str:
    """One line for the lecturer: why the report has no grade (empty for a final report)."""
    if report.state is GradeState.FINAL:
        return ""
    said = {GradeState.NOT_GRADED: "not graded", GradeState.PROVISIONAL: "not final"}[report.state]
    return one_line(f"{said}: " + "; ".join(report.state_reasons), 300)


def feedback_text(report: GradeReport, scale: GradeScale) -> str:
    """A short feedback line for Moodle: the grade, total, gate and points per criterion (HTML-escaped, as Moodle
    shows feedback comments as HTML); empty when the report has no grade."""
    if report.state is GradeState.NOT_GRADED:
        return ""
    parts = []
    for crit in report.criteria:
        earned = points(crit.points) if crit.state == "final" else f"{crit.state} (counted 0)"
        parts.append(f"{one_line(crit.title, 60)} {earned}/{points(crit.max_points)}")
    commit = f" at commit {report.submission.commit[:10]}" if report.submission.commit else ""
    grade = f"grade {grade_text(report, scale)}, " if scale.scale != "points" else ""
    provisional = "Provisional - " if report.state is GradeState.PROVISIONAL else ""
    text = (f"{provisional}Automatic grading{commit}: {grade}{points(report.total)}/{points(report.max_total)} points, "
            f"{gate_text(report)}. " + "; ".join(parts) + ".")
    return html.escape(text, quote=False)


def language_of(rows: Sequence[GroupRow]) -> str:
    """German headers when the roster's identifiers are German Moodle ones, English otherwise."""
    identifiers = [s.identifier for r in rows for s in r.group.students if s.identifier]
    german = sum(i.startswith(PARTICIPANT["de"]) for i in identifiers)
    return "de" if identifiers and german * 2 > len(identifiers) else "en"


def render_grades_csv(rows: Sequence[GroupRow], scale: GradeScale, allow_pending: bool = False) -> str:
    """grades.csv: one row per student with the worksheet importer's columns, plus the note for the lecturer."""
    table: list[list[object]] = [[*HEADERS[language_of(rows)], NOTE_COLUMN]]
    for row in rows:
        rep = row.report
        graded = has_grade(rep, allow_pending)
        grade = grade_text(rep, scale) if graded else ""
        maximum = f"{rep.max_total:.2f}" if scale.scale == "points" else ""
        feedback = feedback_text(rep, scale) if graded else ""
        note = why_no_grade(rep)
        for student in row.group.students:
            table.append([student.identifier or "", student.member.name, student.member.email or "", grade, maximum,
                          NEVER_MODIFIED, feedback, note])
    return render_csv(table)


def render_not_graded_csv(rows: Sequence[GroupRow], allow_pending: bool = False) -> str:
    """not-graded.csv: every group without a grade in the grade file, its state, why, and its students."""
    table: list[list[object]] = [["group", "state", "reason", "students"]]
    for row in rows:
        if not has_grade(row.report, allow_pending):
            students = "; ".join(s.member.name for s in row.group.students)
            table.append([row.group.id, str(row.report.state), why_no_grade(row.report), students])
    return render_csv(table)
