"""run.smoke: the declared smoke commands run to completion."""

from __future__ import annotations

from grader.checks.base import CheckContext, finding
from grader.checks.run.step import (
    ABNORMAL_ADVICE,
    VERDICTS,
    RunOptions,
    StepCheck,
    data_findings,
    detail_of,
    last_line,
    share,
)
from grader.models import CheckResult, Measurement, Severity, Status
from grader.outcomes import (
    SmokeResult,
    StepName,
    StepOutcome,
    StepStatus,
)


class RunSmokeCheck(StepCheck[RunOptions]):
    """The submission's declared smoke commands run to completion."""

    id = "run.smoke"
    title = "Smoke command runs"
    description = "Commands from .grader.toml / [tool.grader] (or the rubric, or the roster) exit with 0."
    step = StepName.SMOKE

    def run(self, ctx: CheckContext) -> CheckResult:
        """A declaration the group wrote but that cannot be used fails, with its file and line."""
        steps = [s for s in ctx.run.steps if s.name == "smoke"] if ctx.run is not None else []
        problem = detail_of(steps[0], SmokeResult) if steps else SmokeResult()
        if problem.problem is not None:
            message = f"{problem.declared_in} {problem.problem}; no smoke command ran"
            advice = ("; fix it so that it reads, e.g., `smoke = [\"python train.py --epochs 1\"]`"
                      + (" under [tool.grader]" if problem.declared_in == "pyproject.toml" else ""))
            return self.result(Status.FAILED, 0.0, message, {"commands": 0},
                               [finding(message + advice, path=problem.declared_in, line=problem.problem_line)])
        return super().run(ctx)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of commands that succeed; commands that only lacked data count per `needs_data`."""
        ran = [s for s in steps if s.status is not StepStatus.SKIPPED]
        passed = [s for s in ran if s.status is StepStatus.PASSED]
        data = [s for s in ran if s.status is StepStatus.NEEDS_DATA]
        facts: dict[str, Measurement] = {
            "commands": len(ran), "passed": len(passed), "needs_data": len(data),
            "statuses": [str(s.status) for s in ran],
        }
        findings = []
        for step in ran:
            if step.status is StepStatus.PASSED:
                continue
            command = detail_of(step, SmokeResult).command
            if step.status is StepStatus.NEEDS_DATA:
                missing = ", ".join(detail_of(step, SmokeResult).missing_data)
                findings.append(finding(f"`{command}` needs data that is not in the submission: {missing}",
                                        severity=Severity.WARNING))
                findings += data_findings(step.needs_data)
                continue
            verdict = (step.error if step.error and step.status in {StepStatus.OUTPUT_LIMIT, StepStatus.TIMEOUT}
                       else VERDICTS.get(step.status, f"exited with {step.exit_code}"))
            evidence = last_line(step.stderr_tail) or last_line(step.stdout_tail)
            advice = ABNORMAL_ADVICE.get(step.status, f"run `{command}` in a fresh clone with a fresh environment "
                                         "and fix the error it prints")
            findings.append(finding(f"`{command}` {verdict}" + (f": {evidence}" if evidence else "")
                                    + ("" if step.status is StepStatus.INFRA_ERROR else f"; {advice}")))
        findings += [finding(s.reason or "not run", severity=Severity.WARNING) for s in steps if s not in ran]
        if len(ran) == 1 and ran[0].status is StepStatus.INFRA_ERROR:
            return self.result(Status.ERROR, 0.0, findings[0].message, facts, findings)
        failed = len(ran) - len(passed) - len(data)
        score, counted = share(len(passed), failed, len(data), self.options.needs_data)
        if score is None:
            return self.needs_data_only("not judged: the smoke commands need data that is not in the "
                               "submission", facts, findings)
        if failed or (data and self.options.needs_data == "fail"):
            bad = failed + (len(data) if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} smoke commands failed", facts, findings)
        said = "the smoke command succeeded" if len(ran) == 1 else f"all {len(ran)} smoke commands succeeded"
        if data:
            said = f"{len(passed)} smoke command(s) succeeded; {len(data)} need data not in the submission"
        return self.result(Status.PASSED, score, said, facts, findings)
