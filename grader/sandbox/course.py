"""The course layer: the course's own heavy requirements (`sandbox.preinstall`), installed once into an image on
the base that every group's environment then installs on top of.

N groups that use the course's torch share one copy of it on disk (their images' layers start with the course
layer's), and pip finds it already satisfied, so a group installs in seconds what would take minutes. The image
is cached by content: the base image, the requirement lines and the index settings. What the course layer
holds is recorded (records.py) so that reports can say what came from it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.models import Progress
from grader.sandbox.container import ContainerSpec, run_container
from grader.sandbox.diagnose import diagnose_pip
from grader.sandbox.downloads import DownloadCache, cache_root
from grader.sandbox.engine import Engine
from grader.sandbox.image import KIND_LABEL, IndexSettings
from grader.sandbox.pipinstall import run_install
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.records import read_record, write_record

COURSE_REPOSITORY = "grader-course"
#: Bumped when the way the course layer is installed changes meaning.
COURSE_RECIPE = "1"
REQUIREMENTS_NAME = "grader-course-requirements.txt"


class CourseLayerError(GraderError):
    """The course layer could not be made; the message says why, for the lecturer (never the group's fault)."""


@dataclass(frozen=True)
class CourseLayer:
    """The course image, the lines it was made from, and the packages it holds (normalised name -> version)."""

    image: str
    image_id: str
    requirements: tuple[str, ...]
    packages: Mapping[str, str]


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def course_requirements(policy: SandboxPolicy) -> tuple[str, ...]:
    """The preinstall lines: the rubric's list, or the lines of its requirements file (comments dropped)."""
    if isinstance(policy.preinstall, str):
        lines = Path(policy.preinstall).read_text(encoding="utf-8").splitlines()
    else:
        lines = list(policy.preinstall)
    kept = (line.split(" #")[0].strip() for line in lines)
    return tuple(line for line in kept if line and not line.startswith("#"))


def course_key(base_id: str, lines: tuple[str, ...], settings: IndexSettings) -> str:
    """The course image's cache key: everything that decides what it holds."""
    digest = hashlib.sha256()
    for part in (COURSE_RECIPE, base_id, "\n".join(lines), settings.fingerprint()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def ensure_course_layer(
    engine: Engine, base: str, base_id: str, policy: SandboxPolicy, progress: Progress,
    cache: DownloadCache | None = None,
) -> CourseLayer | None:
    """The course image for this base (built first when missing); None when the rubric preinstalls nothing.
    CourseLayerError when it cannot be built."""
    lines = course_requirements(policy)
    if not lines:
        return None
    settings = IndexSettings.from_policy(policy)
    key = course_key(base_id, lines, settings)
    tag = f"{COURSE_REPOSITORY}:{key}"
    # One build per machine: parallel groups (--jobs) wait for the first one's image instead of racing it.
    lock_path = cache_root() / "locks" / f"course-{key}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        image_id = engine.image_id(tag)
        if image_id is None:
            progress(f"building the course layer ({len(lines)} requirements from sandbox.preinstall)")
            image_id = _build(engine, base, key, tag, lines, settings, policy, cache)
    held = installed_packages(engine, tag, image_id, policy)
    beneath = installed_packages(engine, base, base_id, policy)
    # What the course layer added or changed: the base's own tools are not "from the course layer".
    added = {name: version for name, version in held.items() if beneath.get(name) != version}
    return CourseLayer(tag, image_id, lines, added)


def _build(
    engine: Engine, base: str, key: str, tag: str, lines: tuple[str, ...], settings: IndexSettings,
    policy: SandboxPolicy, cache: DownloadCache | None,
) -> str:
    with tempfile.TemporaryDirectory(prefix="grader-course-") as tmp:
        stage = Path(tmp)
        (stage / "src").mkdir()
        (stage / "src" / REQUIREMENTS_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if settings.ca_bundle:
            (stage / "ca-bundle.crt").write_bytes(Path(settings.ca_bundle).read_bytes())
        for path in (stage, stage / "src"):
            path.chmod(0o755)
        for path in stage.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        run = run_install(
            engine, image=base, pip_installs=(("-r", REQUIREMENTS_NAME),), stage=stage, settings=settings,
            policy=policy, commit_to=tag, run_id=f"course-{key}-{secrets.token_hex(3)}",
            labels={KIND_LABEL: "course"}, cache=cache,
        )
    result = run.result
    if run.disk is not None:
        raise CourseLayerError(f"the course layer (sandbox.preinstall) did not install: {run.disk.explanation}")
    if result.committed_image:
        return result.committed_image
    if result.error:
        raise CourseLayerError(f"the course layer (sandbox.preinstall) could not be installed: {result.error}")
    found = diagnose_pip(result.stdout + "\n" + result.stderr)
    what = found.explanation if found.failure_reason != "install-failed" else (result.stderr.strip()[-300:] or
                                                                             f"status {result.status}")
    raise CourseLayerError(f"the course layer (sandbox.preinstall) did not install: {what}")


def installed_packages(engine: Engine, image: str, image_id: str, policy: SandboxPolicy) -> dict[str, str]:
    """The distributions an image holds (normalised name -> version): from its record, else listed by pip in a
    container of the image (no network) and recorded."""
    key = image_id.removeprefix("sha256:")[:16]
    record = read_record("packages", key)
    if record is not None and all(isinstance(v, str) for v in record.values()):
        return {str(k): str(v) for k, v in record.items()}
    spec = ContainerSpec(
        image=image, command=("python", "-m", "pip", "list", "--format=json", "--disable-pip-version-check"),
        run_id=f"list-{key}-{secrets.token_hex(3)}", memory=policy.memory, cpus=policy.cpus,
        pids=policy.pids, tmpfs={"/tmp": "64m"}, timeout=120.0, output_limit=4_000_000,
    )
    listed = run_container(engine, spec)
    try:
        found = {normalise(str(p["name"])): str(p["version"]) for p in json.loads(listed.stdout)}
    except (ValueError, TypeError, KeyError):
        return {}
    write_record("packages", key, dict(found))
    return found
