"""Runtime checks that read the sandbox's outcome: build, imports, smoke, tests, notebooks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar

from grader.checks.base import Check, CheckContext, Phase, finding
from grader.models import CheckResult, Finding, Measurement, Severity, Status, StepOutcome, StepStatus

#: Findings listed per check at most (a suite with 500 failing tests needs no 500 lines).
MAX_FINDINGS = 20

#: What a step status that is not pass / fail means, for the reader of the report.
_VERDICTS = {
    StepStatus.TIMEOUT: "was killed at the wall-clock timeout",
    StepStatus.OOM: "ran out of memory (killed at the memory limit)",
    StepStatus.OUTPUT_LIMIT: "was killed for printing more output than allowed",
    StepStatus.INFRA_ERROR: "could not be run by the grader (infrastructure error)",
}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _items(value: Measurement | None) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class _StepCheck(Check):
    """Shared shape: find the step in ctx.run, turn not-run and abnormal endings into results."""

    phase: ClassVar[Phase] = Phase.RUNTIME
    step: ClassVar[str]

    def run(self, ctx: CheckContext) -> CheckResult:
        """Judge the step this check reads; abnormal endings (timeout, oom...) are judged the same everywhere."""
        if ctx.run is None:
            return self.skipped("not run: the sandbox was off (--static)")
        steps = [s for s in ctx.run.steps if s.name == self.step or s.name.startswith(f"{self.step}[")]
        if not steps:
            return self.skipped(f"the sandbox did not run the {self.step} step")
        if all(s.status is StepStatus.SKIPPED for s in steps):
            return self.skipped(f"not run: {steps[0].data.get('reason', 'skipped')}")
        return self.judge(steps)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """The verdict for this check's steps (none of them skipped entirely)."""
        raise NotImplementedError

    def abnormal(self, step: StepOutcome, measurements: dict[str, Measurement]) -> CheckResult | None:
        """A result for a step that ended by timeout, OOM, output limit or infra error; None otherwise."""
        verdict = _VERDICTS.get(step.status)
        if verdict is None:
            return None
        evidence = _last_line(step.stderr_tail) or _last_line(step.stdout_tail) or str(step.data.get("error", ""))
        message = f"the {step.name} step {verdict} after {step.duration_s:.1f} s"
        findings = [finding(message + (f": {evidence}" if evidence else ""))]
        status = Status.ERROR if step.status is StepStatus.INFRA_ERROR else Status.FAILED
        measurements = {**measurements, "step_status": str(step.status), "duration_s": step.duration_s}
        return self.result(status, 0.0, message, measurements, findings)


