"""Grading a whole roster: per group acquire -> grade -> write reports, in parallel, resumable, crash-proof.

Parallelism uses threads, not processes: a group's time goes to git subprocesses, Docker calls that wait on
containers and paper extraction in a subprocess, all of which release the GIL; threads also share the loaded
rubric and one progress display without pickling, and a Ctrl-C reaches one process whose containers are
easy to find by its pid. Pure-Python static checks do contend for the GIL; bench/bench_batch.py measures
what --jobs buys for --static.

Resume: next to its reports every graded group gets `.grader-state.json` (commit, rubric hash, roster
entry hash, static or not, deadline). A re-run keeps reports whose state matches the freshly fetched
commit, unless `force`. The state is written last, so an interrupted group is graded again, and never for a
group the grader could not grade (an infrastructure error is retried like a failed clone).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from grader.acquire import AcquirePolicy, acquire_git
from grader.config import writable_folder
from grader.engine import SandboxRunner, grade
from grader.errors import ConfigError, GraderError
from grader.models import GradeReport, GradeState, Skip, Status, Submission
from grader.report import FILE_FORMATS, write_atomic, write_reports
from grader.report.moodle import Worksheet
from grader.report.summary import GradeFiles, GroupRow, write_summaries
from grader.roster import Group, Roster
from grader.rubric import LoadedRubric
from grader.sandbox.engine import Engine

STATE_FILE = ".grader-state.json"
TRACEBACK_FILE = "traceback.txt"
#: Seconds an interrupted batch waits for the groups still running to stop (their containers are removed first).
STOP_GRACE_S = 30.0

#: Acquires one group: the roster entry, the work folder, the deadline -> a Submission (never raises).
Acquire = Callable[[Group, Path, datetime | None], Submission]


class OutcomeKind(StrEnum):
    """What the batch did with a group."""

    GRADED = "graded"
    KEPT = "kept"
    NOT_ACQUIRED = "not-acquired"
    CRASHED = "crashed"


@dataclass(frozen=True)
class GroupOutcome:
    """One group's result in the batch: its report and what happened."""

    group: Group
    kind: OutcomeKind
    report: GradeReport
    files: tuple[Path, ...] = ()
    seconds: float = 0.0
    #: The cluster worker that graded the group; None when it was graded on this machine.
    worker: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """Every group's outcome in roster order, and the summary files written."""

    outcomes: tuple[GroupOutcome, ...]
    summaries: tuple[Path, ...]

    @property
    def gate_passed(self) -> bool:
        """True when every group's gate holds."""
        return all(o.report.gate_passed for o in self.outcomes)

    @property
    def not_graded(self) -> tuple[GroupOutcome, ...]:
        """The groups that could not be graded (clone failed, infrastructure error, grader bug)."""
        return tuple(o for o in self.outcomes if o.report.state is GradeState.NOT_GRADED)

    @property
    def provisional(self) -> tuple[GroupOutcome, ...]:
        """The groups graded but not final (manual scores pending, checks not run)."""
        return tuple(o for o in self.outcomes if o.report.state is GradeState.PROVISIONAL)


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch: where to write, which formats, how many groups at once, what to redo."""

    out_dir: Path
    formats: tuple[str, ...] = FILE_FORMATS
    workdir: Path | None = None
    jobs: int = 1
    deadline: datetime | None = None
    force: bool = False
    policy: AcquirePolicy | None = None
    #: Points the lecturer gave by hand for manual criteria: group id -> criterion id -> points.
    manual: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Write provisional totals into the grade files (criteria pending or not run count 0).
    allow_pending: bool = False
    #: The Moodle grading worksheet to fill in (read and checked before grading starts).
    worksheet: Worksheet | None = None

    @property
    def clones(self) -> Path:
        """Where repositories are fetched (default OUT/.clones)."""
        return self.workdir or self.out_dir / ".clones"


class BatchProgress(Protocol):
    """Receives what the batch is doing, for a progress display."""

    def stage(self, group_id: str, stage: str) -> None:
        """A group moved to a stage: cloning, checking, building, running..."""
        ...

    def finished(self, outcome: GroupOutcome) -> None:
        """A group is done (graded, kept, or failed)."""
        ...


class SilentProgress:
    """A progress receiver that shows nothing."""

    def stage(self, group_id: str, stage: str) -> None:
        """Ignore the stage."""

    def finished(self, outcome: GroupOutcome) -> None:
        """Ignore the outcome."""


def rubric_source(loaded: LoadedRubric) -> bytes:
    """The rubric file's bytes as the digest sees them (its path when it cannot be read)."""
    try:
        return loaded.path.read_bytes()
    except OSError:
        return str(loaded.path).encode()


