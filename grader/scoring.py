"""Scoring: a pure function from a rubric and check results to points per criterion, total and the CI gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grader.models import CheckResult, CriterionResult, Status
from grader.rubric import Rubric


@dataclass(frozen=True)
class Score:
    """Points per criterion, their sum, and whether every required check holds."""

    criteria: tuple[CriterionResult, ...]
    total: float
    max_total: float
    gate_passed: bool


def score(rubric: Rubric, results: Mapping[str, CheckResult], manual: Mapping[str, float] | None = None) -> Score:
    """Criterion points = points x weighted mean of its checks' scores; skipped checks leave the mean.

    A required check that failed or errored breaks the gate; a skipped one (not applicable, or `--static`) does not.
    Manual criteria take their points from `manual` (capped at the criterion's points), 0 until given.
    """
    manual = manual or {}
    criteria = []
    gate = True
    for criterion in rubric.criteria:
        if criterion.manual:
            given = manual.get(criterion.id)
            points = 0.0 if given is None else max(0.0, min(float(given), criterion.points))
            criteria.append(
                CriterionResult(criterion.id, criterion.title, round(points, 2), criterion.points, (), False, True)
            )
            continue
        weighted = 0.0
        weights = 0.0
        for ref in criterion.checks:
            result = results.get(ref.id)
            if result is None or result.status is Status.SKIPPED:
                continue
            weighted += ref.weight * result.score
            weights += ref.weight
            if ref.required and result.status in (Status.FAILED, Status.ERROR):
                gate = False
        skipped = weights == 0
        points = 0.0 if skipped else criterion.points * weighted / weights
        criteria.append(
            CriterionResult(
                id=criterion.id,
                title=criterion.title,
                points=round(points, 2),
                max_points=criterion.points,
                checks=tuple(ref.id for ref in criterion.checks),
                skipped=skipped,
            )
        )
    total = round(sum(c.points for c in criteria), 2)
    return Score(tuple(criteria), total, rubric.max_points, gate)
