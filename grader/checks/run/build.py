"""run.build: the group's environment installs in the sandbox."""

from __future__ import annotations

from dataclasses import replace

from grader.checks.base import CheckOptions, finding
from grader.checks.run.step import (
    MAX_FINDINGS,
    StepCheck,
    detail_of,
    last_line,
)
from grader.models import CheckResult, Measurement, Severity, Status
from grader.outcomes import (
    BuildResult,
    StepName,
    StepOutcome,
    StepStatus,
)


class RunBuildCheck(StepCheck[CheckOptions]):
    """The group's environment installs in the sandbox."""

    id = "run.build"
    title = "Environment builds"
    description = "The environment file installs into an image derived from the base image."
    step = StepName.BUILD

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Passed when the install step passed; the grader's own trouble (infra-error) says why in its words."""
        step = steps[0]
        build = detail_of(step, BuildResult)
        facts = self._facts(step, build)
        notes = [finding(note, severity=Severity.INFO) for note in build.notes[:MAX_FINDINGS]]
        if step.status is StepStatus.INFRA_ERROR and (build.explanation or step.error):
            why = str(build.explanation or step.error)
            return self.result(Status.ERROR, 0.0, f"the grader could not install the environment: {why}", facts,
                               [finding(why), *notes])
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return replace(abnormal, findings=(*abnormal.findings, *notes))
        if step.status is StepStatus.PASSED:
            said = "the environment installed"
            if build.from_course:
                said += f" ({', '.join(build.from_course[:6])} from the course layer)"
            return self.result(Status.PASSED, 1.0, said, facts, notes)
        why = str(build.explanation or step.error or last_line(step.stderr_tail)
                  or last_line(step.stdout_tail) or f"exit code {step.exit_code}")
        return self.result(Status.FAILED, 0.0, f"the environment did not install: {why}", facts,
                           [finding(why), *notes])

    @staticmethod
    def _facts(step: StepOutcome, build: BuildResult) -> dict[str, Measurement]:
        """The build's figures for the report's measurements (only those known)."""
        facts: dict[str, Measurement] = {"duration_s": step.duration_s, "kind": build.environment}
        for key in ("cache_key", "cache_hit", "failure_reason", "failed_requirement", "explanation", "python",
                    "python_declared", "course_image", "downloaded_bytes", "cached_bytes", "image_bytes"):
            value = getattr(build, key)
            if value is not None:
                facts[key] = value
        if build.from_course:
            facts["from_course"] = list(build.from_course)
        if step.error:
            facts["error"] = step.error
        return facts
