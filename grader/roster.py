"""The roster: which groups to grade, where their repositories are and who is in them (YAML or CSV).

YAML (the form the course uses)::

    deadline: 2026-03-31T23:59:00+02:00      # optional; else the rubric's; --deadline overrides both
    groups:
      - id: group-1
        repo: https://git.example.org/dl4ad/group-1.git   # https, ssh, or a path (relative to this file)
        ref: main                                          # optional branch, tag or commit
        deadline: 2026-04-03T23:59:00+02:00                # optional: this group's extension (beats all others)
        members:
          - {name: Ada Lovelace, email: ada@example.org, git: ada, identifier: Participant 1234}
          - name: Alan Turing                              # several identities: lists of e-mails and git names
            email: [alan@example.org, a.turing@uni.example]
            git: [aturing, "Alan M. Turing"]
        smoke: ["python train.py --epochs 1"]              # optional, overrides the group's own
        paper: paper/main.pdf                              # optional, relative to the repository
        data: {dataset: /srv/dl4ad/group-1}                # optional: overrides the rubric's sandbox.data

CSV (for spreadsheets): one row per student, header ``id,repo,ref,name,email,git,identifier,smoke,paper,deadline``
(only ``id`` and ``repo`` are required columns). Rows with the same ``id`` form one group; ``repo``, ``ref``,
``paper`` and ``deadline`` may be left empty after the group's first row but must not contradict it; every
non-empty ``smoke`` cell adds one command; ``email`` and ``git`` may hold several identities separated by ``;``.
``identifier`` is Moodle's participant identifier for grades.csv.

A member's commits are theirs when the author's name, e-mail or GitHub user name matches any of their identities
(GitHub's ``ID+login@users.noreply.github.com`` addresses match the login given as ``git``). Loading warns about a
student in two groups, members without an identifier, and duplicate identities (``Roster.warnings``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from grader.config import Deadline, did_you_mean, format_loc, load_model, read_text_file
from grader.errors import ConfigError
from grader.models import Member
from grader.sandbox.policy import data_source, data_target

#: A group id becomes a folder name under OUT: letters, digits, dot, dash, underscore; no leading dot.
_GROUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: The batch's own files in OUT (grader.report.summary): a group folder by one of these names would collide.
RESERVED_GROUP_IDS = frozenset({"summary.md", "summary.csv", "summary.html", "grades.csv", "not-graded.csv"})


def _one_or_more(value: object) -> object:
    """`x` or `[x, y]` in the file; one tuple of non-empty strings in the model."""
    return [value] if isinstance(value, str) else value


Identities = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_one_or_more)]


class MemberSpec(_Strict):
    """A student as the roster file names them, with every identity they commit under."""

    name: str = Field(min_length=1)
    email: Identities = Field((), description="e-mail address, or a list of them")
    git: Identities = Field((), description="git author names or e-mails used in commits, or GitHub user names")
    identifier: str | None = Field(None, description="Moodle participant identifier, e.g. 'Participant 1234'")

    def member(self) -> Member:
        """The Member the Submission carries: first e-mail and git name, the rest as aliases."""
        extra = (*self.email[1:], *self.git[1:])
        return Member(self.name, self.email[0] if self.email else None, self.git[0] if self.git else None, extra)


class GroupSpec(_Strict):
    """One group's entry in the roster file."""

    id: str
    repo: str = Field(min_length=1)
    ref: str | None = None
    deadline: Deadline | None = Field(None, description="this group's own deadline (an extension)")
    members: list[MemberSpec] = Field(default_factory=list)
    smoke: list[str] = Field(default_factory=list)
    paper: str | None = None
    data: dict[str, str] = Field(
        default_factory=dict, description="data folders for this group's run steps: path inside the working copy "
        "-> host folder (relative to the roster file); overrides the rubric's sandbox.data for the same path",
    )

    @field_validator("data")
    @classmethod
    def _data_targets(cls, value: dict[str, str]) -> dict[str, str]:
        return {data_target(target): source for target, source in value.items()}

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not _GROUP_ID.match(value):
            raise ValueError(
                f"group id {value!r} must be 1-64 letters, digits, '.', '-' or '_' (it names the report folder)"
            )
        if value.casefold() in RESERVED_GROUP_IDS:
            raise ValueError(f"group id {value!r} is the name of a file the batch writes next to the group folders "
                             "(summary.md, summary.csv, summary.html, grades.csv, not-graded.csv); rename the group")
        return value


