"""Runtime checks that read the sandbox's outcome: build, imports, smoke, tests, notebooks."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, TypeVar

from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, Phase, finding
from grader.models import (
    BuildResult,
    CheckResult,
    Finding,
    ImportsResult,
    Measurement,
    ModuleImport,
    NotebooksResult,
    PytestResult,
    Severity,
    SmokeResult,
    Status,
    StepName,
    StepOutcome,
    StepStatus,
)

#: Findings listed per check at most (a suite with 500 failing tests needs no 500 lines).
MAX_FINDINGS = 20

#: What a step status that is not pass / fail means, for the reader of the report.
_VERDICTS = {
    StepStatus.TIMEOUT: "was killed at the wall-clock timeout",
    StepStatus.OOM: "ran out of memory (killed at the memory limit)",
    StepStatus.OUTPUT_LIMIT: "was killed for printing more output than allowed",
    StepStatus.INFRA_ERROR: "could not be run by the grader (infrastructure error)",
}

D = TypeVar("D", BuildResult, ImportsResult, SmokeResult, PytestResult, NotebooksResult)


def _detail(step: StepOutcome, kind: type[D]) -> D:
    """The step's parsed results, or an empty one when it brought none back (rejected output, infra error)."""
    return step.detail if isinstance(step.detail, kind) else kind()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


#: Said of every run check of a submission without code, in the sandbox and under --static alike.
NO_CODE = "no Python code or notebooks: nothing to build or run"


class _StepCheck(Check[CheckOptions]):
    """Shared shape: find the step in ctx.run, turn not-run and abnormal endings into results."""

    phase: ClassVar[Phase] = Phase.RUNTIME
    step: ClassVar[StepName]

    def before_run(self, ctx: CheckContext) -> CheckResult | None:
        """A submission without any Python code has nothing to run: the same verdict with or without the sandbox
        (skipped by the submission's choice, so the rubric's `when_skipped` scores it: 0 by default)."""
        if not ctx.tree.with_suffix(".py", ".ipynb"):
            return self.by_choice(NO_CODE)
        return None

    def run(self, ctx: CheckContext) -> CheckResult:
        """Judge the step this check reads; abnormal endings (timeout, oom...) are judged the same everywhere."""
        early = self.before_run(ctx)
        if early is not None:
            return early
        if ctx.run is None:
            return self.not_run("not run: the sandbox was off (--static)")
        steps = [s for s in ctx.run.steps if s.name == self.step or s.name.startswith(f"{self.step}[")]
        if not steps:
            return self.not_run(f"the sandbox did not run the {self.step} step")
        if all(s.status is StepStatus.SKIPPED for s in steps):
            return self.not_judged(ctx, ctx.run.step(StepName.BUILD), steps[0])
        return self.judge(steps)

    def not_judged(self, ctx: CheckContext, build: StepOutcome | None, step: StepOutcome) -> CheckResult:
        """A step the sandbox skipped: after a failed build it counts as failed (code whose environment does not
        install does not run); after a build the grader could not do, it was not run; otherwise the submission
        had nothing for it (no tests, no notebooks, no smoke command)."""
        why = f"not run: {step.reason or 'skipped'}"
        if self.step is not StepName.BUILD and build is not None and build.status is not StepStatus.PASSED:
            if build.status is StepStatus.INFRA_ERROR:
                return self.not_run(f"not run: the grader could not build the environment ({build.error or 'error'})")
            return self.result(Status.FAILED, 0.0, f"not run: the environment did not build ({build.status})",
                               {"step_status": str(step.status)})
        return self.by_choice(why)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """The verdict for this check's steps (none of them skipped entirely)."""
        raise NotImplementedError

    def abnormal(self, step: StepOutcome, measurements: dict[str, Measurement]) -> CheckResult | None:
        """A result for a step that ended by timeout, OOM, output limit or infra error; None otherwise."""
        verdict = _VERDICTS.get(step.status)
        if verdict is None:
            return None
        evidence = _last_line(step.stderr_tail) or _last_line(step.stdout_tail) or (step.error or "")
        message = f"the {step.name} step {verdict} after {step.duration_s:.1f} s"
        findings = [finding(message + (f": {evidence}" if evidence else ""))]
        status = Status.ERROR if step.status is StepStatus.INFRA_ERROR else Status.FAILED
        if status is Status.ERROR and step.error:  # the lecturer's lead to fixing the machine, in the summary itself
            message += f": {step.error[:300]}"
        measurements = {**measurements, "step_status": str(step.status), "duration_s": step.duration_s}
        return self.result(status, 0.0, message, measurements, findings)


