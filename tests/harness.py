"""One way for tests to drive the grader: a check run on a folder as the engine runs it, and notebooks to feed it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.checks.base import Check, CheckContext, CheckOptions, run_check
from grader.files import SubmissionTree
from grader.models import CheckResult, Status, Submission
from grader.outcomes import RunOutcome

#: The `make_tree` fixture: writes `{relative path: text or bytes}` under a fresh folder and returns it.
MakeTree = Callable[[dict[str, str | bytes]], Path]

#: A notebook cell: a code cell's source, or (cell type, source); a source is a string or a list of lines.
Cell = str | tuple[str, str | list[str]]


def run_on(
    check: Check | type[Check],
    where: Path | Submission,
    options: CheckOptions | Mapping[str, Any] | None = None,
    *,
    run: RunOutcome | None = None,
    artifacts: Path | None = None,
    tree: SubmissionTree | None = None,
    may_crash: bool = False,
    **facts: Any,
) -> CheckResult:
    """Run one check on a submission folder (or an acquired Submission) as the engine does, and return its result.

    `check` is a check class (built with `options`: a dict of the rubric's options or the options model) or a
    ready instance. `run` is the sandbox's outcome for runtime checks, `artifacts` the folder a check may write
    page images to, `tree` a SubmissionTree to share between calls (its analyses are memoised), and `facts` are
    Submission fields (git_dir, members, deadline, paper, source, id...). A crash (an exception that run_check
    turned into an error with its traceback) fails the test with that traceback unless `may_crash` is true.
    """
    if isinstance(where, Submission):
        assert where.acquire_error is None, f"the engine grades no unacquired submission: {where.acquire_error}"
        submission = replace(where, **facts) if facts else where
    else:
        submission = Submission(**{"id": "g", "root": where, "source": str(where), **facts})
    if isinstance(check, Check):
        if options is not None:
            raise TypeError("pass options with the check class, or build the instance with them")
        instance = check
    elif options is None:
        instance = check()
    elif isinstance(options, CheckOptions):
        instance = check(options)
    else:
        instance = check(check.Options(**options))
    ctx = CheckContext(
        submission=submission,
        tree=tree if tree is not None else SubmissionTree(submission.root),
        run=run,
        artifacts_dir=artifacts,
    )
    result = run_check(instance, ctx)
    if not may_crash:
        assert not crashed(result), result.detail
    return result


def crashed(result: CheckResult) -> bool:
    """Whether the check raised: run_check keeps the traceback of a crash, and only of a crash, in `detail`."""
    return result.status is Status.ERROR and result.detail is not None


def notebook_json(*cells: Cell) -> str:
    """A minimal valid nbformat-4 notebook's JSON with the given cells (plain strings are code cells)."""
    built = []
    for cell in cells:
        kind, source = ("code", cell) if isinstance(cell, str) else cell
        entry: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            entry.update(outputs=[], execution_count=None)
        built.append(entry)
    return json.dumps({"cells": built, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
