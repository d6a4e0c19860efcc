"""An in-memory Engine for fast tests: images in a dict, every container recorded, its run scripted by the test.

Nothing runs on the host: a container "runs" by calling the test's behaviour with what the container was given
(`Call`: its spec and the host folders behind its mounts). The behaviour returns what happened (`Ran`: exit code,
output, OOM, or a hang until killed) and may answer the way the grader's drivers do, signing its result with the
key it finds in the file mounted at /grader-out. `honest` plays well-behaved drivers for every step.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

#: Exit code of a killed container (128 + SIGKILL), as Docker reports it.
KILLED = 137


@dataclass(frozen=True)
class Ran:
    """What a scripted container did: its output, its exit, or a hang until the grader kills it."""

    exit_code: int = 0
    #: Text, bytes, or an iterable of byte chunks (which may be endless: it is read until the kill).
    stdout: str | bytes | Iterable[bytes] = b""
    stderr: str | bytes = b""
    oom: bool = False
    hang: bool = False


@dataclass
class Call:
    """What a behaviour sees of its container: the request, and the host folders behind the mounts."""

    spec: ContainerSpec
    _request: dict[str, Any] | None = None
    _key: str | None = None

    @property
    def step(self) -> str:
        """Which sandbox step asked for this container: install, metadata, imports, tests, notebooks, readme or
        smoke."""
        if self.spec.commit_to is not None:
            return "install"
        found = re.search(r"/grader/(\w+)_driver\.py", " ".join(self.spec.command))
        if found:
            return {"pytest": "tests", "notebook": "notebooks"}.get(found.group(1), found.group(1))
        return "smoke"

    def folder(self, target: str) -> Path:
        """The host folder (or file) mounted at `target`."""
        return next(m.source for m in self.spec.mounts if m.target == target)

    def request(self) -> dict[str, Any]:
        """The grader's request to its driver."""
        if self._request is None:
            self._request = json.loads((self.folder("/grader-in") / "request.json").read_text(encoding="utf-8"))
        return self._request

    def take_key(self) -> str:
        """The key the driver signs with, read and erased from the result file as the real drivers do."""
        if self._key is None:
            result = self.folder("/grader-out")
            self._key = result.read_text(encoding="utf-8").strip()
            result.write_text("", encoding="utf-8")
        return self._key

    def answer(self, payload: Mapping[str, Any], key: str | None = None) -> None:
        """Write a driver's result, signed with the step's key unless another one is given (a forgery)."""
        body = json.dumps(dict(payload), sort_keys=True)
        secret = (self.take_key() if key is None else key).encode()
        mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        self.folder("/grader-out").write_text(json.dumps({"body": body, "mac": mac}), encoding="utf-8")


Behaviour = Callable[[Call], Ran]

PASSING_JUNIT = '<testsuite tests="1"><testcase classname="test_demo" name="test_one"/></testsuite>'


def honest(call: Call) -> Ran:
    """Well-behaved drivers: the install succeeds, every module imports, one test passes, notebooks and the README's
    commands run, the installed environment's metadata reads (as empty: nothing the fake installs is real)."""
    if call.step == "imports":
        modules = [{"module": m["attempts"][0]["module"], "path": m["path"], "status": "ok",
                    "how": m["attempts"][0]["how"]} for m in call.request()["modules"]]
        call.answer({"modules": modules, "complete": True, "stopped_at": None})
    elif call.step == "tests":
        call.answer({"exit_code": 0, "junit": PASSING_JUNIT})
    elif call.step == "notebooks":
        call.answer({"notebooks": [{"path": p, "status": "ok"} for p in call.request()["notebooks"]]})
    elif call.step == "readme":
        call.answer({"commands": [{"index": c["index"], "outcome": "passed", "exit_code": 0, "duration_s": 0.1,
                                   "output": ""} for c in call.request()["commands"] if c["mode"] != "variable"],
                     "complete": True})
    elif call.step == "metadata":
        call.answer({"distributions": {}, "requires": {}})
    return Ran(stdout=f"{call.step} done\n")


@dataclass
class FakeContainer:
    """One created container and everything it was given; `spec` is None for the grader's setup containers."""

    id: str
    image: str
    command: tuple[str, ...]
    labels: dict[str, str]
    spec: ContainerSpec | None = None
    network_mode: str = "none"
    archives: list[tuple[str, bytes]] = field(default_factory=list)
    started: bool = False
    killed: bool = False
    removed: bool = False
    state: ContainerState = field(default_factory=lambda: ContainerState(running=False, exit_code=None))
    output: list[OutputChunk] = field(default_factory=list)
    chunks: queue.Queue[OutputChunk | None] = field(default_factory=queue.Queue)
    done: threading.Event = field(default_factory=threading.Event)
    kill_event: threading.Event = field(default_factory=threading.Event)

    @property
    def mounts(self) -> dict[str, tuple[Path, bool]]:
        """target -> (host folder, read-only)."""
        return {m.target: (m.source, m.read_only) for m in (self.spec.mounts if self.spec else ())}

    @property
    def step(self) -> str:
        """The sandbox step this container served ("setup" for the grader's own builds)."""
        return Call(self.spec).step if self.spec is not None else "setup"


