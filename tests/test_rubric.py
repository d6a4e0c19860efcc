"""Rubric loading: validated completely up front, errors name the file, the line, the path and the nearest name."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import registry
from grader.checks.base import Check, CheckContext, CheckOptions
from grader.errors import ConfigError
from grader.models import CheckResult, Status
from grader.rubric import default_rubric, load_rubric


class _SectionsOptions(CheckOptions):
    require: tuple[str, ...] = ("setup", "usage")
    min_words: int = 10


class _Sections(Check):
    id = "demo.sections"
    title = "Sections"
    description = "demo check with options"
    Options = _SectionsOptions

    def run(self, ctx: CheckContext) -> CheckResult:
        return self.result(Status.PASSED, 1.0, "ok")


class _Present(Check):
    id = "demo.present"
    title = "Present"
    description = "demo check without options"

    def run(self, ctx: CheckContext) -> CheckResult:
        return self.result(Status.PASSED, 1.0, "ok")


@pytest.fixture(autouse=True)
def demo_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.REGISTRY, _Sections.id, _Sections)
    monkeypatch.setitem(registry.REGISTRY, _Present.id, _Present)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
id: demo
title: Demo rubric
deadline: 2026-03-31T23:59:00+02:00
criteria:
  - id: readme
    title: README
    points: 20
    checks:
      - {id: demo.present, required: true}
      - id: demo.sections
        weight: 2
        options: {require: [setup]}
  - id: presentation
    title: Presentation
    points: 10
    manual: true
"""


def test_a_good_rubric_loads_with_typed_options(tmp_path: Path) -> None:
    loaded = load_rubric(_write(tmp_path, GOOD))
    rubric = loaded.rubric
    assert rubric.max_points == 30
    assert [ref.id for _, ref in rubric.check_refs()] == ["demo.present", "demo.sections"]
    check = rubric.criteria[0].checks[1].instantiate()
    assert isinstance(check.options, _SectionsOptions) and check.options.require == ("setup",)
    assert rubric.deadline is not None and rubric.deadline.utcoffset() is not None


def test_unknown_check_names_line_path_and_nearest_id(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("id: demo.sections", "id: demo.section"))
    with pytest.raises(ConfigError) as err:
        load_rubric(path)
    message = str(err.value)
    expected = "criteria[0].checks[1].id: unknown check 'demo.section' - did you mean 'demo.sections'?"
    assert f"{path}:10: {expected}" in message


def test_unknown_option_is_named_with_the_nearest_option(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("options: {require: [setup]}", "options: {requires: [setup]}"))
    with pytest.raises(ConfigError, match=r"options\.requires: unknown option 'requires' for demo\.sections - did you "
                                          r"mean 'require'\?"):
        load_rubric(path)


def test_wrong_option_type_and_unknown_key_are_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace("options: {require: [setup]}", "options: {min_words: lots}").replace("points: 20", "pionts: 20")
    with pytest.raises(ConfigError) as err:
        load_rubric(_write(tmp_path, text))
    message = str(err.value)
    assert "criteria[0].pionts: unknown key 'pionts' - did you mean 'points'?" in message
    assert "criteria[0].points: required key is missing" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "id: x\ncriteria: [\n  - a: b\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: the rubric is not valid YAML"):
        load_rubric(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("id: presentation", "id: readme"), "criterion id 'readme' is used twice"),
        (("deadline: 2026-03-31T23:59:00+02:00", "deadline: 2026-03-31T23:59:00"), "give the deadline a time zone"),
        (("    manual: true\n", ""), "needs at least one check"),
        (("weight: 2", "weight: 0"), "greater than 0"),
        (("id: readme", "id: README"), "must be kebab-case"),
    ],
)
def test_semantic_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rubric(_write(tmp_path, GOOD.replace(*change)))


def test_missing_file_folder_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such rubric file"):
        load_rubric(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_rubric(tmp_path)
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_rubric(_write(tmp_path, "- just\n- a list\n"))


def test_sandbox_policy_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sandbox\.memroy: unknown key 'memroy' - did you mean 'memory'"):
        load_rubric(_write(tmp_path, GOOD + "sandbox: {memroy: 2g}\n"))


def test_bundled_course_rubric_is_valid() -> None:
    registry.REGISTRY.pop("demo.sections")
    loaded = load_rubric()
    assert loaded.path == default_rubric()
    ids = {ref.id for _, ref in loaded.rubric.check_refs()}
    assert {"readme.present", "env.file", "code.comments"} <= ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("points: 20", "points: .inf"), r":7: criteria\[0\].points: inf is not a finite number"),
        (("points: 20", "points: .nan"), r":7: criteria\[0\].points: nan is not a finite number"),
        (("points: 20", "points: 1.0e+308"), r":7: criteria\[0\].points: 1e\+308 is too large"),
        (("points: 20", "points: 1.0e308"), r":7: criteria\[0\].points: Input should be less than or equal to 1000000"),
        (("points: 20", "points: '1e308'"), r":7: criteria\[0\].points: Input should be less than or equal to 1000000"),
        (("weight: 2", "weight: 1.0e+300"), r":11: criteria\[0\].checks\[1\].weight: 1e\+300 is too large"),
        (("points: 20", "points: true"), r":7: criteria\[0\].points: true is not a number"),
        (("deadline: 2026-03-31T23:59:00+02:00", "deadline: 2026-02-30T23:59:00+02:00"),
         r":3: the rubric is not valid YAML: '2026-02-30T23:59:00\+02:00' is not a real date or time"),
        (("deadline: 2026-03-31T23:59:00+02:00", "deadline: 2026-13-01"), r":3: .*is not a real date or time"),
    ],
)
def test_numbers_and_dates_that_cannot_be_right_name_the_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=rf"{path}{message}"):
        load_rubric(path)


def test_a_rubric_that_is_no_regular_file_or_too_big_or_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_rubric(Path("/dev/zero"))
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)
    with pytest.raises(ConfigError, match=r"the rubric is 9 MB, over the 8 MB"):
        load_rubric(big)
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = _write(tmp_path, GOOD + "\n".join(levels) + "\n")
    with pytest.raises(ConfigError, match="aliases expand to more than"):
        load_rubric(bomb)


def test_scoring_and_grade_scale_options_are_checked(tmp_path: Path) -> None:
    loaded = load_rubric(_write(tmp_path, GOOD + "scoring: {skipped_by_choice: exclude}\ngrades: {scale: points}\n"))
    assert loaded.rubric.scoring.skipped_by_choice == "exclude"
    with pytest.raises(ConfigError, match=r"scoring\.skipped_by_choice: Input should be 'zero' or 'exclude'"):
        load_rubric(_write(tmp_path, GOOD + "scoring: {skipped_by_choice: ignore}\n"))
    with pytest.raises(ConfigError, match=r"when_skipped: Input should be 'zero' or 'exclude'"):
        load_rubric(_write(tmp_path, GOOD.replace("required: true}", "required: true, when_skipped: drop}")))
    with pytest.raises(ConfigError, match="scale german needs its table"):
        load_rubric(_write(tmp_path, GOOD + "grades: {scale: german}\n"))
