"""Which cluster grades a batch, and what each group's task needs from a worker."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def _silent(line: str) -> None:
    """Notices go nowhere unless the caller shows them."""


@dataclass(frozen=True)
class ClusterOptions:
    """Which cluster grades the batch, and what each group's task needs from a worker."""

    #: The Dask scheduler, e.g. tcp://lab-1:8786.
    address: str
    #: Dask resources each group's task holds while it runs, e.g. {"docker": 1}; workers declare theirs.
    resources: Mapping[str, float] = field(default_factory=dict)
    #: How long to wait for the scheduler to answer and for a first worker to join.
    connect_timeout_s: float = 30.0
    #: Receives one-line notices: workers ready or refused, the dashboard's address.
    notify: Callable[[str], None] = _silent


def amounts(resources: Mapping[str, float] | None) -> str:
    """Resources as `dask worker --resources` writes them: docker=1,gpu=2 (or "none")."""
    return ",".join(f"{name}={amount:g}" for name, amount in sorted((resources or {}).items())) or "none"