class RosterSpec(_Strict):
    """The whole roster file."""

    deadline: Deadline | None = Field(None, description="hand-in deadline with its time zone offset")
    groups: list[GroupSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Student:
    """A member of a group plus the identifier the grade file needs."""

    member: Member
    identifier: str | None = None


@dataclass(frozen=True)
class Group:
    """A group to grade: where its repository is, which ref, who is in it, and its overrides."""

    id: str
    repo: str
    ref: str | None = None
    students: tuple[Student, ...] = ()
    smoke: tuple[str, ...] = ()
    paper: str | None = None
    #: Data folders for the run steps: (path inside the working copy, absolute host folder).
    data: tuple[tuple[str, str], ...] = ()
    #: This group's own deadline (an extension); None for the roster's, the rubric's or --deadline.
    deadline: datetime | None = None

    @property
    def members(self) -> tuple[Member, ...]:
        """The members as the Submission carries them."""
        return tuple(s.member for s in self.students)


@dataclass(frozen=True)
class Roster:
    """A validated roster: its file, the deadline it gives (if any) and its groups in file order."""

    path: Path
    deadline: datetime | None
    groups: tuple[Group, ...]
    #: Things the lecturer should look at (`file:line: message`), found while loading; none stops the batch.
    warnings: tuple[str, ...] = ()


def load_roster(path: Path) -> Roster:
    """Read and validate a roster (`.csv` as CSV, anything else as YAML); ConfigError names file and line."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a roster YAML or CSV file")
    doc = None
    if path.suffix.lower() == ".csv":
        spec, lines = _read_csv(path)
    else:
        spec, doc = load_model(path, RosterSpec, "roster")
        seen: dict[str, int] = {}
        for index, group in enumerate(spec.groups):
            line = doc.line_of(("groups", index, "id")) or 0
            if group.id.casefold() in seen:  # case-insensitive file systems would merge the two report folders
                raise ConfigError(
                    f"{path}:{line}: groups[{index}].id: duplicate group id {group.id!r} "
                    f"(first used on line {seen[group.id.casefold()]})"
                )
            seen[group.id.casefold()] = line
        lines = [[doc.line_of(("groups", g, "members", m)) or 0 for m in range(len(group.members))]
                 for g, group in enumerate(spec.groups)]
    groups_list = []
    for index, group in enumerate(spec.groups):
        try:
            groups_list.append(_group(group, path.parent))
        except ValueError as exc:  # a data folder that is not there (YAML only: CSV rosters have no data column)
            line = (doc.line_of(("groups", index, "data")) if doc is not None else None) or 0
            raise ConfigError(f"{path}:{line}: groups[{index}].data: {exc}") from None
    groups = tuple(groups_list)
    return Roster(path, spec.deadline, groups, roster_warnings(path, groups, lines))


def _group(spec: GroupSpec, base: Path) -> Group:
    return Group(
        id=spec.id,
        repo=resolve_repo(spec.repo, base),
        ref=spec.ref,
        students=tuple(Student(m.member(), m.identifier) for m in spec.members),
        smoke=tuple(spec.smoke),
        paper=spec.paper,
        data=tuple((target, data_source(source, base)) for target, source in sorted(spec.data.items())),
        deadline=spec.deadline,
    )


def resolve_repo(repo: str, base: Path) -> str:
    """A plain path (no ':' at all) is taken relative to the roster's folder; URLs are left for acquire to vet."""
    if ":" in repo or not repo.strip():
        return repo
    path = Path(repo).expanduser()
    return str(path if path.is_absolute() else (base / path).absolute())


#: CSV columns, in the order the help shows them.
CSV_COLUMNS = ("id", "repo", "ref", "name", "email", "git", "identifier", "smoke", "paper", "deadline")
_GROUP_COLUMNS = ("repo", "ref", "paper", "deadline")
_MEMBER_COLUMNS = ("name", "email", "git", "identifier")


def _read_csv(path: Path) -> tuple[RosterSpec, list[list[int]]]:
    """A CSV roster (one row per student) validated into the same model as the YAML form, with each member's line."""
    text = read_text_file(path, "roster")  # spreadsheets like to start with a byte-order mark: it is dropped
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ConfigError(f"{path}: the roster is not valid CSV: {exc}") from None
    if not rows:
        raise ConfigError(f"{path}:1: the roster is empty; expected a header: {','.join(CSV_COLUMNS)}")
    header = [cell.strip().lower() for cell in rows[0]]
    problems = [f"{path}:1: {msg}" for msg in _header_problems(header)]
    if problems:
        raise ConfigError(f"{path}: invalid roster\n  " + "\n  ".join(problems))
    groups: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    member_lines: dict[str, list[int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(f"{path}:{number}: {len(row)} cells but the header has {len(header)} columns")
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        problems.extend(f"{path}:{number}: {msg}" for msg in _merge_row(cells, groups, first_line, number))
        if any(cells.get(key) for key in _MEMBER_COLUMNS):
            member_lines.setdefault(cells.get("id", ""), []).append(number)
    for gid, data in groups.items():
        try:
            GroupSpec.model_validate(data)
        except ValidationError as exc:
            problems.extend(validation_lines(exc, f"{path}:{first_line[gid]}", ("group " + gid,)))
    if not groups and not problems:
        problems.append(f"{path}:2: the roster has no groups")
    if problems:
        raise ConfigError(f"{path}: invalid roster\n  " + "\n  ".join(problems))
    spec = RosterSpec(deadline=None, groups=[GroupSpec.model_validate(g) for g in groups.values()])
    return spec, [member_lines.get(g.id, []) for g in spec.groups]


def _header_problems(header: list[str]) -> list[str]:
    messages = [
        f"unknown column {name!r}{did_you_mean(name, CSV_COLUMNS)}" for name in header if name not in CSV_COLUMNS
    ]
    messages += [f"column {name!r} appears twice" for name in sorted({n for n in header if header.count(n) > 1})]
    messages += [f"required column {name!r} is missing" for name in ("id", "repo") if name not in header]
    return messages


def _merge_row(
    cells: dict[str, str], groups: dict[str, dict[str, Any]], first_line: dict[str, int], number: int
) -> list[str]:
    """Fold one student row into its group; messages for contradictions (the caller adds the line)."""
    gid = cells.get("id", "")
    if not gid:
        return ["id: the group id is empty"]
    group = groups.setdefault(gid, {"id": gid, "members": [], "smoke": []})
    first_line.setdefault(gid, number)
    messages = []
    for key in _GROUP_COLUMNS:
        value = cells.get(key, "")
        if not value:
            continue
        if key in group and group[key] != value:
            messages.append(
                f"{key}: {value!r} contradicts {group[key]!r} given for group {gid!r} on line {first_line[gid]}"
            )
        group.setdefault(key, value)
    if cells.get("smoke") and cells["smoke"] not in group["smoke"]:
        group["smoke"].append(cells["smoke"])
    member: dict[str, Any] = {key: cells[key] for key in _MEMBER_COLUMNS if cells.get(key)}
    for key in ("email", "git"):  # several identities in one cell, `;` apart (names may hold spaces and commas)
        if key in member:
            member[key] = [part.strip() for part in member[key].split(";") if part.strip()]
    if member:
        group["members"].append(member)
    return messages


def validation_lines(error: ValidationError, where: str, prefix: tuple[str | int, ...]) -> list[str]:
    """`where: group x.repo: message` lines for a pydantic error on one CSV group."""
    out = []
    for err in error.errors():
        loc = prefix + tuple(err["loc"])
        text = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            text = "required column is empty for this group"
        out.append(f"{where}: {format_loc(loc)}: {text}")
    return out


def roster_warnings(path: Path, groups: tuple[Group, ...], lines: list[list[int]]) -> tuple[str, ...]:
    """What the lecturer should look at before grading: a student in two groups, members without a Moodle
    identifier (the grade upload matches by it), one identity given for two members. `lines[g][m]` is the line of
    member m of group g (0 when unknown)."""
    warnings: list[str] = []
    claims: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    unidentified: list[str] = []
    for group, group_lines in zip(groups, lines, strict=False):
        for student, line in zip(group.students, group_lines or [0] * len(group.students), strict=False):
            member = student.member
            where = f"{member.name} ({group.id}, line {line})" if line else f"{member.name} ({group.id})"
            if not student.identifier:
                unidentified.append(where)
            keys = {("identifier", student.identifier or ""), ("name", " ".join(member.name.split()).casefold())}
            keys |= {("identity", i.casefold()) for i in member.identities if i != member.name}
            for key in keys:
                if key[1]:
                    claims.setdefault(key, []).append((group.id, member.name, line))
    twice: dict[tuple[str, str], list[str]] = {}  # (who, where) -> what they share
    for (kind, value), holders in claims.items():
        groups_of = list(dict.fromkeys(gid for gid, _, _ in holders))
        if len(groups_of) > 1 and kind != "identity":
            shown = ", ".join(f"{gid} (line {line})" if line else gid for gid, _, line in holders)
            twice.setdefault((holders[0][1], shown), []).append(f"{kind} {value!r}")
        elif len({name for _, name, _ in holders}) > 1:
            names = " and ".join(dict.fromkeys(f"{name} ({gid})" for gid, name, _ in holders))
            warnings.append(f"{path}: {value!r} is given for {names}: their commits cannot be told apart")
    for (who, shown), same in twice.items():
        warnings.insert(0, f"{path}: {who} is in {shown.count(',') + 1} groups (same {' and '.join(same)}): {shown}")
    if unidentified:
        more = len(unidentified) - 10
        listed = "; ".join(unidentified[:10]) + (f"; and {more} more" if more > 0 else "")
        warnings.append(f"{path}: {len(unidentified)} member(s) without a Moodle identifier (grades.csv cannot be "
                        f"uploaded for them; --moodle-worksheet matches them by e-mail or name): {listed}")
    return tuple(dict.fromkeys(warnings))
