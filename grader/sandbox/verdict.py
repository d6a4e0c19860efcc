"""The install step's verdict: whose failure it is (the group's, or the grader's own resources and limits), one
line a student can act on, and the facts of an install that worked (what came from the course layer, what was
downloaded, what the image costs)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace

from grader.files import SubmissionTree
from grader.models import Progress
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox.budget import enforce_budget
from grader.sandbox.container import MANAGED_LABEL
from grader.sandbox.course import normalise
from grader.sandbox.diagnose import GRADER_REASONS, diagnose_pip
from grader.sandbox.engine import Engine, failure_text
from grader.sandbox.environments import InstallPlan
from grader.sandbox.layers import Layers
from grader.sandbox.pipinstall import InstallRun
from grader.sandbox.policy import SandboxPolicy, size_bytes
from grader.sandbox.records import read_record, write_record

_SATISFIED = re.compile(r"^Requirement already satisfied: ([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", re.MULTILINE)
_EXISTING = re.compile(r"Found existing installation: ([A-Za-z0-9][A-Za-z0-9._-]*) (\S+)")
_WHERE = re.compile(r"^\s*(Collecting \S+|Building wheel for \S+|Installing collected packages|Preparing metadata "
                    r"\(\S+\)|Running setup\.py install for \S+|Getting requirements to build wheel)", re.MULTILINE)
#: Where a requirements file or a PEP 508 line names a place to install from: an index, a find-links page, a
#: direct or VCS URL. Only hosts named this way make a refusal the grader's business.
_SOURCE_URL = re.compile(
    r"(?:--(?:extra-)?index-url|--find-links|(?<!\S)-[if])[\s=]+['\"]?(?:[a-z+]+://)(?:[^@/\s'\"]*@)?([A-Za-z0-9.-]+)"
    r"|@\s*(?:git\+|hg\+)?[a-z]+://(?:[^@/\s'\"]*@)?([A-Za-z0-9.-]+)"
    r"|(?<![\w@])(?:git|hg|svn)\+[a-z]+://(?:[^@/\s'\"]*@)?([A-Za-z0-9.-]+)"
)
#: pip's own reasons that may come from the Python version when the group declares another one.
_VERSION_REASONS = frozenset({"python-version-mismatch", "no-wheel-for-python", "build-failure", "no-such-version"})


def _where(log: str) -> str:
    found = _WHERE.findall(log)
    return f" while {found[-1].strip()}" if found else ""


def _hosts_named(tree: SubmissionTree, plan: InstallPlan) -> set[str]:
    """Public hosts the group's environment files name as a place to install from (an index, a find-links page,
    a direct or VCS URL); never an address of a host's own networks, which no environment file needs."""
    texts = [tree.read_text(rel) or "" for rel in plan.sources if tree.exists(rel)]
    texts += list(plan.generated.values())
    hosts = {next(h for h in m if h).lower() for text in texts for m in _SOURCE_URL.findall(text)}
    return {h for h in hosts if not _own_network(h)}


