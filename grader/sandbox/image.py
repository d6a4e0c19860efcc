"""The sandbox's base image: built once per machine from sandboxes/, tagged by a hash of its definition files."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.models import Progress, no_progress
from grader.resources import bundled
from grader.sandbox.container import owner_labels
from grader.sandbox.engine import Engine, EngineError
from grader.sandbox.policy import SandboxPolicy

#: Called with one human-readable line per build stage (plain text, no trailing newline).

BASE_REPOSITORY = "grader-base"
ROOTFS_REPOSITORY = "grader-rootfs"
KIND_LABEL = "grader.kind"
#: The base image's Python minor version, as a label (the install side compares a group's declaration with it).
PYTHON_LABEL = "grader.python"
#: The Python of the default base: python:3.11-slim, and Debian bookworm's python3 on the air-gapped path.
DEFAULT_PYTHON = "3.11"
PUBLIC_BASE = f"python:{DEFAULT_PYTHON}-slim"
#: The files whose contents decide the base image's tag: change one, and the next run builds a new image.
DEFINITION_FILES = ("Dockerfile", "debootstrap.sh", "debian-packages.txt", "setup-venv.sh", "requirements-base.txt")
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
#: Where the base build copies its scripts, CA bundle and wheelhouse (copied, not mounted: a commit would record
#: mount points as volumes of the image).
SETUP_DIR = "/tmp/grader-setup"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: Environment, user and working folder of every sandbox image; the Dockerfile path sets the same itself.
IMAGE_CHANGES = (
    "ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV VIRTUAL_ENV=/opt/venv",
    "ENV PYTHONDONTWRITEBYTECODE=1",
    "ENV PYTHONUNBUFFERED=1",
    "ENV PIP_DISABLE_PIP_VERSION_CHECK=1",
    "ENV HOME=/home/grader",
    "ENV MPLBACKEND=Agg",
    "WORKDIR /work",
    "USER grader",
)
BUILD_TIMEOUT_S = 1800


class ImageBuildError(GraderError):
    """The base image could not be built; the message says which stage failed and what to do."""



def sandboxes_dir() -> Path:
    """The folder holding the base image definitions (sandboxes/, shipped inside the wheel)."""
    return bundled("sandboxes")


def definition_hash(definitions: Path | None = None) -> str:
    """Short hash of the definition files' names and contents: the base image's tag."""
    folder = definitions or sandboxes_dir()
    digest = hashlib.sha256()
    for name in DEFINITION_FILES:
        path = folder / name
        if not path.is_file():
            raise ImageBuildError(f"base image definition missing: {path} (the grader's sandboxes/ folder)")
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def base_image_tag(definitions: Path | None = None, python: str | None = None) -> str:
    """The full tag of the base image these definitions build, e.g. grader-base:1a2b3c4d5e6f, or
    grader-base:1a2b3c4d5e6f-py3.9 for another Python than the default."""
    tag = f"{BASE_REPOSITORY}:{definition_hash(definitions)}"
    return tag if python in (None, DEFAULT_PYTHON) else f"{tag}-py{python}"


@dataclass(frozen=True)
class IndexSettings:
    """Where pip finds packages while building: passed explicitly, never taken from the host's environment."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    ca_bundle: str | None = None
    wheelhouse: str | None = None

    @classmethod
    def from_policy(cls, policy: SandboxPolicy | None) -> IndexSettings:
        """The policy's index settings; the host's system CA bundle when the policy names none."""
        system_ca = HOST_CA_BUNDLE if os.path.isfile(HOST_CA_BUNDLE) else None
        if policy is None:
            return cls(ca_bundle=system_ca)
        return cls(policy.index_url, tuple(policy.extra_index_urls), policy.ca_bundle or system_ca, policy.wheelhouse)

    def pip_args(self, inside: str = SETUP_DIR) -> list[str]:
        """pip options naming the index, extra indexes, CA bundle and wheelhouse (the last two found under
        `inside`, as ca-bundle.crt and wheelhouse/, in the container)."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        if self.ca_bundle:
            args += ["--cert", f"{inside}/ca-bundle.crt"]
        if self.wheelhouse:
            args += ["--find-links", f"{inside}/wheelhouse"]
        return args

    def pip_env(self, inside: str) -> dict[str, str]:
        """The same settings as pip environment variables, which also reach the pip that build isolation starts
        (command-line options do not)."""
        env: dict[str, str] = {}
        if self.index_url:
            env["PIP_INDEX_URL"] = self.index_url
        if self.extra_index_urls:
            env["PIP_EXTRA_INDEX_URL"] = " ".join(self.extra_index_urls)
        if self.ca_bundle:
            # requests (and so pip's own HTTP) and anything else a setup.py fetches trust the same bundle.
            env["PIP_CERT"] = env["REQUESTS_CA_BUNDLE"] = env["SSL_CERT_FILE"] = f"{inside}/ca-bundle.crt"
        if self.wheelhouse:
            env["PIP_FIND_LINKS"] = f"{inside}/wheelhouse"
        return env

    def fingerprint(self) -> str:
        """These settings as one stable string, for cache keys (the CA bundle by content: it may be rotated)."""
        ca = hashlib.sha256(Path(self.ca_bundle).read_bytes()).hexdigest()[:12] if self.ca_bundle else None
        return repr((self.index_url, self.extra_index_urls, ca, self.wheelhouse))


def tar_of(files: Mapping[str, Path | bytes]) -> bytes:
    """An uncompressed tar of `{path in archive: host file or bytes}`, for `put_archive` (no mounts needed)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in files.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid = len(data), 0o644, 1000, 1000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def setup_files(folder: Path, settings: IndexSettings) -> dict[str, Path | bytes]:
    """What the base build copies into its container under grader-setup/: scripts, CA bundle, wheelhouse."""
    names = ("setup-venv.sh", "requirements-base.txt")
    files: dict[str, Path | bytes] = {f"grader-setup/{n}": folder / n for n in names}
    if settings.ca_bundle:
        files["grader-setup/ca-bundle.crt"] = Path(settings.ca_bundle)
    if settings.wheelhouse:
        for wheel in sorted(Path(settings.wheelhouse).iterdir()):
            if wheel.is_file():
                files[f"grader-setup/wheelhouse/{wheel.name}"] = wheel
    return files


