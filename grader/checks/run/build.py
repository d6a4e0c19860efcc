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
                           [finding(f"{why}; {build_advice(build)}"), *notes])

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


def build_advice(build: BuildResult) -> str:
    """What to change in the environment file, by why pip failed (the requirement it failed on, when known)."""
    name = build.failed_requirement or "the failing requirement"
    bare = name.split("==")[0].split(">")[0].split("<")[0].strip() or name
    advice = {
        "no-such-version": f"pin {bare} to a version that exists (the available ones are listed), e.g. the one "
                           f"you use: `pip show {bare}`",
        "no-such-package": f"fix the name {name!r} (its name on PyPI, which may differ from the import name) or "
                           "remove it if the code does not import it",
        "python-version-mismatch": f"pin {bare} to a version that supports the sandbox's Python, or declare the "
                                   "Python version you use (`requires-python` or `python=` in environment.yml)",
        "no-wheel-for-python": f"pin {bare} to a version that has wheels for the sandbox's Python",
        "build-failure": f"pin {bare} to a version with a wheel, or remove it if the code does not need it",
        "dependency-conflict": "relax the pins that conflict (keep one exact version per package, the ones "
                               "`pip freeze` shows in your working environment)",
        "invalid-requirement": f"fix the line {name!r} so it reads `name==version` (or `name>=version`)",
        "project-not-a-package": "list the packages in a requirements.txt, or make pyproject.toml / setup.py "
                                 "describe a package pip can build",
        "local-path": "replace each line that names a path of your machine (`name @ file:///...`) with "
                      "`name==version`: `pip list --format=freeze` in your environment writes them so",
    }
    return advice.get(build.failure_reason or "", "install from the environment file in a fresh virtual "
                      "environment (`python -m venv`), fix what pip reports, and commit the fixed file")

