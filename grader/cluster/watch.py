"""The batch's watch on the scheduler: it gets a worker that just became able to grade to work at once, and ends
the batch on the cluster if the lecturer's machine goes away without ending it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from distributed import Scheduler, SchedulerPlugin


def ready_op(plugin: str) -> str:
    """The scheduler operation a worker calls once it is ready for the batch of worker plugin `plugin`."""
    return f"{plugin}-ready"


class BatchWatch(SchedulerPlugin):
    """On the scheduler, for one batch.

    A worker readies itself after joining, by gaining the batch's Dask resource; Dask looks again at tasks that
    found no worker only when a worker joins, so a task sent while no worker was ready (all of them restarting,
    say) would wait forever. The watch hands such tasks to a worker as soon as it is ready.

    When the lecturer's client disconnects without ending its batch (killed, machine gone), the watch
    unregisters the batch's worker plugin, so that the credentials it holds leave every worker's memory and the
    scheduler's, and no worker joining later readies itself for a batch that is over.
    """

    def __init__(self, plugin: str, client: str) -> None:
        self.name = f"{plugin}-watch"
        self.plugin = plugin
        self.client = client
        self._scheduler: Scheduler | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in {"_scheduler", "_pending"}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _scheduler=None, _pending=set())

    async def start(self, scheduler: Scheduler) -> None:
        """Registered: answer the batch's workers when they become ready."""
        self._scheduler = scheduler
        scheduler.handlers[ready_op(self.plugin)] = self.worker_ready

    def worker_ready(self, worker: str) -> str:
        """A worker gained the batch's resource: send it the tasks that could not find a worker, as Dask does
        for a worker that joins."""
        scheduler = self._scheduler
        state = scheduler.workers.get(worker) if scheduler is not None else None
        if scheduler is not None and state is not None:
            waiting = scheduler.bulk_schedule_unrunnable_after_adding_worker(state)
            scheduler.transitions(waiting, stimulus_id=f"grader-worker-ready-{time.time()}")
        return "OK"

    def remove_client(self, scheduler: Scheduler, client: str) -> None:
        """Called by the scheduler, in its event loop, for every client that disconnects."""
        if client != self.client:
            return
        end_watch(self.plugin, scheduler)
        if self.plugin in scheduler.worker_plugins:
            task = asyncio.ensure_future(scheduler.unregister_worker_plugin(comm=None, name=self.plugin))
            self._pending.add(task)  # keep a reference until it is done
            task.add_done_callback(self._pending.discard)


def end_watch(plugin: str, dask_scheduler: Scheduler) -> None:
    """Remove the watch of worker plugin `plugin` from the scheduler (run there by the client when the batch
    ends, or by the watch itself)."""
    dask_scheduler.handlers.pop(ready_op(plugin), None)
    if f"{plugin}-watch" in dask_scheduler.plugins:
        dask_scheduler.remove_plugin(name=f"{plugin}-watch")
