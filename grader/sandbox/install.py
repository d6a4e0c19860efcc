"""The install phase: a group's environment installed in a container on the base image (or the course layer),
committed and cached by content."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import GraderError
from grader.files import SubmissionTree, UnsafePathError
from grader.models import PIP_OUTPUT, Progress, no_progress
from grader.outcomes import BuildResult, StepOutcome, StepStatus
from grader.sandbox.budget import Lease
from grader.sandbox.course import CourseLayerError
from grader.sandbox.diskwatch import check_free_space
from grader.sandbox.dockerfile import build_group_dockerfile
from grader.sandbox.engine import Engine, EngineError
from grader.sandbox.environments import InstallPlan, group_dockerfiles, plan_install
from grader.sandbox.image import KIND_LABEL, IndexSettings
from grader.sandbox.layers import Layers, choose_layers
from grader.sandbox.pipinstall import InstallRun, run_install
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.verdict import installed_facts, judge_install, keep_within_budget, recorded_facts

ENV_REPOSITORY = "grader-env"
CACHE_KEY_LABEL = "grader.cache-key"
#: Bumped when the install changes meaning (2: scratch on disk, the gateway; 3: a failing pip call of several fails
#: the install, which an `a && b` list did not), so older environments are not reused.
INSTALL_RECIPE = "3"
#: Largest single file, and largest total, copied into the install container for a project install.
MAX_FILE_BYTES = 50 * 1024**2
MAX_TOTAL_BYTES = 1024**3
TAIL_CHARS = 4000


@dataclass(frozen=True)
class PreparedEnvironment:
    """The image a group's code runs in, the environment kind it was made from, and the "build" step's outcome.

    While `lease` is held, the image budget never removes the image (nor the course layer under it): the runner
    calls `release` once the last run step is done."""

    image: str
    image_id: str
    kind: str
    step: StepOutcome
    lease: Lease | None = None

    def release(self) -> None:
        """Let the image budget consider this image again."""
        if self.lease is not None:
            self.lease.release()


def prepare_environment(
    engine: Engine, tree: SubmissionTree, policy: SandboxPolicy, progress: Progress = no_progress
) -> PreparedEnvironment:
    """Install the group's environment (or reuse the cached image of an identical one); never raises for the
    group's own failures, which become the "build" step's outcome."""
    started = time.monotonic()
    try:
        plan = _choose_plan(tree, policy)
    except Exception as exc:  # a bug in detection is this submission's infra error, never a crash of the batch
        error = f"detecting the environment failed: {type(exc).__name__}: {exc}"[:2000]
        return PreparedEnvironment("", "", "unknown", _step(StepStatus.INFRA_ERROR, started, BuildResult(), error))
    build = BuildResult(environment=plan.kind, sources=plan.sources, notes=plan.notes,
                        for_notebooks=plan.notebook_packages)
    try:
        layers = choose_layers(engine, tree, plan, policy, progress)
    except CourseLayerError as exc:
        build = replace(build, failure_reason="course-layer", explanation=str(exc))
        return PreparedEnvironment("", "", plan.kind, _step(StepStatus.INFRA_ERROR, started, build, str(exc)))
    except (GraderError, EngineError) as exc:
        error = f"base image: {exc}"[:2000]
        return PreparedEnvironment("", "", plan.kind, _step(StepStatus.INFRA_ERROR, started, build, error))
    build = layers.describe(build)
    if plan.empty and plan.kind != "dockerfile":
        build = replace(build, cache_hit=True)
        return _ready(layers.image, layers.image_id, plan.kind, _step(StepStatus.PASSED, started, build), layers)
    fallback = plan.fallback
    if fallback is not None:
        # A project that was no package last time: its dependencies' image is cached, the project is not tried.
        cached = _install(engine, tree, fallback, policy, layers, build, progress, started, cached_only=True)
        if cached is not None:
            return cached
    prepared = _install(engine, tree, plan, policy, layers, build, progress, started)
    assert prepared is not None  # only a cached_only lookup answers None
    detail = prepared.step.detail
    if fallback is None or not isinstance(detail, BuildResult) or detail.failure_reason != "project-not-a-package":
        return prepared
    progress("the project is no package pip can build: installing its dependencies alone")
    note = f"{detail.explanation}; its dependencies were installed alone, as `poetry install` does for such a project"
    installed = _install(engine, tree, fallback, policy, layers, replace(build, notes=(*build.notes, note)), progress,
                         started)
    assert installed is not None
    return installed


def _install(
    engine: Engine, tree: SubmissionTree, plan: InstallPlan, policy: SandboxPolicy, layers: Layers,
    build: BuildResult, progress: Progress, started: float, *, cached_only: bool = False,
) -> PreparedEnvironment | None:
    """One plan: staged, looked up in the cache, installed and judged; None when `cached_only` and not cached.
    Long because it is the install's one recipe (stage, cache, disk, install, verdict), each part a few lines
    that read in order."""
    settings = IndexSettings.from_policy(policy)
    build = replace(build, notes=tuple(dict.fromkeys((*build.notes, *plan.notes))))
    with tempfile.TemporaryDirectory(prefix="grader-install-") as tmp:
        stage = Path(tmp)
        skipped = _stage(tree, plan, settings, stage)
        if skipped:
            note = f"not copied into the install (too large or unreadable): {', '.join(skipped[:10])}"
            build = replace(build, notes=(*build.notes, note))
        key = cache_key(layers.image_id, plan, settings, stage)
        tag = f"{ENV_REPOSITORY}:{key}"
        build = replace(build, cache_key=key)
        cached = engine.image_id(tag)
        if cached is not None:
            progress(f"environment {plan.kind}: cached image {tag}")
            build = recorded_facts(replace(build, cache_hit=True), key)
            return _ready(tag, cached, plan.kind, _step(StepStatus.PASSED, started, build), layers)
        if cached_only:
            return None
        build = replace(build, cache_hit=False)
        short, space_note = check_free_space(engine, policy)
        if short is not None:
            build = replace(build, failure_reason=short.reason, explanation=short.explanation)
            return PreparedEnvironment("", "", plan.kind,
                                       _step(StepStatus.INFRA_ERROR, started, build, short.explanation))
        if space_note:
            build = replace(build, notes=(*build.notes, space_note))
        progress(f"installing the {plan.kind} environment ({', '.join(plan.sources) or 'no file'})"
                 + (f" on the course layer {layers.image}" if layers.course else "")
                 + (f", then the notebooks' {', '.join(plan.notebook_packages)}" if plan.notebook_packages else ""))
        if plan.kind == "dockerfile":
            result = build_group_dockerfile(engine, stage / "src", plan.sources[0], tag, policy, {CACHE_KEY_LABEL: key})
            run = InstallRun(result, None, None, 0)
        else:
            run = run_install(
                engine, image=layers.image, pip_installs=plan.pip_installs, stage=stage, settings=settings,
                policy=policy, commit_to=tag, run_id=f"install-{key}-{secrets.token_hex(3)}",
                labels={KIND_LABEL: "install", CACHE_KEY_LABEL: key},
                hook=lambda line: progress(PIP_OUTPUT + line), optional=plan.notebook_packages,
            )
    status, build = judge_install(run, plan, policy, build, layers, tree)
    result = run.result
    step = StepOutcome(
        "build", status, result.exit_code, round(time.monotonic() - started, 3),
        result.stdout[-TAIL_CHARS:], result.stderr[-TAIL_CHARS:], detail=build,
        error=(build.explanation or result.error) if status is StepStatus.INFRA_ERROR else None,
    )
    image_id = (result.committed_image or "") if status is StepStatus.PASSED else ""
    if not image_id:
        return PreparedEnvironment("", "", plan.kind, step)
    step = replace(step, detail=installed_facts(engine, build, run, layers, key, image_id, tree, plan))
    prepared = _ready(tag, image_id, plan.kind, step, layers)
    keep_within_budget(engine, policy, progress)
    return prepared


def _ready(image: str, image_id: str, kind: str, step: StepOutcome, layers: Layers) -> PreparedEnvironment:
    """A prepared environment holding a lease on its image and the course layer under it."""
    try:
        lease: Lease | None = Lease([image_id, layers.course.image_id if layers.course else ""])
    except OSError:  # an unwritable cache folder costs the budget its knowledge of this use, nothing more
        lease = None
    return PreparedEnvironment(image, image_id, kind, step, lease)


def _choose_plan(tree: SubmissionTree, policy: SandboxPolicy) -> InstallPlan:
    """The group's own Dockerfile when the rubric allows it, else the first environment kind that applies."""
    if policy.allow_dockerfile:
        dockerfiles = sorted(group_dockerfiles(tree), key=lambda p: (p.count("/"), p))
        if dockerfiles:
            notes = ["built from the group's own Dockerfile, as the rubric allows"]
            if policy.install_network == "proxy":
                notes.append("built without a network (sandbox.install_network is proxy, which a Docker build "
                             "cannot use; `host` lets it download, and reach the grading machine too)")
            return InstallPlan("dockerfile", (dockerfiles[0],), tuple(tree.files()), notes=tuple(notes))
    return plan_install(tree)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def _step(status: StepStatus, started: float, build: BuildResult, error: str | None = None) -> StepOutcome:
    return StepOutcome("build", status, 0 if status is StepStatus.PASSED else None,
                       round(time.monotonic() - started, 3), detail=build, error=error)


