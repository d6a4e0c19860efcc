"""Image builds over the fake engine: the base image from its Dockerfile, and a group's own Dockerfile (no Docker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.outcomes import StepStatus
from grader.sandbox.engine import BuildLine
from grader.sandbox.image import (
    KIND_LABEL,
    PUBLIC_BASE,
    ImageBuildError,
    base_image_tag,
    ensure_base_image,
    sandboxes_dir,
)
from grader.sandbox.install import CACHE_KEY_LABEL, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree
from tests.sandbox.fake_engine import FakeEngine

FAILING_LOG = (BuildLine("Step 1/2 : FROM base\n"), BuildLine("Step 2/2 : RUN exit 3\n"),
               BuildLine("The command '/bin/sh -c exit 3' returned a non-zero code: 3\n", error=True))


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    """The base image definitions with a tag of this test's own, so its build lock is never a real build's."""
    copy = tmp_path / "sandboxes"
    shutil.copytree(sandboxes_dir(), copy)
    with (copy / "requirements-base.txt").open("a") as handle:
        handle.write(f"# fake engine test {tmp_path}\n")
    return copy


def test_a_missing_base_image_is_built_once_then_reused(definitions: Path) -> None:
    engine = FakeEngine()
    lines: list[str] = []
    image_id = ensure_base_image(engine, registry=True, progress=lines.append, definitions=definitions)
    tag = base_image_tag(definitions)
    assert image_id == engine.image_id(tag)
    (build,) = engine.builds
    assert (build["tag"], build["dockerfile"], build["network_mode"]) == (tag, None, "host")
    assert build["buildargs"]["BASE_IMAGE"] == PUBLIC_BASE
    assert build["labels"][KIND_LABEL] == "base"
    assert "Step 1/1 : FROM base" in lines
    assert ensure_base_image(engine, registry=True, definitions=definitions) == image_id
    assert len(engine.builds) == 1


def test_a_failing_base_build_says_which_step_failed(definitions: Path) -> None:
    engine = FakeEngine(build_log=FAILING_LOG)
    with pytest.raises(ImageBuildError, match="returned a non-zero code: 3"):
        ensure_base_image(engine, registry=True, definitions=definitions)
    assert engine.image_id(base_image_tag(definitions)) is None


def test_the_group_dockerfile_is_built_as_the_environment_when_allowed(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=[base_image_tag()])
    tree = SubmissionTree(make_tree({"docker/Dockerfile": "FROM x\n", "main.py": "print(1)\n"}))
    prepared = prepare_environment(engine, tree, SandboxPolicy(allow_dockerfile=True, install_network="none"))
    assert (prepared.kind, prepared.step.status) == ("dockerfile", StepStatus.PASSED)
    assert prepared.image_id == engine.image_id(prepared.image)
    (build,) = engine.builds
    assert (build["dockerfile"], build["network_mode"]) == ("docker/Dockerfile", "none")
    assert build["labels"][CACHE_KEY_LABEL] == prepared.step.detail.cache_key  # type: ignore[union-attr]
    assert engine.created == [], "a Dockerfile environment needs no install container"


def test_a_failing_group_dockerfile_is_diagnosed(make_tree: MakeTree) -> None:
    engine = FakeEngine(images=[base_image_tag()], build_log=FAILING_LOG)
    tree = SubmissionTree(make_tree({"Dockerfile": "FROM x\nRUN exit 3\n"}))
    prepared = prepare_environment(engine, tree, SandboxPolicy(allow_dockerfile=True))
    assert (prepared.step.status, prepared.image) == (StepStatus.FAILED, "")
    assert prepared.step.detail.failure_reason  # type: ignore[union-attr] == "dockerfile-build-failed"
    assert "non-zero code: 3" in str(prepared.step.detail.explanation)  # type: ignore[union-attr]
    assert "Step 2/2 : RUN exit 3" in prepared.step.stdout_tail
