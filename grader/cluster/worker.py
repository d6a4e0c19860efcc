"""A worker readied for one batch: the plugin the lecturer's machine registers, and what it runs on workers.

The plugin carries what every group's task needs and is too large or too secret for a task's arguments: the rubric
(as JSON, with the file's bytes for its hash) and the repository credentials, held in memory only (each worker's,
and the scheduler's copy of the plugin for workers that join later) and dropped when the batch ends. On each worker,
at start-up or when it joins later, it checks that the worker can grade: the same grader version, the rubric loading
to the same hash, and (unless the batch is static) a Docker Engine that answers. A worker that can grade gets the
batch's Dask resource, which every group's task asks for; one that cannot logs why and never gets it, so it takes no
tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from dask.typing import Key
from distributed import Worker, WorkerPlugin
from distributed.utils import sync

from grader import __version__
from grader.acquire import AcquirePolicy
from grader.batch import remove_own_containers, rubric_digest
from grader.cluster.watch import ready_op
from grader.rubric import LoadedRubric, Rubric

logger = logging.getLogger("grader.cluster")


@dataclass(frozen=True)
class WorkerVerdict:
    """Whether a worker can grade this batch, and what the lecturer's machine should know about it."""

    address: str
    name: str
    ready: bool
    #: Why it cannot grade (None when ready).
    reason: str | None = None
    #: Environment cache keys its Docker Engine holds (placement prefers it for groups needing them).
    environments: tuple[str, ...] = ()
    threads: int = 1
    #: Resources the worker was started with (`dask worker --resources docker=2`).
    resources: dict[str, float] | None = None

    def event(self) -> dict[str, Any]:
        """As a Dask event (msgpack: plain types only)."""
        return {**asdict(self), "environments": list(self.environments)}

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> WorkerVerdict:
        """Back from `event()` (the scheduler adds fields of its own to a worker's event, which are dropped)."""
        known = {k: v for k, v in event.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "environments": tuple(event.get("environments") or ())})


@dataclass(frozen=True)
class GitSecret:
    """Repository credentials on their way to the workers; never shown (repr and str are masked)."""

    token: str
    username: str | None = None

    def __repr__(self) -> str:
        return "GitSecret(***)"

    __str__ = __repr__


class BatchPlugin(WorkerPlugin):
    """Readies each worker for one batch and holds, in its memory, what the batch's tasks share."""

    def __init__(
        self, batch: str, *, rubric_json: str, rubric_source: bytes, rubric_path: str, digest: str, static: bool,
        secret: GitSecret | None, version: str = __version__,
    ) -> None:
        self.name = f"grader-{batch}"
        #: The Dask resource every task of the batch asks for; only ready workers have it.
        self.resource = f"grader-{batch}"
        #: Every group's task key starts so (anchors and the probe are named apart).
        self.task_prefix = f"grader-{batch}:"
        #: The event topics of the batch: workers becoming ready or refused, and the groups' progress.
        self.workers_topic = f"grader-{batch}-workers"
        self.progress_topic = f"grader-{batch}-progress"
        self.version = version
        self.rubric_json = rubric_json
        self.rubric_source = rubric_source
        self.rubric_path = rubric_path
        self.digest = digest
        self.static = static
        self.secret = secret
        # Set on the worker by setup(); never pickled, because the plugin is sent before setup runs.
        self.verdict: WorkerVerdict | None = None
        self.loaded: LoadedRubric | None = None
        self.clones = Path()
        self.stop = threading.Event()

    def __repr__(self) -> str:
        return f"BatchPlugin({self.name})"

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in {"stop", "verdict", "loaded"}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, stop=threading.Event(), verdict=None, loaded=None)

    @property
    def ready(self) -> bool:
        """True once this worker was found able to grade (and not withdrawn since)."""
        return self.verdict is not None and self.verdict.ready and self.loaded is not None

    async def setup(self, worker: Worker) -> None:
        """Check that this worker can grade; give it the batch's resource if so, else say why in its log."""
        self.clones = Path(worker.local_directory) / "grader-clones"
        declared = {k: v for k, v in worker.state.total_resources.items() if not k.startswith("grader-")}
        reason, environments = await asyncio.to_thread(self._examine)
        self.verdict = WorkerVerdict(
            address=worker.address, name=str(worker.name), ready=reason is None, reason=reason,
            environments=environments, threads=worker.state.nthreads, resources=declared,
        )
        if reason is None:
            await worker.set_resources(**{self.resource: float(worker.state.nthreads)})
            # Dask looks for a worker for tasks that found none when a worker joins, not when one gains a
            # resource: the batch's watch on the scheduler does it now.
            with contextlib.suppress(Exception):  # no watch (the batch is over): nothing waits for this worker
                await getattr(worker.scheduler, ready_op(self.name))(worker=worker.address)
            logger.info("grader: ready to grade (%s)", self.name)
        else:
            logger.error("grader: this worker cannot grade (%s): %s", self.name, reason)
        worker.log_event(self.workers_topic, self.verdict.event())

    async def teardown(self, worker: Worker) -> None:
        """The batch is over: stop its groups and forget the credentials."""
        self.stop.set()
        self.secret = None
        if self.verdict is not None and self.verdict.ready:
            try:
                await worker.set_resources(**{self.resource: 0.0})
            except Exception:  # a closing worker cannot reach the scheduler; nothing is left to take tasks
                logger.debug("grader: could not withdraw the resource %s", self.resource)

    def transition(self, key: Key, start: str, finish: str, **kwargs: Any) -> None:
        """A group's task released while it runs means the lecturer's machine stopped the batch or is gone
        (its futures released): stop the batch here too, so no container outlives it."""
        # A plugin sees executing -> released (the state machine's own "cancelled" is internal).
        if start == "executing" and finish in {"released", "cancelled"} and str(key).startswith(self.task_prefix):
            self.abandon()

    def abandon(self) -> None:
        """Stop the batch's groups at their next stage and remove this worker's containers in the background."""
        if self.stop.is_set():
            return
        self.stop.set()
        if not self.static:
            threading.Thread(target=remove_own_containers, name="grader-stop", daemon=True).start()

    def _examine(self) -> tuple[str | None, tuple[str, ...]]:
        """Why this worker cannot grade (None if it can), and the environments its engine holds."""
        if self.version != __version__:
            return f"grader {__version__} is installed here, {self.version} on the lecturer's machine", ()
        try:
            rubric = Rubric.model_validate_json(self.rubric_json)
        except Exception as exc:  # the rubric names a check or option this version does not know
            return f"the rubric does not load here: {_first_line(str(exc))}", ()
        loaded = LoadedRubric(rubric, Path(self.rubric_path))
        digest = rubric_digest(loaded, self.rubric_source)
        if digest != self.digest:
            return f"the rubric loads to another hash here ({digest[:12]}, sent {self.digest[:12]})", ()
        environments: tuple[str, ...] = ()
        if not self.static:
            try:
                environments = _engine_environments()
            except Exception as exc:  # SandboxUnavailable, or an engine that answers ping but not a listing
                cause = exc.__cause__ or exc
                where = os.environ.get("DOCKER_HOST") or "the default socket"
                why = f"{type(cause).__name__}: {_first_line(str(cause))}"
                return f"its Docker Engine does not answer ({where}: {why})", ()
        self.loaded = loaded
        return None, environments

    def policy(self, base: AcquirePolicy | None) -> AcquirePolicy:
        """The lecturer's acquire policy with the credentials put in (they never travel inside a task)."""
        policy = base or AcquirePolicy()
        if self.secret is None:
            return policy
        return replace(policy, token=self.secret.token, username=self.secret.username)

    def withdraw(self, worker: Worker, reason: str) -> None:
        """Stop taking this batch's groups (the engine went away mid-batch); called from a task's thread."""
        if self.verdict is None or not self.verdict.ready:
            return
        self.verdict = replace(self.verdict, ready=False, reason=reason)
        logger.error("grader: this worker stops grading (%s): %s", self.name, reason)
        sync(worker.loop, worker.set_resources, **{self.resource: 0.0})
        worker.log_event(self.workers_topic, self.verdict.event())


