"""Disk for the install phase: checked before it starts, watched while it runs, blamed on the grader when short.

pip's scratch (downloads, unpacked wheels, builds) lives in the install container's own writable layer, on the
engine's data root (disk), not in a RAM tmpfs: torch from PyPI unpacks gigabytes of CUDA libraries. No engine
offers a size quota for that layer on every filesystem, so the grader watches it: the layer's size against
`sandbox.install_disk`, and the data root's free space against `sandbox.disk_reserve`. Either one crossed stops
the install, which is then the grader's infra-error with the reason, never the group's failure.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from grader.sandbox.container import RUN_LABEL
from grader.sandbox.engine import Engine, failure_text
from grader.sandbox.policy import SandboxPolicy, size_bytes

#: Seconds between looks at the data root's free space (a statvfs: cheap) and at the layer's size (the engine
#: walks the layer's files to answer: a second or so for a torch install's 30,000 files).
FREE_EVERY_S = 2.0
LAYER_EVERY_S = 6.0


def gigabytes(size: int) -> str:
    """A size for messages: 1.2 GB, 340 MB, 12 kB."""
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


@dataclass(frozen=True)
class DiskVerdict:
    """Why the grader stopped (or would not start) an install for lack of disk: a reason code and one line."""

    reason: str
    explanation: str


def check_free_space(engine: Engine, policy: SandboxPolicy) -> tuple[DiskVerdict | None, str | None]:
    """Before an install: a verdict when the data root is below the reserve; else a note when it holds less
    than the install budget (the install may still fit), or nothing."""
    try:
        space = engine.disk_space()
    except Exception as exc:  # the engine not answering shows at the install itself; this check only helps
        return None, f"the engine's free disk space could not be read ({failure_text(exc)})"
    if space is None:
        return None, None
    reserve, budget = size_bytes(policy.disk_reserve), size_bytes(policy.install_disk)
    if space.free < reserve:
        return DiskVerdict("host-disk-full", (
            f"the engine's data root ({space.path}) has {gigabytes(space.free)} free, less than the "
            f"{gigabytes(reserve)} the grader keeps free (sandbox.disk_reserve): free disk space on the grading "
            "machine (e.g. grader sandbox prune), then grade again")), None
    if space.free - reserve < budget:
        return None, (f"the engine's data root has {gigabytes(space.free)} free, less than the install budget "
                      f"of {gigabytes(budget)} plus the reserve")
    return None, None


class DiskWatch:
    """A thread watching one install container (found by its run label) and killing it when disk runs short."""

    def __init__(self, engine: Engine, run_id: str, policy: SandboxPolicy) -> None:
        self.engine = engine
        self.run_id = run_id
        self.budget = size_bytes(policy.install_disk)
        self.reserve = size_bytes(policy.disk_reserve)
        self.verdict: DiskVerdict | None = None
        #: The largest layer size seen, for the report.
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"grader-disk-{run_id}", daemon=True)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(30)

    def _watch(self) -> None:
        container: str | None = None
        last_layer = time.monotonic()
        while not self._stop.wait(FREE_EVERY_S):
            try:
                if container is None:
                    found = self.engine.containers({RUN_LABEL: self.run_id})
                    container = found[0].id if found else None
                    continue
                verdict = self._host_verdict()
                if verdict is None and time.monotonic() - last_layer >= LAYER_EVERY_S:
                    last_layer = time.monotonic()
                    verdict = self._layer_verdict(container)
            except Exception:  # the container just ended, or the engine hiccupped: look again next round
                continue
            if verdict is not None:
                self.verdict = verdict
                with contextlib.suppress(Exception):
                    self.engine.kill(container)
                return

    def _host_verdict(self) -> DiskVerdict | None:
        space = self.engine.disk_space()
        if space is None or space.free >= self.reserve:
            return None
        return DiskVerdict("host-disk-full", (
            f"the grading machine's disk ({space.path}) fell to {gigabytes(space.free)} free, under the "
            f"{gigabytes(self.reserve)} the grader keeps free (sandbox.disk_reserve), and the install was stopped: "
            "free disk space on the grading machine, then grade again"))

    def _layer_verdict(self, container: str) -> DiskVerdict | None:
        used = self.engine.container_disk(container)
        if used is None:
            return None
        self.peak = max(self.peak, used)
        if used <= self.budget:
            return None
        return DiskVerdict("install-disk-budget", (
            f"the install needed more than the {gigabytes(self.budget)} of disk the grader allows "
            f"(sandbox.install_disk; {gigabytes(used)} written) and was stopped: raise sandbox.install_disk"))
