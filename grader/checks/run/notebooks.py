"""run.notebooks: the group's notebooks execute from top to bottom."""

from __future__ import annotations

from grader.checks.base import finding
from grader.checks.run.step import (
    MAX_FINDINGS,
    RunOptions,
    StepCheck,
    data_findings,
    detail_of,
    missing_module_advice,
    share,
)
from grader.models import CheckResult, Measurement, Severity, Status
from grader.outcomes import (
    NotebooksResult,
    StepName,
    StepOutcome,
)


class RunNotebooksCheck(StepCheck[RunOptions]):
    """The group's notebooks execute from top to bottom."""

    id = "run.notebooks"
    title = "Notebooks execute"
    description = ("Each notebook is executed with nbclient in its own folder under a per-cell timeout; a failure "
                   "names the cell.")
    step = StepName.NOTEBOOKS

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of notebooks that run through (notebooks that only lacked data per option)."""
        step = steps[0]
        result = detail_of(step, NotebooksResult)
        results = result.results
        failing = [r for r in results if r.status != "ok"]
        # Stopped for data not in the submission, or for a network or Colab the sandbox does not have: no code bug.
        data = [r for r in failing if r.missing_data or r.offline]
        code = [r for r in failing if not (r.missing_data or r.offline)]
        facts: dict[str, Measurement] = {
            "notebooks": len(results), "executed": len(results) - len(failing), "failed": len(code),
            "needs_data": len(data), "offline": sum(r.offline is not None for r in failing),
            "failures": [{"path": r.path, "cell": r.failed_cell, "error": r.error,
                          **({"offline": r.offline} if r.offline else {})} for r in failing],
        }
        abnormal = self.abnormal(step, facts)
        if abnormal is not None:
            return abnormal
        if step.rejected is not None:
            why = f"the notebook results were not accepted: {step.rejected}"
            return self.result(Status.FAILED, 0.0, why, facts, [finding(why)])
        findings = [
            finding((f"cell {r.failed_cell}: {r.error}" if r.failed_cell else r.error)
                    + (f" - not a bug in the code: {r.offline}" if r.offline else "")
                    + ("" if r.offline or r.missing_data else f"; {_notebook_advice(r.path, r.failed_cell, r.error)}"),
                    path=r.path, severity=Severity.WARNING if r.missing_data or r.offline else Severity.ERROR)
            for r in failing[:MAX_FINDINGS]
        ]
        findings += data_findings(step.needs_data)
        if result.kernel:
            findings.append(finding(result.kernel, severity=Severity.INFO))
        score, counted = share(len(results) - len(failing), len(code), len(data), self.options.needs_data)
        lacking = "data or a network the sandbox does not have" if facts["offline"] else \
            "data that is not in the submission"
        if score is None:
            return self.needs_data_only(f"not judged: every notebook needs {lacking}", facts, findings)
        if code or (data and self.options.needs_data == "fail"):
            bad = len(code) + (len(data) if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} notebooks failed", facts, findings)
        said = f"all {counted} notebooks executed" if not data else \
            f"{len(results) - len(failing)} notebook(s) executed; {len(data)} need {lacking}"
        return self.result(Status.PASSED, score, said, facts, findings)



def _notebook_advice(path: str, cell: int | None, error: str) -> str:
    """What to do about a notebook that stopped: declare a missing package (a fresh kernel would not have it
    either), else rerun it from a fresh kernel and fix the cell."""
    return missing_module_advice(error or "") or (
        f"run {path} from a fresh kernel (Restart & Run All) and fix " + (f"cell {cell}" if cell else
                                                                           "the first failing cell"))
