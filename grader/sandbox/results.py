"""A run step's outcome from what its container did and what its driver signed: the typed result, the status
(missing data told apart from broken code) and the evidence kept for the report."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.analysis.code.source import SourceUnit, all_python_sources
from grader.files import SubmissionTree
from grader.outcomes import (
    DataNeed,
    FailedTest,
    ImportsResult,
    ModuleImport,
    NotebookRun,
    NotebooksResult,
    PytestResult,
    SmokeResult,
    StepDetail,
    StepOutcome,
    StepStatus,
)
from grader.sandbox.container import ContainerResult
from grader.sandbox.data import data_failure, data_need
from grader.sandbox.offline import offline_cause
from grader.sandbox.outputs import RejectedOutput, parse_junit

#: Characters of stdout / stderr kept in a step's outcome for the report.
SHOWN_CHARS = 8000
#: The exit status of a step whose working copy could not be made (the prologue's own).
COPY_FAILED = 97
_NO_SPACE = re.compile(r"No space left on device|\[Errno 28\]|Disk quota exceeded")
_CD = re.compile(r"^\s*cd\s+([\w./-]+)\s*(?:&&|;)")


@dataclass(frozen=True)
class StepResult:
    """What one step's container did, the driver's signed result (None when rejected or absent) and why not."""

    container: ContainerResult
    data: dict[str, Any] | None = None
    rejected: str | None = None
    #: Seconds the step was allowed (less than the policy's timeout when the run's budget was nearly spent).
    timeout: float = 0.0
    #: The policy's own per-step timeout, to tell a budget cut from the step's own limit.
    policy_timeout: float = 0.0


def outcome(
    name: str, run: StepResult, detail: StepDetail | None, *, failed: bool = False, needs_data: DataNeed | None = None,
    all_data: bool = False,
) -> StepOutcome:
    """A step's outcome: the container's verdict first (timeout, oom...), then what the driver reported.

    Results that were rejected (missing, forged, too large) make a step that exited 0 a failed one; a failed step
    whose every failure was missing data is `needs-data`.
    """
    result = run.container
    status, error = result.status, result.error
    if status is StepStatus.FAILED and result.exit_code == COPY_FAILED and "working copy could not" in result.stderr:
        status, error = StepStatus.INFRA_ERROR, "the grader could not make the step's working copy"
    elif status is StepStatus.TIMEOUT and run.timeout < run.policy_timeout:
        error = f"stopped when the run steps' time budget ran out (after {run.timeout:.0f} s)"
    if status is StepStatus.PASSED and (failed or run.rejected is not None):
        status = StepStatus.FAILED
    if status is StepStatus.FAILED and _NO_SPACE.search(result.stderr[-4000:] + result.stdout[-4000:]):
        status = StepStatus.OUTPUT_LIMIT
        error = "wrote more than a run step may (the working copy's `work_size`, or /tmp's `tmpfs_size`)"
    elif status is StepStatus.FAILED and all_data and needs_data is not None and run.rejected is None:
        status = StepStatus.NEEDS_DATA
    return StepOutcome(
        name=name, status=status, exit_code=result.exit_code, duration_s=round(result.duration_s, 3),
        stdout_tail=_shown(result.stdout), stderr_tail=_shown(result.stderr), detail=detail, error=error,
        rejected=run.rejected, output_bytes=result.output_bytes if result.truncated else None, needs_data=needs_data,
    )


def _need(tree: SubmissionTree, missing: list[str], data: Mapping[str, str]) -> DataNeed | None:
    return data_need(tree, missing, tuple(sorted(data))) if missing else None


def imports_outcome(run: StepResult, tree: SubmissionTree, data: Mapping[str, str]) -> StepOutcome:
    """The import step: one entry per failing module, with how it was imported and any missing data."""
    if run.data is None:
        return outcome("imports", run, None)
    entries = [m for m in run.data.get("modules", []) if isinstance(m, dict)]
    failures = tuple(_module_import(m, tree) for m in entries if m.get("status") == "error")
    stopped = run.data.get("stopped_at")
    imports = ImportsResult(
        modules=len(entries), failures=failures,
        exited=tuple(_module_import(m, tree) for m in entries if m.get("status") == "exit"),
        stopped_at=None if run.data.get("complete") is True else (stopped if isinstance(stopped, str) else ""),
    )
    missing = [p for f in failures for p in f.missing_data]
    all_data = bool(failures) and all(f.missing_data for f in failures) and imports.stopped_at is None
    return outcome("imports", run, imports, failed=bool(failures) or imports.stopped_at is not None,
                   needs_data=_need(tree, missing, data), all_data=all_data)


def smoke_outcome(
    name: str, command: str, run: StepResult, tree: SubmissionTree | None, data: Mapping[str, str]
) -> StepOutcome:
    """One smoke command; a failure that only names missing data reads as needs-data."""
    missing: tuple[str, ...] = ()
    if tree is not None and run.container.status is StepStatus.FAILED:
        cwd = _CD.match(command)
        missing = data_failure([run.container.stderr, run.container.stdout],
                               posixpath.normpath(cwd.group(1)) if cwd else "", tree)
    detail = SmokeResult(command=command, missing_data=missing)
    need = _need(tree, list(missing), data) if tree is not None else None
    return outcome(name, run, detail, needs_data=need, all_data=bool(missing))


def tests_outcome(run: StepResult, tree: SubmissionTree, data: Mapping[str, str]) -> StepOutcome:
    """The pytest step: counts from the JUnit XML, trusted only when they agree with pytest's exit status."""
    if run.data is None:
        return outcome("tests", run, None)
    raw_exit = run.data.get("exit_code")
    pytest_exit = raw_exit if isinstance(raw_exit, int) and not isinstance(raw_exit, bool) else None
    chosen = run.data.get("pytest")
    runner = _text(chosen.get("found")) if isinstance(chosen, dict) else ""
    try:
        counts = parse_junit(str(run.data.get("junit", "")))
    except RejectedOutput as exc:
        rejected = StepResult(run.container, run.data, str(exc), run.timeout, run.policy_timeout)
        return outcome("tests", rejected, PytestResult(pytest_exit=pytest_exit, runner=runner or None))
    bad = counts.failed + counts.errors
    note = None
    # pytest exits 0 exactly when nothing failed; a disagreement means the XML was tampered with.
    if run.data.get("timed_out") is True:
        note = "pytest was stopped at the step's time limit; its results are incomplete"
    elif pytest_exit == 2 and counts.errors > 0:
        note = None  # errors while collecting interrupt pytest (exit 2): the files that erred count as errors
    elif (pytest_exit == 0) != (bad == 0) or pytest_exit not in {0, 1}:
        if pytest_exit not in {0, 1, 5}:
            note = f"pytest exited with {pytest_exit} (interrupted, internal or usage error)"
        else:
            note = "the JUnit XML disagrees with pytest's exit status: results not trusted"
    needs = [(name, data_failure([reason], "", tree)) for name, reason in zip(counts.failing, counts.reasons,
                                                                              strict=False)]
    needing = tuple(name for name, missing in needs if missing)
    tests = PytestResult(
        tests=counts.tests, passed=counts.passed, failed=counts.failed, errors=counts.errors,
        skipped=counts.skipped, failing=tuple(counts.failing), pytest_exit=pytest_exit, note=note,
        needs_data=needing, runner=runner or None,
        failures=tuple(failed_test(name, reason, tree) for name, reason in zip(counts.failing, counts.reasons,
                                                                               strict=False)),
    )
    missing = [p for _, found in needs for p in found]
    all_data = bad > 0 and note is None and len(needing) == bad
    return outcome("tests", run, tests, failed=bad > 0 or note is not None,
                   needs_data=_need(tree, missing, data), all_data=all_data)


