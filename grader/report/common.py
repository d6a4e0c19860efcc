"""Small pieces every report format shares: status marks, points, finding locations, and the problems CI shows."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from grader.models import (
    CheckResult,
    CriterionResult,
    CriterionState,
    Finding,
    GradeReport,
    GradeState,
    Severity,
    Skip,
    Status,
)
from grader.outcomes import StepStatus

STATUS_SYMBOL = {Status.PASSED: "✔", Status.FAILED: "✘", Status.ERROR: "!", Status.SKIPPED: "–"}
#: A step that did not run is no success, and one the grader could not run is the grader's problem, not the group's.
STEP_SYMBOL = {StepStatus.PASSED: "✔", StepStatus.SKIPPED: "–", StepStatus.INFRA_ERROR: "!"}
#: Shown instead of points that were not given: no check of the criterion ran, or a manual one is not scored yet.
NOT_GRADED = "–"


@dataclass(frozen=True)
class RenderOptions:
    """How a report is rendered: colour and width (terminal), findings shown per check, where the rest can be read."""

    color: bool = False
    width: int = 100
    max_findings: int = 10
    #: The file that holds every finding (e.g. "out/report.json"), named where a format shows only some; None when
    #: no such file was written.
    full_report: str | None = None
    #: The submission's folder relative to the repository root (CI formats name files from the root); "" for the root.
    path_prefix: str = ""


def step_symbol(status: StepStatus) -> str:
    """The mark of a sandbox step: ✔ passed, – skipped, ! the grader could not run it, ✘ anything else."""
    return STEP_SYMBOL.get(status, "✘")


def status_text(report: GradeReport, check: CheckResult) -> str:
    """A check's status as the reader needs it: a skipped check says how it entered its criterion (`skipped,
    counted as 0`, `skipped, left out`, `not applicable`, `not run`), since each weighs differently."""
    if check.status is not Status.SKIPPED:
        return check.status.value
    if check.skip is Skip.NOT_APPLICABLE:
        return "not applicable"
    if check.skip is Skip.NOT_RUN:
        return "not run"
    said = [r for crit in report.criteria for r in crit.reasons if r.startswith(f"{check.id}: ")]
    if any(r.endswith("(counted as 0)") for r in said):
        return "skipped, counted as 0"
    if any(r.startswith(f"{check.id}: left out") for r in said):
        return "skipped, left out"
    return "skipped"  # a report that does not say (older, or the check is in no criterion)


def score_text(report: GradeReport, check: CheckResult) -> str:
    """The check's score, or `–` when it entered no mean (left out, not applicable, not run): a 0.00 there would
    read like a verdict."""
    if check.status is Status.SKIPPED and status_text(report, check) in {"skipped, left out", "not applicable",
                                                                         "not run"}:
        return NOT_GRADED
    return f"{check.score:.2f}"


def location(f: Finding) -> str:
    """`path:line`, `path`, or '' for a finding."""
    if f.path and f.line:
        return f"{f.path}:{f.line}"
    return f.path or ""


def points(value: float) -> str:
    """Points without a useless trailing .0 (12, 7.5, 3.33)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def not_graded(crit: CriterionResult) -> bool:
    """True when the criterion's points are not final (pending, not run, not graded: see grader.scoring), so no
    number is shown for them."""
    return crit.skipped or crit.state is not CriterionState.FINAL


def criterion_points(crit: CriterionResult, sep: str = "/") -> str:
    """`16.33/20`, or `–/10` when the criterion was not graded (never a 0 that reads like a verdict)."""
    earned = NOT_GRADED if not_graded(crit) else points(crit.points)
    return f"{earned}{sep}{points(crit.max_points)}"


#: What a criterion's state says beside its points.
_STATE_NOTE = {CriterionState.PENDING: "pending", CriterionState.NOT_RUN: "not final: not run",
               CriterionState.NOT_GRADED: "not graded"}


def criterion_note(crit: CriterionResult) -> str:
    """Why a criterion has no points yet (pending, not run, not graded), or ''."""
    if crit.manual:
        return "manual, not scored yet" if not_graded(crit) else "manual"
    return _STATE_NOTE.get(crit.state, "not graded" if crit.skipped else "")


def total_points(report: GradeReport, unit: str = "") -> str:
    """`46.5 / 100`, `46.5 / 100 (not final)` while criteria are pending or not run, `– / 100 (not graded)` when
    the grader could not grade: the total is a grade only when it is final."""
    earned = NOT_GRADED if report.state is GradeState.NOT_GRADED else points(report.total)
    said = {GradeState.PROVISIONAL: " (not final)", GradeState.NOT_GRADED: " (not graded)"}.get(report.state, "")
    return f"{earned} / {points(report.max_total)}{unit}{said}"


def gate_text(report: GradeReport) -> str:
    """One-line verdict of the CI gate."""
    if report.gate_passed:
        return "gate passed"
    failing = required_failures(report)
    return "gate FAILED" + (f" ({', '.join(failing)})" if failing else "")


def gate_symbol(report: GradeReport) -> str:
    """✔ when the gate holds, ✘ when it does not."""
    return "✔" if report.gate_passed else "✘"


def required_failures(report: GradeReport) -> list[str]:
    """Ids of the gate's required checks that failed or errored."""
    return [c.id for c in report.checks if c.required and c.status in (Status.FAILED, Status.ERROR)]


def visible_findings(check: CheckResult, limit: int) -> tuple[list[Finding], int]:
    """The first `limit` findings, errors first, and how many were left out; a finding that only repeats the
    summary, with no file to point at, is not shown twice."""
    order = {"error": 0, "warning": 1, "info": 2}
    news = [f for f in check.findings if location(f) or " ".join(f.message.split()) != " ".join(check.summary.split())]
    ranked = sorted(news, key=lambda f: order.get(str(f.severity), 3))
    return ranked[:limit], max(0, len(ranked) - limit)


def more_text(hidden: int, options: RenderOptions) -> str:
    """`… and 3 more`, saying where they can be read only when such a file was written."""
    where = f"see {options.full_report}" if options.full_report else "-o DIR writes every finding to report.json"
    return f"… and {hidden} more ({where})"


@dataclass(frozen=True)
class Problem:
    """One thing a CI system shows beside the code: a finding, or a check that did not pass and has no finding."""

    check: CheckResult
    severity: Severity
    message: str
    #: Relative to the repository root (the render options' prefix applied); None for a problem of no one file.
    path: str | None
    line: int | None


def problems(report: GradeReport, prefix: str = "") -> list[Problem]:
    """Every error and warning finding in rubric order (info findings are context, not problems), plus each failed
    or crashed check without such a finding, named by its summary."""
    found: list[Problem] = []
    for check in report.checks:
        shown = [f for f in check.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
        for f in sorted(shown, key=lambda f: f.severity is not Severity.ERROR):
            path = posixpath.normpath(posixpath.join(prefix, f.path)) if f.path else None
            found.append(Problem(check, f.severity, f.message, path, f.line if path else None))
        if not any(f.severity is Severity.ERROR for f in shown) and check.status in (Status.FAILED, Status.ERROR):
            found.append(Problem(check, Severity.ERROR, check.summary, None, None))
    return found
