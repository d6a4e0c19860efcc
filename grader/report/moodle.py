"""Filling in the grading worksheet a lecturer downloaded from a Moodle (ISIS) assignment.

What the upload (mod/assign/feedback/offline: importgradeslib.php and locallib.php's `process_import_grades`) does
with the file, and so what this module keeps: it reads the CSV (the form offers comma, semicolon, colon and tab),
finds the record id, ``Grade`` and ``Last modified (grade)`` columns by their exact names in the user's language
and refuses the file without them, takes the number after the participant prefix as the row's user, reads the
grade with `unformat_float` (either decimal mark) or, for a scale, as one of the scale's items, and skips a row
whose grade is empty, out of range, unchanged, locked, or changed in Moodle after the row's last-modified time
(unless the lecturer ticks the override). The worksheet is written by mod/assign/gradingtable.php: Identifier,
Full name, identity fields (e-mail), Status, [Group], Grade, Maximum Grade or Scale, Grade can be changed, Last
modified (submission), submission texts, Last modified (grade), feedback fields.

So the copy written here changes exactly two cells of each matched row - the grade and the feedback comment - and
keeps every other byte of the file as it was: the other cells (as written, quotes included), the last-modified
times (Moodle's protection against overwriting newer grades), the line endings and a byte-order mark.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.config import read_text_file
from grader.errors import ConfigError
from grader.models import GradeReport
from grader.report.grades import GroupRow, csv_cell, feedback_text, grade_text, has_grade, why_no_grade
from grader.roster import Student
from grader.rubric import GradeScale, Rubric
from grader.scoring import grade_value

#: Largest worksheet read: a course of 2,000 students with long feedback is a few megabytes.
MAX_WORKSHEET_BYTES = 64 * 1024 * 1024
#: Column names Moodle writes in English and German (core, mod_assign, assignfeedback_comments language packs).
KNOWN = {
    "identifier": ("identifier", "id"),
    "name": ("full name", "vollständiger name"),
    "email": ("email address", "e-mail-adresse"),
    "grade": ("grade", "bewertung"),
    "maximum": ("maximum grade", "bestwertung"),
    "scale": ("scale", "skala"),
    "modified": ("last modified (grade)", "zuletzt geändert (bewertung)"),
    "feedback": ("feedback comments", "feedback als kommentar"),
    "changeable": ("grade can be changed", "bewertung kann geändert werden"),
}
#: "No" in "Grade can be changed" (Moodle skips such rows): English and German.
_LOCKED = {"no", "nein"}
_ID = re.compile(r"^\D*?(\d+)$")
#: An identifier as the worksheet writes it: the participant prefix in the user's language, then the number.
_PARTICIPANT = re.compile(r"^\D+\d+$")
#: The columns the importer cannot do without, as the error names them.
_REQUIRED = {"identifier": "identifier (Identifier, ID)", "grade": "grade (Grade, Bewertung)",
             "modified": "last modified (Last modified (grade), Zuletzt geändert (Bewertung))"}
_DATE = re.compile(r"(19|20)\d\d|^-$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Cell:
    """One cell: its bytes as written (quotes included) and its value."""

    raw: str
    value: str


@dataclass(frozen=True)
class Record:
    """One CSV record: its cells and the line ending written after it ('' for a last line without one)."""

    cells: tuple[Cell, ...]
    end: str


@dataclass(frozen=True)
class Worksheet:
    """A worksheet read and understood: where it came from, its records, the delimiter, the byte-order mark, and
    the index of each column that matters (-1 when absent)."""

    path: Path
    records: tuple[Record, ...]
    delimiter: str
    bom: str
    columns: dict[str, int]
    #: The decimal mark and digits the worksheet writes numbers with (from its maximum grade).
    decimal: str = "."

    def value(self, record: Record, column: str) -> str:
        """The value of `column` in `record` ('' when absent or short)."""
        index = self.columns.get(column, -1)
        return record.cells[index].value if 0 <= index < len(record.cells) else ""


def read_worksheet(path: Path) -> Worksheet:
    """Read and understand a downloaded worksheet; a ConfigError names the file and what is missing."""
    text = read_text_file(path, "grading worksheet", MAX_WORKSHEET_BYTES)
    raw = path.read_bytes()
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    records = parse_csv(text, _delimiter(text))
    if len(records) < 1 or not records[0].cells:
        raise ConfigError(f"{path}: the grading worksheet is empty")
    columns = _columns(path, records)
    maximum = [r.cells[columns["maximum"]].value for r in records[1:]
               if 0 <= columns["maximum"] < len(r.cells) and r.cells[columns["maximum"]].value]
    decimal = "," if maximum and "," in maximum[0] else "."
    return Worksheet(path, tuple(records), _delimiter(text), bom, columns, decimal)


def _delimiter(text: str) -> str:
    """The delimiter of the header line: the one of comma, semicolon, tab that occurs most outside quotes."""
    header = re.sub(r'"[^"]*"', "", text.split("\n", 1)[0])
    return max((",", ";", "\t"), key=header.count)


def parse_csv(text: str, delimiter: str) -> list[Record]:
    """Records of CSV text (RFC 4180 quoting, any line ending), each cell kept as written."""
    records: list[Record] = []
    cells: list[Cell] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i] == '"':
            i += 1
            while i < n and not (text[i] == '"' and (i + 1 >= n or text[i + 1] != '"')):
                i += 2 if text[i] == '"' else 1
            i += 1
            while i < n and text[i] not in (delimiter, "\r", "\n"):
                i += 1
            raw = text[start:i]
            value = raw[1:raw.rfind('"')].replace('""', '"') if raw.count('"') >= 2 else raw[1:]
        else:
            while i < n and text[i] not in (delimiter, "\r", "\n"):
                i += 1
            raw = value = text[start:i]
        cells.append(Cell(raw, value))
        if i < n and text[i] == delimiter:
            i += 1
            if i == n:
                cells.append(Cell("", ""))
            continue
        end = "\r\n" if text.startswith("\r\n", i) else text[i:i + 1]
        i += len(end)
        records.append(Record(tuple(cells), end))
        cells = []
    return records


def _columns(path: Path, records: list[Record]) -> dict[str, int]:
    """Each column's index: by its English or German name, else by position and content (other languages)."""
    header = [" ".join(c.value.split()).casefold() for c in records[0].cells]
    found = {key: next((i for i, h in enumerate(header) if h in names), -1) for key, names in KNOWN.items()}
    if found["identifier"] < 0 or found["grade"] < 0:  # headers in a language not known by name
        rows = records[1:]
        found = {key: index if index >= 0 else _by_content(key, rows, found) for key, index in found.items()}
    missing = [name for key, name in _REQUIRED.items() if found[key] < 0]
    if missing:
        shown = ", ".join(c.value for c in records[0].cells)
        raise ConfigError(
            f"{path}:1: not a Moodle grading worksheet: no column for {'; '.join(missing)} among: {shown}. Download it "
            "from the assignment (View all submissions > Grading action: Download grading worksheet), with "
            "'Offline grading worksheet' enabled in the assignment's feedback types"
        )
    return found


