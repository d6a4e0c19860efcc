"""run.readme: the README's setup and usage commands run in the sandbox, in order, as its reader would run them.

How the README step is read: each command's outcome counted, the first failure with its output, and one finding
per command a reader should know about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from grader.analysis.env.provenance import advised
from grader.checks.run.step import RunOptions, StepCheck, data_findings, missing_module_advice, share
from grader.models import CheckResult, Finding, Measurement, Severity, Status, finding
from grader.outcomes import ReadmeCommandRun, ReadmeRunResult, StepName, StepOutcome

#: Findings listed at most, the first failure first; the counts are in the measurements.
MAX_FINDINGS = 20
#: Characters of the failing command's output kept in the measurements (the step's log holds more).
FAILURE_TAIL = 1500
#: Outcomes of commands that ran (or were meant to) and count in the score.
_OK = ("passed", "started")


@dataclass(frozen=True)
class ReadmeReading:
    """What the README step did, counted for run.readme's score and said in findings."""

    ok: int
    #: The first failing command (at most one: the run stops there) and the runnable ones it kept from running.
    failed: int
    blocked: int
    data: int
    findings: tuple[Finding, ...]
    measurements: dict[str, Measurement]
    first_failure: ReadmeCommandRun | None

    def verdict(self, score: float | None, counted: int, data_fails: bool) -> tuple[Status, str]:
        """The status and summary, given the score and count after the `needs_data` option was applied."""
        data = f"; {self.data} command(s) need data that is not in the submission" if self.data else ""
        if score is None:
            return Status.SKIPPED, "not judged: no README command could be judged in the sandbox" + data
        first = self.first_failure
        if first is not None:
            lines = [line.strip() for line in first.output_tail.strip().splitlines() if line.strip()]
            said = f": {lines[-1][:200]}" if lines else f" ({first.reason})"
            after = f"after {self.ok} README command(s) worked" if self.ok else "the first README command run"
            return Status.FAILED, f"`{_short(first.text)}` ({first.path}:{first.line}) fails, {after}{said}{data}"
        if self.data and data_fails:
            return Status.FAILED, f"{self.ok} of {counted} README commands worked{data}"
        return Status.PASSED, f"all {self.ok} README commands that ran worked{data}"


def read_readme_step(step: StepOutcome) -> ReadmeReading:
    """Count the README step's commands and say what a reader needs to know about each."""
    commands = step.detail.commands if isinstance(step.detail, ReadmeRunResult) else ()
    by: dict[str, list[ReadmeCommandRun]] = {}
    for command in commands:
        by.setdefault(command.outcome, []).append(command)
    failed = by.get("failed", [])[:1]
    blocked = [c for c in by.get("not-run", []) if "earlier command failed" in c.reason]
    measurements: dict[str, Measurement] = {
        "commands": len(commands),
        **{key.replace("-", "_"): len(by.get(key, [])) for key in (
            "passed", "started", "failed", "needs-data", "unavailable", "not-run", "reported", "skipped", "followed")},
    }
    if failed:
        first = failed[0]
        measurements["first_failure"] = {"command": first.text, "path": first.path, "line": first.line,
                                         "exit_code": first.exit_code, "output_tail": first.output_tail[-FAILURE_TAIL:]}
    findings = [*(_failure(c) for c in failed)]
    if blocked:
        findings.append(finding(f"{len(blocked)} later README command(s) not run after the failure",
                                severity=Severity.INFO))
    findings += [finding(f"`{_short(c.text)}` needs data that is not in the submission: {', '.join(c.missing_data)}",
                         c.path, c.line, Severity.WARNING) for c in by.get("needs-data", [])]
    for outcome in ("not-run", "unavailable", "started", "reported"):
        findings += [finding(f"`{_short(c.text)}`{_in(c)}: {c.reason}", c.path, c.line, Severity.INFO)
                     for c in by.get(outcome, []) if c not in blocked]
    ok = sum(len(by.get(key, [])) for key in _OK)
    return ReadmeReading(ok=ok, failed=len(failed), blocked=len(blocked), data=len(by.get("needs-data", [])),
                         findings=tuple(findings[:MAX_FINDINGS]), measurements=measurements,
                         first_failure=failed[0] if failed else None)


def _failure(command: ReadmeCommandRun) -> Finding:
    """The failing command, how it ended and the last line it printed (the whole tail is in the measurements), with
    what to do: declare what the environment lacks when that is why, else follow the README in a fresh clone."""
    lines = [line.strip() for line in command.output_tail.strip().splitlines() if line.strip()]
    last = f": {lines[-1][:300]}" if lines else ""
    advice = (missing_module_advice(lines[-1]) if lines else None) or _missing_program_advice(command.output_tail) or (
        f"follow {command.path} step by step in a fresh clone and fix the command or the code so that it runs as "
        "written")
    return finding(f"`{_short(command.text)}`{_in(command)} {command.reason} after {command.duration_s:.1f} s{last}; "
                   f"{advice}", command.path, command.line)


#: A shell's or Jupyter's word for a program the environment does not have.
_NOT_FOUND = re.compile(r"(?:^|: )([A-Za-z0-9_.+-]{1,60}): (?:command )?not found$|"
                        r"^Jupyter command `jupyter-([a-z]+)` not found", re.MULTILINE)
#: Programs whose distribution is not their import name (the rest are looked up as import names): Jupyter's
#: sub-commands (`jupyter nbconvert` runs `jupyter-nbconvert`) and command-line tools.
_PROGRAMS = {"jupyter": "jupyter", "jupyter-nbconvert": "nbconvert", "jupyter-notebook": "notebook",
             "jupyter-lab": "jupyterlab", "jupyter-console": "jupyter-console", "jupyter-execute": "nbclient",
             "jupyter-kernelspec": "jupyter-client", "jupyter-trust": "nbformat", "ipython": "ipython",
             "huggingface-cli": "huggingface-hub"}


def _missing_program_advice(output: str) -> str | None:
    """What to do when the command's program is not in the group's environment ('foo: command not found', Jupyter's
    'Jupyter command `jupyter-nbconvert` not found'); None when that is not why it failed."""
    found = _NOT_FOUND.search(output.strip().splitlines()[-1] if output.strip() else "")
    if found is None:
        return None
    executable = found.group(1) or f"jupyter-{found.group(2)}"
    distribution = _PROGRAMS.get(executable) or advised(executable)
    program = f"jupyter {found.group(2)}" if found.group(2) else executable
    if distribution is None:
        return (f"the environment has no `{program}`: declare the package that provides it in the environment file, "
                "or say in the README how to install it")
    return (f"the environment has no `{program}`: declare `{distribution}` in the environment file, or say in the "
            "README where it comes from")


def _in(command: ReadmeCommandRun) -> str:
    return f" (in {command.cwd}/)" if command.cwd not in (".", "") else ""


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


class RunReadmeCheck(StepCheck[RunOptions]):
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
        score, counted = share(read.ok, read.failed + read.blocked, read.data, option)
        status, summary = read.verdict(score, counted, option == "fail")
        # The commands needing data are named one by one already: only why it is data and where to get it.
        return self.result(status, score or 0.0, summary, read.measurements,
                           [*read.findings, *data_findings(step.needs_data)[1:]])