def notebooks_outcome(run: StepResult, tree: SubmissionTree, data: Mapping[str, str]) -> StepOutcome:
    """The notebook step: one run per notebook, missing data read relative to the notebook's own folder."""
    if run.data is None:
        return outcome("notebooks", run, None)
    units = {u.path: u for u in all_python_sources(tree) if u.kind == "ipynb"}
    runs = tuple(_notebook_run(n, tree, units) for n in run.data.get("notebooks", []) if isinstance(n, dict))
    kernel = run.data.get("kernel")
    result = NotebooksResult(results=runs, kernel=_kernel_note(kernel) if isinstance(kernel, dict) else None)
    failing = result.failing
    missing = [p for r in failing for p in r.missing_data]
    # What the sandbox withholds by policy (the network, Colab) is no more the code's fault than missing data.
    all_data = bool(failing) and all(r.missing_data or r.offline for r in failing)
    return outcome("notebooks", run, result, failed=bool(failing), needs_data=_need(tree, missing, data),
                   all_data=all_data)


def _kernel_note(kernel: dict[str, Any]) -> str | None:
    found = _text(kernel.get("found"))
    tried = [_text(t) for t in kernel.get("tried", []) if isinstance(t, str)] if isinstance(
        kernel.get("tried"), list) else []
    if kernel.get("order") == "tools-first" and found:
        return (f"the group's packages break the grader's ipykernel ({'; '.join(tried)[:300]}); the kernel ran with "
                f"the grader's copies of them first: {found}")
    if not found:
        return f"no notebook kernel could start in the group's environment: {'; '.join(tried)[:300]}"
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _module_import(entry: dict[str, Any], tree: SubmissionTree) -> ModuleImport:
    """One driver entry for a module, keeping only fields of the expected types."""
    missing: tuple[str, ...] = ()
    if entry.get("status") == "error":
        missing = data_failure([_text(entry.get("message"))], _text(entry.get("cwd")), tree,
                               _text(entry.get("missing")) or None)
    return ModuleImport(
        module=_text(entry.get("module")), path=_text(entry.get("path")), error_type=_text(entry.get("error_type")),
        message=_text(entry.get("message")), error_path=_text(entry.get("error_path")) or None,
        error_line=_number(entry.get("error_line")), how=_text(entry.get("how")), missing_data=missing,
    )


