"""The one container primitive: run a single locked-down container from a spec and always remove it afterwards.

Both sandbox phases use it: the install side (with a network and `commit_to`) and every run step (no network).
It works over any Engine, so the supervision below is the same with Docker and with the tests' fake. The wall
timeout is enforced here by killing the container at the deadline; the engine's `wait` (Docker's timeout is
only an HTTP one) is never used for that. Output is streamed and kept as head + tail; a container that keeps
talking past `output_kill_limit` bytes is killed and reported as `output-limit`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from grader.outcomes import StepStatus
from grader.sandbox.engine import ContainerSpec, ContainerState, Engine, Mount, failure_text

# The spec types were born here; importers of this module keep finding them.
__all__ = [
    "MANAGED_LABEL", "OWNER_HOST_LABEL", "OWNER_PID_LABEL", "RUN_LABEL", "ContainerResult", "ContainerSpec", "Mount",
    "cleanup_leftovers", "owner_labels", "run_container",
]

#: Label carried by every container the grader starts, so leftovers of a crash or Ctrl-C can be found.
MANAGED_LABEL = "grader.managed"
#: Label naming the grading run (one submission's sandbox) a container belongs to.
RUN_LABEL = "grader.run"
#: Labels naming the host process that owns a container; `cleanup_leftovers` spares live owners.
OWNER_PID_LABEL = "grader.pid"
OWNER_HOST_LABEL = "grader.host"

#: Called with each complete line a container prints on stdout, while it runs (a progress display); None: no one.
LineHook = Callable[[str], None] | None


@dataclass(frozen=True)
class ContainerResult:
    """What happened to one container, with its evidence."""

    status: StepStatus
    exit_code: int | None
    duration_s: float
    stdout: str
    stderr: str
    #: Bytes produced on stdout + stderr, including what was dropped.
    output_bytes: int = 0
    truncated: bool = False
    timed_out: bool = False
    oom_killed: bool = False
    #: Image id of the commit when `commit_to` was asked and the container exited 0.
    committed_image: str | None = None
    #: Why the engine could not run the container (infra-error); None otherwise.
    error: str | None = None


class _Capture:
    """Head + tail of one output stream, under a byte cap."""

    def __init__(self, cap: int, hook: LineHook = None) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.hook = hook
        self.partial = b""

    def add(self, chunk: bytes) -> None:
        if self.hook is not None:
            self._lines(chunk)
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    def _lines(self, chunk: bytes) -> None:
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        self.partial = self.partial[-4096:]  # a line without end must not grow without bound
        for line in complete:
            try:
                if self.hook is not None:
                    self.hook(line.decode("utf-8", errors="replace").rstrip("\r"))
            except BaseException:  # a display must never stop the pump; no Ctrl-C reaches this thread
                self.hook = None
                return

    def text(self) -> str:
        dropped = self.total - len(self.head) - len(self.tail)
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if dropped <= 0:
            return head + tail
        return f"{head}\n[... {dropped} bytes of output dropped by the grader ...]\n{tail}"


def owner_labels() -> dict[str, str]:
    """Labels naming this grader process, so cleanup by another grader spares containers still in use."""
    return {MANAGED_LABEL: "1", OWNER_PID_LABEL: str(os.getpid()), OWNER_HOST_LABEL: socket.gethostname()}


def _labels(spec: ContainerSpec) -> dict[str, str]:
    return {**spec.extra_labels, **owner_labels(), RUN_LABEL: spec.run_id}


def run_container(engine: Engine, spec: ContainerSpec, hook: LineHook = None) -> ContainerResult:
    """Run one container to completion under the spec; never raises, always removes the container. `hook` gets
    each line of stdout as it comes."""
    started = time.monotonic()
    container: str | None = None
    try:
        container = engine.create(spec, _labels(spec))
        return _supervise(engine, container, spec, started, hook)
    except Exception as exc:  # an engine failure is an outcome (infra-error), not a crash
        return ContainerResult(
            status=StepStatus.INFRA_ERROR, exit_code=None, duration_s=time.monotonic() - started,
            stdout="", stderr="", error=failure_text(exc),
        )
    finally:
        if container is not None:
            _remove(engine, container)


def _supervise(engine: Engine, container: str, spec: ContainerSpec, started: float, hook: LineHook) -> ContainerResult:
    out, err = _Capture(spec.output_limit, hook), _Capture(spec.output_limit)
    over_limit = threading.Event()
    stream_done = threading.Event()
    stream_error: list[BaseException] = []

    # Attached before start, as `docker run` does, so not a byte of a short-lived container is missed.
    stream = engine.attach(container)

    def pump() -> None:
        try:
            for chunk_out, chunk_err in stream:
                if over_limit.is_set():
                    # Keep draining until the kill lands: an unread attach stream makes the engine's kill hang.
                    continue
                if chunk_out:
                    out.add(chunk_out)
                if chunk_err:
                    err.add(chunk_err)
                if out.total + err.total > spec.kill_limit:
                    over_limit.set()
        except Exception as exc:  # reported through the result, the pump must not die loudly
            stream_error.append(exc)
        finally:
            stream_done.set()

    engine.start(container)
    deadline = started + spec.timeout
    reader = threading.Thread(target=pump, name=f"grader-output-{spec.run_id}", daemon=True)
    reader.start()
    timed_out = False
    while not stream_done.is_set() and not over_limit.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        stream_done.wait(min(remaining, 0.5))
    if timed_out or over_limit.is_set():
        _kill(engine, container)
    # The stream ends once the container is gone; bounded so a stuck engine cannot hang the grader.
    reader.join(10)
    state = _final_state(engine, container)
    duration = time.monotonic() - started
    status = _status(timed_out, over_limit.is_set(), state)
    committed = None
    if spec.commit_to is not None and status is StepStatus.PASSED:
        repository, _, tag = spec.commit_to.rpartition(":") if ":" in spec.commit_to else (spec.commit_to, "", "")
        committed = engine.commit(container, repository or spec.commit_to, tag or None)
    error = None
    if stream_error and status is StepStatus.INFRA_ERROR:
        error = f"output stream failed: {stream_error[0]}"
    return ContainerResult(
        status=status, exit_code=state.exit_code, duration_s=duration,
        stdout=out.text(), stderr=err.text(), output_bytes=out.total + err.total,
        truncated=out.total > len(out.head) + len(out.tail) or err.total > len(err.head) + len(err.tail),
        timed_out=timed_out, oom_killed=state.oom_killed, committed_image=committed, error=error,
    )


def _status(timed_out: bool, over_limit: bool, state: ContainerState) -> StepStatus:
    """How a supervised container ended: the grader's kills first, then the kernel's, then its own exit code."""
    if timed_out:
        return StepStatus.TIMEOUT
    if over_limit:
        return StepStatus.OUTPUT_LIMIT
    if state.oom_killed:
        return StepStatus.OOM
    if state.running or state.exit_code is None:
        return StepStatus.INFRA_ERROR
    return StepStatus.PASSED if state.exit_code == 0 else StepStatus.FAILED


def _final_state(engine: Engine, container: str) -> ContainerState:
    """The container's state once it has stopped (polled: a killed container takes a moment to settle)."""
    # The container has stopped or been killed by now; this wait only saves polling (its timeout is HTTP's).
    with contextlib.suppress(Exception):
        engine.wait(container, timeout=30)
    state = ContainerState(running=True, exit_code=None)
    for _ in range(100):
        state = engine.state(container)
        if not state.running:
            return state
        time.sleep(0.1)
    _kill(engine, container)
    return state


def _kill(engine: Engine, container: str) -> None:
    # Already dead is fine; removal with force follows anyway.
    with contextlib.suppress(Exception):
        engine.kill(container)


def _remove(engine: Engine, container: str) -> None:
    # A failure leaves it for cleanup_leftovers; the label makes it findable.
    with contextlib.suppress(Exception):
        engine.remove(container)


def _owner_alive(labels: Mapping[str, str]) -> bool:
    if labels.get(OWNER_HOST_LABEL) != socket.gethostname():
        return False
    try:
        pid = int(labels.get(OWNER_PID_LABEL, ""))
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_leftovers(engine: Engine, *, include_live_owners: bool = False) -> int:
    """Remove containers left by a crashed or interrupted grader; returns how many were removed.

    Containers whose owning grader process is still alive on this host (a parallel batch) are spared
    unless `include_live_owners` is set.
    """
    removed = 0
    for found in engine.containers({MANAGED_LABEL: "1"}):
        if not include_live_owners and _owner_alive(found.labels):
            continue
        with contextlib.suppress(Exception):
            engine.remove(found.id)
            removed += 1
    return removed
