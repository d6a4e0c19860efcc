"""One group's task, as a worker runs it: the local batch for that one group, in a scratch folder.

Running the very batch a lecturer runs on one machine (acquire, resume check, grade, write) makes a cluster's
reports the same files as a local batch's, with the same resume rules; the worker then sends back what
changed in the group's folder. Task arguments never carry a credential, and their reprs name only the group,
because Dask writes a failed task's arguments into the worker's log.
"""

from __future__ import annotations

import hashlib
import tempfile
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from distributed import Reschedule, Worker, get_worker

from grader.acquire import scrub
from grader.batch import BatchOptions, GroupOutcome, grade_roster
from grader.cluster.shipment import GroupSeed, GroupShipment
from grader.cluster.worker import BatchPlugin
from grader.engine import SandboxRunner
from grader.errors import GraderError
from grader.roster import Group, Roster


class GroupCancelled(BaseException):
    """Raised at a group's next stage once the lecturer pressed Ctrl-C; a BaseException, like the batch's own
    _Cancelled, so that no `except Exception` in the engine or the sandbox turns it into a result."""


class GroupTaskFailed(Exception):
    """The task itself failed outside the batch's own guards (a bug); the text is free of credentials."""


@dataclass(frozen=True)
class GroupJob:
    """What every group's task of one batch shares (sent with each task; small, and holding no secret)."""

    plugin: str
    options: BatchOptions
    static: bool
    roster_path: Path

    def __repr__(self) -> str:
        return f"GroupJob({self.plugin})"


@dataclass(frozen=True)
class GroupTicket:
    """One group to grade, with what the lecturer's machine already holds for it."""

    group: Group
    seed: GroupSeed

    def __repr__(self) -> str:
        # A roster URL may carry a password; Dask logs a failed task's arguments by their repr.
        return f"GroupTicket({self.group.id})"


class _Forward:
    """The batch's progress receiver on a worker: each stage goes to the lecturer's machine as a Dask event,
    and a stopped batch ends the group at its next stage."""

    def __init__(self, worker: Worker, plugin: BatchPlugin) -> None:
        self._worker = worker
        self._plugin = plugin
        self._name = str(worker.name)

    def stage(self, group_id: str, stage: str) -> None:
        """Forward the stage, or end the group when the batch was stopped."""
        if self._plugin.stop.is_set():
            raise GroupCancelled
        # "worker" would be overwritten: the scheduler puts the worker's address there
        message = {"group": group_id, "stage": stage, "worker_name": self._name}
        self._worker.log_event(self._plugin.progress_topic, message)

    def finished(self, outcome: GroupOutcome) -> None:
        """The lecturer's machine announces the group once it has written its files."""


def grade_group(job: GroupJob, ticket: GroupTicket, *anchors: object) -> GroupShipment | None:
    """Grade one group on this worker and return its shipment; None when the batch was stopped meanwhile.

    `anchors` only place the task (next to the environment it needs). A worker whose Docker Engine stopped
    answering withdraws from the batch and hands the group on (Reschedule)."""
    worker = get_worker()
    plugin = worker.plugins.get(job.plugin)
    if not isinstance(plugin, BatchPlugin) or not plugin.ready or plugin.loaded is None:
        raise Reschedule()
    secrets = (plugin.secret.token,) if plugin.secret else ()
    try:
        with tempfile.TemporaryDirectory(prefix="grader-group-", dir=worker.local_directory) as scratch:
            folder = Path(scratch) / ticket.group.id
            ticket.seed.plant(folder)
            options = replace(
                job.options, out_dir=Path(scratch), workdir=_clones(plugin.clones, ticket.group), jobs=1,
                manual={k: v for k, v in job.options.manual.items() if k == ticket.group.id},
                policy=plugin.policy(job.options.policy),
            )
            roster = Roster(job.roster_path, None, (ticket.group,))
            sandbox = None if job.static else _docker_sandbox()
            result = grade_roster(roster, plugin.loaded, options, sandbox=sandbox, progress=_Forward(worker, plugin),
                                  digest=plugin.digest)
            (outcome,) = result.outcomes
            return GroupShipment.collect(folder, ticket.seed, outcome, str(worker.name))
    except GroupCancelled:
        return None
    except GraderError as exc:  # this worker cannot grade any more (its engine went away): another one will
        plugin.withdraw(worker, scrub(str(exc), secrets))
        raise Reschedule() from None
    except Exception as exc:
        raise GroupTaskFailed(scrub(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}", secrets)) from None


def _clones(root: Path, group: Group) -> Path:
    """Where this worker keeps the group's repository between batches: by repository URL as well as group id,
    so that another roster's group of the same id never shares its clone."""
    return root / hashlib.sha256(group.repo.encode()).hexdigest()[:16]


def _docker_sandbox() -> SandboxRunner:
    from grader.sandbox.runner import run_sandbox

    runner: SandboxRunner = run_sandbox
    return runner
