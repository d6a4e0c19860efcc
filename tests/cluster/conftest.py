"""A Dask LocalCluster with two worker processes, shared by the tests of a module (starting one takes seconds)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

import grader


def _grader_file() -> str:
    import grader

    return str(grader.__file__)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes of one thread each, declaring docker=1, on this machine's Docker Engine (if any)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      resources={"docker": 1}, silence_logs=logging.ERROR) as local:
        with Client(local, set_as_default=False) as client:
            # the workers must run this checkout's grader, not one installed elsewhere on the machine
            assert set(client.run(_grader_file).values()) == {grader.__file__}
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    """A client of the module's cluster, for looking at it; the cluster has both workers again at the start."""
    with Client(cluster, set_as_default=False) as connected:
        connected.wait_for_workers(2, timeout=120)
        yield connected
