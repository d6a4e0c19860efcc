"""Runtime checks that read the sandbox's outcome: build, imports, smoke, tests, notebooks, the README's commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar, Literal, TypeVar

from pydantic import Field

from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, OptionsT, Phase, finding
from grader.checks.run_readme import read_readme_step
from grader.models import (
    BuildResult,
    CheckResult,
    DataNeed,
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
#: How a step that only lacked data is counted, per the rubric's `needs_data` option.
NeedsData = Literal["exclude", "fail", "pass"]


class RunOptions(CheckOptions):
    """How the run checks count code that could not run because its data is not in the submission."""

    needs_data: NeedsData = Field(
        "exclude",
        description="a module, command, test or notebook that failed only because files it reads are not in the "
        "submission: 'exclude' leaves it out of the score (the check is skipped when nothing else ran), 'fail' "
        "counts it as failed, 'pass' as passed",
    )


def _data_findings(need: DataNeed | None) -> list[Finding]:
    """What the report says about missing data: the paths, why they are data, where the README says more."""
    if need is None:
        return []
    shown = ", ".join(need.missing[:5]) + (f" and {len(need.missing) - 5} more" if len(need.missing) > 5 else "")
    where = f"; the lecturer provided {', '.join(f'{p}/' for p in need.provided)}" if need.provided else ""
    found = [finding(f"needs data that is not in the submission: {shown}{where}", severity=Severity.WARNING)]
    found += [finding(mark, severity=Severity.INFO) for mark in need.marks[:5]]
    if need.readme_help:
        path, _, rest = need.readme_help.partition(":")
        line, _, text = rest.partition(":")
        found.append(finding(f"the README says how to get it: {text.strip()}", path=path,
                             line=int(line) if line.isdigit() else None, severity=Severity.INFO))
    else:
        found.append(finding("the README does not say how to get the data", severity=Severity.WARNING))
    return found


def _share(passed: int, failed: int, data: int, option: NeedsData) -> tuple[float | None, int]:
    """Score and number counted for a check whose items passed, failed, or failed for missing data only."""
    counted = passed + failed + (0 if option == "exclude" else data)
    if counted == 0:
        return None, 0
    return (passed + (data if option == "pass" else 0)) / counted, counted

D = TypeVar("D", BuildResult, ImportsResult, SmokeResult, PytestResult, NotebooksResult)


def _detail(step: StepOutcome, kind: type[D]) -> D:
    """The step's parsed results, or an empty one when it brought none back (rejected output, infra error)."""
    return step.detail if isinstance(step.detail, kind) else kind()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class _StepCheck(Check[OptionsT]):
    """Shared shape: find the step in ctx.run, turn not-run and abnormal endings into results."""

    phase: ClassVar[Phase] = Phase.RUNTIME
    step: ClassVar[StepName]

    def run(self, ctx: CheckContext) -> CheckResult:
        """Judge the step this check reads; abnormal endings (timeout, oom...) are judged the same everywhere."""
        if ctx.run is None:
            return self.skipped("not run: the sandbox was off (--static)")
        steps = [s for s in ctx.run.steps if s.name == self.step or s.name.startswith(f"{self.step}[")]
        if not steps:
            return self.skipped(f"the sandbox did not run the {self.step} step")
        if all(s.status is StepStatus.SKIPPED for s in steps):
            return self.skipped(f"not run: {steps[0].reason or 'skipped'}")
        return self.judge(steps)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """The verdict for this check's steps (none of them skipped entirely)."""
        raise NotImplementedError

    def abnormal(self, step: StepOutcome, measurements: dict[str, Measurement]) -> CheckResult | None:
        """A result for a step that ended by timeout, OOM, output limit or infra error; None otherwise."""
        verdict = _VERDICTS.get(step.status)
        if verdict is None:
            return None
        if step.error and step.status in {StepStatus.OUTPUT_LIMIT, StepStatus.TIMEOUT}:
            verdict = step.error  # the grader's own limit said precisely (disk written, the run's time budget)
        evidence = _last_line(step.stderr_tail) or _last_line(step.stdout_tail) or (step.error or "")
        message = f"the {step.name} step {verdict} after {step.duration_s:.1f} s"
        findings = [finding(message + (f": {evidence}" if evidence else ""))]
        status = Status.ERROR if step.status is StepStatus.INFRA_ERROR else Status.FAILED
        measurements = {**measurements, "step_status": str(step.status), "duration_s": step.duration_s}
        return self.result(status, 0.0, message, measurements, findings)