def rubric_digest(loaded: LoadedRubric, source: bytes | None = None) -> str:
    """Hash of the rubric file and of the rubric as loaded (command-line overrides included).

    `source` stands in for the file where it is not on this machine's disk (a cluster worker is sent it)."""
    digest = hashlib.sha256()
    digest.update(rubric_source(loaded) if source is None else source)
    digest.update(loaded.rubric.model_dump_json().encode())
    return digest.hexdigest()


def git_acquire(policy: AcquirePolicy | None) -> Acquire:
    """The real acquisition: hardened git fetch and deadline cut (grader.acquire)."""

    def acquire(group: Group, workdir: Path, deadline: datetime | None) -> Submission:
        submission = acquire_git(
            group.repo, workdir, group_id=group.id, ref=group.ref, deadline=deadline, members=group.members,
            smoke=group.smoke, paper=group.paper, policy=policy,
        )
        # The roster's data folders travel with the submission to its run steps.
        return replace(submission, data=group.data) if group.data else submission

    return acquire


def grade_roster(
    roster: Roster,
    loaded: LoadedRubric,
    options: BatchOptions,
    *,
    sandbox: SandboxRunner | None = None,
    progress: BatchProgress | None = None,
    acquire: Acquire | None = None,
    digest: str | None = None,
) -> BatchResult:
    """Grade every group of the roster and write OUT/<group>/report.* and the summaries.

    `sandbox=None` grades statically. One group's failure becomes that group's report; only a GraderError
    (the grader itself cannot run, e.g. Docker went away) or Ctrl-C stops the batch, leaving no containers.
    `digest` is the rubric's hash when its file is elsewhere (a cluster worker grading for the lecturer).
    """
    if options.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {options.jobs}")
    progress = progress or SilentProgress()
    # git runs in other folders than ours: every path handed on must be absolute
    options = replace(options, out_dir=options.out_dir.absolute(), workdir=options.clones.absolute())
    writable_folder(options.out_dir, "-o/--output")
    writable_folder(options.clones, "--workdir")
    acquire = acquire or git_acquire(options.policy)
    deadline = options.deadline or roster.deadline or loaded.rubric.deadline
    formats = tuple(dict.fromkeys(("json", *(f for f in options.formats if f != "terminal"))))
    job = _Job(loaded, digest or rubric_digest(loaded), options, formats, deadline, sandbox, progress, acquire)
    outcomes: dict[str, GroupOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="grade")
    futures: dict[Future[GroupOutcome | None], Group] = {}
    try:
        futures.update({pool.submit(job.run, g): g for g in roster.groups})
        for future in as_completed(futures):
            outcome = future.result()
            if outcome is not None:
                outcomes[outcome.group.id] = outcome
                progress.finished(outcome)
    except BaseException:
        job.stop.set()  # running groups finish without writing reports, so a re-run grades them again
        pool.shutdown(wait=False, cancel_futures=True)
        if sandbox is not None:
            remove_own_containers()
        # A group already writing its files finishes them (atomically) before we return; one still in a
        # step ends at its next stage, its container gone. Bounded, so a stuck engine cannot hold Ctrl-C.
        wait(futures, timeout=STOP_GRACE_S)
        raise
    pool.shutdown(wait=True)
    return batch_result(roster, loaded, options, outcomes)


def batch_result(
    roster: Roster, loaded: LoadedRubric, options: BatchOptions, outcomes: Mapping[str, GroupOutcome]
) -> BatchResult:
    """Write the batch's summaries and grade files from every group's outcome (on this machine, whichever ran
    the groups: the local pool or a cluster), in roster order."""
    rows = [GroupRow(g, outcomes[g.id].report) for g in roster.groups]
    files = GradeFiles(loaded.rubric.grades, options.allow_pending, options.worksheet, roster.warnings)
    summaries = write_summaries(rows, options.out_dir, files)
    return BatchResult(tuple(outcomes[g.id] for g in roster.groups), tuple(summaries))


class _Cancelled(BaseException):
    """Raised inside a group's grading once the batch is interrupted; a BaseException so that the
    engine's and sandbox's `except Exception` guards do not turn it into a result."""