@dataclass
class FakeImage:
    """An image in the fake's store."""

    id: str
    tags: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    size: int = 1000
    parent: str = ""


def _bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


class FakeEngine(Engine):
    """The Engine in memory. `fail` maps an operation's name (create, start, commit...) to what it raises."""

    def __init__(
        self, behaviour: Behaviour = honest, *, images: Iterable[str] = (), setup: Behaviour | None = None,
        build_log: Sequence[BuildLine] = (BuildLine("Step 1/1 : FROM base\n"),),
    ) -> None:
        self.behaviour = behaviour
        self.setup_behaviour = setup
        self.build_log = list(build_log)
        self.fail: dict[str, Exception] = {}
        self.created: list[FakeContainer] = []
        self.store: dict[str, FakeImage] = {}
        self.builds: list[dict[str, Any]] = []
        self.closed = False
        #: What disk_space answers; None plays an engine whose data root the grader cannot see.
        self.disk: DiskSpace | None = DiskSpace("/var/lib/docker", 100 * 1024**3, 200 * 1024**3)
        #: Bytes a container has written, by the container's run id (container_disk's answer).
        self.written: dict[str, int] = {}
        for reference in images:
            self.add_image(reference)

    def add_image(
        self, reference: str, labels: Mapping[str, str] | None = None, *, size: int = 1000, parent: str = ""
    ) -> str:
        """Put an image tagged `reference` into the store; its id."""
        image = FakeImage(f"sha256:{secrets.token_hex(32)}", [_full(reference)], dict(labels or {}), size, parent)
        self.store[image.id] = image
        return image.id

    def _check(self, operation: str) -> None:
        if operation in self.fail:
            raise self.fail[operation]

    def _get(self, container: str) -> FakeContainer:
        found = next((c for c in self.created if c.id == container and not c.removed), None)
        if found is None:
            raise EngineError(f"NotFound: no such container: {container}")
        return found

    def _image(self, reference: str) -> FakeImage | None:
        ref = _full(reference)
        return next((i for i in self.store.values() if ref in i.tags or i.id == reference), None)

    def create(self, spec: ContainerSpec, labels: Mapping[str, str]) -> str:
        """Record the container; ImageNotFound as Docker says it when the image is missing."""
        self._check("create")
        if self._image(spec.image) is None:
            raise EngineError(f"ImageNotFound: No such image: {spec.image}")
        made = FakeContainer(secrets.token_hex(32), spec.image, spec.command, dict(labels), spec, spec.network_mode)
        self.created.append(made)
        return made.id

    def attach(self, container: str) -> Iterator[OutputChunk]:
        """The container's queued output until it ends."""
        self._check("attach")
        made = self._get(container)

        def stream() -> Iterator[OutputChunk]:
            while (chunk := made.chunks.get()) is not None:
                yield chunk

        return stream()

    def start(self, container: str) -> None:
        """Run the behaviour now (it only writes files), then play its output on a thread."""
        self._check("start")
        made = self._get(container)
        made.started = True
        made.state = ContainerState(running=True, exit_code=None)
        if made.spec is not None:
            ran = self.behaviour(Call(made.spec))
        else:
            setup = ContainerSpec(made.image, made.command, "setup", network_mode=made.network_mode)
            ran = self.setup_behaviour(Call(setup)) if self.setup_behaviour is not None else Ran()
        threading.Thread(target=self._play, args=(made, ran), daemon=True).start()

    def _play(self, made: FakeContainer, ran: Ran) -> None:
        stdout = ran.stdout if not isinstance(ran.stdout, str | bytes) else [_bytes(ran.stdout)]
        pieces = itertools.chain(((chunk, None) for chunk in stdout), [(None, _bytes(ran.stderr))])
        for piece in pieces:
            # An endless producer waits for the reader, as a pipe would, and stops at the kill.
            while made.chunks.qsize() >= 64 and not made.kill_event.is_set():
                time.sleep(0.001)
            if made.kill_event.is_set():
                break
            if any(piece):
                made.output.append(piece)
                made.chunks.put(piece)
        if ran.hang:
            made.kill_event.wait()
        killed = made.kill_event.is_set()
        made.state = ContainerState(running=False, exit_code=KILLED if killed else ran.exit_code, oom_killed=ran.oom)
        made.done.set()
        made.chunks.put(None)

    def kill(self, container: str) -> None:
        """Stop it at once; EngineError when it is not running, as Docker's 409."""
        self._check("kill")
        made = self._get(container)
        if not made.state.running:
            raise EngineError(f"APIError: container {container} is not running")
        made.killed = True
        made.kill_event.set()

    def wait(self, container: str, timeout: float) -> None:
        """Until the behaviour's output has played."""
        self._check("wait")
        if not self._get(container).done.wait(timeout):
            raise EngineError("ReadTimeout: wait timed out")

    def state(self, container: str) -> ContainerState:
        """As the behaviour ended."""
        self._check("state")
        return self._get(container).state

    def commit(self, container: str, repository: str, tag: str | None, changes: Sequence[str] = ()) -> str:
        """A new image tagged repository:tag."""
        self._check("commit")
        made = self._get(container)
        parent = self._image(made.image)
        # As Docker does, the image keeps the container's labels and records the image it was made from.
        return self.add_image(f"{repository}:{tag or 'latest'}", made.labels,
                              size=(parent.size if parent else 0) + 1000, parent=parent.id if parent else "")

    def remove(self, container: str) -> None:
        """Gone, killed first if running."""
        self._check("remove")
        made = self._get(container)
        made.kill_event.set()
        made.removed = True

    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """Those not removed carrying every label."""
        self._check("containers")
        return [
            ContainerInfo(c.id, dict(c.labels)) for c in self.created
            if not c.removed and all(c.labels.get(k) == v for k, v in labels.items())
        ]

    def create_setup(self, image: str, command: Sequence[str], network_mode: str, labels: Mapping[str, str]) -> str:
        """Recorded with spec None."""
        self._check("create_setup")
        made = FakeContainer(secrets.token_hex(32), image, tuple(command), dict(labels), network_mode=network_mode)
        self.created.append(made)
        return made.id

    def put_archive(self, container: str, folder: str, tar: bytes) -> None:
        """Recorded."""
        self._check("put_archive")
        self._get(container).archives.append((folder, tar))

    def logs(self, container: str) -> str:
        """Everything it wrote."""
        self._check("logs")
        return b"".join((o or b"") + (e or b"") for o, e in self._get(container).output).decode("utf-8", "replace")

    def image_id(self, reference: str) -> str | None:
        """From the store."""
        self._check("image_id")
        image = self._image(reference)
        return image.id if image else None

    def images(self, *, labels: Mapping[str, str] | None = None, repository: str | None = None) -> list[ImageInfo]:
        """From the store, filtered."""
        self._check("images")
        found = [
            i for i in self.store.values()
            if all(i.labels.get(k) == v for k, v in (labels or {}).items())
            and (repository is None or any(t.split(":", 1)[0] == repository for t in i.tags))
        ]
        return [ImageInfo(i.id, tuple(i.tags), dict(i.labels), i.size, i.parent) for i in found]

    def remove_image(self, reference: str, *, force: bool = True) -> None:
        """Untag, or remove by id; without force, refused while a container that is not removed uses it."""
        self._check("remove_image")
        image = self._image(reference)
        if image is None:
            raise EngineError(f"ImageNotFound: {reference}")
        if not force and any(not c.removed and self._image(c.image) is image for c in self.created):
            raise EngineError(f"APIError: conflict: image {reference} is being used by a container")
        if reference == image.id or image.tags == [_full(reference)]:
            del self.store[image.id]
        else:
            image.tags.remove(_full(reference))

    def disk_space(self) -> DiskSpace | None:
        """As set in `disk`."""
        self._check("disk_space")
        return self.disk

    def container_disk(self, container: str) -> int | None:
        """As set in `written` for the container's run id."""
        self._check("container_disk")
        made = self._get(container)
        return self.written.get(made.spec.run_id if made.spec else "", 0)

    def pull(self, reference: str) -> None:
        """No registry here."""
        self._check("pull")
        raise EngineError(f"APIError: no registry answers for {reference}")

    def build(
        self, context: Path, tag: str, *, dockerfile: str | None, network_mode: str, labels: Mapping[str, str],
        buildargs: Mapping[str, str], timeout: float,
    ) -> Iterator[BuildLine]:
        """Plays `build_log`; the image is tagged unless the log ends in an error."""
        self._check("build")
        self.builds.append({"context": context, "tag": tag, "dockerfile": dockerfile, "network_mode": network_mode,
                            "labels": dict(labels), "buildargs": dict(buildargs)})
        yield from self.build_log
        if not any(line.error for line in self.build_log):
            self.add_image(tag, labels)

    def import_rootfs(self, tarball: Path, tag: str) -> None:
        """Tagged as asked."""
        self._check("import_rootfs")
        self.add_image(tag)

    def ping(self) -> None:
        """Answers unless told to fail."""
        self._check("ping")

    def close(self) -> None:
        """Remembered."""
        self.closed = True


def _full(reference: str) -> str:
    return reference if ":" in reference.rsplit("/", 1)[-1] else f"{reference}:latest"
