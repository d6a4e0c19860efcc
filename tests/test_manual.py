"""Manual scores: the lecturer's points for manual criteria, checked against the rubric and the roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.manual import load_scores
from grader.rubric import Rubric
from grader.scoring import score

RUBRIC = Rubric.model_validate({
    "id": "r", "title": "R",
    "criteria": [
        {"id": "readme", "title": "README", "points": 10, "checks": [{"id": "readme.present"}]},
        {"id": "presentation", "title": "Talk", "points": 10, "manual": True},
    ],
})


def _scores(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scores.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scores_load_and_reach_the_criterion(tmp_path: Path) -> None:
    scores = load_scores(_scores(tmp_path, "group-1: {presentation: 8.5}\n"), RUBRIC, {"group-1", "group-2"})
    assert scores == {"group-1": {"presentation": 8.5}}
    result = score(RUBRIC, {}, scores["group-1"])
    assert [(c.id, c.points, c.manual) for c in result.criteria][1] == ("presentation", 8.5, True)


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = _scores(tmp_path, "group-1:\n  presentaton: 5\n  readme: 3\ngroup-9:\n  presentation: 12\n")
    with pytest.raises(ConfigError) as err:
        load_scores(path, RUBRIC, {"group-1", "group-2"})
    message = str(err.value)
    assert f"{path}:2: group-1.presentaton: no such criterion in the rubric - did you mean 'presentation'?" in message
    assert f"{path}:3: group-1.readme: is not a manual criterion" in message
    assert f"{path}:4: group-9: no such group in the roster" in message
    assert f"{path}:5: group-9.presentation: 12 points is outside 0..10" in message


def test_points_must_be_numbers(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scores file"):
        load_scores(_scores(tmp_path, "group-1: {presentation: great}\n"), RUBRIC)
