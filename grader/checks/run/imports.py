"""run.imports: every module imports, the way its authors run it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from grader.checks.base import CheckContext, finding
from grader.checks.run.step import (
    IMPORT_ADVICE,
    MAX_FINDINGS,
    RunOptions,
    StepCheck,
    data_findings,
    detail_of,
    missing_module_advice,
    share,
)
from grader.models import CheckResult, Finding, Measurement, Severity, Status
from grader.outcomes import (
    ImportsResult,
    ModuleImport,
    StepName,
    StepOutcome,
    StepStatus,
)


class RunImportsCheck(StepCheck[RunOptions]):
    """Every module of the group's code imports in the built environment, the way its authors run it."""

    id = "run.imports"
    title = "Every module imports"
    description = ("Each Python module is imported inside the sandbox the way its authors run it (scripts from their "
                   "folder, packages from the root, tests as pytest does); one finding per failure.")
    step = StepName.IMPORTS

    def not_judged(self, ctx: CheckContext, build: StepOutcome | None, step: StepOutcome) -> CheckResult:
        """Notebooks without modules have nothing to import on their own: their imports run with run.notebooks."""
        built = build is None or build.status is StepStatus.PASSED
        if built and not ctx.tree.with_suffix(".py") and ctx.tree.with_suffix(".ipynb"):
            return self.skipped("notebooks only: their imports run when run.notebooks executes them")
        return super().not_judged(ctx, build, step)

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of modules that import; modules that only lacked data count per `needs_data`."""
        step = steps[0]
        imports = detail_of(step, ImportsResult)
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
        findings = self._failures(code) + self._failures(data, Severity.WARNING) + data_findings(step.needs_data)
        findings += [
            finding(f"{e.module}: {e.message}: it runs as a script when imported" + (f" {e.how}" if e.how else ""),
                    path=e.path, severity=Severity.INFO)
            for e in imports.exited[:MAX_FINDINGS]
        ]
        findings += [finding(f"layout: {line}", severity=Severity.INFO) for line in imports.layout[:5]]
        if imports.stopped_at is not None:
            findings.append(finding(f"the import step stopped at {imports.stopped_at or 'a module'}: its time ran "
                                    f"out; {IMPORT_ADVICE}"))
        score, counted = share(total - len(imports.failures), len(code), len(data), self.options.needs_data)
        if score is None:
            return self.needs_data_only("not judged: every module needs data that is not in the "
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
            finding(f"{f.module}: {f.error_type}: {f.message}" + (f"; imported {f.how}" if f.how else "")
                    + ("" if f.missing_data else f"; {_import_advice(f)}"),
                    path=f.error_path or f.path, line=f.error_line, severity=severity)
            for f in failures[:MAX_FINDINGS]
        ]


def _import_advice(failure: ModuleImport) -> str:
    """What to do about a module that does not import: a missing module declared or committed, an error fixed."""
    return missing_module_advice(f"{failure.error_type}: {failure.message}") or (
        "fix the error at the line named, or move the code that runs when the module is imported (training, "
        "reading data) under `if __name__ == \"__main__\":`")
