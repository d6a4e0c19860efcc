"""The real engine: Docker through the `docker` SDK, the only module of the grader that speaks to it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.types

from grader.errors import SandboxUnavailable
from grader.sandbox.engine import (
    BuildLine,
    ContainerInfo,
    ContainerSpec,
    ContainerState,
    DiskSpace,
    Engine,
    EngineError,
    ImageInfo,
    OutputChunk,
)

#: Seconds a commit may take: the engine writes the container's whole layer (gigabytes for a torch stack).
COMMIT_TIMEOUT_S = 1800


def connect() -> DockerEngine:
    """The local Docker Engine; SandboxUnavailable with one clear message when none answers."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:  # any failure to reach the engine means the same thing to the user
        raise SandboxUnavailable(
            f"no Docker Engine answers ({type(exc).__name__}); start Docker, or grade without running code: --static"
        ) from exc
    return DockerEngine(client)


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Docker's own errors as EngineError, keeping the SDK's error name (NotFound, ImageNotFound, APIError...)."""
    try:
        yield
    except docker.errors.DockerException as exc:
        raise EngineError(f"{type(exc).__name__}: {exc}") from exc


#: Seconds the container's own deadline (the backstop) runs past the grader's: the grader kills first.
DEADLINE_GRACE_S = 60
#: The command under the container's own deadline: `timeout` (coreutils, in every image the grader builds) kills
#: it and its process group when the grader that should have killed it is gone (a killed worker, a lost host);
#: where an image has no `timeout`, the command runs as given.
_BACKSTOP = 'command -v timeout >/dev/null 2>&1 && exec timeout -s KILL "$0" "$@"; exec "$@"'


def deadline_command(spec: ContainerSpec) -> list[str]:
    """The spec's command with the container's own deadline: `spec.timeout` plus a grace, enforced inside the
    container, so a container outlives the grader that supervised it by at most that long."""
    seconds = int(spec.timeout) + DEADLINE_GRACE_S
    return ["sh", "-c", _BACKSTOP, str(seconds), *spec.command]


def create_kwargs(spec: ContainerSpec, labels: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for `client.containers.create` that enforce the spec's policy."""
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "command": deadline_command(spec),
        "environment": dict(spec.env),
        "labels": dict(labels),
        "network_mode": spec.network_mode,
        "mem_limit": spec.memory,
        # No swap on top of the memory limit, so a memory bomb ends as OOM instead of thrashing the host.
        "memswap_limit": spec.memory,
        "nano_cpus": int(spec.cpus * 1e9),
        "pids_limit": spec.pids,
        "read_only": spec.read_only_root,
        "tmpfs": _tmpfs(spec),
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
        kwargs["ulimits"] = [
            docker.types.Ulimit(name="fsize", soft=spec.file_size_limit, hard=spec.file_size_limit)
        ]
    return kwargs


def _tmpfs(spec: ContainerSpec) -> dict[str, str]:
    """Docker's tmpfs options: noexec scratch folders, and folders owned by the container's user (Docker ignores
    `mode=` for them, so `uid=`/`gid=` make them writable) where the group's scripts may be executed."""
    mounts = {path: f"rw,nosuid,nodev,size={size}" for path, size in spec.tmpfs.items()}
    uid, _, gid = (spec.user or "0:0").partition(":")
    for path, size in spec.owned_tmpfs.items():
        mounts[path] = f"rw,nosuid,nodev,exec,size={size},uid={uid},gid={gid or uid}"
    return mounts


