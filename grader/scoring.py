"""Scoring: a pure function from a rubric and check results to points per criterion, total, the CI gate and
whether the total is a grade.

The contract, per check of a criterion:

- *passed* / *failed*: counted in the criterion's weighted mean with the check's score.
- *skipped, not applicable* (the rubric or the submission makes the check meaningless): left out of the mean.
- *skipped by the submission's choice* (no code, no tests, no notebooks, no smoke command): as the rubric says
  (`when_skipped` on the check, else `scoring.skipped_by_choice`): `zero` (the default) counts it as a failed
  check with score 0, so having nothing never scores above trying and failing; `exclude` leaves it out.
- *skipped, not run* (--static, a shallow clone): the criterion is not final.
- *error* (the check crashed, or the infrastructure failed): the criterion is not graded.

A criterion that is not final has 0 points and says why; a criterion whose checks were all left out has 0 points
(nothing was judged, and nothing is never rewarded). A manual criterion without a score from the lecturer is
pending. The submission's state follows: not graded when it was not acquired or a criterion is not graded,
provisional when a criterion is pending or not run, final otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grader.models import CheckResult, CriterionResult, CriterionState, GradeState, Skip, Status
from grader.rubric import CheckRef, Criterion, GradeScale, Rubric, WhenSkipped


@dataclass(frozen=True)
class Score:
    """Points per criterion, their sum, whether every required check holds, and whether the sum is a grade."""

    criteria: tuple[CriterionResult, ...]
    total: float
    max_total: float
    gate_passed: bool
    state: GradeState = GradeState.FINAL
    reasons: tuple[str, ...] = ()


@dataclass
class _Tally:
    """One criterion's checks being summed up."""

    weighted: float = 0.0
    weights: float = 0.0
    gate: bool = True
    excluded: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, ref: CheckRef, result: CheckResult | None, policy: WhenSkipped) -> None:
        """Enter one check's result according to the contract in this module's docstring."""
        if result is None:
            self.not_run.append(f"{ref.id}: not run")
        elif result.status is Status.ERROR:  # the gate cannot be said to hold when the grader failed on it
            self.errors.append(f"{ref.id}: {result.summary}")
            self.gate = self.gate and not ref.required
        elif result.status is not Status.SKIPPED:
            self.weighted += ref.weight * result.score
            self.weights += ref.weight
            self.gate = self.gate and not (ref.required and result.status is Status.FAILED)
        elif result.skip is Skip.NOT_RUN:
            self.not_run.append(f"{ref.id}: {result.summary}")
        elif result.skip is Skip.BY_CHOICE and (ref.when_skipped or policy) == "zero":
            self.weights += ref.weight
            self.gate = self.gate and not ref.required
            self.notes.append(f"{ref.id}: {result.summary} (counted as 0)")
        else:
            self.excluded.append(ref.id)
            kind = "not applicable" if result.skip is not Skip.BY_CHOICE else "left out (when_skipped: exclude)"
            self.notes.append(f"{ref.id}: {kind}: {result.summary}")


def score(
    rubric: Rubric,
    results: Mapping[str, CheckResult],
    manual: Mapping[str, float] | None = None,
    *,
    acquire_error: str | None = None,
) -> Score:
    """Criterion points = points x weighted mean of its counted checks (see the module docstring for what counts).

    A required check that failed (or was skipped by choice and counted as 0) breaks the gate; one not applicable,
    not run or left out does not. Manual criteria take their points from `manual` (capped at the criterion's
    points) and are pending without them. `acquire_error` says why the submission could not be graded at all.
    """
    manual = manual or {}
    criteria: list[CriterionResult] = []
    gate = True
    for criterion in rubric.criteria:
        if criterion.manual:
            criteria.append(_manual(criterion, manual.get(criterion.id)))
            continue
        tally = _Tally()
        for ref in criterion.checks:
            tally.add(ref, results.get(ref.id), rubric.scoring.skipped_by_choice)
        gate = gate and tally.gate
        criteria.append(_criterion(criterion, tally))
    state, reasons = _state(criteria, acquire_error)
    total = round(sum(c.points for c in criteria), 2)
    return Score(tuple(criteria), total, rubric.max_points, gate and acquire_error is None, state, reasons)


def _manual(criterion: Criterion, given: float | None) -> CriterionResult:
    """A criterion scored by hand: the lecturer's points, or pending while there are none."""
    if given is None:
        return CriterionResult(criterion.id, criterion.title, 0.0, criterion.points, (), True, True,
                               CriterionState.PENDING, ("no score for it in the scores file yet",))
    points = max(0.0, min(float(given), criterion.points))
    return CriterionResult(criterion.id, criterion.title, round(points, 2), criterion.points, (), False, True)


def _criterion(criterion: Criterion, tally: _Tally) -> CriterionResult:
    """The criterion's points and state from its tallied checks."""
    if tally.errors:
        state, reasons = CriterionState.NOT_GRADED, tally.errors + tally.not_run
    elif tally.not_run:
        state, reasons = CriterionState.NOT_RUN, tally.not_run
    else:
        state, reasons = CriterionState.FINAL, tally.notes
    final = state is CriterionState.FINAL
    points = criterion.points * tally.weighted / tally.weights if final and tally.weights else 0.0
    if final and not tally.weights:
        reasons = ["nothing was judged: every check was left out", *reasons]
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        points=round(points, 2),
        max_points=criterion.points,
        checks=tuple(ref.id for ref in criterion.checks),
        skipped=not final,
        state=state,
        reasons=tuple(reasons),
        excluded=tuple(tally.excluded),
    )


def _state(criteria: list[CriterionResult], acquire_error: str | None) -> tuple[GradeState, tuple[str, ...]]:
    """Whether the total is a grade, and why not."""
    if acquire_error is not None:
        return GradeState.NOT_GRADED, (acquire_error,)
    broken = [f"{c.id}: {r}" for c in criteria if c.state is CriterionState.NOT_GRADED for r in c.reasons]
    if broken:
        return GradeState.NOT_GRADED, tuple(broken)
    open_ = [_why_open(c) for c in criteria if c.state is not CriterionState.FINAL]
    return (GradeState.PROVISIONAL, tuple(open_)) if open_ else (GradeState.FINAL, ())


def _why_open(crit: CriterionResult) -> str:
    """`execution not run: the sandbox was off (--static)`, `talk pending: no score ...`: one line per criterion."""
    label = "pending" if crit.state is CriterionState.PENDING else "not run"
    whys = list(dict.fromkeys(r.split(": ", 1)[-1].removeprefix("not run: ") for r in crit.reasons))
    more = f" (and {len(whys) - 1} other reason(s))" if len(whys) > 1 else ""
    return f"{crit.id} {label}: {whys[0]}{more}" if whys else f"{crit.id} {label}"


def grade_value(total: float, max_total: float, scale: GradeScale) -> float:
    """The grade the grade file holds: the points, or the German grade of the table line the share reaches
    (5.0 below the lowest line)."""
    if scale.scale == "points":
        return round(total, 2)
    percent = 100.0 * total / max_total if max_total > 0 else 0.0
    reached = [line for line in scale.german if percent + 1e-9 >= line.min_percent]
    return min((line.grade for line in reached), default=5.0)
