"""The lecturer's side of a cluster batch: ready the workers, send one task per group, write what comes back.

The files are the local batch's: each group's folder is written from the worker's shipment in the local
batch's order, and the summaries from the reports, on this machine. Faults are Dask's to absorb: a worker
lost mid-grade has its groups run again elsewhere, and each group's future completes once, so each group is
reported once. A group whose task keeps killing workers (or fails in grader's own code) is recorded as
crashed, as the local batch records a crash, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from distributed import Client, Future

from grader.acquire import AcquirePolicy, scrub
from grader.batch import (
    STATE_FILE,
    TRACEBACK_FILE,
    BatchOptions,
    BatchProgress,
    BatchResult,
    GroupOutcome,
    OutcomeKind,
    SilentProgress,
    batch_result,
    rubric_digest,
    rubric_source,
)
from grader.cluster.options import ClusterOptions
from grader.cluster.placement import next_group, prefer_workers
from grader.cluster.readiness import anchor, ready_workers
from grader.cluster.shipment import GroupSeed, GroupShipment
from grader.cluster.task import GroupJob, GroupTicket, grade_group
from grader.cluster.watch import end_watch
from grader.cluster.worker import (
    BatchPlugin,
    GitSecret,
    WorkerVerdict,
    stop_batch,
    sweep_leftovers,
)
from grader.engine import grade
from grader.errors import GraderError
from grader.models import PIP_OUTPUT, Submission
from grader.report import write_atomic, write_reports
from grader.roster import Group, Roster
from grader.rubric import LoadedRubric

#: How often the wait for results looks whether any worker can still grade.
POLL_S = 5.0
#: How long the batch waits for a worker able to grade (a killed worker's restart, a late joiner) before it gives up.
NO_WORKER_GRACE_S = 60.0
#: How long Ctrl-C waits for the workers to stop the batch's groups and remove their containers.
STOP_GRACE_S = 30.0


def grade_on_cluster(
    roster: Roster,
    loaded: LoadedRubric,
    options: BatchOptions,
    cluster: ClusterOptions,
    *,
    static: bool,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Grade every group of the roster on a Dask cluster and write the files a local batch writes.

    `static` grades without running code (then workers need no Docker Engine). Raises GraderError when the
    scheduler cannot be reached or no worker can grade; Ctrl-C stops the groups on the workers, removes
    their containers and leaves the groups written so far for a re-run to keep.
    """
    deadline = options.deadline or roster.deadline or loaded.rubric.deadline
    options = replace(options, out_dir=options.out_dir.absolute(), deadline=deadline)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    session = _Session(_connect(cluster), roster, loaded, options, cluster, static, progress or SilentProgress())
    try:
        session.start()
        outcomes = session.run()
    except BaseException:
        session.stop()
        raise
    finally:
        session.close()
    return batch_result(roster, loaded, options, outcomes)


def _connect(cluster: ClusterOptions) -> Client:
    try:
        return Client(cluster.address, timeout=cluster.connect_timeout_s, set_as_default=False, name="grader")
    except (OSError, TimeoutError, ValueError) as exc:
        raise GraderError(
            f"cannot reach the Dask scheduler at {cluster.address} ({type(exc).__name__}: {exc}); start one "
            "with `dask scheduler`, or grade on this machine without --cluster"
        ) from None


def _secret(policy: AcquirePolicy | None) -> GitSecret | None:
    """The repository credentials of this machine's environment, for the workers' memory."""
    policy = policy or AcquirePolicy()
    token = policy.token or os.environ.get(policy.token_env)
    if not token:
        return None
    return GitSecret(token, policy.username or os.environ.get(policy.username_env) or None)


