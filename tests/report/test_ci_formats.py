"""The CI formats: GitHub annotations, SARIF 2.1.0 (validated against its schema), GitLab Code Quality, concise."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader.models import CheckResult, Finding, GradeReport, Severity, Status
from grader.report import render
from grader.report.annotations import PER_LEVEL, escape_data, escape_property
from grader.report.common import RenderOptions
from tests.report.sample import HOSTILE, course_report, sample_report

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def crowded_report() -> GradeReport:
    """More problems than GitHub shows in a step: 14 errors, 12 warnings, and a failed check without findings."""
    many = tuple(Finding(Severity.ERROR, f"problem {i}", "src/a.py", i) for i in range(1, 15))
    warns = tuple(Finding(Severity.WARNING, f"hint {i}", "src/b.py", i) for i in range(1, 13))
    checks = (
        CheckResult("code.comments", "Comments", Status.FAILED, 0.2, "few comments", findings=many + warns),
        CheckResult("readme.present", "README", Status.FAILED, 0.0, "no README", required=True),
    )
    return replace(sample_report(), checks=checks)


def test_sarif_validates_against_the_2_1_0_schema_for_every_sample() -> None:
    for report in (sample_report(), sample_report(HOSTILE), course_report(), crowded_report()):
        log = json.loads(render(report, "sarif"))
        errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_results_all_name_a_file_as_github_code_scanning_requires() -> None:
    log = json.loads(render(course_report(), "sarif", RenderOptions(path_prefix="group")))
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == [c.id for c in course_report().checks]
    assert run["results"], "the course report has problems in files"
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("group/"), uri
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning")
    # the member without commits names no file: a notification of the run, not a result GitHub would reject
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["associatedRule"]["id"] == "repo.contributions" for n in notes)
    assert run["properties"]["gate_passed"] is False


def test_annotations_escape_student_text_so_no_line_starts_a_command() -> None:
    report = sample_report("50%\r\n::set-env name=PATH::/evil\n::add-mask::x")
    out = render(report, "github")
    for line in out.splitlines():
        assert re.match(r"^::(error|warning|notice)( [a-z]+=[^:,]*(,[a-z]+=[^:,]*)*)?::", line), line
    # 2 findings, the crashed check, the verdict: the newlines in the text became %0A inside their lines
    assert len(out.splitlines()) == 4
    assert "50%25%0A::set-env name=PATH::/evil%0A::add-mask::x" in out
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert escape_data("a\x1b[31mred") == "a[31mred"


def test_annotations_stay_within_what_github_shows_and_count_the_rest() -> None:
    out = render(crowded_report(), "github").splitlines()
    levels = [line.split(" ", 1)[0].split("::")[1] for line in out]
    assert levels.count("error") == PER_LEVEL and levels.count("warning") == PER_LEVEL
    assert levels.count("notice") == 1 and len(out) <= 50
    # the required check's problem comes first even though it is last in rubric order
    assert out[0].startswith("::error title=readme.present::no README")
    # 15 errors and 12 warnings: 5 + 2 left out, counted in the closing notice
    assert "7 more problem(s) not shown as annotations" in out[-1]
    assert "gate FAILED" in out[-1]


def test_annotation_paths_are_relative_to_the_repository_root() -> None:
    out = render(sample_report(), "github", RenderOptions(path_prefix="submission"))
    assert "::error file=submission/README.md,line=12,title=readme.links::" in out


def test_gitlab_code_quality_has_what_gitlab_needs_for_every_issue() -> None:
    issues: list[dict[str, Any]] = json.loads(render(crowded_report(), "gitlab"))
    assert len(issues) == 26  # every finding in a file; the README check names no file
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues} == {"major", "minor"}
    required = json.loads(render(sample_report(), "gitlab"))
    assert required[0]["severity"] == "critical" and required[0]["check_name"] == "readme.links"


def test_gitlab_fingerprints_survive_a_line_shift() -> None:
    before = json.loads(render(sample_report(), "gitlab"))
    report = sample_report()
    shifted = replace(report.checks[1], findings=tuple(replace(f, line=(f.line or 0) + 5)
                                                       for f in report.checks[1].findings))
    after = json.loads(render(replace(report, checks=(report.checks[0], shifted, report.checks[2])), "gitlab"))
    assert [i["fingerprint"] for i in before] == [i["fingerprint"] for i in after]


def test_concise_is_one_line_per_problem_then_the_verdict() -> None:
    lines = render(course_report(), "concise").splitlines()
    assert "src/train.py:3: env.imports-declared `librosa` is imported but not declared" in lines
    assert "README.md:40: readme.links warning: image figures/arch.png not found" in lines
    assert "repo.contributions Dana Doe has no commit in the graded history" in lines
    assert lines[-1] == "grader: 19 error(s), 2 warning(s); 75.59/110 points; gate FAILED (paper.pages)"
    hostile = render(sample_report(HOSTILE + "\nsecond line"), "concise")
    assert "\x1b" not in hostile and "second line" in hostile
    assert len(hostile.splitlines()) == 4


@pytest.mark.parametrize("fmt", ["github", "sarif", "gitlab", "concise"])
def test_a_clean_report_has_no_problems_but_a_verdict(fmt: str) -> None:
    clean = replace(sample_report(), gate_passed=True, checks=(sample_report().checks[0],))
    text = render(clean, fmt)
    if fmt == "github":
        assert text.splitlines() == ["::notice title=grader%3A group-7::12.5/30 points, gate passed"]
    elif fmt == "sarif":
        assert json.loads(text)["runs"][0]["results"] == []
    elif fmt == "gitlab":
        assert json.loads(text) == []
    else:
        assert text == "grader: 0 error(s), 0 warning(s); 12.5/30 points; gate passed\n"
