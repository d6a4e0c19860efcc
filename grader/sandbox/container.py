"""The one Docker primitive: run a single locked-down container from a spec and always remove it afterwards.

Both sandbox phases use it: the install side (with a network and `commit_to`) and every run step (no network).
The wall timeout is enforced here by killing the container at the deadline; `wait(timeout=...)` is only an HTTP
timeout and never used for that. Output is streamed and kept as head + tail; a container that keeps talking past
`output_kill_limit` bytes is killed and reported as `output-limit`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.types

from grader.models import StepStatus

#: Label carried by every container the grader starts, so leftovers of a crash or Ctrl-C can be found.
MANAGED_LABEL = "grader.managed"
#: Label naming the grading run (one submission's sandbox) a container belongs to.
RUN_LABEL = "grader.run"
#: Labels naming the host process that owns a container; `cleanup_leftovers` spares live owners.
OWNER_PID_LABEL = "grader.pid"
OWNER_HOST_LABEL = "grader.host"


@dataclass(frozen=True)
class Mount:
    """A host folder made visible inside the container; read-only unless said otherwise."""

    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to run one container: what, with which files, and under which limits."""

    image: str
    command: tuple[str, ...]
    run_id: str
    mounts: tuple[Mount, ...] = ()
    #: The container's whole extra environment; nothing from the host is ever added.
    env: Mapping[str, str] = field(default_factory=dict)
    user: str | None = "1000:1000"
    workdir: str | None = None
    network_mode: str = "none"
    memory: str = "4g"
    cpus: float = 2.0
    pids: int = 512
    read_only_root: bool = True
    #: Writable scratch folders as tmpfs mounts: path -> size (e.g. "1g").
    tmpfs: Mapping[str, str] = field(default_factory=lambda: {"/tmp": "1g"})
    #: Wall-clock seconds before the grader kills the container.
    timeout: float = 600.0
    #: Bytes of stdout + stderr kept (half head, half tail); the rest is dropped with a note.
    output_limit: int = 1_000_000
    #: Bytes of output after which the container is killed as `output-limit`; None means 16 x output_limit.
    output_kill_limit: int | None = None
    #: Largest single file the container may write (RLIMIT_FSIZE), protecting the host's disk behind mounts.
    file_size_limit: int | None = 2 * 1024**3
    #: Commit the container to this image reference when it exits 0 (the install phase's cache).
    commit_to: str | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def kill_limit(self) -> int:
        """Bytes of output that get the container killed."""
        return self.output_kill_limit if self.output_kill_limit is not None else 16 * self.output_limit


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

    def __init__(self, cap: int) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

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


def _create_kwargs(spec: ContainerSpec) -> dict[str, Any]:
    """Keyword arguments for `client.containers.create` that enforce the spec's policy."""
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "command": list(spec.command),
        "environment": dict(spec.env),
        "labels": _labels(spec),
        "network_mode": spec.network_mode,
        "mem_limit": spec.memory,
        # No swap on top of the memory limit, so a memory bomb ends as OOM instead of thrashing the host.
        "memswap_limit": spec.memory,
        "nano_cpus": int(spec.cpus * 1e9),
        "pids_limit": spec.pids,
        "read_only": spec.read_only_root,
        "tmpfs": {path: f"rw,nosuid,nodev,size={size}" for path, size in spec.tmpfs.items()},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "stdin_open": False,
        "tty": False,
        # A tiny init reaps orphans and forwards the kill, so daemonised grandchildren die with the container.
        "init": True,
        # `mounts`, not `volumes`: the latter records mount points as image volumes when a container is
        # committed, giving every later container of that image an anonymous volume.
        "mounts": [
            docker.types.Mount(m.target, str(m.source), type="bind", read_only=m.read_only) for m in spec.mounts
        ],
        "detach": True,
        # The grader reads the output live; a log driver would also write every byte (a 1 GB flood) to the host.
        "log_config": {"type": "none", "config": {}},
    }
    if spec.user is not None:
        kwargs["user"] = spec.user
    if spec.workdir is not None:
        kwargs["working_dir"] = spec.workdir
    if spec.file_size_limit is not None:
        from docker.types import Ulimit

        kwargs["ulimits"] = [Ulimit(name="fsize", soft=spec.file_size_limit, hard=spec.file_size_limit)]
    return kwargs


