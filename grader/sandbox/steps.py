"""The run steps (imports, smoke, tests, notebooks): each in a fresh container with a fresh copy of the submission.

Each step gets its own writable copy of the submission (without .git, links left out) mounted at /work, an empty
output folder at /out, and the grader's drivers read-only at /grader. Results come back only through /out, as
JSON carrying a nonce the grader handed the driver, and are parsed as data (see outputs.py).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.files import SubmissionTree
from grader.models import (
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
from grader.sandbox.container import ContainerResult, ContainerSpec, Mount, run_container
from grader.sandbox.engine import Engine
from grader.sandbox.outputs import RejectedOutput, parse_junit, read_json_result
from grader.sandbox.policy import SandboxPolicy

ASSETS = Path(__file__).resolve().parent / "assets"
#: Characters of stdout / stderr kept in a step's outcome for the report.
SHOWN_CHARS = 8000
#: Most modules the import step tries (a vendored library is not the group's code).
MAX_MODULES = 300
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
_SKIP_COPY = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class StepRunner:
    """Runs run steps for one submission from its environment image under the rubric's policy."""

    engine: Engine
    image: str
    policy: SandboxPolicy
    run_id: str
    source: Path
    scratch: Path

    @contextmanager
    def _folders(self, name: str) -> Iterator[tuple[Path, Path]]:
        work = Path(tempfile.mkdtemp(prefix=f"{name}-work-", dir=self.scratch))
        out = Path(tempfile.mkdtemp(prefix=f"{name}-out-", dir=self.scratch))
        try:
            copy_submission(self.source, work)
            os.chmod(out, 0o777)
            yield work, out
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

    def _spec(self, command: tuple[str, ...], work: Path, out: Path) -> ContainerSpec:
        p = self.policy
        return ContainerSpec(
            image=self.image, command=command, run_id=self.run_id, env=RUN_ENV, workdir="/work",
            mounts=(
                Mount(work, "/work", read_only=False), Mount(out, "/out", read_only=False), Mount(ASSETS, "/grader")
            ),
            memory=p.memory, cpus=p.cpus, pids=p.pids, tmpfs={"/tmp": p.tmpfs_size}, timeout=float(p.timeout),
            output_limit=p.output_limit,
        )

    def _step(
        self, name: str, command: tuple[str, ...], result_name: str | None, request: dict[str, Any] | None
    ) -> tuple[ContainerResult, dict[str, Any] | None, str | None]:
        """Run one container; returns its result, the driver's accepted JSON (or None) and why it was rejected."""
        nonce = secrets.token_hex(16)
        with self._folders(name) as (work, out):
            if request is not None:
                request_path = out / ".request.json"
                request_path.write_text(json.dumps({**request, "nonce": nonce}), encoding="utf-8")
                os.chmod(request_path, 0o666)
            result = run_container(self.engine, self._spec(command, work, out))
            if result_name is None:
                return result, None, None
            try:
                return result, read_json_result(out, result_name, nonce), None
            except RejectedOutput as exc:
                return result, None, str(exc)

    def imports(self, tree: SubmissionTree) -> StepOutcome:
        """Import every module of the group's code, one finding per failing module."""
        modules = discover_modules(tree)
        if not modules:
            return skipped_step("imports", "no Python modules to import")
        per_module = max(5, min(60, self.policy.timeout // max(len(modules), 1)))
        result, data, rejected = self._step(
            "imports", ("python3", "/grader/imports_driver.py"), "imports.json",
            {"modules": modules, "per_module_timeout": per_module},
        )
        if data is None:
            return outcome("imports", result, None, rejected=rejected)
        entries = [m for m in data.get("modules", []) if isinstance(m, dict)]
        imports = ImportsResult(
            modules=len(entries),
            failures=tuple(_module_import(m) for m in entries if m.get("status") == "error"),
            exited=tuple(_module_import(m) for m in entries if m.get("status") == "exit"),
            stopped_at=None if data.get("complete") is True else str(data.get("importing", "")),
        )
        return outcome("imports", result, imports, failed=bool(imports.failures) or imports.stopped_at is not None)

    def smoke(self, commands: tuple[str, ...]) -> list[StepOutcome]:
        """Run each smoke command in its own container, in the submission's folder."""
        steps = []
        for number, command in enumerate(commands, start=1):
            result, _, _ = self._step(f"smoke{number}", ("sh", "-c", command), None, None)
            steps.append(outcome(f"smoke[{number}]", result, SmokeResult(command=command)))
        return steps

    def tests(self, tree: SubmissionTree) -> StepOutcome:
        """Run the group's pytest suite; counts come from the JUnit XML, cross-checked with pytest's exit code."""
        if not tree.glob("test_*.py", "*_test.py"):
            return skipped_step("tests", "no test files (test_*.py, *_test.py)")
        result, data, rejected = self._step("tests", ("python3", "/grader/pytest_driver.py"), "tests.json", {})
        if data is None:
            return outcome("tests", result, None, rejected=rejected)
        raw_exit = data.get("exit_code")
        pytest_exit = raw_exit if isinstance(raw_exit, int) and not isinstance(raw_exit, bool) else None
        try:
            counts = parse_junit(str(data.get("junit", "")))
        except RejectedOutput as exc:
            return outcome("tests", result, PytestResult(pytest_exit=pytest_exit), rejected=str(exc))
        bad = counts.failed + counts.errors
        note = None
        # pytest exits 0 exactly when nothing failed; a disagreement means the XML was tampered with.
        if (pytest_exit == 0) != (bad == 0) or pytest_exit not in {0, 1}:
            if pytest_exit not in {0, 1, 5}:
                note = f"pytest exited with {pytest_exit} (interrupted, internal or usage error)"
            else:
                note = "the JUnit XML disagrees with pytest's exit code: results not trusted"
        tests = PytestResult(
            tests=counts.tests, passed=counts.passed, failed=counts.failed, errors=counts.errors,
            skipped=counts.skipped, failing=tuple(counts.failing), pytest_exit=pytest_exit, note=note,
        )
        return outcome("tests", result, tests, failed=bad > 0 or note is not None)

    def notebooks(self, tree: SubmissionTree) -> StepOutcome:
        """Execute every notebook with nbclient under the per-cell timeout."""
        notebooks = tree.with_suffix(".ipynb")
        if not notebooks:
            return skipped_step("notebooks", "no notebooks")
        result, data, rejected = self._step(
            "notebooks", ("python3", "/grader/notebook_driver.py"), "notebooks.json",
            {"notebooks": notebooks, "cell_timeout": self.policy.notebook_cell_timeout},
        )
        if data is None:
            return outcome("notebooks", result, None, rejected=rejected)
        runs = NotebooksResult(
            results=tuple(_notebook_run(n) for n in data.get("notebooks", []) if isinstance(n, dict))
        )
        return outcome("notebooks", result, runs, failed=bool(runs.failing))


def outcome(
    name: str, result: ContainerResult, detail: StepDetail | None, *, failed: bool = False,
    rejected: str | None = None,
) -> StepOutcome:
    """A step's outcome: the container's verdict first (timeout, oom...), then what the driver reported.

    Results that were rejected (missing, forged, too large) make a step that exited 0 a failed one.
    """
    status = result.status
    if status is StepStatus.PASSED and (failed or rejected is not None):
        status = StepStatus.FAILED
    return StepOutcome(
        name=name, status=status, exit_code=result.exit_code, duration_s=round(result.duration_s, 3),
        stdout_tail=_shown(result.stdout), stderr_tail=_shown(result.stderr), detail=detail,
        error=result.error, rejected=rejected, output_bytes=result.output_bytes if result.truncated else None,
    )


def skipped_step(name: str, why: str) -> StepOutcome:
    """A step that did not run, with why."""
    return StepOutcome(name=name, status=StepStatus.SKIPPED, reason=why)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _module_import(entry: dict[str, Any]) -> ModuleImport:
    """One driver entry for a module, keeping only fields of the expected types."""
    return ModuleImport(
        module=_text(entry.get("module")), path=_text(entry.get("path")), error_type=_text(entry.get("error_type")),
        message=_text(entry.get("message")), error_path=_text(entry.get("error_path")) or None,
        error_line=_number(entry.get("error_line")),
    )


def _notebook_run(entry: dict[str, Any]) -> NotebookRun:
    """One driver entry for a notebook, keeping only fields of the expected types."""
    return NotebookRun(
        path=_text(entry.get("path")), status=_text(entry.get("status")) or "failed",
        cells=_number(entry.get("cells")) or 0, executed=_number(entry.get("executed")) or 0,
        failed_cell=_number(entry.get("failed_cell")), error=_text(entry.get("error")),
    )


def _shown(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"[... {len(text) - SHOWN_CHARS} earlier characters not shown ...]\n{text[-SHOWN_CHARS:]}"


def discover_modules(tree: SubmissionTree) -> list[dict[str, str]]:
    """Importable modules of the group's code: dotted name, the folder to import it from, and its file."""
    modules = []
    for rel in tree.with_suffix(".py"):
        parts = rel[:-3].split("/")
        if parts[-1] in {"setup", "__main__", "conftest"}:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or not all(p.isidentifier() for p in parts):
            continue
        # Climb while the folder is a package, so `src/pkg/mod.py` imports as `pkg.mod` from `src`.
        depth = len(parts) - (0 if rel.endswith("__init__.py") else 1)
        start = depth
        while start > 0 and tree.exists("/".join(parts[:start]) + "/__init__.py"):
            start -= 1
        module = ".".join(parts[start:])
        if not module:
            continue
        modules.append({"module": module, "root": "/".join(parts[:start]), "path": rel})
    return modules[:MAX_MODULES]


def copy_submission(source: Path, dest: Path) -> None:
    """Copy the submission for one step: regular files and folders only, no links, no VCS folders."""
    os.chmod(dest, 0o777)
    for folder, dirs, files in os.walk(source, followlinks=False):
        rel = os.path.relpath(folder, source)
        target = dest if rel == "." else dest / rel
        dirs[:] = [d for d in dirs if d not in _SKIP_COPY and not os.path.islink(os.path.join(folder, d))]
        for d in dirs:
            (target / d).mkdir(mode=0o777)
            os.chmod(target / d, 0o777)
        for name in files:
            src = os.path.join(folder, name)
            st = os.lstat(src)
            if not stat.S_ISREG(st.st_mode):
                continue
            try:
                fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as reader, open(target / name, "wb") as writer:
                shutil.copyfileobj(reader, writer)
            os.chmod(target / name, 0o666 | (st.st_mode & 0o111))
