"""The run steps (imports, smoke, tests, notebooks): each in a fresh container with a fresh copy of the submission.

The submission is copied once per run (without .git, links left out) and mounted read-only at /grader-src; each
step's container copies it into /work, a tmpfs owned by the sandbox user whose size is the copy plus what a step
may write (`work_size`), so a step can neither change the grader's copy nor fill the host's disk. Data the lecturer
provides is mounted read-only inside /work. The grader's drivers come read-only at /grader, their request at
/grader-in; a driver's only way back is the single file mounted writable at /grader-out, which first holds the key
the result must be signed with (see assets/_common.py), so nothing the group's code writes is accepted as a result.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.files import SubmissionTree
from grader.outcomes import ImportsResult, StepOutcome, StepStatus
from grader.sandbox.container import ContainerSpec, Mount, run_container
from grader.sandbox.engine import Engine
from grader.sandbox.layout import module_plans
from grader.sandbox.outputs import RejectedOutput, read_signed_result
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.results import (
    COPY_FAILED,
    SHOWN_CHARS,
    StepResult,
    imports_outcome,
    notebooks_outcome,
    smoke_outcome,
    tests_outcome,
)
from grader.sandbox.workcopy import copy_submission, size_bytes, tree_bytes

ASSETS = Path(__file__).resolve().parent / "assets"
#: A step is not started with less time than this left in the run's budget.
MIN_STEP_S = 10
#: The run environment: everything the container sees besides the image's own; nothing comes from the host.
RUN_ENV: Mapping[str, str] = {
    "HOME": "/tmp",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
    "XDG_CACHE_HOME": "/tmp/cache",
    "HF_HUB_OFFLINE": "1",
}
#: Every step starts by copying the submission into its working copy; exit 97 says the copy itself failed.
_PROLOGUE = 'cp -R /grader-src/. /work/ 2>/dev/null || { echo "grader: the working copy could not be made" >&2; ' \
    "exit 97; }; cd /work; "
#: The drivers' interpreter: the grader's tools environment, else (a group's own image) whatever python3 is.
_TOOLS = 'T=/opt/grader-tools/bin/python; [ -x "$T" ] || T=python3; exec "$T" -I /grader/'


@dataclass(frozen=True)
class StepRunner:
    """Runs run steps for one submission from its environment image under the rubric's policy."""

    engine: Engine
    image: str
    policy: SandboxPolicy
    run_id: str
    source: Path
    scratch: Path
    #: Data folders for this submission: path inside the working copy -> host folder (the rubric's and the
    #: roster's together); None takes the policy's.
    data: Mapping[str, str] | None = None
    #: time.monotonic() by which every step must be over (the run's budget); None: each step has its timeout.
    deadline: float | None = None

    @property
    def data_folders(self) -> Mapping[str, str]:
        """The data folders every step gets, by their path inside the working copy."""
        return self.policy.data if self.data is None else self.data

    @cached_property
    def _copy(self) -> tuple[Path, int]:
        """The run's read-only copy of the submission (made once) and its size in bytes."""
        copy = Path(tempfile.mkdtemp(prefix="src-", dir=self.scratch))
        copy_submission(self.source, copy, leave_out=tuple(self.data_folders))
        return copy, tree_bytes(copy)

    def remaining(self) -> float | None:
        """Seconds left in the run's budget; None without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def budget_left(self) -> bool:
        """Whether another step can still start within the run's budget."""
        left = self.remaining()
        return left is None or left >= MIN_STEP_S

    @contextmanager
    def _folders(self, name: str, request: dict[str, Any] | None) -> Iterator[tuple[Path, Path, str]]:
        """The step's request folder and result file (holding a fresh key), removed afterwards."""
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))
        key = secrets.token_hex(32)
        try:
            (folder / "in").mkdir()
            (folder / "in" / "request.json").write_text(json.dumps(request or {}), encoding="utf-8")
            result = folder / "result"
            result.write_text(key, encoding="utf-8")
            for path, mode in ((folder, 0o755), (folder / "in", 0o755), (folder / "in" / "request.json", 0o644),
                               (result, 0o666)):
                os.chmod(path, mode)
            yield folder, result, key
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _spec(
        self, command: tuple[str, ...], timeout: float, folder: Path | None, result: Path | None
    ) -> ContainerSpec:
        p = self.policy
        copy, copy_bytes = self._copy
        mounts = [Mount(ASSETS, "/grader"), Mount(copy, "/grader-src")]
        if folder is not None and result is not None:
            mounts += [Mount(folder / "in", "/grader-in"), Mount(result, "/grader-out", read_only=False)]
        mounts += [Mount(Path(source), f"/work/{target}") for target, source in sorted(self.data_folders.items())]
        work = copy_bytes + size_bytes(p.work_size)
        return ContainerSpec(
            image=self.image, command=command, run_id=self.run_id, env=RUN_ENV, workdir="/work",
            mounts=tuple(mounts), memory=p.memory, cpus=p.cpus, pids=p.pids, tmpfs={"/tmp": p.tmpfs_size},
            owned_tmpfs={"/work": str(work)}, timeout=timeout, output_limit=p.output_limit,
        )

    def step_timeout(self) -> float:
        """The wall timeout of the next step: the policy's, or less when the run's budget is nearly spent."""
        left = self.remaining()
        return float(self.policy.timeout) if left is None else max(1.0, min(float(self.policy.timeout), left))

    def run_driver(
        self, name: str, driver: str, request: dict[str, Any], *, copy: bool = True, timeout: float | None = None
    ) -> StepResult:
        """Run one of the grader's drivers; its result is accepted only when signed with this step's key.

        `copy=False` leaves the working copy empty (a driver that reads only the image); `timeout` shortens the
        step's own."""
        timeout = self.step_timeout() if timeout is None else min(timeout, self.step_timeout())
        # The driver stops a little before the container is killed, so that it can still sign what it has.
        request = {**request, "budget_s": max(1.0, timeout - min(5.0, max(1.0, timeout / 5)))}
        with self._folders(name, request) as (folder, result_file, key):
            command = ("sh", "-c", (_PROLOGUE if copy else "cd /work; ") + _TOOLS + driver)
            result = run_container(self.engine, self._spec(command, timeout, folder, result_file))
            try:
                data = read_signed_result(folder, "result", key)
            except RejectedOutput as exc:
                return StepResult(result, None, str(exc), timeout, float(self.policy.timeout))
            return StepResult(result, data, None, timeout, float(self.policy.timeout))

    def run_command(self, command: str) -> StepResult:
        """Run one shell command of the group's in its working copy."""
        timeout = self.step_timeout()
        argv = ("sh", "-c", _PROLOGUE + 'exec sh -c "$1"', "grader-smoke", command)
        result = run_container(self.engine, self._spec(argv, timeout, None, None))
        return StepResult(result, None, None, timeout, float(self.policy.timeout))

    def imports(self, tree: SubmissionTree) -> StepOutcome:
        """Import every module of the group's code the way its authors run it; one finding per failing module."""
        plans, layout = module_plans(tree)
        if not plans:
            return skipped_step("imports", "no Python modules to import")
        per_module = max(5, min(60, self.policy.timeout // max(len(plans), 1)))
        modules = [{"path": p.path, "attempts": [{"module": c.module, "paths": list(c.paths), "how": c.how,
                                                  "cwd": c.cwd} for c in p.conventions]} for p in plans]
        run = self.run_driver("imports", "imports_driver.py", {"modules": modules, "per_module_timeout": per_module})
        outcome = imports_outcome(run, tree, self.data_folders)
        if isinstance(outcome.detail, ImportsResult):
            outcome = replace(outcome, detail=replace(outcome.detail, layout=tuple(layout)))
        return outcome

    def smoke(self, commands: tuple[str, ...], tree: SubmissionTree | None = None) -> list[StepOutcome]:
        """Run each smoke command in its own container, in the submission's folder."""
        steps = []
        for number, command in enumerate(commands, start=1):
            if not self.budget_left():
                steps.append(skipped_step(f"smoke[{number}]", self.budget_spent()))
                continue
            steps.append(smoke_outcome(f"smoke[{number}]", command, self.run_command(command), tree,
                                       self.data_folders))
        return steps

    def tests(self, tree: SubmissionTree) -> StepOutcome:
        """Run the group's pytest suite; counts come from the JUnit XML, cross-checked with pytest's exit status."""
        if not tree.glob("test_*.py", "*_test.py"):
            return skipped_step("tests", "no test files (test_*.py, *_test.py)")
        return tests_outcome(self.run_driver("tests", "pytest_driver.py", {}), tree, self.data_folders)

    def notebooks(self, tree: SubmissionTree) -> StepOutcome:
        """Execute every notebook with nbclient under the per-cell timeout, each in its own folder."""
        notebooks = tree.with_suffix(".ipynb")
        if not notebooks:
            return skipped_step("notebooks", "no notebooks")
        request = {"notebooks": notebooks, "cell_timeout": self.policy.notebook_cell_timeout}
        return notebooks_outcome(self.run_driver("notebooks", "notebook_driver.py", request), tree,
                                 self.data_folders)

    def budget_spent(self) -> str:
        """Why a step was not started: the run's budget."""
        return f"not run: the run steps' time budget ({self.policy.run_budget} s for all of them) is spent"


def skipped_step(name: str, why: str) -> StepOutcome:
    """A step that did not run, with why."""
    return StepOutcome(name=name, status=StepStatus.SKIPPED, reason=why)


__all__ = ["COPY_FAILED", "SHOWN_CHARS", "StepResult", "StepRunner", "copy_submission", "skipped_step"]