class RunBuildCheck(_StepCheck):
    """The group's environment installs in the sandbox."""

    id = "run.build"
    title = "Environment builds"
    description = "The environment file installs into an image derived from the base image."
    step = StepName.BUILD

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Passed when the install step passed."""
        step = steps[0]
        build = _detail(step, BuildResult)
        facts: dict[str, Measurement] = {"duration_s": step.duration_s, "kind": build.environment}
        for key in ("cache_key", "cache_hit", "failure_reason", "failed_requirement", "explanation"):
            value = getattr(build, key)
            if value is not None:
                facts[key] = value
        if step.error:
            facts["error"] = step.error
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if step.status is StepStatus.PASSED:
            return self.result(Status.PASSED, 1.0, "the environment installed", facts)
        why = str(build.explanation or step.error or _last_line(step.stderr_tail)
                  or _last_line(step.stdout_tail) or f"exit code {step.exit_code}")
        return self.result(Status.FAILED, 0.0, f"the environment did not install: {why}", facts, [finding(why)])


class RunImportsCheck(_StepCheck):
    """Every module of the group's code imports in the built environment."""

    id = "run.imports"
    title = "Every module imports"
    description = "Each Python module of the submission is imported inside the sandbox; one finding per failure."
    step = StepName.IMPORTS

    def not_judged(self, ctx: CheckContext, build: StepOutcome | None, step: StepOutcome) -> CheckResult:
        """Notebooks without modules have nothing to import on their own: their imports run with run.notebooks."""
        built = build is None or build.status is StepStatus.PASSED
        if built and not ctx.tree.with_suffix(".py") and ctx.tree.with_suffix(".ipynb"):
            return self.skipped("notebooks only: their imports run when run.notebooks executes them")
        return super().not_judged(ctx, build, step)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of modules that import."""
        step = steps[0]
        imports = _detail(step, ImportsResult)
        failures, total = imports.failures, imports.modules
        facts: dict[str, Measurement] = {"modules": total, "failed": len(failures), "exited": len(imports.exited)}
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            stopped = imports.stopped_at
            extra = [finding(f"the step ended while importing {stopped}")] if stopped else []
            return replace(abnormal, findings=(*abnormal.findings, *extra, *self._failures(failures)))
        if step.rejected is not None:
            why = f"the import results were not accepted: {step.rejected}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = self._failures(failures)
        findings += [
            finding(f"{e.module}: {e.message} (runs as a script when imported)", path=e.path, severity=Severity.INFO)
            for e in imports.exited[:MAX_FINDINGS]
        ]
        score = (total - len(failures)) / total if total else 1.0
        if failures:
            return self.result(Status.FAILED, score, f"{len(failures)} of {total} modules fail to import", facts,
                               findings)
        return self.result(Status.PASSED, 1.0, f"all {total} modules import", facts, findings)

    @staticmethod
    def _failures(failures: tuple[ModuleImport, ...]) -> list[Finding]:
        """One finding per module that failed to import, at the line where it failed."""
        return [
            finding(f"{f.module}: {f.error_type}: {f.message}", path=f.error_path or f.path, line=f.error_line)
            for f in failures[:MAX_FINDINGS]
        ]


class RunSmokeCheck(_StepCheck):
    """The submission's declared smoke commands run to completion."""

    id = "run.smoke"
    title = "Smoke command runs"
    description = "Commands from .grader.toml / [tool.grader] (or the rubric, or the roster) exit with 0."
    step = StepName.SMOKE

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
            command = _detail(step, SmokeResult).command
            findings.append(finding(f"`{command}` {verdict}" + (f": {evidence}" if evidence else "")))
        if len(steps) == 1 and steps[0].status is StepStatus.INFRA_ERROR:
            return self.result(Status.ERROR, 0.0, findings[0].message, facts, findings)
        if findings:
            return self.result(Status.FAILED, len(passed) / len(steps),
                               f"{len(findings)} of {len(steps)} smoke commands failed", facts, findings)
        said = "the smoke command succeeded" if len(steps) == 1 else f"all {len(steps)} smoke commands succeeded"
        return self.result(Status.PASSED, 1.0, said, facts)


class RunTestsCheck(_StepCheck):
    """The group's pytest suite passes."""

    id = "run.tests"
    title = "Tests pass"
    description = "The group's pytest suite runs inside the sandbox; counts come from its JUnit XML."
    step = StepName.TESTS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of tests that pass (skipped ones left out)."""
        step = steps[0]
        tests = _detail(step, PytestResult)
        facts: dict[str, Measurement] = {
            "passed": tests.passed, "failed": tests.failed, "errors": tests.errors, "skipped": tests.skipped,
        }
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        note = tests.note or step.rejected
        if note:
            return self.result(Status.FAILED, 0.0, f"test results not usable: {note}", facts, [finding(note)])
        ran = tests.passed + tests.failed + tests.errors
        findings = [finding(f"failed: {name}") for name in tests.failing[:MAX_FINDINGS]]
        if ran == 0:
            return self.result(Status.FAILED, 0.0, "no test ran", facts)
        if tests.passed < ran:
            return self.result(Status.FAILED, tests.passed / ran, f"{ran - tests.passed} of {ran} tests failed",
                               facts, findings)
        return self.result(Status.PASSED, 1.0, f"all {ran} tests passed", facts)


class RunNotebooksCheck(_StepCheck):
    """The group's notebooks execute from top to bottom."""

    id = "run.notebooks"
    title = "Notebooks execute"
    description = "Each notebook is executed with nbclient under a per-cell timeout; a failure names the cell."
    step = StepName.NOTEBOOKS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of notebooks that run through."""
        step = steps[0]
        results = _detail(step, NotebooksResult).results
        failing = [r for r in results if r.status != "ok"]
        facts: dict[str, Measurement] = {
            "notebooks": len(results), "executed": len(results) - len(failing), "failed": len(failing),
            "failures": [{"path": r.path, "cell": r.failed_cell, "error": r.error} for r in failing],
        }
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if step.rejected is not None:
            why = f"the notebook results were not accepted: {step.rejected}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = [
            finding(f"cell {r.failed_cell}: {r.error}" if r.failed_cell else r.error, path=r.path)
            for r in failing[:MAX_FINDINGS]
        ]
        if failing:
            return self.result(Status.FAILED, (len(results) - len(failing)) / len(results),
                               f"{len(failing)} of {len(results)} notebooks failed", facts, findings)
        return self.result(Status.PASSED, 1.0, f"all {len(results)} notebooks executed", facts)


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (RunBuildCheck, RunImportsCheck, RunSmokeCheck, RunTestsCheck, RunNotebooksCheck)
