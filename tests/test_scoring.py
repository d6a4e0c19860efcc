"""Scoring is a pure function with a stated contract: what counts, what is left out, what makes a criterion not
final, what breaks the gate, and that having nothing never scores above trying and failing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from grader.models import CheckResult, CriterionState, GradeState, Skip, Status
from grader.rubric import GradeScale, Rubric
from grader.scoring import grade_value, score


def _rubric(**extra: Any) -> Rubric:
    return Rubric.model_validate({
        "id": "r", "title": "R", **extra,
        "criteria": [
            {"id": "readme", "title": "README", "points": 20, "checks": [
                {"id": "readme.present", "required": True}, {"id": "readme.sections", "weight": 3}]},
            {"id": "code", "title": "Code", "points": 10, "checks": [{"id": "code.comments"}]},
            {"id": "talk", "title": "Talk", "points": 5, "manual": True},
        ],
    })


def _r(check_id: str, status: Status, score: float = 0.0, skip: Skip | None = None) -> CheckResult:
    return CheckResult(check_id, check_id, status, score, f"{check_id} said so", skip=skip)


def _passing(**overrides: CheckResult) -> dict[str, CheckResult]:
    results = {
        "readme.present": _r("readme.present", Status.PASSED, 1.0),
        "readme.sections": _r("readme.sections", Status.FAILED, 0.5),
        "code.comments": _r("code.comments", Status.PASSED, 0.8),
    }
    return results | overrides


def test_weighted_mean_and_manual_points() -> None:
    result = score(_rubric(), _passing(), manual={"talk": 9})
    points = {c.id: c.points for c in result.criteria}
    assert points == {"readme": pytest.approx(20 * (1 + 3 * 0.5) / 4), "code": 8.0, "talk": 5.0}
    assert result.total == pytest.approx(12.5 + 8 + 5)
    assert result.max_total == 35
    assert result.gate_passed
    assert (result.state, result.reasons) == (GradeState.FINAL, ())
    assert {c.state for c in result.criteria} == {CriterionState.FINAL}


def test_not_applicable_leaves_the_mean_and_says_why() -> None:
    sections = _r("readme.sections", Status.SKIPPED, skip=Skip.NOT_APPLICABLE)
    readme = score(_rubric(), _passing(**{"readme.sections": sections}), manual={"talk": 1}).criteria[0]
    assert (readme.points, readme.state, readme.excluded) == (20.0, CriterionState.FINAL, ("readme.sections",))
    assert readme.reasons == ("readme.sections: not applicable: readme.sections said so",)


def test_skipped_by_choice_counts_as_zero_by_default_and_can_be_excluded() -> None:
    none = _r("readme.sections", Status.SKIPPED, skip=Skip.BY_CHOICE)
    readme = score(_rubric(), _passing(**{"readme.sections": none}), manual={"talk": 1}).criteria[0]
    assert readme.points == 5.0  # 20 x 1 / (1 + 3): the missing part weighs like a failure with score 0
    assert readme.reasons == ("readme.sections: readme.sections said so (counted as 0)",)
    assert readme.excluded == ()
    excluded = score(_rubric(scoring={"skipped_by_choice": "exclude"}), _passing(**{"readme.sections": none}),
                     manual={"talk": 1}).criteria[0]
    assert (excluded.points, excluded.excluded) == (20.0, ("readme.sections",))
    assert excluded.reasons == ("readme.sections: left out (when_skipped: exclude): readme.sections said so",)
    per_check = Rubric.model_validate({"id": "r", "title": "R", "criteria": [{"id": "c", "title": "C", "points": 4,
        "checks": [{"id": "run.tests", "when_skipped": "exclude"}, {"id": "run.build"}]}]})
    mixed = score(per_check, {"run.tests": _r("run.tests", Status.SKIPPED, skip=Skip.BY_CHOICE),
                              "run.build": _r("run.build", Status.PASSED, 1.0)})
    assert mixed.criteria[0].points == 4.0


def test_a_required_check_skipped_by_choice_breaks_the_gate_unless_excluded() -> None:
    nothing = {"readme.present": _r("readme.present", Status.SKIPPED, skip=Skip.BY_CHOICE)}
    assert not score(_rubric(), _passing(**nothing), manual={"talk": 1}).gate_passed
    assert score(_rubric(scoring={"skipped_by_choice": "exclude"}), _passing(**nothing), manual={"talk": 1}).gate_passed
    not_applicable = {"readme.present": _r("readme.present", Status.SKIPPED, skip=Skip.NOT_APPLICABLE)}
    assert score(_rubric(), _passing(**not_applicable), manual={"talk": 1}).gate_passed


def test_a_check_not_run_makes_its_criterion_not_final_and_the_total_provisional() -> None:
    static = {"code.comments": _r("code.comments", Status.SKIPPED, skip=Skip.NOT_RUN)}
    result = score(_rubric(), _passing(**static), manual={"talk": 4})
    code = result.criteria[1]
    assert (code.points, code.state, code.skipped) == (0.0, CriterionState.NOT_RUN, True)
    assert code.reasons == ("code.comments: code.comments said so",)
    assert result.gate_passed, "a check not run does not break the gate"
    assert result.state is GradeState.PROVISIONAL
    assert result.reasons == ("code not run: code.comments said so",)
    assert result.total == pytest.approx(12.5 + 4), "a criterion that is not final adds nothing"


def test_a_manual_criterion_without_a_score_is_pending_and_a_zero_given_is_final() -> None:
    pending = score(_rubric(), _passing())
    talk = pending.criteria[2]
    assert (talk.points, talk.state, talk.manual, talk.skipped) == (0.0, CriterionState.PENDING, True, True)
    assert pending.state is GradeState.PROVISIONAL
    assert pending.reasons == ("talk pending: no score for it in the scores file yet",)
    given_zero = score(_rubric(), _passing(), manual={"talk": 0}).criteria[2]
    assert (given_zero.points, given_zero.state) == (0.0, CriterionState.FINAL)


def test_an_error_means_not_graded_and_a_required_error_breaks_the_gate() -> None:
    result = score(_rubric(), _passing(**{"readme.present": _r("readme.present", Status.ERROR)}), manual={"talk": 1})
    readme = result.criteria[0]
    assert (readme.points, readme.state, readme.skipped) == (0.0, CriterionState.NOT_GRADED, True)
    assert not result.gate_passed
    assert result.state is GradeState.NOT_GRADED
    assert result.reasons == ("readme: readme.present: readme.present said so",)


def test_a_submission_that_was_not_acquired_is_not_graded() -> None:
    result = score(_rubric(), {}, manual={"talk": 3}, acquire_error="clone refused")
    assert (result.state, result.reasons, result.gate_passed) == (GradeState.NOT_GRADED, ("clone refused",), False)


def test_a_criterion_with_every_check_left_out_has_nothing_to_show_for_it() -> None:
    rubric = _rubric(scoring={"skipped_by_choice": "exclude"})
    code = score(rubric, _passing(**{"code.comments": _r("code.comments", Status.SKIPPED, skip=Skip.BY_CHOICE)}),
                 manual={"talk": 1}).criteria[1]
    assert (code.points, code.state) == (0.0, CriterionState.FINAL)
    assert code.reasons[0] == "nothing was judged: every check was left out"


_RESULT = st.one_of(
    st.builds(lambda s: ("verdict", s), st.floats(0, 1)),
    st.sampled_from([("skip", Skip.NOT_APPLICABLE), ("skip", Skip.BY_CHOICE)]),
)


@given(weights=st.lists(st.floats(0.1, 10), min_size=2, max_size=5), others=st.lists(_RESULT, min_size=5, max_size=5),
       tried=st.floats(0, 1))
def test_having_nothing_never_scores_above_trying_and_failing(
    weights: list[float], others: list[tuple[str, Any]], tried: float
) -> None:
    ids = ["run.build", "run.imports", "run.smoke", "run.tests", "run.notebooks"][: len(weights)]
    rubric = Rubric.model_validate({"id": "r", "title": "R", "criteria": [{"id": "c", "title": "C", "points": 20,
        "checks": [{"id": i, "weight": w} for i, w in zip(ids, weights, strict=False)]}]})

    def result(check_id: str, kind: str, value: Any) -> CheckResult:
        if kind == "verdict":
            return _r(check_id, Status.PASSED if value == 1 else Status.FAILED, value)
        return _r(check_id, Status.SKIPPED, skip=value)

    results = {i: result(i, *other) for i, other in zip(ids, others, strict=False)}
    nothing = score(rubric, results | {ids[0]: _r(ids[0], Status.SKIPPED, skip=Skip.BY_CHOICE)}).criteria[0].points
    failing = score(rubric, results | {ids[0]: _r(ids[0], Status.FAILED, tried)}).criteria[0].points
    assert nothing <= failing + 1e-9


GERMAN = {"scale": "german", "german": [
    {"min_percent": 95, "grade": 1.0}, {"min_percent": 90, "grade": 1.3}, {"min_percent": 85, "grade": 1.7},
    {"min_percent": 50, "grade": 4.0},
]}


@pytest.mark.parametrize(("total", "grade"), [(100, 1.0), (95, 1.0), (94.99, 1.3), (90, 1.3), (86, 1.7),
                                              (60, 4.0), (50, 4.0), (49.99, 5.0), (0, 5.0)])
def test_german_grade_from_the_rubric_table(total: float, grade: float) -> None:
    assert grade_value(total, 100, GradeScale.model_validate(GERMAN)) == grade


def test_points_scale_gives_the_points() -> None:
    assert grade_value(71.236, 100, GradeScale()) == 71.24


@pytest.mark.parametrize(("table", "message"), [
    ({"scale": "german"}, "scale german needs its table"),
    ({"scale": "german", "german": [{"min_percent": 90, "grade": 2.0}, {"min_percent": 80, "grade": 1.7}]},
     "more points must give a better (lower) grade"),
    ({"scale": "german", "german": [{"min_percent": 90, "grade": 0.7}]}, "greater than or equal to 1"),
    ({"scale": "german", "german": [{"min_percent": 101, "grade": 1.0}]}, "less than or equal to 100"),
])
def test_a_german_table_that_cannot_be_right_is_refused(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        GradeScale.model_validate(table)
