"""What the sandbox's steps brought back: each step's status and typed results, and the run's outcome.

Parsed once where a step ran (grader/sandbox/steps.py and install.py), read by the run checks, kept in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field


class StepStatus(StrEnum):
    """Outcome of one sandbox step."""

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    OOM = "oom"
    OUTPUT_LIMIT = "output-limit"
    INFRA_ERROR = "infra-error"
    SKIPPED = "skipped"
    #: Failed only because files it reads are not in the submission (a data set, a checkpoint): not a code failure.
    NEEDS_DATA = "needs-data"


class StepName(StrEnum):
    """The sandbox steps, cheap to expensive; a runtime check names the one whose outcome it reads."""

    BUILD = "build"
    IMPORTS = "imports"
    SMOKE = "smoke"
    TESTS = "tests"
    NOTEBOOKS = "notebooks"
    README = "readme"


@dataclass(frozen=True)
class InstalledEnvironment:
    """What the installed environment says about itself, read from the group's image after the install, kept to
    what deciding the code's imports and advising its pins need."""

    #: For each top-level name the code imports that the environment has: the distributions providing it, as
    #: `importlib.metadata.packages_distributions()` says inside the image (`{"sklearn": ["scikit-learn"]}`).
    distributions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Each distribution's installed requirements (PEP 503 names, extras left out), only along the paths from a
    #: declared distribution to one providing an import: why an undeclared import is there.
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: How many distributions the environment holds.
    count: int = 0
    #: The installed version of each distribution the group declares (PEP 503 name -> version, as its metadata
    #: says: `{"torch": "2.4.0+cpu"}`): the version env.pinned advises pinning.
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InstalledCopy:
    """A file of the submission identical, byte for byte, to a file an installed distribution's RECORD lists: a
    vendored copy of that distribution's code."""

    #: The submission's file, relative to its root.
    path: str
    #: The installed distribution's name, and the file as its RECORD lists it (`six`, `six.py`).
    distribution: str
    file: str


@dataclass(frozen=True)
class BuildResult:
    """What the install phase found out: the environment it installed and, on failure, why."""

    kind: Literal["build"] = "build"
    #: Environment kind installed: requirements, pyproject, setup, conda, pipfile, dockerfile or plain.
    environment: str = ""
    #: The environment files the install was made from.
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    cache_key: str | None = None
    cache_hit: bool | None = None
    #: A short reason code for a failed install (no-such-package, build-failure, timeout...).
    failure_reason: str | None = None
    failed_requirement: str | None = None
    #: One line a student can act on.
    explanation: str | None = None
    #: The sandbox's Python (minor version) the environment was installed on.
    python: str | None = None
    #: The Python version the group declares, with the file saying so, e.g. "3.8 (runtime.txt)".
    python_declared: str | None = None
    #: The course layer (sandbox.preinstall) the environment was installed on, and the group's requirements it
    #: already held ("torch 2.4.0"), which the group's install did not fetch again.
    course_image: str | None = None
    from_course: tuple[str, ...] = ()
    #: Bytes pip fetched from the package index, and bytes served from the grader's download cache instead.
    downloaded_bytes: int | None = None
    cached_bytes: int | None = None
    #: Disk taken by the environment's own layers (beside the base image or course layer it is built on).
    image_bytes: int | None = None
    #: Packages the notebooks install with `!pip install` / `%pip install` (declared nowhere else), installed after
    #: the environment file's in a pip call of their own; and those of them that did not install.
    for_notebooks: tuple[str, ...] = ()
    notebooks_failed: tuple[str, ...] = ()
    #: The installed environment's own metadata (None when it could not be read, or the install failed).
    installed: InstalledEnvironment | None = None
    #: The submission's .py files identical to a file of an installed distribution (empty when none are, or the
    #: metadata could not be read): `code.*` leaves them out as vendored copies.
    installed_copies: tuple[InstalledCopy, ...] = ()


@dataclass(frozen=True)
class ModuleImport:
    """One module that did not import cleanly: it raised, or it exited while being imported."""

    module: str
    path: str
    error_type: str = ""
    message: str = ""
    #: Where in the group's code the import failed (deepest frame inside the submission).
    error_path: str | None = None
    error_line: int | None = None
    #: How it was imported: the module name, the folders on sys.path and the evidence for that convention.
    how: str = ""
    #: Files it read that are not in the submission, relative to the root (a needs-data failure when not empty).
    missing_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportsResult:
    """The import step: how many modules were tried and which failed."""

    kind: Literal["imports"] = "imports"
    modules: int = 0
    failures: tuple[ModuleImport, ...] = ()
    #: Modules that called sys.exit on import (scripts without a main guard): reported, not failed.
    exited: tuple[ModuleImport, ...] = ()
    #: The module being imported when the step ended early (killed at its timeout); None when it completed.
    stopped_at: str | None = None
    #: How the authors evidently run their code, as the import step applied it ("source/: run as scripts ...").
    layout: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmokeResult:
    """One smoke command."""

    kind: Literal["smoke"] = "smoke"
    command: str = ""
    #: Files it read that are not in the submission, relative to the root.
    missing_data: tuple[str, ...] = ()
    #: Where the commands were declared (`.grader.toml`, `pyproject.toml`, the rubric or the roster).
    declared_in: str | None = None
    #: Why the declaration could not be used (invalid TOML, wrong types), with the line; None when fine.
    problem: str | None = None
    problem_line: int | None = None