def run_container(client: Any, spec: ContainerSpec) -> ContainerResult:
    """Run one container to completion under the spec; never raises, always removes the container."""
    started = time.monotonic()
    container: Any = None
    try:
        container = client.containers.create(**_create_kwargs(spec))
        return _supervise(client, container, spec, started)
    except Exception as exc:  # an engine failure is an outcome (infra-error), not a crash
        return ContainerResult(
            status=StepStatus.INFRA_ERROR, exit_code=None, duration_s=time.monotonic() - started,
            stdout="", stderr="", error=f"{type(exc).__name__}: {exc}",
        )
    finally:
        if container is not None:
            _remove(container)


def _supervise(client: Any, container: Any, spec: ContainerSpec, started: float) -> ContainerResult:
    out, err = _Capture(spec.output_limit), _Capture(spec.output_limit)
    over_limit = threading.Event()
    stream_done = threading.Event()
    stream_error: list[BaseException] = []

    # Attached before start, as `docker run` does, so not a byte of a short-lived container is missed.
    stream = client.api.attach(container.id, stdout=True, stderr=True, stream=True, logs=False, demux=True)

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

    container.start()
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
        _kill(container)
    # The stream ends once the container is gone; bounded so a stuck engine cannot hang the grader.
    reader.join(10)
    state = _final_state(container)
    duration = time.monotonic() - started
    exit_code = state.get("ExitCode")
    oom = bool(state.get("OOMKilled"))
    if timed_out:
        status = StepStatus.TIMEOUT
    elif over_limit.is_set():
        status = StepStatus.OUTPUT_LIMIT
    elif oom:
        status = StepStatus.OOM
    elif state.get("Running") or exit_code is None:
        status = StepStatus.INFRA_ERROR
    else:
        status = StepStatus.PASSED if exit_code == 0 else StepStatus.FAILED
    committed = None
    if spec.commit_to is not None and status is StepStatus.PASSED:
        repository, _, tag = spec.commit_to.rpartition(":") if ":" in spec.commit_to else (spec.commit_to, "", "")
        image = container.commit(repository=repository or spec.commit_to, tag=tag or None)
        committed = str(image.id)
    error = None
    if stream_error and status is StepStatus.INFRA_ERROR:
        error = f"output stream failed: {stream_error[0]}"
    return ContainerResult(
        status=status, exit_code=exit_code if isinstance(exit_code, int) else None, duration_s=duration,
        stdout=out.text(), stderr=err.text(), output_bytes=out.total + err.total,
        truncated=out.total > len(out.head) + len(out.tail) or err.total > len(err.head) + len(err.tail),
        timed_out=timed_out, oom_killed=oom, committed_image=committed, error=error,
    )


def _final_state(container: Any) -> dict[str, Any]:
    """The container's State once it has stopped (polled: a killed container takes a moment to settle)."""
    # The container has stopped or been killed by now; this wait only saves polling (its timeout is HTTP's).
    with contextlib.suppress(Exception):
        container.wait(timeout=30)
    state: dict[str, Any] = {}
    for _ in range(100):
        container.reload()
        state = dict(container.attrs.get("State", {}))
        if not state.get("Running"):
            return state
        time.sleep(0.1)
    _kill(container)
    return state


def _kill(container: Any) -> None:
    # Already dead is fine; removal with force follows anyway.
    with contextlib.suppress(Exception):
        container.kill()


def _remove(container: Any) -> None:
    # A failure leaves it for cleanup_leftovers; the label makes it findable.
    with contextlib.suppress(Exception):
        container.remove(force=True, v=True)


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


def cleanup_leftovers(client: Any, *, include_live_owners: bool = False) -> int:
    """Remove containers left by a crashed or interrupted grader; returns how many were removed.

    Containers whose owning grader process is still alive on this host (a parallel batch) are spared
    unless `include_live_owners` is set.
    """
    removed = 0
    # The low-level listing carries the labels: no per-container inspect that races with other graders' removals.
    for summary in client.api.containers(all=True, filters={"label": f"{MANAGED_LABEL}=1"}):
        labels = summary.get("Labels") or {}
        if not include_live_owners and _owner_alive(labels):
            continue
        with contextlib.suppress(Exception):
            client.api.remove_container(summary["Id"], force=True, v=True)
            removed += 1
    return removed
