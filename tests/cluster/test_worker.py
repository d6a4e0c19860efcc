"""What a worker runs when a cluster batch ends, without Docker or Dask: sweep_leftovers over the fake engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from distributed import Worker

from grader.batch import rubric_digest, rubric_source
from grader.cluster.worker import BatchPlugin, WorkerVerdict, sweep_leftovers
from grader.rubric import load_rubric
from grader.sandbox.container import MANAGED_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL, ContainerSpec, owner_labels
from tests.sandbox.fake_engine import FakeEngine
from tests.test_batch import RUBRIC

IMAGE = "grader-base:test"
#: Above Linux's largest pid_max (2**22): no process has it, so its owner is dead.
DEAD_PID = str(2**22 + 12345)


def plugin(tmp_path: Path, *, static: bool, ready: bool | None) -> BatchPlugin:
    """The batch's plugin as setup() leaves it on a worker: found `ready` (None: setup never ran)."""
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    loaded = load_rubric(tmp_path / "rubric.yaml")
    made = BatchPlugin("sweep", rubric_json=loaded.rubric.model_dump_json(), rubric_source=rubric_source(loaded),
                       rubric_path=str(loaded.path), digest=rubric_digest(loaded), static=static, secret=None)
    if ready is not None:
        made.verdict = WorkerVerdict("tcp://127.0.0.1:1", "w", ready, None if ready else "no engine")
        made.loaded = loaded if ready else None
    return made


def worker(*plugins: BatchPlugin) -> Worker:
    """A stand-in for the Dask worker: sweep_leftovers only looks up its plugins by name."""
    return cast(Worker, SimpleNamespace(plugins={p.name: p for p in plugins}))


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The engine a worker's connect() gets, holding a dead grader's container, a live one's and someone else's."""
    fake = FakeEngine(images=[IMAGE])
    spec = ContainerSpec(image=IMAGE, command=("sleep", "1"), run_id="r", timeout=10.0)
    here = owner_labels()[OWNER_HOST_LABEL]
    fake.create(spec, {MANAGED_LABEL: "1", OWNER_PID_LABEL: DEAD_PID, OWNER_HOST_LABEL: here})
    fake.create(spec, owner_labels())
    fake.create(spec, {"somebody.else": "1"})
    monkeypatch.setattr("grader.sandbox.docker_engine.connect", lambda: fake)
    return fake


def test_the_sweep_removes_only_containers_of_dead_graders_and_closes_its_engine(
    tmp_path: Path, engine: FakeEngine
) -> None:
    ready = plugin(tmp_path, static=False, ready=True)
    assert asyncio.run(sweep_leftovers(ready.name, worker(ready))) == 1
    left = [c.labels for c in engine.created if not c.removed]
    assert left == [owner_labels(), {"somebody.else": "1"}]  # a live grader's (a parallel batch) and a stranger's
    assert engine.closed


@pytest.mark.parametrize(("static", "ready"), [(True, True), (False, False), (False, None)],
                         ids=["static batch", "worker refused", "plugin never set up"])
def test_a_worker_that_ran_no_container_for_the_batch_sweeps_nothing(
    tmp_path: Path, engine: FakeEngine, static: bool, ready: bool | None
) -> None:
    # a static batch runs no code; a refused worker's engine may not answer (or is not this batch's to touch)
    found = plugin(tmp_path, static=static, ready=ready)
    assert asyncio.run(sweep_leftovers(found.name, worker(found))) == 0
    assert not any(c.removed for c in engine.created) and not engine.closed  # never even connected


def test_a_worker_without_the_batchs_plugin_sweeps_nothing(tmp_path: Path, engine: FakeEngine) -> None:
    other = plugin(tmp_path, static=False, ready=True)
    assert asyncio.run(sweep_leftovers("grader-another-batch", worker(other))) == 0
    assert asyncio.run(sweep_leftovers(other.name, worker())) == 0
    assert not any(c.removed for c in engine.created) and not engine.closed