def _by_content(key: str, rows: list[Record], found: dict[str, int]) -> int:
    """A column found by what it holds, for headers in a language not known by name."""
    width = max((len(r.cells) for r in rows), default=0)

    def column(i: int) -> list[str]:
        return [r.cells[i].value.strip() for r in rows if i < len(r.cells)]

    def all_are(i: int, pattern: re.Pattern[str], empty_ok: bool = False) -> bool:
        values = [v for v in column(i) if v or not empty_ok]
        return bool(values) and all(pattern.search(v) for v in values)

    if key == "identifier":
        return next((i for i in range(width) if all_are(i, _PARTICIPANT)), -1)
    if key == "email":
        return next((i for i in range(width) if all_are(i, re.compile(r"^[^@\s]+@[^@\s]+$"))), -1)
    if key == "maximum":  # the same number on every row
        return next((i for i in range(width) if all_are(i, _NUMBER) and len(set(column(i))) == 1), -1)
    if key == "grade":  # left of the maximum grade: numbers or empty
        maximum = found["maximum"] if found["maximum"] >= 0 else _by_content("maximum", rows, found)
        return maximum - 1 if maximum > 0 and all(not v or _NUMBER.match(v) for v in column(maximum - 1)) else -1
    if key == "modified":  # the last column of dates (or "-") right of the grade
        grade = found["grade"] if found["grade"] >= 0 else _by_content("grade", rows, found)
        dated = [i for i in range(grade + 1, width) if grade >= 0 and all_are(i, _DATE)]
        return dated[-1] if dated else -1
    if key == "feedback":
        modified = found["modified"] if found["modified"] >= 0 else _by_content("modified", rows, found)
        return modified + 1 if 0 <= modified < width - 1 else -1
    return -1


