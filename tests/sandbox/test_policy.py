"""The install side's rubric settings: sizes, hosts, the course layer's requirements file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from grader.errors import ConfigError
from grader.rubric import load_rubric
from grader.sandbox.course import course_requirements
from grader.sandbox.policy import SandboxPolicy, size_bytes

RUBRIC = """\
id: t
title: t
sandbox:
  preinstall: {preinstall}
criteria:
  - {{id: execution, title: Execution, points: 10, checks: [{{id: run.build, weight: 1}}]}}
"""


def test_sizes_read_as_docker_reads_them() -> None:
    assert size_bytes("30g") == 30 * 1024**3
    assert size_bytes("512m") == size_bytes("512MB") == 512 * 1024**2
    assert size_bytes("1.5t") == int(1.5 * 1024**4)
    for wrong in ("lots", "-1g", "10x", ""):
        with pytest.raises(ValueError, match="not a size"):
            size_bytes(wrong)


@pytest.mark.parametrize("field", ["install_disk", "disk_reserve", "image_budget"])
def test_a_size_typo_stops_the_rubric(field: str) -> None:
    with pytest.raises(ValidationError, match="30g"):
        SandboxPolicy(**{field: "thirty gigabytes"})  # type: ignore[arg-type]
    assert SandboxPolicy(image_budget=None).image_budget is None


def test_install_hosts_are_host_names() -> None:
    assert SandboxPolicy(install_hosts=["download.pytorch.org", "10.0.0.5:8080"]).install_hosts
    with pytest.raises(ValidationError):
        SandboxPolicy(install_hosts=["https://download.pytorch.org/whl"])


def test_the_course_requirements_file_is_found_beside_the_rubric(tmp_path: Path) -> None:
    (tmp_path / "course.txt").write_text("# the course's stack\ntorch==2.4.0  # CUDA build\n\nlibrosa\n")
    (tmp_path / "rubric.yaml").write_text(RUBRIC.format(preinstall="course.txt"))
    policy = load_rubric(tmp_path / "rubric.yaml").rubric.sandbox
    assert policy.preinstall == str(tmp_path / "course.txt")
    assert course_requirements(policy) == ("torch==2.4.0", "librosa")


def test_a_missing_course_requirements_file_stops_the_grader(tmp_path: Path) -> None:
    (tmp_path / "rubric.yaml").write_text(RUBRIC.format(preinstall="nowhere.txt"))
    with pytest.raises(ConfigError, match=r"rubric\.yaml: sandbox\.preinstall: no requirements file .*nowhere\.txt"):
        load_rubric(tmp_path / "rubric.yaml")


def test_course_requirement_lines_from_the_rubric(tmp_path: Path) -> None:
    (tmp_path / "rubric.yaml").write_text(RUBRIC.format(preinstall="[torch==2.4.0, '# note', '']"))
    assert course_requirements(load_rubric(tmp_path / "rubric.yaml").rubric.sandbox) == ("torch==2.4.0",)