class RunBuildCheck(_StepCheck[CheckOptions]):
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


class RunImportsCheck(_StepCheck[RunOptions]):
    """Every module of the group's code imports in the built environment, the way its authors run it."""

    id = "run.imports"
    title = "Every module imports"
    description = ("Each Python module is imported inside the sandbox the way its authors run it (scripts from their "
                   "folder, packages from the root, tests as pytest does); one finding per failure.")
    step = StepName.IMPORTS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of modules that import; modules that only lacked data count per `needs_data`."""
        step = steps[0]
        imports = _detail(step, ImportsResult)
        data = [f for f in imports.failures if f.missing_data]
        code = [f for f in imports.failures if not f.missing_data]
        total = imports.modules
        facts: dict[str, Measurement] = {"modules": total, "failed": len(code), "needs_data": len(data),
                                         "exited": len(imports.exited)}
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            stopped = imports.stopped_at
            extra = [finding(f"the step ended while importing {stopped}")] if stopped else []
            return replace(abnormal, findings=(*abnormal.findings, *extra, *self._failures(imports.failures)))
        if step.rejected is not None:
            why = f"the import results were not accepted: {step.rejected}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = self._failures(code) + self._failures(data, Severity.WARNING) + _data_findings(step.needs_data)
        findings += [
            finding(f"{e.module}: {e.message}: it runs as a script when imported" + (f" {e.how}" if e.how else ""),
                    path=e.path, severity=Severity.INFO)
            for e in imports.exited[:MAX_FINDINGS]
        ]
        findings += [finding(f"layout: {line}", severity=Severity.INFO) for line in imports.layout[:5]]
        if imports.stopped_at is not None:
            findings.append(finding(f"the import step stopped at {imports.stopped_at or 'a module'}: its time ran out"))
        score, counted = _share(total - len(imports.failures), len(code), len(data), self.options.needs_data)
        if score is None:
            return self.result(Status.SKIPPED, 0.0, "not judged: every module needs data that is not in the "
                               "submission", facts, findings)
        said = f"{len(data)} need data not in the submission" if data else ""
        if code or imports.stopped_at is not None or (data and self.options.needs_data == "fail"):
            failing = len(code) + (len(data) if self.options.needs_data == "fail" else 0)
            summary = f"{failing} of {counted} modules fail to import" + (f"; {said}" if said else "")
            return self.result(Status.FAILED, score, summary, facts, findings)
        summary = f"all {counted} modules import" if not data else f"the other modules import; {said}"
        return self.result(Status.PASSED, score, summary, facts, findings)

    @staticmethod
    def _failures(failures: Sequence[ModuleImport], severity: Severity = Severity.ERROR) -> list[Finding]:
        """One finding per module that failed to import, at the line where it failed, saying how it was imported."""
        return [
            finding(f"{f.module}: {f.error_type}: {f.message}" + (f"; imported {f.how}" if f.how else ""),
                    path=f.error_path or f.path, line=f.error_line, severity=severity)
            for f in failures[:MAX_FINDINGS]
        ]


class RunSmokeCheck(_StepCheck[RunOptions]):
    """The submission's declared smoke commands run to completion."""

    id = "run.smoke"
    title = "Smoke command runs"
    description = "Commands from .grader.toml / [tool.grader] (or the rubric, or the roster) exit with 0."
    step = StepName.SMOKE

    def run(self, ctx: CheckContext) -> CheckResult:
        """A declaration the group wrote but that cannot be used fails, with its file and line."""
        steps = [s for s in ctx.run.steps if s.name == "smoke"] if ctx.run is not None else []
        problem = _detail(steps[0], SmokeResult) if steps else SmokeResult()
        if problem.problem is not None:
            message = f"{problem.declared_in} {problem.problem}; no smoke command ran"
            return self.result(Status.FAILED, 0.0, message, {"commands": 0},
                               [finding(message, path=problem.declared_in, line=problem.problem_line)])
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
            command = _detail(step, SmokeResult).command
            if step.status is StepStatus.NEEDS_DATA:
                missing = ", ".join(_detail(step, SmokeResult).missing_data)
                findings.append(finding(f"`{command}` needs data that is not in the submission: {missing}",
                                        severity=Severity.WARNING))
                findings += _data_findings(step.needs_data)
                continue
            verdict = (step.error if step.error and step.status in {StepStatus.OUTPUT_LIMIT, StepStatus.TIMEOUT}
                       else _VERDICTS.get(step.status, f"exited with {step.exit_code}"))
            evidence = _last_line(step.stderr_tail) or _last_line(step.stdout_tail)
            findings.append(finding(f"`{command}` {verdict}" + (f": {evidence}" if evidence else "")))
        findings += [finding(s.reason or "not run", severity=Severity.WARNING) for s in steps if s not in ran]
        if len(ran) == 1 and ran[0].status is StepStatus.INFRA_ERROR:
            return self.result(Status.ERROR, 0.0, findings[0].message, facts, findings)
        failed = len(ran) - len(passed) - len(data)
        score, counted = _share(len(passed), failed, len(data), self.options.needs_data)
        if score is None:
            return self.result(Status.SKIPPED, 0.0, "not judged: the smoke commands need data that is not in the "
                               "submission", facts, findings)
        if failed or (data and self.options.needs_data == "fail"):
            bad = failed + (len(data) if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} smoke commands failed", facts, findings)
        said = "the smoke command succeeded" if len(ran) == 1 else f"all {len(ran)} smoke commands succeeded"
        if data:
            said = f"{len(passed)} smoke command(s) succeeded; {len(data)} need data not in the submission"
        return self.result(Status.PASSED, score, said, facts, findings)


