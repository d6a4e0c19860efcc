"""Fixtures for the sandbox's Docker tests: the base image (built once per session) and a leftover check."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.sandbox.container import MANAGED_LABEL, OWNER_PID_LABEL
from grader.sandbox.downloads import CACHE_ENV
from grader.sandbox.engine import Engine

#: The hostile submissions are student code for the sandbox: never collected, imported or run on the host.
collect_ignore_glob = ["hostile/*"]


@pytest.fixture(scope="session", autouse=True)
def grader_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The grader's own cache folder (downloads, records) for this test session, never the user's."""
    folder = tmp_path_factory.mktemp("grader-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def base_image(engine: Engine) -> str:
    """The grader's base image (built by the install side's ensure_base_image when missing, ~70-120 s once).

    GRADER_TEST_IMAGE names another image with python3, pytest and nbclient, for working on the run side alone.
    """
    override = os.environ.get("GRADER_TEST_IMAGE")
    if override:
        return override
    from grader.sandbox.image import ensure_base_image

    return ensure_base_image(engine)


@pytest.fixture
def no_leftovers(docker_client: Any) -> Iterator[None]:
    """Fail the test if a container this process started is still there afterwards."""
    yield
    mine = docker_client.api.containers(
        all=True, filters={"label": [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={os.getpid()}"]}
    )
    assert mine == [], f"containers left behind: {[c['Names'] for c in mine]}"
    gates = list(Path(tempfile.gettempdir()).glob(f"grader-gate-{os.getpid()}-*"))
    assert gates == [], f"gateway folders left behind: {gates}"