def check_worksheet(worksheet: Worksheet, rubric: Rubric) -> None:
    """Refuse, before anything is graded, a worksheet whose assignment would silently drop the grades: a maximum
    grade below what the rubric's scale can give, or a scale without the grades it gives."""
    scale = rubric.grades
    top = grade_value(rubric.max_points, rubric.max_points, scale)
    highest = max(top, grade_value(0, rubric.max_points, scale))
    items = {item.strip() for r in worksheet.records[1:] for item in worksheet.value(r, "scale").splitlines()}
    if items - {""}:
        given = [5.0, *(line.grade for line in scale.german)] if scale.scale == "german" else []
        numbers = {float(i.replace(",", ".")) for i in items if _NUMBER.match(i)}
        absent = [g for g in given if g not in numbers]
        if not given or absent:
            raise ConfigError(
                f"{worksheet.path}: the assignment is graded on a scale ({', '.join(sorted(items - {''}))}) that "
                + (f"lacks the grades {', '.join(f'{g:.1f}' for g in absent)} of the rubric's table" if given
                   else "cannot hold points") + ": make the rubric's `grades` table and the scale give the same grades"
            )
    maxima = {worksheet.value(r, "maximum") for r in worksheet.records[1:]} - {""}
    for text in maxima:
        try:
            maximum = float(text.replace(",", "."))
        except ValueError:
            continue
        if maximum + 1e-9 < highest:
            raise ConfigError(
                f"{worksheet.path}: the assignment's maximum grade is {text} but the rubric can give {highest:g} "
                "(Moodle skips grades above the maximum without a word): set the assignment's maximum grade to "
                f"{highest:g} (Edit settings > Grade) and download the worksheet again"
            )


