"""Runtime checks that read the sandbox's outcome: build, imports, smoke, tests, notebooks, the README's commands."""

from __future__ import annotations

from grader.checks.base import AnyCheck
from grader.checks.run.build import RunBuildCheck
from grader.checks.run.imports import RunImportsCheck
from grader.checks.run.notebooks import RunNotebooksCheck
from grader.checks.run.readme import RunReadmeCheck
from grader.checks.run.smoke import RunSmokeCheck
from grader.checks.run.step import RunOptions
from grader.checks.run.suite import RunTestsCheck

#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (
    RunBuildCheck, RunImportsCheck, RunSmokeCheck, RunTestsCheck, RunNotebooksCheck, RunReadmeCheck
)

__all__ = ["CHECKS", "RunBuildCheck", "RunImportsCheck", "RunNotebooksCheck", "RunOptions", "RunReadmeCheck",
           "RunSmokeCheck", "RunTestsCheck"]
