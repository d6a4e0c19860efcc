"""Scoring is a pure function: weighted means per criterion, skipped checks leave the mean, required checks gate."""

from __future__ import annotations

import pytest

from grader.models import CheckResult, Status
from grader.rubric import Rubric


def _rubric() -> Rubric:
    return Rubric.model_validate({
        "id": "r", "title": "R",
        "criteria": [
            {"id": "readme", "title": "README", "points": 20, "checks": [
                {"id": "readme.present", "required": True}, {"id": "readme.sections", "weight": 3}]},
            {"id": "code", "title": "Code", "points": 10, "checks": [{"id": "code.comments"}]},
            {"id": "talk", "title": "Talk", "points": 5, "manual": True},
        ],
    })


def _r(check_id: str, status: Status, score: float) -> CheckResult:
    return CheckResult(check_id, check_id, status, score, "")


def test_weighted_mean_and_manual_points() -> None:
    from grader.scoring import score

    result = score(_rubric(), {
        "readme.present": _r("readme.present", Status.PASSED, 1.0),
        "readme.sections": _r("readme.sections", Status.FAILED, 0.5),
        "code.comments": _r("code.comments", Status.PASSED, 0.8),
    }, manual={"talk": 9})
    points = {c.id: c.points for c in result.criteria}
    assert points == {"readme": pytest.approx(20 * (1 + 3 * 0.5) / 4), "code": 8.0, "talk": 5.0}
    assert result.total == pytest.approx(12.5 + 8 + 5)
    assert result.max_total == 35
    assert result.gate_passed


def test_required_failure_breaks_the_gate_and_skipped_leaves_the_mean() -> None:
    from grader.scoring import score

    result = score(_rubric(), {
        "readme.present": _r("readme.present", Status.ERROR, 0.0),
        "readme.sections": _r("readme.sections", Status.SKIPPED, 0.0),
        "code.comments": _r("code.comments", Status.SKIPPED, 0.0),
    })
    readme, code, talk = result.criteria
    assert not result.gate_passed
    assert readme.points == 0 and not readme.skipped
    assert code.skipped and code.points == 0
    assert talk.manual and talk.points == 0
