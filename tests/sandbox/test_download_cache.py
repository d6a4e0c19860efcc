"""The grader's download cache against the real engine: a second group with the same requirements fetches
nothing from the index; parallel installs share it safely; it never reaches an image."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox.downloads import DownloadCache
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree
from tests.sandbox.pyindex import LocalIndex, local_index, wheel
from tests.sandbox.test_install import output_of

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("base_image", "no_leftovers")]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        built = tmp_path / "built"
        built.mkdir()
        # Names unique to this test run: no image of an earlier run may serve them.
        token = re.sub(r"[^a-z0-9]", "", tmp_path.name.lower())[-12:]
        for name in ("cachepkg", "parpkg"):
            served.add(wheel(built, f"{name}_{token}", "1.0", pad=300_000))
        yield served


def detail(prepared: PreparedEnvironment) -> BuildResult:
    assert isinstance(prepared.step.detail, BuildResult), prepared.step
    return prepared.step.detail


def install(engine: Engine, root: Path, index: LocalIndex) -> PreparedEnvironment:
    return prepare_environment(engine, SubmissionTree(root), SandboxPolicy(index_url=index.url))


def test_a_second_group_fetches_nothing_from_the_index(
    docker_client: Any, engine: Engine, make_tree: MakeTree, index: LocalIndex, grader_cache: Path
) -> None:
    package = next(p.name for p in (index.root / "simple").iterdir() if p.name.startswith("cachepkg"))
    first = install(engine, make_tree({"requirements.txt": f"{package}==1.0  # group 1\n"}), index)
    second = None
    try:
        assert first.step.status is StepStatus.PASSED, first.step.stderr_tail
        assert len(index.files_fetched()) == 1
        asked_before = len(index.requests)
        # Another group (another cache key: a different file) with the same requirement.
        second = install(engine, make_tree({"requirements.txt": f"{package}==1.0  # group 2\n"}), index)
        assert second.step.status is StepStatus.PASSED, second.step.stderr_tail
        assert detail(second).cache_hit is False, "a real install, not the first group's image"
        assert len(index.requests) == asked_before, f"the index was asked again: {index.requests[asked_before:]}"
        assert detail(second).downloaded_bytes == 0
        assert (detail(second).cached_bytes or 0) > 300_000
        # Nothing of the cache, nor pip's scratch, is in the image.
        leftover = output_of(docker_client, second.image, ["sh", "-c", "ls -A /home/grader/.cache /tmp 2>&1"])
        assert "pip" not in leftover and ".whl" not in leftover, leftover
        assert str(grader_cache) not in repr(docker_client.api.inspect_image(second.image))
    finally:
        for prepared in (first, second):
            if prepared is not None and prepared.image:
                prepared.release()
                docker_client.images.remove(prepared.image, force=True)


def test_parallel_installs_share_the_cache_safely(
    docker_client: Any, engine: Engine, make_tree: MakeTree, index: LocalIndex, grader_cache: Path
) -> None:
    package = next(p.name for p in (index.root / "simple").iterdir() if p.name.startswith("parpkg"))
    roots = [make_tree({"requirements.txt": f"{package}==1.0  # group {n}\n"}) for n in range(3)]
    results: dict[int, PreparedEnvironment] = {}

    def work(n: int) -> None:
        results[n] = install(engine, roots[n], index)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        assert [results[n].step.status for n in range(3)] == [StepStatus.PASSED] * 3, [
            results[n].step.stderr_tail for n in range(3)]
        files, _ = DownloadCache(grader_cache).size()
        cached = [p for p in (grader_cache / "downloads" / "files").rglob("*") if p.is_file()]
        # Every parallel download ended as one complete copy; no partial file is left.
        assert not [p for p in cached if ".part-" in p.name]
        assert files >= 1
        assert 1 <= len([r for r in index.files_fetched() if "parpkg" in r]) <= 3
    finally:
        for prepared in results.values():
            if prepared.image:
                prepared.release()
                docker_client.images.remove(prepared.image, force=True)