def ensure_base_image(
    engine: Engine,
    *,
    rebuild: bool = False,
    progress: Progress = no_progress,
    policy: SandboxPolicy | None = None,
    definitions: Path | None = None,
    registry: bool | None = None,
    mirror: str = DEFAULT_MIRROR,
    public_base: str = PUBLIC_BASE,
    python: str | None = None,
) -> str:
    """The base image's id, built first when missing (or when `rebuild`): from the public Python image
    (`public_base`) when a registry answers (`registry=None` tries), else from Debian packages with debootstrap.
    Another `python` than the default (e.g. "3.9") is built from python:3.9-slim only, so it needs a registry."""
    folder = definitions or sandboxes_dir()
    tag = base_image_tag(folder, python)
    other_python = python not in (None, DEFAULT_PYTHON)
    if other_python:
        public_base = f"python:{python}-slim"
    if not rebuild and (present := engine.image_id(tag)) is not None:
        progress(f"base image {tag} present")
        return present
    # One build per machine at a time: parallel graders (--jobs, test workers) wait for the first one's image.
    lock_path = Path(tempfile.gettempdir()) / f"grader-base-{tag.split(':', 1)[1]}.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not rebuild and (present := engine.image_id(tag)) is not None:
            progress(f"base image {tag} built meanwhile by another grader")
            return present
        settings = IndexSettings.from_policy(policy)
        started = time.monotonic()
        if registry is None or other_python:
            registry = _registry_answers(engine, public_base, progress)
        if registry:
            image_id = _build_from_dockerfile(engine, folder, tag, settings, public_base, progress)
        elif other_python:
            raise ImageBuildError(f"no registry answers: a base image of Python {python} needs {public_base}")
        else:
            image_id = _build_from_debian(engine, folder, tag, settings, mirror, progress)
    progress(f"base image {tag} built in {time.monotonic() - started:.0f} s")
    return image_id


def _labels(kind: str, python: str = DEFAULT_PYTHON) -> dict[str, str]:
    # The run side's owner labels too: a concurrent grader's cleanup must not remove a base build in progress.
    return {**owner_labels(), KIND_LABEL: kind, PYTHON_LABEL: python}


def _python_of(public_base: str) -> str:
    """The minor version a python:3.X-slim reference names (the default when it names none)."""
    match = re.search(r":(3\.\d+)", public_base)
    return match.group(1) if match else DEFAULT_PYTHON


def _registry_answers(engine: Engine, public_base: str, progress: Progress) -> bool:
    """Whether the public Python image is here or can be pulled (fails fast when no registry resolves)."""
    if engine.image_id(public_base) is not None:
        return True
    progress(f"pulling {public_base}")
    try:
        engine.pull(public_base)
        return True
    except EngineError as exc:
        progress(f"no registry answers ({_first_line(str(exc))}); building from Debian packages instead")
        return False


