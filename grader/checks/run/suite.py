"""run.tests: the group's pytest suite passes."""

from __future__ import annotations

from dataclasses import replace

from grader.analysis.code.hooks import outcome_rewrites
from grader.checks.base import CheckContext, finding
from grader.checks.run.step import (
    MAX_FINDINGS,
    RunOptions,
    StepCheck,
    data_findings,
    detail_of,
    share,
)
from grader.models import CheckResult, Finding, Measurement, Severity, Status
from grader.outcomes import (
    FailedTest,
    PytestResult,
    StepName,
    StepOutcome,
)


class RunTestsCheck(StepCheck[RunOptions]):
    """The group's pytest suite passes."""

    id = "run.tests"
    title = "Tests pass"
    description = ("The group's pytest suite runs inside the sandbox as `python -m pytest` from the root; counts come "
                   "from its JUnit XML, cross-checked with pytest's exit status.")
    step = StepName.TESTS

    def run(self, ctx: CheckContext) -> CheckResult:
        """The suite's verdict, with a warning for every conftest.py statement that rewrites a test's verdict:
        pytest reports what such a hook says, so the counts may not be the tests' own."""
        result = super().run(ctx)
        if ctx.run is None or result.status is Status.SKIPPED:
            return result
        rewrites = outcome_rewrites(ctx.tree)
        if not rewrites:
            return result
        warned = [finding(f"this conftest.py hook {r.what}, so pytest's counts may not be the tests' own verdicts: "
                          "remove it, or tell the lecturer why the suite needs it", r.path, r.line, Severity.WARNING)
                  for r in rewrites[:MAX_FINDINGS]]
        facts = {**result.measurements, "verdict_rewrites": len(rewrites)}
        return replace(result, measurements=facts, findings=(*warned, *result.findings))

    def judge(self, steps: list[StepOutcome]) -> CheckResult:
        """Score is the share of tests that pass (skipped ones left out; tests that only lacked data per option)."""
        step = steps[0]
        tests = detail_of(step, PytestResult)
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
            return self.result(Status.FAILED, 0.0, f"test results not usable: {note}", facts,
                               [finding(f"{note}; {_note_advice(note)}")])
        data = len(tests.needs_data)
        known = {f.id: f for f in tests.failures}
        ran = tests.passed + tests.failed + tests.errors
        findings = [_failure_finding(name, known.get(name)) for name in tests.failing[:MAX_FINDINGS]
                    if name not in tests.needs_data]
        findings += [finding(f"needs data: {name}", severity=Severity.WARNING) for name in tests.needs_data[:10]]
        findings += data_findings(step.needs_data)
        if ran == 0:
            return self.result(Status.FAILED, 0.0, "no test ran; run `pytest` in a fresh clone: it must collect "
                               "the tests (files test_*.py, functions test_*) and run them", facts)
        failed = ran - tests.passed - data
        score, counted = share(tests.passed, failed, data, self.options.needs_data)
        if score is None:
            return self.needs_data_only("not judged: every test needs data that is not in the submission", facts,
                                        findings)
        if failed or (data and self.options.needs_data == "fail"):
            bad = failed + (data if self.options.needs_data == "fail" else 0)
            return self.result(Status.FAILED, score, f"{bad} of {counted} tests failed", facts, findings)
        said = f"all {counted} tests passed" if not data else f"{tests.passed} tests passed; {data} need data"
        return self.result(Status.PASSED, score, said, facts, findings)


def _note_advice(note: str) -> str:
    """What to do when pytest's results could not be used, by why."""
    if "time limit" in note:
        return "make the tests fast: small synthetic inputs, no training or downloads inside a test"
    if "JUnit XML" in note:
        return "leave pytest's reporting alone (no plugin or conftest.py hook that rewrites the results)"
    return ("run `pytest` in a fresh clone and fix what stops it (an option pytest.ini or conftest.py sets wrongly, "
            "or a test that calls `sys.exit`)")


def _failure_finding(name: str, failed: FailedTest | None) -> Finding:
    """One failing test: where it is, why it failed in one line, and the command that reruns it alone."""
    if failed is None:  # a report written before failures were recorded
        return finding(f"failed: {name}; run `pytest {name}` in a fresh environment and fix the code or the test")
    why = f": {failed.reason}" if failed.reason else ""
    rerun = f"run `python -m pytest {failed.node}` in a fresh environment and fix the code or the test"
    if not failed.path:
        return finding(f"failed: {failed.node}{why}; {rerun}")
    if failed.node == failed.path:  # the file itself failed: pytest could not import (collect) it
        return finding(f"pytest could not collect this file{why}; {rerun}", failed.path)
    return finding(f"{failed.node.removeprefix(failed.path + '::')} failed{why}; {rerun}", failed.path)

