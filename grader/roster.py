"""The roster: which groups to grade, where their repositories are and who is in them (YAML or CSV).

YAML (the form the course uses)::

    deadline: 2026-03-31T23:59:00+02:00      # optional; else the rubric's; --deadline overrides both
    groups:
      - id: group-1
        repo: https://git.example.org/dl4ad/group-1.git   # https, ssh, or a path (relative to this file)
        ref: main                                          # optional branch, tag or commit
        members:
          - {name: Ada Lovelace, email: ada@example.org, git: ada, identifier: Participant 1234}
        smoke: ["python train.py --epochs 1"]              # optional, overrides the group's own
        paper: paper/main.pdf                              # optional, relative to the repository
        data: {dataset: /srv/dl4ad/group-1}                # optional: overrides the rubric's sandbox.data

CSV (for spreadsheets): one row per student, header ``id,repo,ref,name,email,git,identifier,smoke,paper``
(only ``id`` and ``repo`` are required columns). Rows with the same ``id`` form one group; ``repo``, ``ref``
and ``paper`` may be left empty after the group's first row but must not contradict it; every non-empty
``smoke`` cell adds one command. ``identifier`` is Moodle's participant identifier for grades.csv.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grader.config import Deadline, did_you_mean, format_loc, load_model
from grader.errors import ConfigError
from grader.models import Member
from grader.sandbox.policy import data_source, data_target

#: A group id becomes a folder name under OUT: letters, digits, dot, dash, underscore; no leading dot.
_GROUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberSpec(_Strict):
    """A student as the roster file names them."""

    name: str = Field(min_length=1)
    email: str | None = None
    git: str | None = Field(None, description="git author name or e-mail used in commits")
    identifier: str | None = Field(None, description="Moodle participant identifier, e.g. 'Participant 1234'")


class GroupSpec(_Strict):
    """One group's entry in the roster file."""

    id: str
    repo: str = Field(min_length=1)
    ref: str | None = None
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


def load_roster(path: Path) -> Roster:
    """Read and validate a roster (`.csv` as CSV, anything else as YAML); ConfigError names file and line."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a roster YAML or CSV file")
    doc = None
    if path.suffix.lower() == ".csv":
        spec = _read_csv(path)
    else:
        spec, doc = load_model(path, RosterSpec, "roster")
        seen: dict[str, int] = {}
        for index, group in enumerate(spec.groups):
            line = doc.line_of(("groups", index, "id")) or 0
            if group.id in seen:
                raise ConfigError(
                    f"{path}:{line}: groups[{index}].id: duplicate group id {group.id!r} "
                    f"(first used on line {seen[group.id]})"
                )
            seen[group.id] = line
    groups = []
    for index, group in enumerate(spec.groups):
        try:
            groups.append(_group(group, path.parent))
        except ValueError as exc:  # a data folder that is not there (YAML only: CSV rosters have no data column)
            line = (doc.line_of(("groups", index, "data")) if doc is not None else None) or 0
            raise ConfigError(f"{path}:{line}: groups[{index}].data: {exc}") from None
    return Roster(path, spec.deadline, tuple(groups))


def _group(spec: GroupSpec, base: Path) -> Group:
    return Group(
        id=spec.id,
        repo=resolve_repo(spec.repo, base),
        ref=spec.ref,
        students=tuple(Student(Member(m.name, m.email, m.git), m.identifier) for m in spec.members),
        smoke=tuple(spec.smoke),
        paper=spec.paper,
        data=tuple((target, data_source(source, base)) for target, source in sorted(spec.data.items())),
    )


def resolve_repo(repo: str, base: Path) -> str:
    """A plain path (no ':' at all) is taken relative to the roster's folder; URLs are left for acquire to vet."""
    if ":" in repo or not repo.strip():
        return repo
    path = Path(repo).expanduser()
    return str(path if path.is_absolute() else (base / path).absolute())


#: CSV columns, in the order the help shows them.
CSV_COLUMNS = ("id", "repo", "ref", "name", "email", "git", "identifier", "smoke", "paper")
_GROUP_COLUMNS = ("repo", "ref", "paper")
_MEMBER_COLUMNS = ("name", "email", "git", "identifier")


def _read_csv(path: Path) -> RosterSpec:
    """A CSV roster (one row per student) validated into the same model as the YAML form."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets like to start with a byte-order mark
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the roster: {exc}") from None
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
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(f"{path}:{number}: {len(row)} cells but the header has {len(header)} columns")
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        problems.extend(f"{path}:{number}: {msg}" for msg in _merge_row(cells, groups, first_line, number))
    for gid, data in groups.items():
        try:
            GroupSpec.model_validate(data)
        except ValidationError as exc:
            problems.extend(validation_lines(exc, f"{path}:{first_line[gid]}", ("group " + gid,)))
    if not groups and not problems:
        problems.append(f"{path}:2: the roster has no groups")
    if problems:
        raise ConfigError(f"{path}: invalid roster\n  " + "\n  ".join(problems))
    return RosterSpec(deadline=None, groups=[GroupSpec.model_validate(g) for g in groups.values()])


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
    member = {key: cells[key] for key in _MEMBER_COLUMNS if cells.get(key)}
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
