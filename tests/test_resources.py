"""Bundled data: the course rubric and the sandbox definitions are found (the wheel's copy is tested by .ci/run)."""

from __future__ import annotations

from grader.resources import bundled
from grader.rubric import default_rubric, load_rubric


def test_bundled_folders_hold_the_course_rubric_and_the_base_image_definitions() -> None:
    assert (bundled("rubrics") / "dl4ad.yaml").is_file()
    assert (bundled("sandboxes") / "Dockerfile").is_file()
    assert load_rubric(None).path == default_rubric()
