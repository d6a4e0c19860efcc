"""The container engine behind the sandbox: what it is asked to run, what it answers, and the operations it offers.

The sandbox talks to an `Engine`, never to an engine's own client library. `DockerEngine` (docker_engine.py) is the
real one; tests use an in-memory fake that records what each container was given. The supervision of a container
(wall timeout, output caps, commit on success, removal) is the sandbox's own, in container.py, and is the same over
any engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: One piece of a container's output: bytes on stdout, bytes on stderr (either may be None).
OutputChunk = tuple[bytes | None, bytes | None]


class EngineError(Exception):
    """The engine refused or failed an operation; the message carries the engine's own words."""


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
    #: Writable tmpfs folders owned by the container's user, where programs may also be executed (a run step's
    #: working copy): path -> size. Their size is the most the container can write there; it counts as memory.
    owned_tmpfs: Mapping[str, str] = field(default_factory=dict)
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
class ContainerState:
    """A container's state as the engine reports it."""

    running: bool
    #: None when the engine does not say (Docker reports 0 while a container still runs).
    exit_code: int | None
    #: Killed by the kernel at the memory limit.
    oom_killed: bool = False


@dataclass(frozen=True)
class ContainerInfo:
    """One container found by its labels."""

    id: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ImageInfo:
    """One image in the engine's store."""

    id: str
    #: Its `repository:tag` references; empty for an untagged image.
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    #: Bytes of the whole image, its parents' layers included.
    size: int
    #: The image it was committed or built on ("" for an imported or pulled one).
    parent: str = ""


@dataclass(frozen=True)
class DiskSpace:
    """Free and total bytes of the filesystem holding the engine's images and containers."""

    path: str
    free: int
    total: int


@dataclass(frozen=True)
class BuildLine:
    """One line of an image build's log; `error` when the build stopped there."""

    text: str
    error: bool = False


class Engine(ABC):
    """The operations the sandbox needs from a container engine, in the grader's terms.

    Containers and images are named by the ids and references the engine hands out. Failures the engine reports
    raise EngineError; a lost connection may raise anything, and callers treat every exception alike. An ABC rather
    than a Protocol, so that an engine (or a fake) missing an operation fails when made, not midway through a batch.
    """

    @abstractmethod
    def create(self, spec: ContainerSpec, labels: Mapping[str, str]) -> str:
        """Create (not start) a container enforcing the spec's whole policy, carrying `labels`; returns its id."""

    @abstractmethod
    def attach(self, container: str) -> Iterator[OutputChunk]:
        """The container's output from now until it ends; attached when called, so call it before `start`."""

    @abstractmethod
    def start(self, container: str) -> None:
        """Start a created container."""

    @abstractmethod
    def kill(self, container: str) -> None:
        """Kill a running container (EngineError when it is not running)."""

    @abstractmethod
    def wait(self, container: str, timeout: float) -> None:
        """Return once the container has stopped, or raise after `timeout` seconds."""

    @abstractmethod
    def state(self, container: str) -> ContainerState:
        """Whether the container runs, and how it ended."""

    @abstractmethod
    def commit(self, container: str, repository: str, tag: str | None, changes: Sequence[str] = ()) -> str:
        """Save the container's filesystem as an image `repository:tag` with Dockerfile-style `changes`; its id."""

    @abstractmethod
    def remove(self, container: str) -> None:
        """Remove the container, killing it first if needed, with its anonymous volumes."""

    @abstractmethod
    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """Every container, running or not, carrying all of `labels`."""

    @abstractmethod
    def create_setup(
        self, image: str, command: Sequence[str], network_mode: str, labels: Mapping[str, str]
    ) -> str:
        """Create a container for the grader's own image builds: root, no sandbox limits, logs kept; its id."""

    @abstractmethod
    def put_archive(self, container: str, folder: str, tar: bytes) -> None:
        """Unpack an uncompressed tar into `folder` of a created container."""

    @abstractmethod
    def logs(self, container: str) -> str:
        """Everything a setup container wrote on stdout and stderr."""

    @abstractmethod
    def image_id(self, reference: str) -> str | None:
        """The id of the image `reference` names, or None when there is none."""

    @abstractmethod
    def images(self, *, labels: Mapping[str, str] | None = None, repository: str | None = None) -> list[ImageInfo]:
        """The images carrying all of `labels`, or those of `repository`."""

    @abstractmethod
    def remove_image(self, reference: str, *, force: bool = True) -> None:
        """Remove an image by reference or id, even when tagged more than once; without `force`, the engine
        refuses (EngineError) when a container still uses it."""

    @abstractmethod
    def disk_space(self) -> DiskSpace | None:
        """The engine's data root and its free space; None when the grader cannot see that filesystem."""

    @abstractmethod
    def container_disk(self, container: str) -> int | None:
        """Bytes a container has written into its own writable layer; None when the engine does not say."""

    @abstractmethod
    def pull(self, reference: str) -> None:
        """Fetch an image from its registry (EngineError when none answers)."""

    @abstractmethod
    def build(
        self, context: Path, tag: str, *, dockerfile: str | None, network_mode: str, labels: Mapping[str, str],
        buildargs: Mapping[str, str], timeout: float,
    ) -> Iterator[BuildLine]:
        """Build the Dockerfile `dockerfile` (default: Dockerfile) of the folder `context` as `tag`, streaming the
        log; a step that fails ends the log with an error line, an engine that refuses the build raises."""

    @abstractmethod
    def import_rootfs(self, tarball: Path, tag: str) -> None:
        """Make an image `tag` from a root filesystem tarball."""

    @abstractmethod
    def ping(self) -> None:
        """Raise unless the engine answers."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection to the engine."""


def failure_text(exc: BaseException) -> str:
    """One line for an exception met while using the engine: the engine's own words, else type and message."""
    return str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
