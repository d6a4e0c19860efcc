"""Immutable data passed between the pipeline's stages (acquire, inspect, sandbox, score, report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import JsonValue

#: A raw figure a check measured: a number, a string, a bool, or a list / mapping of those.
Measurement = JsonValue


class Status(StrEnum):
    """Outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Severity(StrEnum):
    """How much a finding matters to the person reading the report."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class StepStatus(StrEnum):
    """Outcome of one sandbox step."""

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    OOM = "oom"
    OUTPUT_LIMIT = "output-limit"
    INFRA_ERROR = "infra-error"
    SKIPPED = "skipped"


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


@dataclass(frozen=True)
class Member:
    """A student in a group, as the roster names them."""

    name: str
    email: str | None = None
    git: str | None = None


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
    #: Why acquisition could not produce a tree (clone refused, no commit before the deadline...); None if fine.
    acquire_error: str | None = None


@dataclass(frozen=True)
class StepOutcome:
    """What happened when one sandbox step ran."""

    name: str
    status: StepStatus
    exit_code: int | None = None
    duration_s: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""
    #: Parsed results the step brought back (JUnit counts, failing modules, notebook cells...).
    data: dict[str, Measurement] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    """Every sandbox step run for one submission."""

    image: str
    environment: str
    steps: tuple[StepOutcome, ...] = ()

    def step(self, name: str) -> StepOutcome | None:
        """The step called `name`, if it ran."""
        return next((s for s in self.steps if s.name == name), None)


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


@dataclass(frozen=True)
class CriterionResult:
    """Points a rubric criterion earned from its checks (or from the lecturer, for manual criteria)."""

    id: str
    title: str
    points: float
    max_points: float
    checks: tuple[str, ...] = ()
    #: True when every check of the criterion was skipped (e.g. `--static`), so its points were not graded.
    skipped: bool = False
    #: True for a criterion scored by hand; `points` then comes from the lecturer's file (0 until filled in).
    manual: bool = False


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

    def check(self, check_id: str) -> CheckResult | None:
        """The result of `check_id`, if the rubric ran it."""
        return next((c for c in self.checks if c.id == check_id), None)