class BuildCheck(_StepCheck):
    """The group's environment installs in the sandbox."""

    id = "run.build"
    title = "Environment builds"
    description = "The environment file installs into an image derived from the base image."
    step = "build"

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Passed when the install step passed."""
        step = steps[0]
        facts: dict[str, Measurement] = {"duration_s": step.duration_s}
        for key, value in step.data.items():
            if isinstance(value, str | int | float | bool):
                facts[key] = value
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if step.status is StepStatus.PASSED:
            return self.result(Status.PASSED, 1.0, "the environment installed", facts)
        why = str(step.data.get("diagnosis") or step.data.get("error") or _last_line(step.stderr_tail)
                  or _last_line(step.stdout_tail) or f"exit code {step.exit_code}")
        return self.result(Status.FAILED, 0.0, f"the environment did not install: {why}", facts, [finding(why)])


class ImportsCheck(_StepCheck):
    """Every module of the group's code imports in the built environment."""

    id = "run.imports"
    title = "Every module imports"
    description = "Each Python module of the submission is imported inside the sandbox; one finding per failure."
    step = "imports"

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of modules that import."""
        step = steps[0]
        failures = _items(step.data.get("failures"))
        exited = _items(step.data.get("exited"))
        total = _int(step.data.get("modules")) or 0
        facts: dict[str, Measurement] = {"modules": total, "failed": len(failures), "exited": len(exited)}
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            stopped = step.data.get("stopped_at")
            extra = [finding(f"the step ended while importing {stopped}")] if stopped else []
            return replace(abnormal, findings=(*abnormal.findings, *extra, *self._failures(failures)))
        if "rejected" in step.data:
            why = f"the import results were not accepted: {step.data['rejected']}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = self._failures(failures)
        findings += [
            finding(f"{e.get('module')}: {e.get('message')} (runs as a script when imported)", path=str(e.get("path")),
                    severity=Severity.INFO)
            for e in exited[:MAX_FINDINGS]
        ]
        score = (total - len(failures)) / total if total else 1.0
        if failures:
            return self.result(Status.FAILED, score, f"{len(failures)} of {total} modules fail to import", facts,
                               findings)
        return self.result(Status.PASSED, 1.0, f"all {total} modules import", facts, findings)


    @staticmethod
    def _failures(failures: list[dict[str, Any]]) -> list[Finding]:
        """One finding per module that failed to import, at the line where it failed."""
        return [
            finding(
                f"{f.get('module')}: {f.get('error_type')}: {f.get('message')}",
                path=str(f.get("error_path") or f.get("path")), line=_int(f.get("error_line")),
            )
            for f in failures[:MAX_FINDINGS]
        ]


class SmokeCheck(_StepCheck):
    """The submission's declared smoke commands run to completion."""

    id = "run.smoke"
    title = "Smoke command runs"
    description = "Commands from .grader.toml / [tool.grader] (or the rubric, or the roster) exit with 0."
    step = "smoke"

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of commands that succeed."""
        passed = [s for s in steps if s.status is StepStatus.PASSED]
        facts: dict[str, Measurement] = {
            "commands": len(steps), "passed": len(passed), "statuses": [str(s.status) for s in steps],
        }
        findings = []
        for step in steps:
            if step.status is StepStatus.PASSED:
                continue
            verdict = _VERDICTS.get(step.status, f"exited with {step.exit_code}")
            evidence = _last_line(step.stderr_tail) or _last_line(step.stdout_tail)
            findings.append(finding(f"`{step.data.get('command')}` {verdict}" + (f": {evidence}" if evidence else "")))
        if len(steps) == 1 and steps[0].status is StepStatus.INFRA_ERROR:
            return self.result(Status.ERROR, 0.0, findings[0].message, facts, findings)
        if findings:
            return self.result(Status.FAILED, len(passed) / len(steps),
                               f"{len(findings)} of {len(steps)} smoke commands failed", facts, findings)
        said = "the smoke command succeeded" if len(steps) == 1 else f"all {len(steps)} smoke commands succeeded"
        return self.result(Status.PASSED, 1.0, said, facts)


class PytestCheck(_StepCheck):
    """The group's pytest suite passes."""

    id = "run.tests"
    title = "Tests pass"
    description = "The group's pytest suite runs inside the sandbox; counts come from its JUnit XML."
    step = "tests"

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of tests that pass (skipped ones left out)."""
        step = steps[0]
        counts = {k: _int(step.data.get(k)) or 0 for k in ("passed", "failed", "errors", "skipped")}
        facts: dict[str, Measurement] = dict(counts)
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        note = step.data.get("note") or step.data.get("rejected")
        if note:
            return self.result(Status.FAILED, 0.0, f"test results not usable: {note}", facts, [finding(str(note))])
        ran = counts["passed"] + counts["failed"] + counts["errors"]
        passed = counts["passed"]
        findings = [finding(f"failed: {name}") for name in _names(step.data.get("failing"))[:MAX_FINDINGS]]
        if ran == 0:
            return self.result(Status.FAILED, 0.0, "no test ran", facts)
        if passed < ran:
            return self.result(Status.FAILED, passed / ran, f"{ran - passed} of {ran} tests failed", facts, findings)
        return self.result(Status.PASSED, 1.0, f"all {ran} tests passed", facts)


class NotebooksCheck(_StepCheck):
    """The group's notebooks execute from top to bottom."""

    id = "run.notebooks"
    title = "Notebooks execute"
    description = "Each notebook is executed with nbclient under a per-cell timeout; a failure names the cell."
    step = "notebooks"

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of notebooks that run through."""
        step = steps[0]
        results = _items(step.data.get("results"))
        failing = [r for r in results if r.get("status") != "ok"]
        facts: dict[str, Measurement] = {
            "notebooks": len(results), "executed": len(results) - len(failing), "failed": len(failing),
            "failures": [
                {"path": str(r.get("path")), "cell": _int(r.get("failed_cell")), "error": str(r.get("error", ""))}
                for r in failing
            ],
        }
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if "rejected" in step.data:
            why = f"the notebook results were not accepted: {step.data['rejected']}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = [
            finding(f"cell {r.get('failed_cell')}: {r.get('error')}" if r.get("failed_cell") else str(r.get("error")),
                    path=str(r.get("path")))
            for r in failing[:MAX_FINDINGS]
        ]
        if failing:
            return self.result(Status.FAILED, (len(results) - len(failing)) / len(results),
                               f"{len(failing)} of {len(results)} notebooks failed", facts, findings)
        return self.result(Status.PASSED, 1.0, f"all {len(results)} notebooks executed", facts)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _names(value: Measurement | None) -> list[str]:
    return [str(v) for v in value] if isinstance(value, Iterable) and not isinstance(value, str | dict) else []


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[Check], ...] = (BuildCheck, ImportsCheck, SmokeCheck, PytestCheck, NotebooksCheck)
