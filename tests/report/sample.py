"""A fixed report used by the golden-file and escaping tests (hostile strings included on purpose)."""

from __future__ import annotations

from datetime import UTC, datetime

from grader.models import (
    CheckResult,
    CriterionResult,
    Finding,
    GradeReport,
    RubricRef,
    RunOutcome,
    Severity,
    Status,
    StepOutcome,
    StepStatus,
    SubmissionInfo,
)

HOSTILE = "<script>alert(1)</script> | **bold** `tick` \x1b[31mred\x1b[0m"


def sample_report(hostile: str = "plain text") -> GradeReport:
    """A two-criterion report with a failed required check, findings, a crashed check and a sandbox run."""
    return GradeReport(
        grader_version="0.1.0",
        generated_at=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
        rubric=RubricRef("dl4ad", "Deep Learning for Audio Data", "rubrics/dl4ad.yaml"),
        submission=SubmissionInfo("group-7", "https://git.example.org/group-7.git", "0123456789abcdef0123",
                                  datetime(2026, 3, 31, 21, 0, tzinfo=UTC), "main"),
        total=12.5,
        max_total=30.0,
        gate_passed=False,
        criteria=(
            CriterionResult("readme", "README", 12.5, 20.0, ("readme.present", "readme.links")),
            CriterionResult("execution", "Code runs", 0.0, 10.0, ("run.tests",), skipped=True),
        ),
        checks=(
            CheckResult("readme.present", "README present", Status.PASSED, 1.0, "README.md, 420 words",
                        {"path": "README.md", "words": 420}, required=True),
            CheckResult("readme.links", "Links resolve", Status.FAILED, 0.25, f"1 broken reference: {hostile}",
                        {"broken": ["requirements.txt"], "checked": 4},
                        (Finding(Severity.ERROR, f"requirements.txt is named but missing {hostile}", "README.md", 12),
                         Finding(Severity.WARNING, "image figures/arch.png not found", "README.md", 30)),
                        required=True),
            CheckResult("run.tests", "Tests pass", Status.ERROR, 0.0, "the check crashed: KeyError: 'x'",
                        detail="Traceback (most recent call last):\nKeyError: 'x'"),
        ),
        run=RunOutcome("grader-env:abc123", "requirements.txt", (
            StepOutcome("build", StepStatus.PASSED, 0, 8.25, "Successfully installed six", ""),
            StepOutcome("tests", StepStatus.TIMEOUT, None, 600.0, "", f"killed at the deadline {hostile}"),
        )),
        notes=(Finding(Severity.INFO, "symbolic link to '/etc/passwd' not followed", "data/passwd"),),
    )