class _Session:
    """One batch on one cluster, from readying the workers to closing the connection."""

    def __init__(
        self, client: Client, roster: Roster, loaded: LoadedRubric, options: BatchOptions, cluster: ClusterOptions,
        static: bool, progress: BatchProgress,
    ) -> None:
        self.client, self.roster, self.loaded, self.options = client, roster, loaded, options
        self.cluster, self.progress = cluster, progress
        self.plugin = BatchPlugin(
            secrets.token_hex(4), rubric_json=loaded.rubric.model_dump_json(), rubric_source=rubric_source(loaded),
            rubric_path=str(loaded.path), digest=rubric_digest(loaded), static=static, secret=_secret(options.policy),
        )
        policy = replace(options.policy, token=None, username=None) if options.policy else None
        self.job = GroupJob(self.plugin.name, replace(options, policy=policy, workdir=None), static, roster.path)
        self.futures: dict[Future[GroupShipment | None], Group] = {}
        self.finished: set[str] = set()
        #: Groups a worker has reported a stage of (begun), and those sent again after a worker died before that.
        self.begun: set[str] = set()
        self.resent: set[str] = set()
        self.verdicts: dict[str, WorkerVerdict] = {}
        self.lock = threading.Lock()
        self.started = False
        self.sent = time.monotonic()

    def start(self) -> None:
        """Ready every worker for the batch (GraderError when none can grade), and listen to the batch's events."""
        self.client.subscribe_topic(self.plugin.workers_topic, self._on_worker)
        self.client.subscribe_topic(self.plugin.progress_topic, self._on_progress)
        verdicts = ready_workers(self.client, self.plugin, self.job, self.cluster)
        with self.lock:
            self.verdicts.update({v.address: v for v in verdicts})
            self.started = True

    def run(self) -> dict[str, GroupOutcome]:
        """Send one task per group, no more at a time than the workers can run, and write each group's files as
        its result arrives.

        Groups wait here rather than queued on workers, but for one per worker: a worker that dies takes only
        the groups it was grading and one waiting with it (Dask counts a death against every task queued on that
        worker, and gives a task up after a few), a worker that frees a slot gets the group best placed there,
        and the one waiting starts at once instead of after this machine has written the last group's files and
        sent the next (that gap was most of the cluster's overhead per group)."""
        out = self.options.out_dir
        seeds = {g.id: GroupSeed.read(out / g.id) for g in self.roster.groups}
        with self.lock:
            holdings = {v.address: v.environments for v in self.verdicts.values() if v.ready}
        preferred = prefer_workers({gid: seed.cache_key() for gid, seed in seeds.items()}, holdings)
        anchors = {
            address: self.client.submit(anchor, address, key=f"{self.plugin.name}-anchor-{n}", workers=[address],
                                        allow_other_workers=True)
            for n, address in enumerate(sorted(set(preferred.values())))
        }
        if preferred:
            self.cluster.notify(f"{len(preferred)} groups sent where their environment is built, or will be once")
        resources = {self.plugin.resource: 1.0, **self.cluster.resources}
        done: queue.Queue[Future[GroupShipment | None]] = queue.Queue()
        groups = {g.id: g for g in self.roster.groups}
        unsent = list(groups)

        def send(free: str | None) -> None:
            if not unsent:
                return
            gid = next_group(unsent, preferred, free)
            unsent.remove(gid)
            deps = [anchors[preferred[gid]]] if gid in preferred else []
            again = "~again" if gid in self.resent else ""  # a new key: Dask keeps the failed one's error
            future = self.client.submit(grade_group, self.job, GroupTicket(groups[gid], seeds[gid]), *deps,
                                        key=f"{self.plugin.task_prefix}{gid}{again}", resources=resources)
            self.futures[future] = groups[gid]
            future.add_done_callback(done.put)

        def resend(group: Group) -> bool:
            # A group waiting on a worker that died never began: the death is not its doing, so it goes again
            # (once) instead of being charged with a crash. One that began is a suspect, as Dask sees it.
            if group.id in self.begun or group.id in self.resent:
                return False
            self.resent.add(group.id)
            unsent.insert(0, group.id)
            return True

        self.sent = time.monotonic()
        slots = self._slots()
        for address in slots + sorted(set(slots)):
            send(address)
        return self._collect(done, send, resend)

    def _slots(self) -> list[str]:
        """One entry per group the ready workers can grade at once (threads, and the resources a group holds)."""
        needed = self.cluster.resources
        with self.lock:
            ready = [v for v in self.verdicts.values() if v.ready]
        return [v.address for v in ready
                for _ in range(min([v.threads, *(int((v.resources or {}).get(r, 0) // n) for r, n in needed.items())]))]

    def _collect(
        self, done: queue.Queue[Future[GroupShipment | None]], send: Callable[[str | None], None],
        resend: Callable[[Group], bool],
    ) -> dict[str, GroupOutcome]:
        outcomes: dict[str, GroupOutcome] = {}
        alone_since: float | None = None
        while len(outcomes) < len(self.roster.groups):
            freed: str | None = None
            try:
                future = done.get(timeout=POLL_S)
            except queue.Empty:
                alone_since = self._watch_workers(alone_since)
            else:
                group = self.futures[future]
                if future.status == "error" and resend(group):
                    del self.futures[future]  # in flight no more; the group waits to be sent again
                else:
                    outcome = self._outcome(future, group)
                    with self.lock:
                        self.finished.add(group.id)
                        outcomes[group.id] = outcome
                        self.progress.finished(outcome)
                        freed = next((v.address for v in self.verdicts.values() if v.name == outcome.worker), None)
            # Top up to the slots there are now, and one waiting per worker: workers join and leave during a batch.
            slots = self._slots()
            for _ in range(max(1, len(slots) + len(set(slots))) - (len(self.futures) - len(outcomes))):
                send(freed)
                freed = None
        return outcomes

    def _outcome(self, future: Future[GroupShipment | None], group: Group) -> GroupOutcome:
        """The group's outcome from its task, its files written; a failed task is recorded as a crash."""
        try:
            shipment = future.result()
        except Exception as exc:  # KilledWorker, or a bug in grader's task code: the group crashed
            summary = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
            details = "".join(traceback.format_exception_only(type(exc), exc))
            return self._crashed(group, summary, details)
        if not isinstance(shipment, GroupShipment):  # its worker saw the batch stopped (a released task); rare
            return self._crashed(group, "the worker stopped grading it; a re-run grades it", "")
        return shipment.outcome(group, self.options.out_dir / group.id)

    def _crashed(self, group: Group, summary: str, details: str) -> GroupOutcome:
        """Record a crash as the local batch does: a not-graded report, the traceback, no saved state."""
        folder = self.options.out_dir / group.id
        submission = Submission(group.id, folder, scrub(group.repo), members=group.members,
                                acquire_error=f"internal error in grader ({summary})")
        report = grade(submission, self.loaded)
        write_atomic(folder / TRACEBACK_FILE, details)
        (folder / STATE_FILE).unlink(missing_ok=True)
        formats = tuple(dict.fromkeys(("json", *(f for f in self.options.formats if f != "terminal"))))
        files = write_reports(report, formats, folder)
        return GroupOutcome(group, OutcomeKind.CRASHED, report, tuple(files), time.monotonic() - self.sent)

    def _watch_workers(self, alone_since: float | None) -> float | None:
        """GraderError once no worker has been able to grade for NO_WORKER_GRACE_S; else when that began."""
        workers = self.client.scheduler_info()["workers"]
        able = [a for a, w in workers.items() if (w.get("resources") or {}).get(self.plugin.resource, 0) > 0]
        if able:
            return None
        now = time.monotonic()
        if alone_since is None:
            self.cluster.notify("no worker can grade at the moment; waiting for one to join")
            return now
        if now - alone_since < NO_WORKER_GRACE_S:
            return alone_since
        with self.lock:
            reasons = "; ".join(f"{v.name}: {v.reason}" for v in self.verdicts.values() if v.reason) or "workers left"
        raise GraderError(
            f"no worker of the cluster can grade any more ({reasons}); the groups finished so far are written, "
            "and a re-run keeps them"
        )

    def _on_worker(self, event: tuple[float, dict[str, Any]]) -> None:
        """A worker became ready, was refused, or withdrew (its Docker Engine went away)."""
        verdict = WorkerVerdict.from_event(event[1])
        with self.lock:
            known = self.verdicts.get(verdict.address)
            self.verdicts[verdict.address] = verdict
            if not self.started or known == verdict:
                return
        if verdict.ready:
            self.cluster.notify(f"worker {verdict.name} joined and can grade")
        else:
            self.cluster.notify(f"worker {verdict.name} cannot grade: {verdict.reason}")

    def _on_progress(self, event: tuple[float, dict[str, Any]]) -> None:
        """A group reached a stage on a worker; late events of a finished group are dropped."""
        message = event[1]
        group, stage, worker = message.get("group"), message.get("stage"), message.get("worker_name")
        with self.lock:
            if not isinstance(group, str) or group in self.finished:
                return
            self.begun.add(group)
            self.progress.stage(group, on_worker(str(stage), worker))

    def stop(self) -> None:
        """Ctrl-C or a fatal error: stop the groups on the workers, remove their containers, cancel the rest."""
        stopper = threading.Thread(
            target=lambda: self.client.run(stop_batch, self.plugin.name, on_error="ignore"), daemon=True
        )
        stopper.start()
        stopper.join(STOP_GRACE_S)
        self.client.cancel(list(self.futures))

    def close(self) -> None:
        """Leave the cluster as it was: containers of dead workers removed, the plugins (and the secret) gone.

        Each step may fail on its own (the scheduler gone, a plugin never registered); the rest still run."""
        steps: list[Callable[[], object]] = [
            lambda: self.client.unregister_worker_plugin(self.plugin.name),
            lambda: self.client.run_on_scheduler(end_watch, self.plugin.name),
            *(lambda t=topic: self.client.unsubscribe_topic(t)
              for topic in (self.plugin.workers_topic, self.plugin.progress_topic)),
            self.client.close,
        ]
        if not self.plugin.static:
            steps.insert(0, lambda: self.client.run(sweep_leftovers, self.plugin.name, on_error="ignore"))
        for step in steps:
            with contextlib.suppress(Exception):
                step()


def on_worker(stage: str, worker: object) -> str:
    """A stage as the lecturer's progress shows it: `cloning (on w1)`; pip's raw output lines stay as they are,
    since the progress display parses them (a suffix would end up inside a package name)."""
    return stage if stage.startswith(PIP_OUTPUT) else f"{stage} (on {worker})"

