"""Scores the lecturer gives by hand for a rubric's manual criteria (presentation, paper content ...)."""

from __future__ import annotations

from pathlib import Path

from pydantic import RootModel

from grader.config import Number, did_you_mean, load_model
from grader.errors import ConfigError
from grader.rubric import Rubric

#: group id -> criterion id -> points.
ManualScores = dict[str, dict[str, float]]


class _ScoresFile(RootModel[dict[str, dict[str, Number]]]):
    """The file's shape: a mapping of group ids to mappings of manual criterion ids to points."""


def load_scores(path: Path, rubric: Rubric, group_ids: set[str] | None = None) -> ManualScores:
    """Read a scores file such as `group-1: {presentation: 8.5}` and check it against the rubric (and roster).

    Every problem is reported at once, naming the line: an unknown group or criterion (with the nearest
    valid name), a criterion that is not manual, points outside 0..the criterion's points."""
    scores, doc = load_model(path, _ScoresFile, "scores file")
    manual = {c.id: c for c in rubric.criteria if c.manual}
    problems = []
    for group, given in scores.root.items():
        if group_ids is not None and group not in group_ids:
            suggestion = did_you_mean(group, group_ids)
            problems.append(f"{doc.where((group,))}: {group}: no such group in the roster{suggestion}")
        for criterion_id, points in given.items():
            where = f"{doc.where((group, criterion_id))}: {group}.{criterion_id}"
            criterion = manual.get(criterion_id)
            if criterion is None:
                known = {c.id for c in rubric.criteria}
                reason = "is not a manual criterion" if criterion_id in known else "no such criterion in the rubric"
                problems.append(f"{where}: {reason}{did_you_mean(criterion_id, manual)}")
            elif not 0 <= points <= criterion.points:
                problems.append(f"{where}: {points:g} points is outside 0..{criterion.points:g}")
    if problems:
        raise ConfigError(f"{path}: invalid scores file\n  " + "\n  ".join(problems))
    return scores.root