def _own_network(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host
    return not ip.is_global


def _limits(run: InstallRun, policy: SandboxPolicy, build: BuildResult) -> BuildResult | None:
    """The build result when a limit or a resource of the grader's stopped the install; None otherwise."""
    result, log = run.result, run.result.stdout + "\n" + run.result.stderr
    if run.disk is not None:
        return replace(build, failure_reason=run.disk.reason, explanation=run.disk.explanation)
    if result.status is StepStatus.TIMEOUT:
        return replace(build, failure_reason="install-timeout", explanation=(
            f"the install took longer than the grader's limit of {policy.install_timeout} s{_where(log)} and was "
            "stopped (sandbox.install_timeout)"))
    if result.status is StepStatus.OOM:
        return replace(build, failure_reason="install-memory", explanation=(
            f"the install ran out of the {policy.memory} of memory the grader allows{_where(log)} "
            "(sandbox.memory)"))
    if result.status is StepStatus.INFRA_ERROR:
        return replace(build, failure_reason="engine", explanation=f"the container engine failed: {result.error}")
    if result.status is StepStatus.PASSED and not result.committed_image:
        return replace(build, failure_reason="engine", explanation="the installed environment could not be saved "
                       "as an image (docker commit)")
    return None


def judge_install(
    run: InstallRun, plan: InstallPlan, policy: SandboxPolicy, build: BuildResult, layers: Layers,
    tree: SubmissionTree,
) -> tuple[StepStatus, BuildResult]:
    """The build step's status and result: the grader's own limits and resources as infra-error with the reason,
    the group's failures diagnosed from pip's log (in the light of the Python version it declares)."""
    stopped = _limits(run, policy, build)
    if stopped is not None:
        return StepStatus.INFRA_ERROR, stopped
    result = run.result
    if result.status is not StepStatus.FAILED:
        return result.status, build
    found = diagnose_pip(result.stdout + "\n" + result.stderr, plan, layers.python)
    build = replace(build, failure_reason=found.failure_reason, failed_requirement=found.failed_requirement,
                    explanation=found.explanation)
    if found.failure_reason in GRADER_REASONS:
        return StepStatus.INFRA_ERROR, build
    gate = run.gateway
    if gate is not None:
        named = _hosts_named(tree, plan)
        needed = [r for r in gate.refused if r.rpartition(":")[0].strip("[]") in named]
        if needed:
            return StepStatus.INFRA_ERROR, replace(build, failure_reason="host-not-allowed", explanation=(
                f"the group's environment file names {needed[0]}, which the grader's install may not reach; a "
                "lecturer allows it with sandbox.install_hosts"))
        if gate.errors and found.failure_reason in {"index-unreachable", "no-such-package", "install-failed"}:
            return StepStatus.INFRA_ERROR, replace(build, failure_reason="index-unreachable", explanation=(
                f"the package index could not be reached from the grading machine ({gate.errors[0]})"))
        if gate.refused:
            build = replace(build, notes=(*build.notes, "the install tried to reach "
                                          f"{', '.join(gate.refused[:5])}, which the grader does not allow"))
    if layers.python_mismatch and layers.declared and found.failure_reason in _VERSION_REASONS:
        build = replace(build, failure_reason="python-version-mismatch", explanation=(
            f"{layers.declared.wanted()} but the sandbox has Python {layers.python}: {found.explanation}"))
    if plan.kind == "dockerfile" and build.failure_reason == "install-failed":
        first = result.stderr.strip().splitlines()[0][:300] if result.stderr.strip() else ""
        build = replace(build, failure_reason="dockerfile-build-failed", failed_requirement=plan.sources[0],
                        explanation=f"the group's Dockerfile did not build: {first}")
    return StepStatus.FAILED, build


def _from_course(log: str, layers: Layers) -> tuple[tuple[str, ...], list[str]]:
    """The group's own requirements pip found already installed by the course layer, and the course's packages
    the group's pins replaced."""
    held = layers.course.packages if layers.course else {}
    direct = [normalise(m.group(1)) for m in _SATISFIED.finditer(log) if "->" not in m.group(2)]
    satisfied = tuple(f"{name} {held[name]}" for name in dict.fromkeys(direct) if name in held)
    replaced = [f"{name} {version}" for name, version in _EXISTING.findall(log) if normalise(name) in held]
    return satisfied, replaced


def _named(tree: SubmissionTree, plan: InstallPlan) -> set[str]:
    """Distribution names the group's environment files start a line with (its direct requirements)."""
    texts = [tree.read_text(rel) or "" for rel in plan.sources if tree.exists(rel)]
    texts += list(plan.generated.values())
    return {normalise(m) for text in texts for m in re.findall(r"^\W*([A-Za-z][A-Za-z0-9._-]*)", text, re.M)}


def installed_facts(
    engine: Engine, build: BuildResult, run: InstallRun, layers: Layers, key: str, image_id: str,
    tree: SubmissionTree, plan: InstallPlan,
) -> BuildResult:
    """What a successful install adds to the report, also recorded for later cache hits of the same image."""
    from_course, replaced = _from_course(run.result.stdout + "\n" + run.result.stderr, layers)
    notes = list(build.notes)
    if replaced:
        named = _named(tree, plan)
        # The group's own pins first (torch), then what they brought along (its CUDA libraries).
        replaced.sort(key=lambda p: normalise(p.split()[0]) not in named)
        shown = ", ".join(replaced[:6]) + (f" and {len(replaced) - 6} more" if len(replaced) > 6 else "")
        notes.append(f"the group's pins replaced {len(replaced)} of the course layer's packages ({shown}): "
                     "those are copied into the group's own image")
    image_bytes = None
    try:
        found = {i.id: i for i in engine.images(labels={MANAGED_LABEL: "1"})}
        mine, parent = found.get(image_id), found.get(found[image_id].parent) if image_id in found else None
        image_bytes = max(0, mine.size - parent.size) if mine and parent else (mine.size if mine else None)
    except Exception:  # the size only informs the report
        image_bytes = None
    gate = run.gateway
    build = replace(build, from_course=from_course, notes=tuple(notes), image_bytes=image_bytes,
                    downloaded_bytes=gate.bytes_upstream if gate else None,
                    cached_bytes=gate.bytes_cached if gate else None)
    write_record("environment", key, {"from_course": list(from_course), "image_bytes": image_bytes,
                                      "notes": list(build.notes)})
    return build


def recorded_facts(build: BuildResult, key: str) -> BuildResult:
    """The facts recorded when the cached image was installed (what came from the course layer, its size, the
    notes of that install)."""
    record = read_record("environment", key) or {}
    from_course = record.get("from_course")
    size = record.get("image_bytes")
    notes = record.get("notes")
    if isinstance(notes, list):
        build = replace(build, notes=tuple(dict.fromkeys((*build.notes, *(str(n) for n in notes)))))
    return replace(build, from_course=tuple(str(x) for x in from_course) if isinstance(from_course, list) else (),
                   image_bytes=size if isinstance(size, int) else None, downloaded_bytes=0, cached_bytes=0)


def keep_within_budget(engine: Engine, policy: SandboxPolicy, progress: Progress) -> None:
    """Remove least recently used environment images beyond `sandbox.image_budget` (never one in use)."""
    if policy.image_budget is None:
        return
    try:
        enforce_budget(engine, size_bytes(policy.image_budget), progress)
    except Exception as exc:  # keeping the budget is housekeeping: it never fails a group's install
        progress(f"image budget not applied: {failure_text(exc)}")
