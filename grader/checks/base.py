"""What a check is: a small class with a stable id, a title, an options model and `run(ctx) -> CheckResult`."""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from grader.files import SubmissionTree
from grader.models import CheckResult, Finding, Measurement, RunOutcome, Status, Submission, finding

__all__ = ["Check", "CheckContext", "CheckOptions", "Phase", "finding", "run_check"]


class Phase(StrEnum):
    """When a check can run: on the files alone, or only after the sandbox ran the code."""

    STATIC = "static"
    RUNTIME = "runtime"


class CheckOptions(BaseModel):
    """Base of every check's options; unknown options are errors, so a typo in a rubric never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may look at for one submission."""

    submission: Submission
    tree: SubmissionTree
    #: The sandbox's outcome; None for static checks and under `--static`.
    run: RunOutcome | None = None
    #: Where a check may write files for the report to show (page images...); None when nothing is written.
    artifacts_dir: Path | None = None


class Check(ABC):
    """A single rubric check. Subclasses set the class attributes and implement `run`."""

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    Options: ClassVar[type[CheckOptions]] = CheckOptions
    phase: ClassVar[Phase] = Phase.STATIC

    def __init__(self, options: CheckOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()

    @abstractmethod
    def run(self, ctx: CheckContext) -> CheckResult:
        """Inspect the submission and return the verdict; never raise for anything the submission contains."""

    # Helpers that keep every result consistently shaped.

    def result(
        self,
        status: Status,
        score: float,
        summary: str,
        measurements: Mapping[str, Measurement] | None = None,
        findings: Iterable[Finding] = (),
    ) -> CheckResult:
        """A result of this check, with the score clamped to [0, 1]."""
        return CheckResult(
            id=self.id,
            title=self.title,
            status=status,
            score=min(1.0, max(0.0, float(score))),
            summary=summary,
            measurements=dict(measurements or {}),
            findings=tuple(findings),
        )

    def skipped(self, why: str, measurements: Mapping[str, Measurement] | None = None) -> CheckResult:
        """A result saying the check does not apply to this submission, and why."""
        return self.result(Status.SKIPPED, 0.0, why, measurements)


def run_check(check: Check, ctx: CheckContext) -> CheckResult:
    """Run one check; a crash becomes an `error` result with the traceback, so the other checks still run."""
    try:
        return check.run(ctx)
    except Exception as exc:
        return CheckResult(
            id=check.id,
            title=check.title,
            status=Status.ERROR,
            score=0.0,
            summary=f"the check crashed: {type(exc).__name__}: {exc}",
            detail=traceback.format_exc(),
        )
