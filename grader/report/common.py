"""Small pieces every report format shares: status symbols, finding locations, number formatting."""

from __future__ import annotations

from dataclasses import dataclass

from grader.models import CheckResult, Finding, GradeReport, Status, StepStatus

STATUS_SYMBOL = {Status.PASSED: "✔", Status.FAILED: "✘", Status.ERROR: "!", Status.SKIPPED: "–"}
STEP_OK = {StepStatus.PASSED}


@dataclass(frozen=True)
class RenderOptions:
    """How a report is rendered: colour and width (terminal), findings shown per check."""

    color: bool = False
    width: int = 100
    max_findings: int = 10


def location(f: Finding) -> str:
    """`path:line`, `path`, or '' for a finding."""
    if f.path and f.line:
        return f"{f.path}:{f.line}"
    return f.path or ""


def points(value: float) -> str:
    """Points without a useless trailing .0 (12, 7.5, 3.33)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def gate_text(report: GradeReport) -> str:
    """One-line verdict of the CI gate."""
    if report.gate_passed:
        return "gate passed"
    failing = required_failures(report)
    return "gate FAILED" + (f" ({', '.join(failing)})" if failing else "")


def required_failures(report: GradeReport) -> list[str]:
    """Ids of the gate's required checks that failed or errored."""
    return [c.id for c in report.checks if c.required and c.status in (Status.FAILED, Status.ERROR)]


def visible_findings(check: CheckResult, limit: int) -> tuple[list[Finding], int]:
    """The first `limit` findings, errors first, and how many were left out."""
    order = {"error": 0, "warning": 1, "info": 2}
    ranked = sorted(check.findings, key=lambda f: order.get(str(f.severity), 3))
    return ranked[:limit], max(0, len(ranked) - limit)
