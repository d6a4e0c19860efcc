"""What every run check shares: finding its step, abnormal endings, missing data, and the `needs_data` option."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar, Literal, TypeVar

from pydantic import Field

from grader.analysis.env.provenance import advised
from grader.analysis.env.stacks import PYTHON2_MODULES, canonical
from grader.checks.base import Check, CheckContext, CheckOptions, OptionsT, Phase, finding
from grader.models import CheckResult, Finding, Measurement, Severity, Status
from grader.outcomes import (
    BuildResult,
    DataNeed,
    ImportsResult,
    NotebooksResult,
    PytestResult,
    SmokeResult,
    StepName,
    StepOutcome,
    StepStatus,
)

#: Findings listed per check at most (a suite with 500 failing tests needs no 500 lines).
MAX_FINDINGS = 20

#: What a step status that is not pass / fail means, for the reader of the report.
VERDICTS = {
    StepStatus.TIMEOUT: "was killed at the wall-clock timeout",
    StepStatus.OOM: "ran out of memory (killed at the memory limit)",
    StepStatus.OUTPUT_LIMIT: "was killed for printing more output than allowed",
    StepStatus.INFRA_ERROR: "could not be run by the grader (infrastructure error)",
}
#: What a student does about a step the sandbox stopped (an infrastructure error is the grader's, not theirs).
ABNORMAL_ADVICE = {
    StepStatus.TIMEOUT: "make it finish within the limit on a CPU: a smoke or test run should use a tiny subset of "
                        "the data and one epoch (e.g. a `--quick` flag), and the environment only what the code needs",
    StepStatus.OOM: "reduce the memory it needs (smaller batches, a data subset, no full data set loaded at import)",
    StepStatus.OUTPUT_LIMIT: "print less: drop per-batch prints and progress bars in non-interactive runs, log to "
                             "a file instead",
}
#: The same for the install: what makes an environment slow or large to install is what it declares.
BUILD_ADVICE = ("declare only the packages the code imports (no second deep-learning framework, no full "
                "`pip freeze` of another machine) and prefer versions with wheels, so nothing builds from source")


def abnormal_advice(step: StepOutcome) -> str:
    """What to do about a step stopped at a limit, said for the install or for the code."""
    if step.name == StepName.BUILD and step.status in (StepStatus.TIMEOUT, StepStatus.OOM):
        return BUILD_ADVICE
    if step.name == StepName.IMPORTS and step.status in (StepStatus.TIMEOUT, StepStatus.OOM):
        return IMPORT_ADVICE
    return ABNORMAL_ADVICE[step.status]


#: Importing a module should do nothing heavy: the work belongs behind the main guard.
IMPORT_ADVICE = ("move the code that runs when a module is imported (training, loading data or models) under "
                 "`if __name__ == \"__main__\":` or into functions")


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


def data_findings(need: DataNeed | None) -> list[Finding]:
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
        found.append(finding("the README does not say how to get the data: add the command that downloads it "
                             "(or commit a small sample the code can run on)", severity=Severity.WARNING))
    return found


def share(passed: int, failed: int, data: int, option: NeedsData) -> tuple[float | None, int]:
    """Score and number counted for a check whose items passed, failed, or failed for missing data only."""
    counted = passed + failed + (0 if option == "exclude" else data)
    if counted == 0:
        return None, 0
    return (passed + (data if option == "pass" else 0)) / counted, counted

D = TypeVar("D", BuildResult, ImportsResult, SmokeResult, PytestResult, NotebooksResult)


def detail_of(step: StepOutcome, kind: type[D]) -> D:
    """The step's parsed results, or an empty one when it brought none back (rejected output, infra error)."""
    return step.detail if isinstance(step.detail, kind) else kind()


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


#: Said of every run check of a submission without code, in the sandbox and under --static alike.
NO_CODE = "no Python code or notebooks: nothing to build or run"


class StepCheck(Check[OptionsT]):
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
            return self.result(Status.FAILED, 0.0, f"not run: the environment did not build ({build.status}); fix "
                               "the environment first (run.build says why it did not install)",
                               {"step_status": str(step.status)})
        return self.by_choice(why)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """The verdict for this check's steps (none of them skipped entirely)."""
        raise NotImplementedError

    def needs_data_only(
        self, why: str, measurements: dict[str, Measurement], findings: Sequence[Finding]
    ) -> CheckResult:
        """Everything the step tried failed only for data the submission does not hold, and the rubric's
        `needs_data: exclude` leaves that out: not applicable without the data (the criterion stays final, and
        the findings say what is missing and whether the README says how to get it; `sandbox.data` gives a real
        verdict)."""
        return replace(self.skipped(why, measurements), findings=tuple(findings))

    def abnormal(self, step: StepOutcome, measurements: dict[str, Measurement]) -> CheckResult | None:
        """A result for a step that ended by timeout, OOM, output limit or infra error; None otherwise."""
        verdict = VERDICTS.get(step.status)
        if verdict is None:
            return None
        if step.error and step.status in {StepStatus.OUTPUT_LIMIT, StepStatus.TIMEOUT}:
            verdict = step.error  # the grader's own limit said precisely (disk written, the run's time budget)
        evidence = last_line(step.stderr_tail) or last_line(step.stdout_tail) or (step.error or "")
        message = f"the {step.name} step {verdict} after {step.duration_s:.1f} s"
        findings = [finding(message + (f": {evidence}" if evidence else "")
                            + (f"; {abnormal_advice(step)}" if step.status in ABNORMAL_ADVICE else ""))]
        status = Status.ERROR if step.status is StepStatus.INFRA_ERROR else Status.FAILED
        if status is Status.ERROR and step.error:  # the lecturer's lead to fixing the machine, in the summary itself
            message += f": {step.error[:300]}"
        measurements = {**measurements, "step_status": str(step.status), "duration_s": step.duration_s}
        return self.result(status, 0.0, message, measurements, findings)


#: ModuleNotFoundError's message: the module Python looked for.
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")


def missing_module_advice(error: str) -> str | None:
    """What to do about `ModuleNotFoundError: No module named 'x'` (in an import or a notebook cell): declare the
    distribution that provides it (by its distribution name: `scikit-learn` for sklearn, never the import name where
    they differ), or commit the module; None for any other error."""
    missing = _MISSING_MODULE.search(error) if "ModuleNotFoundError" in error else None
    if missing is None:
        return None
    top = missing.group(1).split(".")[0]
    if top in PYTHON2_MODULES:
        return f"`{top}` is a Python 2 module: in Python 3 use {PYTHON2_MODULES[top]}"
    distribution = advised(top)
    if distribution is None:
        return (f"no distribution is known to provide `{top}`: declare the package that does in the environment "
                "file, or commit it if it is your own module")
    named = f"`{distribution}`" if canonical(distribution) == canonical(top) else (
        f"`{distribution}` (the distribution that provides `{top}`)")
    return f"declare {named} in the environment file if it is a package, or commit it if it is your own module"