def _engine_environments() -> tuple[str, ...]:
    """The environment cache keys the worker's Docker Engine holds; raises when no engine answers."""
    from grader.sandbox.docker_engine import connect
    from grader.sandbox.install import ENV_REPOSITORY

    engine = connect()
    try:
        tags = [tag for image in engine.images(repository=ENV_REPOSITORY) for tag in image.tags]
    finally:
        engine.close()
    return tuple(sorted({tag.partition(":")[2] for tag in tags if tag.startswith(ENV_REPOSITORY + ":")}))


def _first_line(text: str) -> str:
    """The start of a message on one line."""
    return " ".join(text.split())[:240]


def _plugin(worker: Worker, name: str) -> BatchPlugin | None:
    plugin = worker.plugins.get(name)
    return plugin if isinstance(plugin, BatchPlugin) else None


def verdict_of(name: str, dask_worker: Worker) -> dict[str, Any]:
    """Run on each worker by the lecturer's machine: the verdict of the batch's plugin there."""
    plugin = _plugin(dask_worker, name)
    if plugin is None or plugin.verdict is None:
        why = "the batch's plugin did not set up here (see this worker's log)"
        return WorkerVerdict(dask_worker.address, str(dask_worker.name), False, why).event()
    return plugin.verdict.event()


async def stop_batch(name: str, dask_worker: Worker) -> int:
    """Run on each worker on Ctrl-C: stop the batch's groups at their next stage and remove this worker's
    sandbox containers, so a running step ends now; returns how many were removed."""
    plugin = _plugin(dask_worker, name)
    if plugin is None:
        return 0
    plugin.stop.set()
    if plugin.static:
        return 0
    return await asyncio.to_thread(remove_own_containers)


async def sweep_leftovers(name: str, dask_worker: Worker) -> int:
    """Run on each worker when the batch ends: remove containers of grader processes that died (a killed
    worker's), which nothing else would remove; returns how many."""
    plugin = _plugin(dask_worker, name)
    if plugin is None or plugin.static or not plugin.ready:
        return 0

    def sweep() -> int:
        from grader.sandbox.container import cleanup_leftovers
        from grader.sandbox.docker_engine import connect

        engine = connect()
        try:
            return cleanup_leftovers(engine)
        finally:
            engine.close()

    return await asyncio.to_thread(sweep)
