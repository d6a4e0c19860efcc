"""Readying a cluster for one batch: every worker checked, the reasons of those that cannot grade shown, and one
probe task sent through the scheduler before any group is.

What can go wrong is said once, before anything is cloned, rather than as a crash of every group: no worker,
none able to grade (and why, per worker), resources no worker has, or a scheduler without grader installed
(it unpickles every task).
"""

from __future__ import annotations

import contextlib
from typing import Any

from distributed import Client

from grader.cluster.options import ClusterOptions, amounts
from grader.cluster.task import GroupJob
from grader.cluster.watch import BatchWatch
from grader.cluster.worker import BatchPlugin, WorkerVerdict, verdict_of
from grader.errors import ConfigError, GraderError


def ready_workers(client: Client, plugin: BatchPlugin, job: GroupJob, cluster: ClusterOptions) -> list[WorkerVerdict]:
    """Register the batch's plugins, collect every worker's verdict and announce it; GraderError (exit 2) when
    the batch cannot run. Returns the verdicts, by worker address."""
    try:
        client.wait_for_workers(1, timeout=cluster.connect_timeout_s)
    except TimeoutError:
        raise GraderError(
            f"the Dask scheduler at {cluster.address} has no workers (waited {cluster.connect_timeout_s:g} s); "
            f"start one per machine with `dask worker {cluster.address}`"
        ) from None
    try:
        client.register_plugin(BatchWatch(plugin.name, client.id))
    except Exception as exc:
        raise not_installed(cluster, exc) from None
    # A worker that cannot even load the plugin fails the registration; its verdict below says why.
    with contextlib.suppress(Exception):
        client.register_plugin(plugin)
    answers: dict[str, Any] = client.run(verdict_of, plugin.name, on_error="return")
    verdicts = [
        WorkerVerdict.from_event(answer) if isinstance(answer, dict)
        else WorkerVerdict(address, address, False, f"cannot run grader: {type(answer).__name__}: {answer}")
        for address, answer in sorted(answers.items())
    ]
    _announce(client, verdicts, cluster)
    _probe(client, plugin, job, cluster)
    return verdicts


def _announce(client: Client, verdicts: list[WorkerVerdict], cluster: ClusterOptions) -> None:
    ready = [v for v in verdicts if v.ready]
    link = getattr(client, "dashboard_link", None)
    cluster.notify(f"cluster {cluster.address}: {len(ready)} of {len(verdicts)} workers can grade"
                   + (f"; dashboard: {link}" if link else ""))
    for verdict in verdicts:
        if not verdict.ready:
            cluster.notify(f"worker {verdict.name} cannot grade: {verdict.reason}")
    if not ready:
        reasons = "; ".join(f"{v.name}: {v.reason}" for v in verdicts)
        raise GraderError(f"no worker of the cluster at {cluster.address} can grade ({reasons})")
    needed = cluster.resources
    if not any(all((v.resources or {}).get(r, 0) >= n for r, n in needed.items()) for v in ready):
        declared = "; ".join(f"{v.name}: {amounts(v.resources)}" for v in ready)
        raise ConfigError(
            f"--resources {amounts(needed)}: no worker that can grade declares that much ({declared}); "
            f'start workers with `dask worker {cluster.address} --resources "{amounts(needed)}"`'
        )


def _probe(client: Client, plugin: BatchPlugin, job: GroupJob, cluster: ClusterOptions) -> None:
    """One trivial task, carrying grader's objects, through the scheduler to a ready worker and back."""
    probe = client.submit(anchor, job, key=f"{plugin.name}-probe", resources={plugin.resource: 1.0})
    try:
        probe.result(timeout=max(cluster.connect_timeout_s, 60.0))
    except Exception as exc:
        raise not_installed(cluster, exc) from None
    finally:
        probe.release()


def not_installed(cluster: ClusterOptions, exc: BaseException) -> GraderError:
    """The error for a cluster that cannot load grader's code (the scheduler, usually)."""
    return GraderError(
        f"the cluster at {cluster.address} cannot run grader's code ({type(exc).__name__}: {first_line(str(exc))});"
        " install the same grader, with its [cluster] extra, on the scheduler's machine and on every worker's"
    )


def anchor(value: object) -> object:
    """A placement anchor: kept on the worker holding an environment, so that tasks depending on it go there.
    (Also the start-up probe, which sends it a GroupJob to see that every hop can unpickle grader's objects.)"""
    return value


def first_line(text: str) -> str:
    """The start of a message on one line (Dask's span several)."""
    return " ".join(text.split())[:240]