def _notebook_run(entry: dict[str, Any], tree: SubmissionTree, units: Mapping[str, SourceUnit]) -> NotebookRun:
    """One driver entry for a notebook, keeping only fields of the expected types; a failure for missing data, or
    for the network or Colab the sandbox does not have, said so."""
    path, status = _text(entry.get("path")), _text(entry.get("status")) or "failed"
    missing: tuple[str, ...] = ()
    offline = None
    failed_cell, error = _number(entry.get("failed_cell")), _text(entry.get("error"))
    if status == "failed":
        missing = data_failure([error], posixpath.dirname(path), tree)
        unit = units.get(path)
        offline = offline_cause(unit, failed_cell, error) if unit is not None else None
    return NotebookRun(
        path=path, status=status, cells=_number(entry.get("cells")) or 0, executed=_number(entry.get("executed")) or 0,
        failed_cell=failed_cell, error=error, missing_data=missing, offline=offline,
    )


def _shown(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"[... {len(text) - SHOWN_CHARS} earlier characters not shown ...]\n{text[-SHOWN_CHARS:]}"


#: pytest's own lines of an error ("E   ModuleNotFoundError: ...") in a failure's text.
_ERROR_LINE = re.compile(r"^E\s+(\S.*)$", re.MULTILINE)


def failed_test(name: str, reason: str, tree: SubmissionTree) -> FailedTest:
    """A failing test as JUnit names it (`pkg.test_mod`, `pkg.test_mod.TestCase::test_x`), with the file that holds
    it when the submission has one, the node id to rerun it with and the error in one line."""
    classname, _, function = name.partition("::")
    parts = classname.split(".") if classname else []
    path, rest = "", parts
    for cut in range(len(parts), 0, -1):  # the longest dotted prefix that is a file of the submission
        candidate = "/".join(parts[:cut]) + ".py"
        if tree.exists(candidate):
            path, rest = candidate, parts[cut:]
            break
    node = "::".join([path, *rest, *([function] if function else [])]) if path else name
    message, _, text = reason.partition("\n")
    errors = _ERROR_LINE.findall(text)
    # pytest's first E line is the error itself; later ones explain it ("+  where 1 = f()", a diff).
    said = (errors[0] if errors else message or next((line for line in text.splitlines() if line.strip()), ""))
    return FailedTest(id=name, path=path, node=node, reason=" ".join(said.split())[:300])