def _name_key(name: str) -> str:
    """A name compared without case, accents, punctuation or word order ("Lovelace, Ada" is "Ada Lovelace")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(sorted(re.findall(r"\w+", plain)))


@dataclass
class Filled:
    """The worksheet with grades filled in, and what happened to each row and student."""

    worksheet: Worksheet
    records: list[Record]
    filled: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unmatched_rows: list[str] = field(default_factory=list)
    unmatched_students: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)

    @property
    def target(self) -> Path:
        """The copy's path: next to the worksheet, `-graded` added to its name."""
        return self.worksheet.path.with_name(f"{self.worksheet.path.stem}-graded{self.worksheet.path.suffix}")

    def text(self) -> str:
        """The filled worksheet, every untouched byte as it was."""
        delimiter = self.worksheet.delimiter
        return self.worksheet.bom + "".join(delimiter.join(c.raw for c in r.cells) + r.end for r in self.records)

    def write(self) -> Path:
        """Write the copy atomically (bytes, so line endings stay as they were); returns its path."""
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=self.target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self.text().encode("utf-8"))
            os.replace(tmp, self.target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.target

    def lines(self) -> list[str]:
        """What the lecturer should know, one line each."""
        out = [f"{len(self.filled)} row(s) filled in; copy written to {self.target.name}"]
        out += [f"left as it was (no grade): {line}" for line in self.kept]
        out += [f"Moodle will not take it (Grade can be changed: no): {line}" for line in self.locked]
        out += [f"worksheet row not in the roster, left as it was: {line}" for line in self.unmatched_rows]
        out += [f"roster student not in the worksheet: {line}" for line in self.unmatched_students]
        return out


def fill_worksheet(worksheet: Worksheet, rows: Sequence[GroupRow], scale: GradeScale,
                   allow_pending: bool = False) -> Filled:
    """Match each worksheet row to a roster student (identifier, else e-mail, else name) and fill in the group's
    grade and feedback; rows without a match or without a grade are kept as they were, and reported."""
    students = [(s, row) for row in rows for s in row.group.students]
    by_id: dict[str, list[tuple[Student, GroupRow]]] = {}
    by_mail: dict[str, list[tuple[Student, GroupRow]]] = {}
    by_name: dict[str, list[tuple[Student, GroupRow]]] = {}
    for s, r in students:
        if s.identifier and (digits := _ID.match(s.identifier.strip())):
            by_id.setdefault(digits.group(1), []).append((s, r))
        for identity in s.member.identities:
            if "@" in identity:
                by_mail.setdefault(identity.casefold(), []).append((s, r))
        by_name.setdefault(_name_key(s.member.name), []).append((s, r))
    result = Filled(worksheet, list(worksheet.records))
    matched: set[int] = set()
    for number, record in enumerate(worksheet.records[1:], start=2):
        who = f"line {number} ({worksheet.value(record, 'identifier')}, {worksheet.value(record, 'name')})"
        found = _match(worksheet, record, by_id, by_mail, by_name)
        if isinstance(found, list):  # one student in two groups: no guessing whose grade is theirs
            matched.update(id(s) for s, _ in found)
            groups = ", ".join(r.group.id for _, r in found)
            result.kept.append(f"{who}: in {len(found)} groups of the roster ({groups})")
            continue
        if found is None:
            if any(c.value.strip() for c in record.cells):
                result.unmatched_rows.append(who)
            continue
        student, row = found
        matched.add(id(student))
        if not has_grade(row.report, allow_pending):
            result.kept.append(f"{who}: {row.group.id}: {why_no_grade(row.report)}")
            continue
        if worksheet.value(record, "changeable").strip().casefold() in _LOCKED:
            result.locked.append(who)
        result.records[number - 1] = _filled_record(worksheet, record, row.report, scale)
        result.filled.append(who)
    result.unmatched_students = [f"{s.member.name} ({r.group.id})" for s, r in students if id(s) not in matched]
    return result


Claim = tuple[Student, GroupRow]


def _match(worksheet: Worksheet, record: Record, by_id: dict[str, list[Claim]], by_mail: dict[str, list[Claim]],
           by_name: dict[str, list[Claim]]) -> Claim | list[Claim] | None:
    """The roster student of a worksheet row: by identifier number, else e-mail, else a name only one has; a list
    when the identifier is given to students in several groups."""
    number = _ID.match(worksheet.value(record, "identifier").strip())
    if number and number.group(1) in by_id:
        claimed = by_id[number.group(1)]
        return claimed[0] if len({r.group.id for _, r in claimed}) == 1 else claimed
    for candidates in (by_mail.get(worksheet.value(record, "email").strip().casefold(), []),
                       by_name.get(_name_key(worksheet.value(record, "name")), [])):
        if len({id(s) for s, _ in candidates}) == 1:
            return candidates[0]
    return None


def _filled_record(worksheet: Worksheet, record: Record, report: GradeReport, scale: GradeScale) -> Record:
    """The record with its grade and feedback cells replaced; every other cell as written."""
    cells = list(record.cells)
    grade = grade_text(report, scale, worksheet.decimal)
    scale_items = worksheet.value(record, "scale")
    if scale_items:  # a Moodle scale takes one of its items, as written there ("1,3" or "1.3")
        wanted = float(grade.replace(",", "."))
        grade = next((item.strip() for item in scale_items.splitlines()
                      if _NUMBER.match(item.strip()) and float(item.strip().replace(",", ".")) == wanted), grade)
    replacements = {worksheet.columns["grade"]: grade}
    if worksheet.columns.get("feedback", -1) >= 0:
        replacements[worksheet.columns["feedback"]] = feedback_text(report, scale)
    for index, value in replacements.items():
        while len(cells) <= index:
            cells.append(Cell("", ""))
        cells[index] = Cell(_quote(csv_cell(value), worksheet.delimiter), value)
    return Record(tuple(cells), record.end)


def _quote(value: str, delimiter: str) -> str:
    """A cell written as Moodle's own export writes one (PHP's fputcsv: quoted when it holds a delimiter, a quote,
    a space or a backslash)."""
    if any(ch in value for ch in (delimiter, '"', " ", "\\", "\t", "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value
