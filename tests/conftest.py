"""Shared test fixtures: sample submissions built in tmp folders, and the rule for tests that need Docker."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.checks.base import Check, CheckContext, run_check
from grader.files import SubmissionTree
from grader.models import CheckResult, Status, Submission
from grader.sandbox.engine import Engine

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

MakeTree = Callable[[dict[str, str | bytes]], Path]


def run_on(check: Check, root: Path) -> CheckResult:
    """Run one check on the folder `root` as the engine would; a crash fails the test with its traceback."""
    ctx = CheckContext(submission=Submission(id="g", root=root, source=str(root)), tree=SubmissionTree(root))
    result = run_check(check, ctx)
    assert result.status is not Status.ERROR, result.detail
    return result


def notebook_json(*cells: tuple[str, str]) -> str:
    """A minimal notebook's JSON from (cell type, source) pairs."""
    return json.dumps({"cells": [{"cell_type": t, "source": s, "metadata": {}} for t, s in cells], "nbformat": 4})


@pytest.fixture
def make_tree(tmp_path: Path) -> MakeTree:
    """Write `{relative path: text or bytes}` under a fresh folder and return it (text is dedented)."""
    counter = iter(range(1_000_000))

    def build(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / f"submission-{next(counter)}"
        root.mkdir()
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return build


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    """A docker SDK client for a running engine. Outside CI the test is skipped when none answers;
    in CI (CI=true) a missing engine fails the test, because Docker tests must run there."""
    import docker

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"CI=true but no Docker Engine answers: {exc}")
        pytest.skip(f"no Docker Engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def engine(docker_client: object) -> Engine:
    """The grader's Docker engine over `docker_client` (skipped or failed alike when no Docker answers)."""
    from grader.sandbox.docker_engine import DockerEngine

    return DockerEngine(docker_client)
