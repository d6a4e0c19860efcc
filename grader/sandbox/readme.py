"""The README step: the README set's commands run in order in one container, as its reader would type them.

The plan (grader/analysis/readme/plan.py) decides what each command is; this step runs the plan's runnable
commands through the README driver (assets/readme_driver.py) in one working copy, so that files one command writes
are there for the next, and merges what the driver signed back into one typed record per command of the plan.
Installs are skipped (the build did them), `cd`, activation and `export` are followed, downloads, credentials,
GPU-only commands and commands reading data the repository lacks are reported, never run. At most
`max_readme_commands` run; the first one that fails ends the run.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from grader.analysis.readme.home import RepositoryHome
from grader.analysis.readme.plan import Action, CommandKind, PlannedCommand, readme_run_plan
from grader.files import SubmissionTree
from grader.outcomes import ReadmeCommandRun, ReadmeRunResult, StepOutcome, StepStatus
from grader.sandbox.data import data_need
from grader.sandbox.results import outcome
from grader.sandbox.steps import StepRunner, skipped_step

NAME = "readme"
#: Outcomes the driver may report for a command it ran.
_RAN = frozenset({"passed", "started", "failed", "needs-data", "unavailable"})
#: Characters of a command's output kept in the report.
OUTPUT_CHARS = 4000
#: Commands of a plan recorded at most (a README of a thousand commands is reported by its first ones).
MAX_RECORDED = 200


def readme_step(runner: StepRunner, tree: SubmissionTree, home: RepositoryHome | None = None) -> StepOutcome:
    """Run the README's runnable commands in order; every command of the plan is in the step's detail."""
    plan = readme_run_plan(tree, home)
    planned = plan.commands[:MAX_RECORDED]
    runnable = [i for i, c in enumerate(planned) if c.action in (Action.RUN, Action.RUN_BRIEFLY)]
    if not planned:
        return skipped_step(NAME, "the README gives no commands")
    limit = runner.policy.max_readme_commands
    chosen = runnable[:limit]
    if not chosen:
        return StepOutcome(NAME, StepStatus.SKIPPED, reason=_nothing_to_run(planned),
                           detail=ReadmeRunResult(commands=_records(planned, {}, set(), limit, "")))
    last = chosen[-1]
    request = {
        "commands": [_request(i, c) for i, c in enumerate(planned[:last + 1])
                     if i in chosen or (c.kind is CommandKind.VARIABLE and c.action is Action.FOLLOW)],
        "limit_s": runner.policy.readme_timeout, "brief_s": runner.policy.readme_brief_timeout,
        "output_cap": runner.policy.output_limit,
    }
    run = runner.run_driver(NAME, "readme_driver.py", request)
    ran = _driver_entries(run.data, set(chosen))
    if run.data is None:
        unran = f"not run: the README step's result was not accepted ({run.rejected or 'none came back'})"
    elif run.data.get("complete") is not True:
        unran = "not run: the README step's time ran out"
    else:
        unran = "not run: the README step ended before it"
    records = _records(planned, ran, set(chosen), limit, unran)
    missing = [p for r in records for p in r.missing_data]
    need = data_need(tree, missing, tuple(sorted(runner.data_folders))) if missing else None
    failed = any(r.outcome == "failed" for r in records)
    data_failed = any(r.outcome == "needs-data" and i in ran for i, r in enumerate(records))
    # A command that failed only for missing data makes the step needs-data, as in the other steps.
    return outcome(NAME, run, ReadmeRunResult(commands=records), failed=failed or data_failed, needs_data=need,
                   all_data=data_failed and not failed)


def _request(index: int, command: PlannedCommand) -> dict[str, Any]:
    """What the driver needs of one command: its text, folder, how long it may take, where it is written."""
    mode = {Action.RUN: "run", Action.RUN_BRIEFLY: "brief"}.get(command.action, "variable")
    return {"index": index, "text": command.text, "cwd": command.cwd, "mode": mode,
            "where": f"{command.path}:{command.line}"}


def _driver_entries(data: dict[str, Any] | None, chosen: set[int]) -> dict[int, dict[str, Any]]:
    """The driver's entries by command index, keeping only well-formed ones for commands it was given."""
    entries = data.get("commands") if data is not None else None
    found: dict[int, dict[str, Any]] = {}
    for entry in entries if isinstance(entries, list) else []:
        index = entry.get("index") if isinstance(entry, dict) else None
        if isinstance(index, int) and index in chosen and entry.get("outcome") in _RAN:
            found[index] = entry
    return found


