"""The course layer against the real engine: built once, groups install on top of it and share its layers, the
report says what came from it, and a broken course layer is the lecturer's problem, not the group's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree
from tests.sandbox.pyindex import LocalIndex, local_index, wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("base_image", "no_leftovers")]

MB = 1024**2


@pytest.fixture
def names(tmp_path: Path) -> dict[str, str]:
    """Package names unique to this run: heavy (the course's "torch"), its companion, and a small extra."""
    token = re.sub(r"[^a-z0-9]", "", tmp_path.name.lower())[-10:]
    return {role: f"{role}_{token}" for role in ("heavy", "companion", "extra")}


@pytest.fixture
def index(tmp_path: Path, names: dict[str, str]) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        built = tmp_path / "built"
        built.mkdir()
        served.add(wheel(built, names["heavy"], "1.0", pad=3 * MB))
        served.add(wheel(built, names["companion"], "2.0", requires=(f"{names['heavy']}==1.0",), pad=MB))
        served.add(wheel(built, names["extra"], "0.1"))
        served.add(wheel(built, names["heavy"], "1.1"))
        yield served


def layers_of(client: Any, image: str) -> list[str]:
    return list(client.api.inspect_image(image)["RootFS"]["Layers"])


def detail(prepared: PreparedEnvironment) -> BuildResult:
    assert isinstance(prepared.step.detail, BuildResult), prepared.step
    return prepared.step.detail


def test_groups_install_on_the_course_layer_and_share_it(
    docker_client: Any, engine: Engine, make_tree: MakeTree, index: LocalIndex, names: dict[str, str]
) -> None:
    heavy, companion, extra = names["heavy"], names["companion"], names["extra"]
    policy = SandboxPolicy(index_url=index.url, preinstall=[f"{heavy}==1.0", f"{companion}==2.0"])
    stack = f"{heavy}==1.0\n{companion}==2.0\n"
    made: list[str] = []
    try:
        one = prepare_environment(engine, SubmissionTree(make_tree({"requirements.txt": stack})), policy)
        assert one.step.status is StepStatus.PASSED, one.step.stderr_tail
        course = detail(one).course_image
        assert course and course.startswith("grader-course:")
        made += [one.image, course]
        fetched_by_course = len(index.files_fetched())
        two = prepare_environment(
            engine, SubmissionTree(make_tree({"requirements.txt": stack + f"{extra}==0.1\n"})), policy)
        assert two.step.status is StepStatus.PASSED, two.step.stderr_tail
        made.append(two.image)
        # Built once: the second group used the same course image and fetched only its own extra package.
        assert detail(two).course_image == course
        assert [f for f in index.files_fetched()[fetched_by_course:] if heavy in f or companion in f] == []
        # The report says what came from the course layer.
        held = {f"{heavy.replace('_', '-')} 1.0", f"{companion.replace('_', '-')} 2.0"}
        assert held <= set(detail(one).from_course), detail(one)
        assert held <= set(detail(two).from_course)
        # Shared layers: each group's image is the course image's layers plus a small one of its own.
        course_layers = layers_of(docker_client, course)
        for prepared in (one, two):
            mine = layers_of(docker_client, prepared.image)
            assert mine[: len(course_layers)] == course_layers
            assert len(mine) == len(course_layers) + 1
            assert (detail(prepared).image_bytes or 0) < MB, "the heavy packages are not copied again"
        # A regrade of group one is a cache hit that still says what came from the course layer.
        again = prepare_environment(engine, SubmissionTree(make_tree({"requirements.txt": stack})), policy)
        assert detail(again).cache_hit is True and held <= set(detail(again).from_course)
        # A group pinning another version of the course's package gets its own copy, and the report says so.
        own = prepare_environment(engine, SubmissionTree(make_tree({"requirements.txt": f"{heavy}==1.1\n"})), policy)
        assert own.step.status is StepStatus.PASSED, own.step.stderr_tail
        made.append(own.image)
        replaced = next(n for n in detail(own).notes if "replaced" in n)
        assert f"replaced 1 of the course layer's packages ({heavy} 1.0)" in replaced
        for prepared in (one, two, again, own):
            prepared.release()
    finally:
        for image in made:
            docker_client.images.remove(image, force=True)


def test_a_broken_course_layer_is_the_graders_infra_error(
    engine: Engine, make_tree: MakeTree, index: LocalIndex, names: dict[str, str]
) -> None:
    policy = SandboxPolicy(index_url=index.url, preinstall=[f"{names['heavy']}==9.9"])
    prepared = prepare_environment(engine, SubmissionTree(make_tree({"requirements.txt": "six\n"})), policy)
    assert prepared.step.status is StepStatus.INFRA_ERROR
    assert detail(prepared).failure_reason == "course-layer"
    assert "sandbox.preinstall" in str(prepared.step.error)
    assert "9.9" in str(prepared.step.error)
