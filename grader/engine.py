"""The grading engine: one submission through inspect (static), sandbox, inspect (runtime) and score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from grader import __version__
from grader.checks.base import AnyCheck, CheckContext, Phase, run_check
from grader.files import SubmissionTree
from grader.models import (
    CheckResult,
    Finding,
    GradeReport,
    Progress,
    RubricRef,
    Severity,
    Status,
    Submission,
    SubmissionInfo,
    no_progress,
)
from grader.outcomes import RunOutcome, StepName
from grader.rubric import LoadedRubric
from grader.sandbox.policy import SandboxPolicy
from grader.scoring import score


class SandboxRunner(Protocol):
    """Builds the submission's environment and runs the steps the rubric's runtime checks need."""

    def __call__(
        self, submission: Submission, tree: SubmissionTree, policy: SandboxPolicy, steps: Sequence[StepName],
        progress: Progress,
    ) -> RunOutcome:
        """Run the sandbox; every failure is recorded in the RunOutcome, never raised."""
        ...


def grade(
    submission: Submission,
    loaded: LoadedRubric,
    *,
    sandbox: SandboxRunner | None = None,
    artifacts_dir: Path | None = None,
    manual: Mapping[str, float] | None = None,
    progress: Progress = no_progress,
) -> GradeReport:
    """Grade one submission against a rubric. `sandbox=None` is `--static`: runtime checks are skipped."""
    rubric = loaded.rubric
    refs = [ref for _, ref in rubric.check_refs()]
    checks: list[AnyCheck] = [ref.instantiate() for ref in refs]
    notes: list[Finding] = []
    results: dict[str, CheckResult] = {}
    run: RunOutcome | None = None
    if submission.acquire_error is not None:
        notes.append(Finding(Severity.ERROR, f"not graded: {submission.acquire_error}"))
        for check in checks:
            results[check.id] = check.result(Status.ERROR, 0.0, f"not graded: {submission.acquire_error}")
    else:
        tree = SubmissionTree(submission.root, exclude=tuple(rubric.exclude))
        progress("checking")
        run = _inspect(checks, CheckContext(submission, tree, artifacts_dir=artifacts_dir), results, sandbox,
                       rubric.sandbox, progress)
        notes.extend(Finding(Severity.INFO, note.reason, note.path) for note in tree.notes)

    scored = score(rubric, results, manual, acquire_error=submission.acquire_error)
    return GradeReport(
        grader_version=__version__,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        rubric=RubricRef(rubric.id, rubric.title, str(loaded.path)),
        submission=SubmissionInfo(
            submission.id, submission.source, submission.commit, submission.commit_time, submission.ref
        ),
        total=scored.total,
        max_total=scored.max_total,
        gate_passed=scored.gate_passed and submission.acquire_error is None,
        criteria=scored.criteria,
        checks=tuple(replace(results[ref.id], required=ref.required) for ref in refs),
        run=run,
        notes=tuple(notes),
        state=scored.state,
        state_reasons=scored.reasons,
    )


def _inspect(
    checks: list[AnyCheck], ctx: CheckContext, results: dict[str, CheckResult], sandbox: SandboxRunner | None,
    policy: SandboxPolicy, progress: Progress,
) -> RunOutcome | None:
    """Run the static checks, the sandbox if a runtime check needs it, then the runtime checks and again the static
    checks the sandbox's facts refine, into `results`."""
    for check in checks:
        if check.phase is Phase.STATIC:
            results[check.id] = run_check(check, ctx)
    # A runtime check the submission alone decides (no code: nothing to run) needs no sandbox.
    runtime = []
    for check in (c for c in checks if c.phase is Phase.RUNTIME):
        early = _before_run(check, ctx)
        if early is None:
            runtime.append(check)
        else:
            results[check.id] = early
    run = None
    if runtime and sandbox is not None:
        run = sandbox(ctx.submission, ctx.tree, policy, [c.step for c in runtime if c.step is not None], progress)
    ctx = replace(ctx, run=run)
    for check in runtime:
        results[check.id] = run_check(check, ctx)  # without a run (--static) each says it was not run
    if run is not None:
        for check in checks:
            if check.phase is Phase.STATIC and check.refined_by_run:
                results[check.id] = run_check(check, ctx)
    return run


def _before_run(check: AnyCheck, ctx: CheckContext) -> CheckResult | None:
    """The check's verdict without the sandbox, if it has one; a crash of the hook is the check's error result."""
    try:
        return check.before_run(ctx)
    except Exception:
        return run_check(check, ctx)