class DockerEngine(Engine):
    """The Engine over a `docker.DockerClient` (a local daemon, or any DOCKER_HOST the SDK reaches)."""

    def __init__(self, client: docker.DockerClient) -> None:
        self._client = client

    def create(self, spec: ContainerSpec, labels: Mapping[str, str]) -> str:
        """Create the container with create_kwargs' policy; its id."""
        with _engine_errors():
            return str(self._client.containers.create(**create_kwargs(spec, labels)).id)

    def attach(self, container: str) -> Iterator[OutputChunk]:
        """Demultiplexed (stdout, stderr) chunks of a live attach."""
        with _engine_errors():
            stream = self._client.api.attach(container, stdout=True, stderr=True, stream=True, logs=False, demux=True)
        return self._chunks(stream)

    @staticmethod
    def _chunks(stream: Iterator[OutputChunk]) -> Iterator[OutputChunk]:
        with _engine_errors():
            yield from stream

    def start(self, container: str) -> None:
        """Start it."""
        with _engine_errors():
            self._client.api.start(container)

    def kill(self, container: str) -> None:
        """Send SIGKILL."""
        with _engine_errors():
            self._client.api.kill(container)

    def wait(self, container: str, timeout: float) -> None:
        """Docker's wait, whose timeout is the HTTP request's (requests' ReadTimeout when it passes)."""
        with _engine_errors():
            self._client.api.wait(container, timeout=timeout)

    def state(self, container: str) -> ContainerState:
        """From the inspected State: Running, ExitCode, OOMKilled."""
        with _engine_errors():
            state = dict(self._client.api.inspect_container(container).get("State") or {})
        exit_code = state.get("ExitCode")
        return ContainerState(
            running=bool(state.get("Running")),
            exit_code=exit_code if isinstance(exit_code, int) else None,
            oom_killed=bool(state.get("OOMKilled")),
        )

    def commit(self, container: str, repository: str, tag: str | None, changes: Sequence[str] = ()) -> str:
        """docker commit, allowed COMMIT_TIMEOUT_S: the SDK's own call has the client's timeout (two minutes),
        which a 6 GB torch environment outlasts on a busy disk."""
        api = self._client.api
        params = {"container": container, "repo": repository, "tag": tag, "changes": list(changes) or None}
        with _engine_errors():
            answer = api.post(f"{api.base_url}/v{api.api_version}/commit", params=params, json={},
                              timeout=COMMIT_TIMEOUT_S)
        if answer.status_code >= 400:
            raise EngineError(f"APIError: {answer.status_code} committing {container[:12]}: {answer.text[:300]}")
        return str(answer.json()["Id"])

    def remove(self, container: str) -> None:
        """docker rm --force --volumes."""
        with _engine_errors():
            self._client.api.remove_container(container, force=True, v=True)

    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """The low-level listing: it carries the labels, so no inspect races with other graders' removals."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]}
        with _engine_errors():
            found = self._client.api.containers(all=True, filters=filters)
        return [ContainerInfo(str(c["Id"]), dict(c.get("Labels") or {})) for c in found]

    def create_setup(self, image: str, command: Sequence[str], network_mode: str, labels: Mapping[str, str]) -> str:
        """A plain container with the engine's defaults (json-file logs, root, all default capabilities)."""
        with _engine_errors():
            created = self._client.containers.create(
                image, command=list(command), network_mode=network_mode, labels=dict(labels)
            )
        return str(created.id)

    def put_archive(self, container: str, folder: str, tar: bytes) -> None:
        """docker cp of a tar stream."""
        with _engine_errors():
            self._client.api.put_archive(container, folder, tar)

    def logs(self, container: str) -> str:
        """docker logs, decoded leniently."""
        with _engine_errors():
            data = self._client.api.logs(container, stdout=True, stderr=True)
        return bytes(data).decode("utf-8", "replace")

    def image_id(self, reference: str) -> str | None:
        """docker image inspect; None for ImageNotFound."""
        try:
            with _engine_errors():
                return str(self._client.images.get(reference).id)
        except EngineError as exc:
            if isinstance(exc.__cause__, docker.errors.ImageNotFound):
                return None
            raise

    def images(self, *, labels: Mapping[str, str] | None = None, repository: str | None = None) -> list[ImageInfo]:
        """docker images, filtered by label or by repository name."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]} if labels else None
        with _engine_errors():
            found = self._client.images.list(name=repository, filters=filters)
        return [
            ImageInfo(str(i.id), tuple(i.tags), dict(i.labels or {}), int(i.attrs.get("Size") or 0),
                      str(i.attrs.get("ParentId") or i.attrs.get("Parent") or ""))
            for i in found
        ]

    def remove_image(self, reference: str, *, force: bool = True) -> None:
        """docker rmi (--force when asked)."""
        with _engine_errors():
            self._client.images.remove(reference, force=force)

    def disk_space(self) -> DiskSpace | None:
        """statvfs of `docker info`'s DockerRootDir, when that folder is visible from here (a local engine)."""
        with _engine_errors():
            root = str(self._client.info().get("DockerRootDir") or "")
        try:
            stat = os.statvfs(root) if root else None
        except OSError:
            return None
        if stat is None:
            return None
        return DiskSpace(root, stat.f_bavail * stat.f_frsize, stat.f_blocks * stat.f_frsize)

    def container_disk(self, container: str) -> int | None:
        """SizeRw from the container listing (the engine walks the writable layer to answer)."""
        with _engine_errors():
            found = self._client.api.containers(all=True, size=True, filters={"id": container})
        size = found[0].get("SizeRw") if found else None
        return int(size) if isinstance(size, int) else None

    def pull(self, reference: str) -> None:
        """docker pull."""
        with _engine_errors():
            self._client.images.pull(reference)

    def build(
        self, context: Path, tag: str, *, dockerfile: str | None, network_mode: str, labels: Mapping[str, str],
        buildargs: Mapping[str, str], timeout: float,
    ) -> Iterator[BuildLine]:
        """docker build (classic builder) of a context folder, intermediate containers always removed."""
        with _engine_errors():
            for chunk in self._client.api.build(
                path=str(context), dockerfile=dockerfile, tag=tag, rm=True, forcerm=True, decode=True, pull=False,
                network_mode=network_mode, labels=dict(labels), buildargs=dict(buildargs), timeout=timeout,
            ):
                if "error" in chunk:
                    yield BuildLine(str(chunk["error"]), error=True)
                text = str(chunk.get("stream", ""))
                if text:
                    yield BuildLine(text)

    def import_rootfs(self, tarball: Path, tag: str) -> None:
        """docker import of a tarball on this machine."""
        repository, _, version = tag.partition(":")
        with _engine_errors():
            self._client.api.import_image_from_file(str(tarball), repository=repository, tag=version or None)

    def ping(self) -> None:
        """docker version's round trip."""
        with _engine_errors():
            self._client.ping()

    def close(self) -> None:
        """Close the SDK's HTTP session."""
        self._client.close()
