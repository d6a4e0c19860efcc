"""Shared test fixtures: sample submissions built in tmp folders, and the rule for tests that need Docker."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from grader.sandbox.engine import Engine
from tests.harness import MakeTree

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Property tests stay a few seconds in the everyday suite; HYPOTHESIS_PROFILE=thorough hunts longer.
# No deadline: a shared CI machine makes single slow examples common, and a hang shows up in the suite's time.
settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
