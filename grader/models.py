"""Immutable data passed between the pipeline's stages (acquire, inspect, sandbox, score, report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import JsonValue

from grader.outcomes import RunOutcome

#: A raw figure a check measured: a number, a string, a bool, or a list / mapping of those.
Measurement = JsonValue

#: Called with a short stage name ("checking", "building", "running: tests") as grading moves on.
Progress = Callable[[str], None]
#: A Progress text starting with this is one line of pip's output while the sandbox installs an environment (a
#: display may show the package being downloaded); any other text is a stage name.
PIP_OUTPUT = "pip: "


def no_progress(_: str) -> None:
    """A Progress that shows nothing."""


class Status(StrEnum):
    """Outcome of one check: a verdict (passed, failed), none because the grader failed (error: a crash of the check
    or an infrastructure failure, never the group's fault), or none because the check did not judge (skipped; its
    `skip` says which kind)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Skip(StrEnum):
    """Why a skipped check has no verdict; the kind decides how it enters its criterion (see grader.scoring)."""

    #: The rubric or the submission makes the check meaningless (no deadline set; requirements that declare nothing
    #: to pin; a paper without a text layer): it leaves its criterion's mean, and the summary says why.
    NOT_APPLICABLE = "not-applicable"
    #: The grader did not run it (--static, a shallow clone, not a git checkout): its criterion is not final.
    NOT_RUN = "not-run"
    #: The submission chose not to have what the check looks at (no code, no tests, no notebooks, no smoke
    #: command, the data missing): scored as the rubric says (`when_skipped`), by default 0 - never above a failure.
    BY_CHOICE = "by-choice"


class Severity(StrEnum):
    """How much a finding matters to the person reading the report."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One piece of evidence behind a check's verdict, optionally pointing at a file and line."""

    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None


def finding(
    message: str, path: str | None = None, line: int | None = None, severity: Severity = Severity.ERROR
) -> Finding:
    """Shorthand for a Finding; severity defaults to error."""
    return Finding(severity=severity, message=message, path=path, line=line)


@dataclass(frozen=True)
class CheckResult:
    """What one check concluded about one submission."""

    id: str
    title: str
    status: Status
    score: float
    summary: str
    measurements: dict[str, Measurement] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    #: Traceback of a crashed check, kept for the lecturer; None otherwise.
    detail: str | None = None
    #: Whether the rubric makes this check part of the CI gate (set by the engine, not by the check).
    required: bool = False
    #: For a skipped check: which kind of skip (None for an old report, read as not applicable).
    skip: Skip | None = None


@dataclass(frozen=True)
class Member:
    """A student in a group, as the roster names them, with every identity they may commit under."""

    name: str
    email: str | None = None
    git: str | None = None
    #: Further identities: other names, e-mail addresses and git user names the member commits under.
    aliases: tuple[str, ...] = ()

    @property
    def identities(self) -> tuple[str, ...]:
        """Name, e-mail, git user name and aliases, each once, in that order."""
        return tuple(dict.fromkeys(i for i in (self.name, self.email, self.git, *self.aliases) if i))


@dataclass(frozen=True)
class Submission:
    """A group's hand-in: a tree on disk that the grader only reads, plus facts about where it came from."""

    id: str
    root: Path
    source: str
    commit: str | None = None
    commit_time: datetime | None = None
    ref: str | None = None
    #: The git working copy the tree was taken from (for history checks); None for a plain folder.
    git_dir: Path | None = None
    deadline: datetime | None = None
    members: tuple[Member, ...] = ()
    #: Smoke commands declared for this group by the roster (they override the submission's own).
    smoke: tuple[str, ...] = ()
    #: Paper path given by the roster, relative to the root.
    paper: str | None = None
    #: Data folders the roster gives this group: (path inside the working copy, host folder); they override the
    #: rubric's `sandbox.data` for the same path.
    data: tuple[tuple[str, str], ...] = ()
    #: Why acquisition could not produce a tree (clone refused, no commit before the deadline...); None if fine.
    acquire_error: str | None = None


@dataclass(frozen=True)
class RubricRef:
    """Which rubric a report was graded against."""

    id: str
    title: str
    path: str


@dataclass(frozen=True)
class SubmissionInfo:
    """The submission as the report names it."""

    id: str
    source: str
    commit: str | None = None
    commit_time: datetime | None = None
    ref: str | None = None


class CriterionState(StrEnum):
    """Whether a criterion's points are final."""

    #: Every check judged (or was not applicable, or skipped by the submission's choice): the points stand.
    FINAL = "final"
    #: A manual criterion the lecturer has not scored yet.
    PENDING = "pending"
    #: A check was not run (--static, a shallow clone): the points may change once it runs.
    NOT_RUN = "not-run"
    #: The grader failed on a check (a crash, an infrastructure error) or the submission was not acquired.
    NOT_GRADED = "not-graded"


@dataclass(frozen=True)
class CriterionResult:
    """Points a rubric criterion earned from its checks (or from the lecturer, for manual criteria)."""

    id: str
    title: str
    points: float
    max_points: float
    checks: tuple[str, ...] = ()
    #: True when no check entered the points and they are not final (e.g. every check not run under `--static`).
    skipped: bool = False
    #: True for a criterion scored by hand; `points` then comes from the lecturer's file (0 while pending).
    manual: bool = False
    #: Whether the points are final; anything else shows as not graded, never as a 0 that reads like a verdict.
    state: CriterionState = CriterionState.FINAL
    #: Why the points are not final, or how checks without a verdict entered them (one line each).
    reasons: tuple[str, ...] = ()
    #: Checks left out of the weighted mean (not applicable, or skipped and excluded by the rubric).
    excluded: tuple[str, ...] = ()


class GradeState(StrEnum):
    """Whether a submission has a grade."""

    #: Every criterion is final: the total is the grade.
    FINAL = "final"
    #: Some criteria are pending or not run: the total is provisional and no grade is written unless asked for.
    PROVISIONAL = "provisional"
    #: The submission could not be graded (clone failed, infrastructure error, grader bug): there is no grade.
    NOT_GRADED = "not-graded"


SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class GradeReport:
    """The canonical report for one submission (schema v1); every output format is rendered from it."""

    schema_version: int = SCHEMA_VERSION
    grader_version: str
    generated_at: datetime
    rubric: RubricRef
    submission: SubmissionInfo
    total: float
    max_total: float
    gate_passed: bool
    criteria: tuple[CriterionResult, ...]
    checks: tuple[CheckResult, ...]
    run: RunOutcome | None = None
    #: Submission-level notes: why it could not be acquired, files the grader passed over (links, huge files).
    notes: tuple[Finding, ...] = ()
    #: Whether `total` is a grade (added in schema v1; a report without it is read as final).
    state: GradeState = GradeState.FINAL
    #: Why the state is not final: one line per criterion or failure.
    state_reasons: tuple[str, ...] = ()

    def check(self, check_id: str) -> CheckResult | None:
        """The result of `check_id`, if the rubric ran it."""
        return next((c for c in self.checks if c.id == check_id), None)