@dataclass(frozen=True)
class FailedTest:
    """One failing test as a student can rerun it."""

    #: The id as the JUnit XML names it (`ML_Algs.SVM_test`, `tests.test_model::test_shape`).
    id: str
    #: The test file in the submission, when it was found ("" when not).
    path: str = ""
    #: A node id pytest accepts (`tests/test_model.py::test_shape`); the JUnit id when no file was found.
    node: str = ""
    #: The error in one line, e.g. "ModuleNotFoundError: No module named 'CSVInterface'".
    reason: str = ""


@dataclass(frozen=True)
class PytestResult:
    """The group's pytest suite, counted from its JUnit XML."""

    kind: Literal["tests"] = "tests"
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    #: Test ids that failed or errored.
    failing: tuple[str, ...] = ()
    pytest_exit: int | None = None
    #: Why the counts are not trusted (interrupted run, XML disagreeing with pytest's exit code); None if fine.
    note: str | None = None
    #: Failing test ids whose failure was a file not in the submission (counted in `failing` too).
    needs_data: tuple[str, ...] = ()
    #: Where pytest came from (the group's own, or the grader's appended to the group's environment).
    runner: str | None = None
    #: The failing tests (in `failing`'s order) with the file, the node id to rerun and the error in one line.
    failures: tuple[FailedTest, ...] = ()


@dataclass(frozen=True)
class NotebookRun:
    """One notebook executed top to bottom, or where it stopped."""

    path: str
    #: ok, failed, timeout or unreadable.
    status: str
    cells: int = 0
    executed: int = 0
    failed_cell: int | None = None
    error: str = ""
    #: Files it read that are not in the submission, relative to the root.
    missing_data: tuple[str, ...] = ()
    #: When the failure comes from what the sandbox does not have (the network, Colab's Google Drive): what, and
    #: the cell that reached for it, in words ("cell 4 downloads with `wget https://...`").
    offline: str | None = None


@dataclass(frozen=True)
class NotebooksResult:
    """Every notebook the step executed."""

    kind: Literal["notebooks"] = "notebooks"
    results: tuple[NotebookRun, ...] = ()
    #: How the kernel was started (the group's interpreter, with which ipykernel), when it is worth saying.
    kernel: str | None = None

    @property
    def failing(self) -> tuple[NotebookRun, ...]:
        """The notebooks that did not run through."""
        return tuple(r for r in self.results if r.status != "ok")


@dataclass(frozen=True)
class ReadmeCommandRun:
    """One command of the README set and what became of it in the sandbox."""

    text: str
    path: str
    line: int
    #: What it is for (the README plan's kind: run, training, download...) and the folder it runs in.
    kind: str = ""
    cwd: str = "."
    #: passed, started (still running at its time limit, no error), failed, needs-data, unavailable (a program
    #: the sandbox lacks), not-run, reported (downloads, credentials, GPU...), skipped (installs) or followed.
    outcome: str = "not-run"
    reason: str = ""
    exit_code: int | None = None
    duration_s: float = 0.0
    output_tail: str = ""
    missing_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadmeRunResult:
    """The README set's commands in reading order: run, followed or reported; the first failing one ends the run."""

    kind: Literal["readme"] = "readme"
    commands: tuple[ReadmeCommandRun, ...] = ()


@dataclass(frozen=True)
class DataNeed:
    """Files a run step read that the submission does not contain, and what the submission says about them."""

    #: The missing paths, relative to the submission's root.
    missing: tuple[str, ...]
    #: Where the README says how to get the data (`README.md:12: dvc pull`); None when it does not say.
    readme_help: str | None = None
    #: Why the paths read as data: ignored by .gitignore, tracked by DVC, a dvc.yaml dependency.
    marks: tuple[str, ...] = ()
    #: Folders of data the lecturer provided for this run (targets inside the working copy).
    provided: tuple[str, ...] = ()


#: What a step brought back, parsed once where the step ran; `kind` tells which step it belongs to.
StepDetail = Annotated[
    BuildResult | ImportsResult | SmokeResult | PytestResult | NotebooksResult | ReadmeRunResult,
    Field(discriminator="kind"),
]


@dataclass(frozen=True)
class StepOutcome:
    """What happened when one sandbox step ran."""

    name: str
    status: StepStatus
    exit_code: int | None = None
    duration_s: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""
    #: The step's parsed results; None when it brought none back (skipped, infrastructure error, rejected output).
    detail: StepDetail | None = None
    #: Why the step was skipped.
    reason: str | None = None
    #: Why the grader could not run the step (infra-error), in the engine's words.
    error: str | None = None
    #: Why the step's results were not accepted (missing, tampered with, over the size cap).
    rejected: str | None = None
    #: Bytes the step printed, when more than the report keeps.
    output_bytes: int | None = None
    #: Files the step read that are not in the submission; set whenever a failure was one (status needs-data
    #: when every failure of the step was).
    needs_data: DataNeed | None = None


@dataclass(frozen=True)
class RunOutcome:
    """Every sandbox step run for one submission."""

    image: str
    environment: str
    steps: tuple[StepOutcome, ...] = ()

    def step(self, name: str) -> StepOutcome | None:
        """The step called `name`, if it ran."""
        return next((s for s in self.steps if s.name == name), None)