@dataclass(frozen=True)
class _Job:
    """Everything one group's grading needs, shared read-only by the worker threads."""

    loaded: LoadedRubric
    digest: str
    options: BatchOptions
    formats: tuple[str, ...]
    deadline: datetime | None
    sandbox: SandboxRunner | None
    progress: BatchProgress
    acquire: Acquire
    stop: threading.Event = field(default_factory=threading.Event)

    def _stage(self, group_id: str, stage: str) -> None:
        """Pass a stage on; once the batch is stopped, end this group at its next stage (no new container)."""
        if self.stop.is_set():
            raise _Cancelled
        self.progress.stage(group_id, stage)

    def run(self, group: Group) -> GroupOutcome | None:
        """Acquire, grade and write one group; None if the batch was stopped meanwhile."""
        started = time.monotonic()
        out = self.options.out_dir / group.id
        if self.stop.is_set():
            return None
        deadline = group.deadline or self.deadline  # a group's own deadline is its extension
        try:
            self.progress.stage(group.id, "cloning")
            submission = self.acquire(group, self.options.clones, deadline)
            state = self._state(group, submission, deadline)
            kept = None if self.options.force else self._kept(out, state)
            if kept is not None:
                files = tuple(write_reports(kept, self._missing(out), out))
                return GroupOutcome(group, OutcomeKind.KEPT, kept, files, time.monotonic() - started)
            report = grade(
                submission, self.loaded, sandbox=self.sandbox, artifacts_dir=out,
                manual=self.options.manual.get(group.id), progress=lambda stage: self._stage(group.id, stage),
            )
            kind = OutcomeKind.NOT_ACQUIRED if submission.acquire_error else OutcomeKind.GRADED
        except _Cancelled:
            return None
        except GraderError:
            raise
        except Exception as exc:  # a bug while grading this group: record it, keep the batch going
            submission = Submission(group.id, out, group.repo, members=group.members,
                                    acquire_error=f"internal error in grader ({type(exc).__name__}: {exc})")
            report = grade(submission, self.loaded)
            kind, state = OutcomeKind.CRASHED, None
            write_atomic(out / TRACEBACK_FILE, traceback.format_exc())
        if self.stop.is_set():
            return None
        (out / STATE_FILE).unlink(missing_ok=True)
        if kind is not OutcomeKind.CRASHED:
            (out / TRACEBACK_FILE).unlink(missing_ok=True)
        written = write_reports(report, self.formats, out)
        # A group the grader could not grade (Docker went away, the host's disk filled) is graded again by the
        # next run, like a failed clone: keeping it would make the lecturer pass --force after fixing the machine.
        if kind is OutcomeKind.GRADED and state is not None and not self._retry(report):
            write_atomic(out / STATE_FILE, json.dumps(state, indent=2) + "\n")
        return GroupOutcome(group, kind, report, tuple(written), time.monotonic() - started)

    def _retry(self, report: GradeReport) -> bool:
        """Whether the next run grades this group again even at the same commit: the grader could not grade it,
        or a check did not run or errored while the sandbox was on (only the grader's own trouble does that;
        --static is part of the state, so its open criteria are kept as they are)."""
        if report.state is GradeState.NOT_GRADED:
            return True
        return self.sandbox is not None and any(
            c.status is Status.ERROR or c.skip is Skip.NOT_RUN for c in report.checks if c.id.startswith("run."))

    def _state(self, group: Group, submission: Submission, deadline: datetime | None) -> dict[str, Any] | None:
        """What a kept report must match; None when there is nothing to match (not acquired)."""
        if submission.acquire_error or not submission.commit:
            return None
        return {
            "commit": submission.commit,
            # the roster's entry matters too: its smoke commands, paper path and members change the grade
            "group_sha256": hashlib.sha256(repr(group).encode()).hexdigest(),
            "rubric_sha256": self.digest,
            "static": self.sandbox is None,
            "deadline": deadline.isoformat() if deadline else None,
            "manual": dict(self.options.manual.get(group.id, {})),
        }

    def _kept(self, out: Path, state: dict[str, Any] | None) -> GradeReport | None:
        """The report already written for the same commit, rubric and mode, if there is one and it loads."""
        if state is None:
            return None
        try:
            saved = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if saved != state:
            return None
        from grader.report.jsonio import load_report

        try:
            return load_report(out / "report.json")
        except GraderError:
            return None

    def _missing(self, out: Path) -> list[str]:
        """Formats asked for now that the kept group's folder does not have yet (rendered, not regraded)."""
        from grader.report import FORMATS

        return [f for f in self.formats if not (out / f"report.{FORMATS[f][1]}").exists()]


def remove_own_containers(engine: Engine | None = None) -> int:
    """Remove the sandbox containers this process started (on Ctrl-C); 0 when the engine cannot be reached.

    `engine=None` connects to the local Docker Engine for the purpose.
    """
    try:
        if engine is not None:
            return _remove_own(engine)
        from grader.sandbox.docker_engine import connect

        owned = connect()
        try:
            return _remove_own(owned)
        finally:
            owned.close()
    except Exception:  # cleanup on the way out must not hide the interrupt
        return 0


def _remove_own(engine: Engine) -> int:
    from grader.sandbox.container import owner_labels

    mine = engine.containers(owner_labels())
    for container in mine:
        engine.remove(container.id)
    return len(mine)