def _stage(tree: SubmissionTree, plan: InstallPlan, settings: IndexSettings, stage: Path) -> list[str]:
    """Copy what the install needs into `stage` (read through SubmissionTree: no links followed); returns what
    was left out."""
    src = stage / "src"
    src.mkdir()
    skipped: list[str] = []
    total = 0
    for rel in plan.copy:
        try:
            data = tree.read_bytes(rel, max_bytes=MAX_FILE_BYTES)
        except (OSError, UnsafePathError):
            skipped.append(rel)
            continue
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            skipped.append(rel)
            continue
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for name, text in plan.generated.items():
        (src / name).write_text(text, encoding="utf-8")
    if settings.ca_bundle:
        shutil.copyfile(settings.ca_bundle, stage / "ca-bundle.crt")
    if settings.wheelhouse:
        (stage / "wheelhouse").mkdir()
    # The container runs as uid 1000: the stage must be readable by it (mkdtemp makes 0700 folders).
    for folder, _dirs, files in os.walk(stage):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return skipped


def cache_key(base_id: str, plan: InstallPlan, settings: IndexSettings, stage: Path) -> str:
    """Hash of everything that decides the installed environment: the base image, the staged files' contents,
    the plan's pip commands and the index settings."""
    digest = hashlib.sha256()
    # The notebooks' packages only when there are some: every other environment keeps the key it had.
    notebooks = (repr(plan.notebook_packages),) if plan.notebook_packages else ()
    for part in (INSTALL_RECIPE, base_id, plan.kind, repr(plan.pip_installs), *notebooks, settings.fingerprint()):
        digest.update(part.encode() + b"\0")
    for path in sorted((stage / "src").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(stage).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
