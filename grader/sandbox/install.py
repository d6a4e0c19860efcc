"""The install phase: a group's environment installed in a container from the base image, committed and cached."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import GraderError
from grader.files import SubmissionTree, UnsafePathError
from grader.models import PIP_OUTPUT, BuildResult, Progress, StepOutcome, StepStatus, no_progress
from grader.sandbox.container import ContainerResult, ContainerSpec, Mount, run_container
from grader.sandbox.diagnose import diagnose_pip
from grader.sandbox.dockerfile import build_group_dockerfile
from grader.sandbox.engine import Engine, EngineError
from grader.sandbox.environments import InstallPlan, group_dockerfiles, plan_install
from grader.sandbox.image import KIND_LABEL, IndexSettings, base_image_tag, ensure_base_image
from grader.sandbox.policy import SandboxPolicy

ENV_REPOSITORY = "grader-env"
CACHE_KEY_LABEL = "grader.cache-key"
#: Bumped when the install script below changes meaning, so that older cached environments are not reused.
INSTALL_RECIPE = "1"
#: Where the staged files appear inside the install container (read-only).
STAGE = "/grader-in"
#: Largest single file, and largest total, copied into the install container for a project install.
MAX_FILE_BYTES = 50 * 1024**2
MAX_TOTAL_BYTES = 1024**3
TAIL_CHARS = 4000
#: The install script: a writable copy of the staged files, then each pip install in order, as user grader.
#: --no-cache-dir keeps pip's cache out of the committed image.
_SCRIPT = 'set -e; cp -r {stage}/src /tmp/src; cd /tmp/src; {installs}'


@dataclass(frozen=True)
class PreparedEnvironment:
    """The image a group's code runs in, the environment kind it was made from, and the "build" step's outcome."""

    image: str
    image_id: str
    kind: str
    step: StepOutcome



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
    settings = IndexSettings.from_policy(policy)
    build = BuildResult(environment=plan.kind, sources=plan.sources, notes=plan.notes)
    try:
        base_id = ensure_base_image(engine, progress=progress, policy=policy)
    except (GraderError, EngineError) as exc:
        error = f"base image: {exc}"[:2000]
        return PreparedEnvironment("", "", plan.kind, _step(StepStatus.INFRA_ERROR, started, build, error))
    if plan.empty and plan.kind != "dockerfile":
        build = replace(build, cache_hit=True)
        return PreparedEnvironment(base_image_tag(), base_id, plan.kind, _step(StepStatus.PASSED, started, build))
    with tempfile.TemporaryDirectory(prefix="grader-install-") as tmp:
        stage = Path(tmp)
        skipped = _stage(tree, plan, settings, stage)
        if skipped:
            note = f"not copied into the install (too large or unreadable): {', '.join(skipped[:10])}"
            build = replace(build, notes=(*build.notes, note))
        key = cache_key(base_id, plan, settings, stage)
        tag = f"{ENV_REPOSITORY}:{key}"
        build = replace(build, cache_key=key)
        cached = engine.image_id(tag)
        if cached is not None:
            progress(f"environment {plan.kind}: cached image {tag}")
            build = replace(build, cache_hit=True)
            return PreparedEnvironment(tag, cached, plan.kind, _step(StepStatus.PASSED, started, build))
        build = replace(build, cache_hit=False)
        progress(f"installing the {plan.kind} environment ({', '.join(plan.sources) or 'no file'})")
        if plan.kind == "dockerfile":
            result = build_group_dockerfile(engine, stage / "src", plan.sources[0], tag, policy, {CACHE_KEY_LABEL: key})
        else:
            result = run_container(engine, _spec(base_image_tag(), plan, settings, policy, stage, tag, key),
                                   hook=lambda line: progress(PIP_OUTPUT + line))
    status, build, grader_error = _judge_install(result, plan, policy, build)
    step = StepOutcome(
        "build", status, result.exit_code, round(time.monotonic() - started, 3),
        result.stdout[-TAIL_CHARS:], result.stderr[-TAIL_CHARS:], detail=build, error=grader_error,
    )
    image_id = result.committed_image or ""
    return PreparedEnvironment(tag if image_id else "", image_id, plan.kind, step)


def _judge_install(
    result: ContainerResult, plan: InstallPlan, policy: SandboxPolicy, build: BuildResult
) -> tuple[StepStatus, BuildResult, str | None]:
    """The build step's status, its diagnosis when it failed, and the grader's own error if any."""
    status: StepStatus = result.status
    error: str | None = result.error
    if status is StepStatus.PASSED and not result.committed_image:
        status, error = StepStatus.INFRA_ERROR, "the installed environment could not be committed"
    if status is StepStatus.FAILED:
        log = result.stdout + ("\n" if result.stdout and result.stderr else "") + result.stderr
        found = diagnose_pip(log, plan)
        build = replace(build, failure_reason=found.failure_reason, failed_requirement=found.failed_requirement,
                        explanation=found.explanation)
        if plan.kind == "dockerfile" and build.failure_reason == "install-failed":
            build = replace(build, failure_reason="dockerfile-build-failed", failed_requirement=plan.sources[0],
                            explanation=f"the group's Dockerfile did not build: {_first_line(result.stderr)}")
    elif status is StepStatus.TIMEOUT:
        build = replace(build, failure_reason="timeout",
                        explanation=f"the install took longer than {policy.install_timeout} s and was stopped")
    return status, build, error


def _choose_plan(tree: SubmissionTree, policy: SandboxPolicy) -> InstallPlan:
    """The group's own Dockerfile when the rubric allows it, else the first environment kind that applies."""
    if policy.allow_dockerfile:
        dockerfiles = sorted(group_dockerfiles(tree), key=lambda p: (p.count("/"), p))
        if dockerfiles:
            return InstallPlan("dockerfile", (dockerfiles[0],), tuple(tree.files()),
                               notes=("built from the group's own Dockerfile, as the rubric allows",))
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
    for part in (INSTALL_RECIPE, base_id, plan.kind, repr(plan.pip_installs), settings.fingerprint()):
        digest.update(part.encode() + b"\0")
    for path in sorted((stage / "src").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(stage).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def install_script(plan: InstallPlan) -> str:
    """The shell script run in the install container (index settings come through its environment)."""
    pip = ["pip", "install", "--no-input", "--no-cache-dir", "--progress-bar", "off"]
    installs = " && ".join(" ".join(_quote(a) for a in [*pip, *args]) for args in plan.pip_installs)
    return _SCRIPT.format(stage=STAGE, installs=installs)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def _install_env(settings: IndexSettings, policy: SandboxPolicy) -> dict[str, str]:
    """The install container's whole environment: pip settings from the policy, nothing from the host."""
    env = {"HOME": "/home/grader", "PIP_NO_INPUT": "1", **settings.pip_env(STAGE)}
    if policy.install_network == "none":
        # An offline lab: the wheelhouse is the only source; asking an index would only wait for retries.
        env["PIP_NO_INDEX"] = "1"
    return env


def _spec(
    base: str, plan: InstallPlan, settings: IndexSettings, policy: SandboxPolicy, stage: Path, tag: str, key: str
) -> ContainerSpec:
    mounts = [Mount(stage, STAGE)]
    if settings.wheelhouse:
        mounts.append(Mount(Path(settings.wheelhouse).resolve(), f"{STAGE}/wheelhouse"))
    # Network only here, as the policy says; user grader (owner of /opt/venv), no capabilities, no host mount
    # writable, no docker socket: a hostile setup.py can only spoil this container, which is not committed
    # unless pip succeeds.
    return ContainerSpec(
        image=base, command=("sh", "-c", install_script(plan)), run_id=f"install-{key}",
        mounts=tuple(mounts), env=_install_env(settings, policy),
        user="1000:1000",
        network_mode=policy.install_network, memory=policy.memory, cpus=policy.cpus, pids=policy.pids,
        read_only_root=False, tmpfs={"/tmp": policy.tmpfs_size}, timeout=float(policy.install_timeout),
        output_limit=policy.output_limit, commit_to=tag,
        extra_labels={KIND_LABEL: "install", CACHE_KEY_LABEL: key},
    )
