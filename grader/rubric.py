"""Rubrics: criteria with points and weighted checks, validated completely when loaded (before anything is cloned)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from grader.checks.base import AnyCheck, CheckOptions
from grader.checks.registry import REGISTRY
from grader.config import Deadline, Number, did_you_mean, format_loc, load_model
from grader.errors import ConfigError
from grader.resources import bundled
from grader.sandbox.policy import SandboxPolicy

#: File name of the course rubric (in the bundled rubrics/ folder), used when `--rubric` is not given.
DEFAULT_RUBRIC_NAME = "dl4ad.yaml"


def default_rubric() -> Path:
    """The bundled course rubric."""
    return bundled("rubrics") / DEFAULT_RUBRIC_NAME

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Largest points or weight a rubric may give: totals of such numbers stay exact and finite.
MAX_POINTS = 1_000_000.0

#: How a check skipped by the submission's choice (no tests, no notebooks, no code) enters its criterion:
#: `zero` counts it as a failed check with score 0 (having nothing never beats trying and failing); `exclude`
#: leaves it out of the criterion's mean, for checks of things the course makes optional.
WhenSkipped = Literal["zero", "exclude"]


class CheckRef(_Strict):
    """A check inside a criterion: its id, weight, whether it gates CI, its options, and how a skip counts."""

    id: str
    weight: Number = Field(1.0, gt=0, le=MAX_POINTS, allow_inf_nan=False)
    required: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    when_skipped: WhenSkipped | None = Field(
        None, description="how a skip by the submission's choice counts here (default: the rubric's `scoring`)"
    )
    #: The options validated against the check's own model when the rubric loaded, kept for every submission.
    _parsed: CheckOptions = PrivateAttr(default_factory=CheckOptions)

    @field_validator("id")
    @classmethod
    def _known_check(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"unknown check {value!r}{did_you_mean(value, REGISTRY)} (`grader checks` lists them)")
        return value

    @model_validator(mode="after")
    def _valid_options(self) -> CheckRef:
        self._parsed = self._validate_options()
        return self

    @property
    def parsed_options(self) -> CheckOptions:
        """The options as the check's own options model, validated once when the rubric loaded."""
        return self._parsed

    def _validate_options(self) -> CheckOptions:
        options_model = REGISTRY[self.id].Options
        try:
            return options_model.model_validate(self.options)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ("options", *err["loc"])
                if err["type"] == "extra_forbidden":
                    name = str(err["loc"][-1])
                    msg = f"unknown option {name!r} for {self.id}{did_you_mean(name, options_model.model_fields)}"
                else:
                    msg = err["msg"]
                problems.append(f"{format_loc(loc)}: {msg}")
            raise ValueError("; ".join(problems)) from None

    def instantiate(self) -> AnyCheck:
        """A ready-to-run instance of the check with these options."""
        return REGISTRY[self.id](self._parsed)


class Criterion(_Strict):
    """A rubric line: points earned from the weighted mean of its checks' scores (or given by hand)."""

    id: str
    title: str
    points: Number = Field(gt=0, le=MAX_POINTS, allow_inf_nan=False)
    description: str = ""
    manual: bool = Field(False, description="scored by hand: points come from the lecturer's scores file")
    checks: list[CheckRef] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"criterion id {value!r} must be kebab-case (lowercase letters, digits, '-')")
        return value

    @model_validator(mode="after")
    def _has_checks(self) -> Criterion:
        if self.manual and self.checks:
            raise ValueError("a manual criterion has no checks: remove `checks` or `manual: true`")
        if not self.manual and not self.checks:
            raise ValueError("a criterion needs at least one check, or `manual: true` to be scored by hand")
        return self


class Scoring(_Strict):
    """How checks without a verdict enter their criterion (see grader.scoring for the whole contract)."""

    skipped_by_choice: WhenSkipped = Field(
        "zero", description="a check skipped by the submission's choice (no code, tests, notebooks...): "
                            "`zero` counts it as 0 (default), `exclude` leaves it out of the criterion's mean"
    )


class GermanGrade(_Strict):
    """One line of a German grading table: the grade earned from this share of the total points upward."""

    min_percent: Number = Field(ge=0, le=100, allow_inf_nan=False)
    grade: Number = Field(ge=1.0, le=5.0, allow_inf_nan=False)


class GradeScale(_Strict):
    """What the grade file holds: the points, or a German grade (1.0 best, 5.0 failed) from the rubric's table."""

    scale: Literal["points", "german"] = "points"
    german: list[GermanGrade] = Field(
        default_factory=list, description="for scale german: {min_percent, grade} lines; below the lowest, 5.0"
    )

    @model_validator(mode="after")
    def _table(self) -> GradeScale:
        if self.scale == "german" and not self.german:
            raise ValueError("scale german needs its table, e.g. german: [{min_percent: 95, grade: 1.0}, "
                             "{min_percent: 90, grade: 1.3}, ..., {min_percent: 50, grade: 4.0}]")
        ordered = sorted(self.german, key=lambda line: -line.min_percent)
        for better, worse in itertools.pairwise(ordered):
            if better.min_percent == worse.min_percent or better.grade >= worse.grade:
                raise ValueError(f"german: {better.min_percent:g}% gives {better.grade:g} but {worse.min_percent:g}% "
                                 f"gives {worse.grade:g}: more points must give a better (lower) grade")
        return self


class Rubric(_Strict):
    """A whole rubric file."""

    id: str
    title: str
    description: str = ""
    deadline: Deadline | None = Field(None, description="hand-in deadline with its time zone offset")
    exclude: list[str] = Field(default_factory=list, description="extra globs of files that are not the group's work")
    sandbox: SandboxPolicy = Field(default_factory=SandboxPolicy)  # type: ignore[arg-type]
    scoring: Scoring = Field(default_factory=Scoring)  # type: ignore[arg-type]
    grades: GradeScale = Field(default_factory=GradeScale)  # type: ignore[arg-type]
    criteria: list[Criterion]

    @model_validator(mode="after")
    def _unique(self) -> Rubric:
        seen_criteria: set[str] = set()
        seen_checks: dict[str, str] = {}
        for criterion in self.criteria:
            if criterion.id in seen_criteria:
                raise ValueError(f"criterion id {criterion.id!r} is used twice")
            seen_criteria.add(criterion.id)
            for ref in criterion.checks:
                if ref.id in seen_checks:
                    raise ValueError(
                        f"check {ref.id!r} appears in criteria {seen_checks[ref.id]!r} and {criterion.id!r}; "
                        "a check may be used once per rubric"
                    )
                seen_checks[ref.id] = criterion.id
        return self

    @property
    def max_points(self) -> float:
        """Sum of every criterion's points."""
        return sum(c.points for c in self.criteria)

    def check_refs(self) -> Iterator[tuple[Criterion, CheckRef]]:
        """Every (criterion, check) pair in rubric order."""
        for criterion in self.criteria:
            for ref in criterion.checks:
                yield criterion, ref


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric and the file it came from."""

    rubric: Rubric
    path: Path


def load_rubric(path: Path | None = None) -> LoadedRubric:
    """Load and validate a rubric file (the bundled course rubric by default); ConfigError on any problem."""
    bundled_default = path is None
    path = path or default_rubric()
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a rubric YAML file")
    rubric, _ = load_model(path, Rubric, "rubric")
    try:
        rubric = rubric.model_copy(update={"sandbox": rubric.sandbox.with_paths_from(path.parent)})
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not bundled_default and not rubric.criteria:
        raise ConfigError(f"{path}: criteria: the rubric has no criteria")
    return LoadedRubric(rubric, path)
