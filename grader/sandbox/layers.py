"""What a group's environment is installed on: the base image of the Python the group declares (where one can be
built), and the course layer on top of it when the rubric has one."""

from __future__ import annotations

import posixpath
import re
import secrets
from dataclasses import dataclass, replace

from grader.files import SubmissionTree
from grader.models import Progress
from grader.outcomes import BuildResult
from grader.sandbox.container import ContainerSpec, run_container
from grader.sandbox.course import CourseLayer, ensure_course_layer
from grader.sandbox.downloads import DownloadCache
from grader.sandbox.engine import Engine, failure_text
from grader.sandbox.environments import InstallPlan
from grader.sandbox.image import (
    BASE_REPOSITORY,
    DEFAULT_PYTHON,
    PYTHON_LABEL,
    base_image_tag,
    ensure_base_image,
)
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.pyversion import DeclaredPython, declared_python
from grader.sandbox.records import read_record, write_record


@dataclass(frozen=True)
class Layers:
    """The image to install on (the course layer, else the base), its Python, and what the group declares."""

    image: str
    image_id: str
    python: str
    declared: DeclaredPython | None
    course: CourseLayer | None
    #: Why the declared Python is not the sandbox's, when it is not (one line for the report).
    python_note: str | None = None

    @property
    def python_mismatch(self) -> bool:
        """Whether the group declares a Python the sandbox does not have."""
        return self.declared is not None and not self.declared.satisfied_by(self.python)

    def describe(self, build: BuildResult) -> BuildResult:
        """The build result with the sandbox's Python, the group's declaration and the course layer."""
        notes = (*build.notes, self.python_note) if self.python_note else build.notes
        declared = f"{self.declared.text} ({self.declared.source})" if self.declared else None
        return replace(build, python=self.python, python_declared=declared, notes=notes,
                       course_image=self.course.image if self.course else None)


def base_python(engine: Engine, tag: str, image_id: str, policy: SandboxPolicy) -> str:
    """The base image's Python minor version: its label, else asked of python3 in the image (and recorded)."""
    for image in engine.images(repository=BASE_REPOSITORY):
        if tag in image.tags and image.labels.get(PYTHON_LABEL):
            return image.labels[PYTHON_LABEL]
    key = image_id.removeprefix("sha256:")[:16]
    record = read_record("python", key)
    if record is not None and isinstance(record.get("python"), str):
        return str(record["python"])
    spec = ContainerSpec(image=tag, command=("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"),
                         run_id=f"python-{key}-{secrets.token_hex(3)}", memory=policy.memory, cpus=policy.cpus,
                         pids=policy.pids, tmpfs={"/tmp": "16m"}, timeout=60.0, output_limit=10_000)
    answer = run_container(engine, spec).stdout.strip()
    if not re.fullmatch(r"3\.\d+", answer):
        return DEFAULT_PYTHON
    write_record("python", key, {"python": answer})
    return answer


def choose_layers(
    engine: Engine, tree: SubmissionTree, plan: InstallPlan, policy: SandboxPolicy, progress: Progress,
    cache: DownloadCache | None = None,
) -> Layers:
    """The base (of the declared Python when it differs and a registry can build it) and the course layer.
    Raises GraderError or EngineError when the default base image cannot be had, CourseLayerError for the
    course layer."""
    folders = ("", *(posixpath.dirname(s) for s in plan.sources))
    conda = plan.sources if plan.kind == "conda" else ()
    declared = declared_python(tree, folders, conda)
    base_id = ensure_base_image(engine, progress=progress, policy=policy)
    tag = base_image_tag()
    python = base_python(engine, tag, base_id, policy) if declared is not None else DEFAULT_PYTHON
    note = None
    if declared is not None and not declared.satisfied_by(python):
        wanted = declared.best_minor() if policy.follow_python else None
        if wanted is not None:
            try:
                base_id = ensure_base_image(engine, progress=progress, policy=policy, python=wanted)
                tag, python = base_image_tag(python=wanted), wanted
                note = f"installed on Python {wanted}, as {declared.source} asks"
            except Exception as exc:  # no registry (our machines) or a failed build: the default base serves
                note = (f"{declared.wanted()}; installed on the sandbox's Python {python}, as no base image of "
                        f"Python {wanted} could be built ({failure_text(exc).splitlines()[0][:160]})")
        else:
            why = "sandbox.follow_python is off" if not policy.follow_python else "no Python the grader can build fits"
            note = f"{declared.wanted()}; installed on the sandbox's Python {python} ({why})"
    course = ensure_course_layer(engine, tag, base_id, policy, progress, cache)
    if course is not None:
        return Layers(course.image, course.image_id, python, declared, course, note)
    return Layers(tag, base_id, python, declared, None, note)