def _build_from_dockerfile(
    engine: Engine, folder: Path, tag: str, settings: IndexSettings, public_base: str,
    progress: Progress,
) -> str:
    progress(f"building {tag} from {public_base}")
    buildargs = {"BASE_IMAGE": public_base}
    if settings.index_url:
        buildargs["PIP_INDEX_URL"] = settings.index_url
    if settings.extra_index_urls:
        buildargs["PIP_EXTRA_INDEX_URL"] = " ".join(settings.extra_index_urls)
    with tempfile.TemporaryDirectory(prefix="grader-base-") as tmp:
        # The build context: the definitions plus the CA bundle (empty when none), so the Dockerfile can COPY it.
        context = Path(tmp)
        for name in DEFINITION_FILES:
            shutil.copyfile(folder / name, context / name)
        ca = Path(settings.ca_bundle).read_bytes() if settings.ca_bundle else b""
        (context / "ca-bundle.crt").write_bytes(ca)
        try:
            # network_mode="host": on machines whose bridge has no way out, RUN steps still reach apt and PyPI.
            for line in engine.build(
                context, tag, dockerfile=None, network_mode="host", labels=_labels("base", _python_of(public_base)),
                buildargs=buildargs,
                timeout=BUILD_TIMEOUT_S,
            ):
                if line.error:
                    raise ImageBuildError(f"building {tag} failed: {line.text.strip()}")
                if line.text.strip().startswith("Step "):
                    progress(line.text.strip())
        except EngineError as exc:
            raise ImageBuildError(f"building {tag} failed: {exc}") from exc
    return _built(engine, tag)


def _build_from_debian(
    engine: Engine, folder: Path, tag: str, settings: IndexSettings, mirror: str, progress: Progress
) -> str:
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise ImageBuildError(
            "no registry answers, and building the base image from Debian packages needs root and debootstrap "
            "(apt-get install debootstrap, then run `grader sandbox build` as root)"
        )
    rootfs_tag = f"{ROOTFS_REPOSITORY}:{tag.split(':', 1)[1]}"
    with tempfile.TemporaryDirectory(prefix="grader-rootfs-") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        progress(f"debootstrap: Debian bookworm minbase from {mirror}")
        _run_host_script([str(folder / "debootstrap.sh"), str(tarball), mirror], progress)
        progress(f"importing the root filesystem as {rootfs_tag}")
        engine.import_rootfs(tarball, rootfs_tag)
    progress("creating /opt/venv with the grader's tools (pip, network of the host)")
    script = 'sh /tmp/grader-setup/setup-venv.sh "$@"; rc=$?; rm -rf /tmp/grader-setup; exit $rc'
    command = ["sh", "-c", script, "setup", "python3", "/tmp/grader-setup/requirements-base.txt"]
    container = engine.create_setup(
        rootfs_tag, [*command, *settings.pip_args()], network_mode="host", labels=_labels("base-build")
    )
    try:
        engine.put_archive(container, "/tmp", tar_of(setup_files(folder, settings)))
        exit_code, logs = _run_to_end(engine, container, BUILD_TIMEOUT_S)
        if exit_code != 0:
            raise ImageBuildError(f"setting up /opt/venv in the base image failed (exit {exit_code}):\n{logs[-3000:]}")
        repository, version = tag.split(":", 1)
        changes = [*IMAGE_CHANGES, 'CMD ["python3"]', *(f'LABEL {k}="{v}"' for k, v in _labels("base").items())]
        image_id = engine.commit(container, repository, version, changes)
    finally:
        engine.remove(container)
    return image_id


def _built(engine: Engine, tag: str) -> str:
    """The id of the image a build just tagged."""
    image_id = engine.image_id(tag)
    if image_id is None:
        raise ImageBuildError(f"building {tag} reported success, but the engine has no image {tag}")
    return image_id


def _run_to_end(engine: Engine, container: str, timeout_s: float) -> tuple[int | None, str]:
    """Start a trusted build container, kill it at the deadline, return its exit code and log."""
    engine.start(container)
    deadline = time.monotonic() + timeout_s
    while True:
        state = engine.state(container)
        if not state.running:
            break
        if time.monotonic() > deadline:
            engine.kill(container)
            raise ImageBuildError(f"building the base image took longer than {timeout_s:.0f} s")
        time.sleep(0.5)
    return state.exit_code, engine.logs(container)


def _run_host_script(argv: Sequence[str], progress: Progress) -> None:
    """Run one of the grader's own definition scripts on the host, passing its stage lines on as progress."""
    # The grader's own script, never student content, is the only thing run on the host.
    process = subprocess.Popen(
        ["bash", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    assert process.stdout is not None
    tail: list[str] = []
    for raw in process.stdout:
        line = raw.rstrip()
        tail = [*tail[-39:], line]
        if line.startswith(_DEBOOTSTRAP_STAGES):
            progress(f"debootstrap: {line[3:]}")
    if process.wait(timeout=BUILD_TIMEOUT_S) != 0:
        raise ImageBuildError("debootstrap failed:\n" + "\n".join(tail))


#: debootstrap lines worth a progress line (the per-package ones would be hundreds).
_DEBOOTSTRAP_STAGES = (
    "I: Retrieving InRelease", "I: Resolving", "I: Found additional", "I: Checking component",
    "I: Installing core", "I: Unpacking the base", "I: Configuring the base",
    "I: Base system", "E:", "W: Failure",
)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