def _records(planned: tuple[PlannedCommand, ...], ran: dict[int, dict[str, Any]], chosen: set[int], limit: int,
             unran: str) -> tuple[ReadmeCommandRun, ...]:
    """One record per planned command: what the plan decided, or for a runnable one what happened to it."""
    records = []
    stopped_by: PlannedCommand | None = None
    for index, command in enumerate(planned):
        base = ReadmeCommandRun(text=command.text, path=command.path, line=command.line, kind=command.kind.value,
                                cwd=command.cwd, reason=command.reason)
        if command.action in (Action.RUN, Action.RUN_BRIEFLY):
            record = _ran(base, ran.get(index))
            if index not in ran:
                record = _not_run(base, index in chosen, stopped_by, limit, unran)
            elif record.outcome == "failed" and stopped_by is None:
                stopped_by = command
        elif command.action is Action.SKIP:
            record = _with(base, outcome="skipped")
        elif command.action is Action.FOLLOW:
            record = _with(base, outcome="followed")
        elif command.kind is CommandKind.NEEDS_DATA:
            record = _with(base, outcome="needs-data", missing_data=_from_root(command.missing, command.cwd))
        else:
            record = _with(base, outcome="reported")
        records.append(record)
    return tuple(records)


def _ran(base: ReadmeCommandRun, entry: dict[str, Any] | None) -> ReadmeCommandRun:
    """A command the driver ran, from its entry (fields of the wrong type left at their defaults)."""
    if entry is None:
        return base
    code = entry.get("exit_code")
    duration = entry.get("duration_s")
    output = entry.get("output")
    note = entry.get("note")
    missing = entry.get("missing")
    paths = tuple(posixpath.normpath(p) for p in missing if isinstance(p, str) and p.strip()
                  and not p.startswith(("/", ".."))) if isinstance(missing, list) else ()
    return _with(
        base, outcome=str(entry["outcome"]),
        reason=note if isinstance(note, str) and note else base.reason,
        exit_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        duration_s=round(float(duration), 3) if isinstance(duration, int | float) else 0.0,
        output_tail=output[-OUTPUT_CHARS:] if isinstance(output, str) else "",
        missing_data=paths,
    )


def _not_run(base: ReadmeCommandRun, chosen: bool, stopped_by: PlannedCommand | None, limit: int,
             unran: str) -> ReadmeCommandRun:
    """Why a runnable command did not run: an earlier failure, the command limit, or how the step ended (`unran`)."""
    if stopped_by is not None:
        why = f"not run: an earlier command failed ({stopped_by.path}:{stopped_by.line})"
    elif not chosen:
        why = f"not run: at most {limit} README commands run (sandbox.max_readme_commands)"
    else:
        why = unran
    return _with(base, outcome="not-run", reason=why)


def _from_root(paths: tuple[str, ...], cwd: str) -> tuple[str, ...]:
    """Paths the plan wrote as the command names them, relative to the checkout's root (as the other steps say)."""
    return tuple(dict.fromkeys(p if p.startswith("/") else posixpath.normpath(posixpath.join(cwd, p)) for p in paths))


def _with(base: ReadmeCommandRun, **changes: Any) -> ReadmeCommandRun:
    return replace(base, **changes)


def _nothing_to_run(planned: tuple[PlannedCommand, ...]) -> str:
    """Why a README with commands has none the sandbox runs: what its commands are, counted by kind."""
    counts: dict[str, int] = {}
    for command in planned:
        label = _KIND_WORDS.get(command.kind, command.kind.value)
        counts[label] = counts.get(label, 0) + 1
    said = ", ".join(f"{n} {label}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"no README command runs in the sandbox; its commands: {said}"


#: How a README's commands are counted when none of them runs.
_KIND_WORDS = {
    CommandKind.ENVIRONMENT: "install (the build did it)", CommandKind.NAVIGATE: "cd",
    CommandKind.ACTIVATE: "activation", CommandKind.VARIABLE: "variable", CommandKind.DOWNLOAD: "download",
    CommandKind.CREDENTIALS: "login", CommandKind.GPU: "GPU-only", CommandKind.NEEDS_DATA: "needing data",
    CommandKind.OTHER: "unknown to the grader",
}


__all__ = ["NAME", "readme_step"]