class RunTestsCheck(_StepCheck[RunOptions]):
    """The group's pytest suite passes."""

    id = "run.tests"
    title = "Tests pass"
    description = ("The group's pytest suite runs inside the sandbox as `python -m pytest` from the root; counts come "
                   "from its JUnit XML, cross-checked with pytest's exit status.")
    step = StepName.TESTS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of tests that pass (skipped ones left out; tests that only lacked data per option)."""
        step = steps[0]
        tests = _detail(step, PytestResult)
        facts: dict[str, Measurement] = {
            "passed": tests.passed, "failed": tests.failed, "errors": tests.errors, "skipped": tests.skipped,
            "needs_data": len(tests.needs_data),
        }
        if tests.runner:
            facts["pytest"] = tests.runner
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        note = tests.note or step.rejected
        if note:
            return self.result(Status.FAILED, 0.0, f"test results not usable: {note}", facts, [finding(note)])
        data = len(tests.needs_data)
        ran = tests.passed + tests.failed + tests.errors
        findings = [finding(f"failed: {name}") for name in tests.failing[:MAX_FINDINGS]
                    if name not in tests.needs_data]
        findings += [finding(f"needs data: {name}", severity=Severity.WARNING) for name in tests.needs_data[:10]]
        findings += _data_findings(step.needs_data)
        if ran == 0:
            return self.result(Status.FAILED, 0.0, "no test ran", facts)
        failed = ran - tests.passed - data
        score, counted = _share(tests.passed, failed, data, self.options.needs_data)
        if score is None:
            return self.result(Status.SKIPPED, 0.0, "not judged: every test needs data that is not in the submission",
                               facts, findings)
        if failed or (data and self.options.needs_data == "fail"):
            bad = failed + (data if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} tests failed", facts, findings)
        said = f"all {counted} tests passed" if not data else f"{tests.passed} tests passed; {data} need data"
        return self.result(Status.PASSED, score, said, facts, findings)


class RunNotebooksCheck(_StepCheck[RunOptions]):
    """The group's notebooks execute from top to bottom."""

    id = "run.notebooks"
    title = "Notebooks execute"
    description = ("Each notebook is executed with nbclient in its own folder under a per-cell timeout; a failure "
                   "names the cell.")
    step = StepName.NOTEBOOKS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of notebooks that run through (notebooks that only lacked data per option)."""
        step = steps[0]
        result = _detail(step, NotebooksResult)
        results = result.results
        failing = [r for r in results if r.status != "ok"]
        data = [r for r in failing if r.missing_data]
        code = [r for r in failing if not r.missing_data]
        facts: dict[str, Measurement] = {
            "notebooks": len(results), "executed": len(results) - len(failing), "failed": len(code),
            "needs_data": len(data),
            "failures": [{"path": r.path, "cell": r.failed_cell, "error": r.error} for r in failing],
        }
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if step.rejected is not None:
            why = f"the notebook results were not accepted: {step.rejected}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = [
            finding(f"cell {r.failed_cell}: {r.error}" if r.failed_cell else r.error, path=r.path,
                    severity=Severity.WARNING if r.missing_data else Severity.ERROR)
            for r in failing[:MAX_FINDINGS]
        ]
        findings += _data_findings(step.needs_data)
        if result.kernel:
            findings.append(finding(result.kernel, severity=Severity.INFO))
        score, counted = _share(len(results) - len(failing), len(code), len(data), self.options.needs_data)
        if score is None:
            return self.result(Status.SKIPPED, 0.0, "not judged: every notebook needs data that is not in the "
                               "submission", facts, findings)
        if code or (data and self.options.needs_data == "fail"):
            bad = len(code) + (len(data) if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} notebooks failed", facts, findings)
        said = f"all {counted} notebooks executed" if not data else \
            f"{len(results) - len(failing)} notebook(s) executed; {len(data)} need data not in the submission"
        return self.result(Status.PASSED, score, said, facts, findings)


class RunReadmeCheck(_StepCheck[RunOptions]):
    """The README's setup and usage commands run in the sandbox, in order, as its reader would run them."""

    id = "run.readme"
    title = "README commands run"
    description = ("The README's commands run in order in one container: installs are the build's, cd / activate / "
                   "export are followed, training runs and servers must start cleanly within a short limit, downloads, "
                   "logins, GPU-only commands and missing data are reported, not run; the first failure is shown.")
    step = StepName.README

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of runnable commands that worked (those a failure kept from running count against it;
        commands that only lacked data count per `needs_data`)."""
        step, option = steps[0], self.options.needs_data
        read = read_readme_step(step)
        abnormal = self.abnormal(step, read.measurements)
        if abnormal is None and step.rejected is not None:
            why = f"the README step's results were not accepted: {step.rejected}"
            abnormal = self.result(Status.FAILED, 0.0, why, read.measurements, [finding(why)])
        if abnormal is not None:
            return replace(abnormal, findings=(*abnormal.findings, *read.findings))
        score, counted = _share(read.ok, read.failed + read.blocked, read.data, option)
        status, summary = read.verdict(score, counted, option == "fail")
        # The commands needing data are named one by one already: only why it is data and where to get it.
        return self.result(status, score or 0.0, summary, read.measurements,
                           [*read.findings, *_data_findings(step.needs_data)[1:]])


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (RunBuildCheck, RunImportsCheck, RunSmokeCheck, RunTestsCheck, RunNotebooksCheck,
                                      RunReadmeCheck)
