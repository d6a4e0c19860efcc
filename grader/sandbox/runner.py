"""The sandbox as the engine sees it: build the group's environment, then run the steps its runtime checks need."""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from grader.analysis.readme.home import repository_home
from grader.files import SubmissionTree
from grader.models import Progress, Submission
from grader.outcomes import BuildResult, RunOutcome, SmokeResult, StepName, StepOutcome, StepStatus
from grader.sandbox.container import cleanup_leftovers
from grader.sandbox.docker_engine import connect
from grader.sandbox.engine import Engine
from grader.sandbox.installed import describe_installed
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.readme import readme_step
from grader.sandbox.smoke import smoke_commands, smoke_declaration
from grader.sandbox.steps import StepRunner, skipped_step

__all__ = ["Prepare", "run_sandbox", "smoke_commands"]

#: The install side's entry point: (engine, tree, policy, progress) -> an object with image, kind and step.
Prepare = Callable[[Engine, SubmissionTree, SandboxPolicy, Progress], Any]


def _prepare_default() -> Prepare:
    from grader.sandbox.install import prepare_environment

    return prepare_environment  # type: ignore[no-any-return]


def run_sandbox(
    submission: Submission,
    tree: SubmissionTree,
    policy: SandboxPolicy,
    steps: Sequence[StepName],
    progress: Progress,
    *,
    engine: Engine | None = None,
    prepare: Prepare | None = None,
) -> RunOutcome:
    """Build the environment and run the needed steps; matches the engine's SandboxRunner protocol.

    Raises SandboxUnavailable only when no engine answers; every other failure is a step outcome.
    """
    if engine is None:
        owned = connect()
        try:
            return run_sandbox(submission, tree, policy, steps, progress, engine=owned, prepare=prepare)
        finally:
            owned.close()
    cleanup_leftovers(engine)
    prepare = prepare if prepare is not None else _prepare_default()
    progress("building")
    try:
        prepared = prepare(engine, tree, policy, progress)
    except Exception as exc:  # the install side failing is an infra error of this submission, not of the batch
        failed = StepOutcome("build", StepStatus.INFRA_ERROR, detail=BuildResult(),
                             error=f"{type(exc).__name__}: {exc}"[:2000])
        return RunOutcome(image="", environment="unknown", steps=(failed, *_skip_all(steps, "no environment")))
    build: StepOutcome = prepared.step
    image, kind = str(prepared.image or ""), str(prepared.kind)
    if build.status is not StepStatus.PASSED or not image:
        why = f"the environment did not build ({build.status})"
        return RunOutcome(image=image, environment=kind, steps=(build, *_skip_all(steps, why)))
    progress("running")
    run_id = re.sub(r"[^A-Za-z0-9_.-]", "-", submission.id)[:60] + "-" + secrets.token_hex(4)
    outcomes: list[StepOutcome] = [build]
    data = {**policy.data, **dict(submission.data)}
    with _leased(prepared), tempfile.TemporaryDirectory(prefix="grader-run-") as scratch:
        runner = StepRunner(engine, image, policy, run_id, tree.root, Path(scratch), data=data,
                            deadline=time.monotonic() + policy.run_budget)
        progress("reading the installed environment's metadata")
        outcomes[0] = describe_installed(runner, tree, build)
        # Cheap to expensive (StepName's order); each step runs whatever happened before it.
        for step in _ordered(steps):
            progress(f"running: {step}")
            if step is StepName.SMOKE:
                outcomes.extend(_smoke(runner, submission, tree, policy))
            elif not runner.budget_left():
                outcomes.append(skipped_step(step, runner.budget_spent()))
            elif step is StepName.IMPORTS:
                outcomes.append(runner.imports(tree))
            elif step is StepName.TESTS:
                outcomes.append(runner.tests(tree))
            elif step is StepName.NOTEBOOKS:
                outcomes.append(runner.notebooks(tree))
            elif step is StepName.README:
                outcomes.append(readme_step(runner, tree, repository_home(submission, tree)))
    return RunOutcome(image=image, environment=kind, steps=tuple(outcomes))


def _smoke(
    runner: StepRunner, submission: Submission, tree: SubmissionTree, policy: SandboxPolicy
) -> list[StepOutcome]:
    """The smoke steps: the declared commands up to the rubric's limit; a broken declaration is reported."""
    declared = smoke_declaration(submission, tree, policy)
    if declared.problem is not None:
        where = f"{declared.declared_in}{f':{declared.line}' if declared.line else ''}"
        detail = SmokeResult(declared_in=declared.declared_in, problem=declared.problem, problem_line=declared.line)
        return [StepOutcome("smoke", StepStatus.SKIPPED, reason=f"{where}: {declared.problem}", detail=detail)]
    if not declared.commands:
        return [skipped_step("smoke", "no smoke command declared")]
    limit = policy.max_smoke_commands
    steps = runner.smoke(declared.commands[:limit], tree)
    if len(declared.commands) > limit:
        extra = len(declared.commands) - limit
        steps.append(skipped_step(f"smoke[{limit + 1}]", f"{extra} more smoke command(s) not run: at most {limit} "
                                  f"run (sandbox.max_smoke_commands), declared in {declared.declared_in}"))
    return steps


@contextlib.contextmanager
def _leased(prepared: Any) -> Iterator[None]:
    """Hold the prepared image's lease (the image budget never removes it) until the last step is done."""
    try:
        yield
    finally:
        release = getattr(prepared, "release", None)
        if callable(release):
            release()


def _ordered(steps: Sequence[StepName]) -> list[StepName]:
    """The run steps asked for, once each, in StepName's order; the build is not one of them (it always runs)."""
    wanted = set(steps)
    return [step for step in StepName if step in wanted and step is not StepName.BUILD]


def _skip_all(steps: Sequence[StepName], why: str) -> list[StepOutcome]:
    return [skipped_step(step, why) for step in _ordered(steps)]
