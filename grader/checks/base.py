"""What a check is: a small class with a stable id, a title, an options model and `run(ctx) -> CheckResult`."""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from grader.files import SubmissionTree
from grader.models import CheckResult, Finding, Measurement, Skip, Status, Submission, finding
from grader.outcomes import RunOutcome, StepName

__all__ = ["AnyCheck", "Check", "CheckContext", "CheckOptions", "Phase", "finding", "run_check"]


class Phase(StrEnum):
    """When a check can run: on the files alone, or only after the sandbox ran the code."""

    STATIC = "static"
    RUNTIME = "runtime"


class CheckOptions(BaseModel):
    """Base of every check's options; unknown options are errors, so a typo in a rubric never passes silently.

    A check without options of its own is declared `Check[CheckOptions]`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


#: The options model of one check.
OptionsT = TypeVar("OptionsT", bound=CheckOptions)


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may look at for one submission."""

    submission: Submission
    tree: SubmissionTree
    #: The sandbox's outcome; None for static checks and under `--static`.
    run: RunOutcome | None = None
    #: Where a check may write files for the report to show (page images...); None when nothing is written.
    artifacts_dir: Path | None = None


class Check(ABC, Generic[OptionsT]):
    """A single rubric check: `class XCheck(Check[XOptions])` sets the class attributes and implements `run`.

    The options model is the generic argument, so there is one way to declare it and `self.options` is typed.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    #: The options model, taken from the generic argument when the subclass is defined.
    Options: ClassVar[type[CheckOptions]] = CheckOptions
    phase: ClassVar[Phase] = Phase.STATIC
    #: The sandbox step whose outcome a runtime check reads; the engine asks the sandbox for exactly these.
    step: ClassVar[StepName | None] = None
    #: A static check whose verdict the sandbox's facts can make precise (the installed environment's metadata):
    #: the engine runs it again with `ctx.run` once the sandbox has run; under --static its static verdict stands.
    refined_by_run: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            origin, args = get_origin(base), get_args(base)
            options = args[0] if args else None
            is_check = isinstance(origin, type) and issubclass(origin, Check)
            if is_check and isinstance(options, type) and issubclass(options, CheckOptions):
                cls.Options = options

    def __init__(self, options: OptionsT | None = None) -> None:
        self.options: OptionsT = options if options is not None else cast(OptionsT, self.Options())

    def before_run(self, ctx: CheckContext) -> CheckResult | None:
        """For a runtime check: its verdict when the submission alone decides it (nothing to run), so the engine
        skips the sandbox when no runtime check needs it; None when the sandbox must run."""
        return None

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

    def skipped(
        self, why: str, measurements: Mapping[str, Measurement] | None = None, *, kind: Skip = Skip.NOT_APPLICABLE
    ) -> CheckResult:
        """A result without a verdict, saying why and which kind of skip it is (see `Skip`)."""
        return replace(self.result(Status.SKIPPED, 0.0, why, measurements), skip=kind)

    def not_run(self, why: str, measurements: Mapping[str, Measurement] | None = None) -> CheckResult:
        """The grader did not run this check (--static, a shallow clone...): its criterion is not final."""
        return self.skipped(why, measurements, kind=Skip.NOT_RUN)

    def by_choice(self, why: str, measurements: Mapping[str, Measurement] | None = None) -> CheckResult:
        """The submission has none of what this check looks at (no code, no tests): scored as the rubric says."""
        return self.skipped(why, measurements, kind=Skip.BY_CHOICE)


#: A check of any options type, as the registry and the engine hold them.
AnyCheck = Check[Any]


def run_check(check: AnyCheck, ctx: CheckContext) -> CheckResult:
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
