"""The image budget: own sizes beside shared layers, least recently used first, never an image in use."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from grader.files import SubmissionTree
from grader.outcomes import StepStatus
from grader.sandbox.budget import Lease, enforce_budget, environment_bytes, grader_images
from grader.sandbox.container import MANAGED_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL
from grader.sandbox.downloads import CACHE_ENV
from grader.sandbox.engine import ContainerSpec, Engine
from grader.sandbox.image import KIND_LABEL
from grader.sandbox.install import prepare_environment
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.records import updating
from tests.harness import MakeTree
from tests.sandbox.fake_engine import FakeEngine


@pytest.fixture
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def image(engine: FakeEngine, tag: str, kind: str, size: int, parent: str = "", **labels: str) -> str:
    return engine.add_image(tag, {MANAGED_LABEL: "1", KIND_LABEL: kind, **labels}, size=size, parent=parent)


def used(image_id: str, when: float) -> None:
    with updating("image-use") as use:
        use[image_id] = {"last_used": when, "leases": {}}


@pytest.fixture
def store(own_cache: Path) -> tuple[FakeEngine, dict[str, str]]:
    """A base, a course layer on it (own 1000), a group on the course (own 50) and two on the base (own 300)."""
    engine = FakeEngine()
    ids: dict[str, str] = {}
    ids["base"] = image(engine, "grader-base:b", "base", 100)
    ids["course"] = image(engine, "grader-course:c", "course", 1100, ids["base"])
    ids["on-course"] = image(engine, "grader-env:a", "install", 1150, ids["course"])
    ids["old"] = image(engine, "grader-env:old", "install", 400, ids["base"])
    ids["newer"] = image(engine, "grader-env:newer", "install", 400, ids["base"])
    now = time.time()
    for name, age in (("old", 300), ("newer", 200), ("on-course", 100), ("course", 100)):
        used(ids[name], now - age)
    return engine, ids


def test_own_sizes_count_shared_layers_once(store: tuple[FakeEngine, dict[str, str]]) -> None:
    engine, ids = store
    sizes = {i.id: i.own_size for i in grader_images(engine)}
    assert sizes[ids["course"]] == 1000 and sizes[ids["on-course"]] == 50 and sizes[ids["old"]] == 300
    assert environment_bytes(grader_images(engine)) == 1000 + 50 + 300 + 300, "the base is not counted"


def test_least_recently_used_go_first_and_the_course_layer_last(store: tuple[FakeEngine, dict[str, str]]) -> None:
    engine, ids = store
    removed = enforce_budget(engine, 1100)
    assert [r.id for r in removed] == [ids["old"], ids["newer"]]
    assert engine.image_id("grader-course:c") and engine.image_id("grader-env:a")
    # Under a smaller budget the group on the course layer goes before the layer it is built on.
    assert [r.id for r in enforce_budget(engine, 0)] == [ids["on-course"], ids["course"]]
    assert engine.image_id("grader-base:b"), "never a base image"


def test_images_in_use_are_spared(store: tuple[FakeEngine, dict[str, str]]) -> None:
    engine, ids = store
    lease = Lease([ids["old"]])
    # A container (of any grader) still uses "newer": the engine refuses, the budget goes on.
    engine.create(ContainerSpec("grader-env:newer", ("true",), "x"), {})
    # Made by another grader process that is still running (this test's parent stands in for it).
    made_by_other = image(engine, "grader-env:other", "install", 500, ids["base"],
                          **{OWNER_HOST_LABEL: socket.gethostname(), OWNER_PID_LABEL: str(os.getppid())})
    used(made_by_other, 0.0)
    progress: list[str] = []
    removed = enforce_budget(engine, 0, progress.append)
    assert {r.id for r in removed} == {ids["on-course"], ids["course"]}
    assert all(engine.image_id(t) for t in ("grader-env:old", "grader-env:newer", "grader-env:other"))
    assert any("all are in use" in line for line in progress), progress
    lease.release()
    assert [r.id for r in enforce_budget(engine, 0)] == [ids["old"]]


def test_a_lease_from_a_dead_grader_holds_nothing(store: tuple[FakeEngine, dict[str, str]]) -> None:
    engine, ids = store
    with updating("image-use") as use:
        use[ids["old"]]["leases"] = {f"{socket.gethostname()}:999999999": 1}
    assert ids["old"] in {r.id for r in enforce_budget(engine, 1100)}


@pytest.mark.docker
@pytest.mark.usefixtures("base_image", "no_leftovers")
def test_the_budget_on_real_images_spares_the_leased_one(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    made = []
    try:
        for n in range(3):
            root = make_tree({"requirements.txt": f"six==1.17.0  # {tmp_path.name} {n}\n"})
            prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy(image_budget=None))
            assert prepared.step.status is StepStatus.PASSED, prepared.step.stderr_tail
            made.append(prepared)
            time.sleep(0.05)
        made[0].release()
        made[1].release()
        # Scoped to this test's own images: the engine is shared with other graders.
        removed = enforce_budget(engine, 0, scope={p.image_id for p in made})
        assert [r.id for r in removed] == [made[0].image_id, made[1].image_id]
        assert engine.image_id(made[2].image) == made[2].image_id
    finally:
        for prepared in made:
            prepared.release()
            if engine.image_id(prepared.image):
                docker_client.images.remove(prepared.image, force=True)
