"""A group's own Dockerfile, built as its environment when the rubric allows it (policy.allow_dockerfile)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from grader.outcomes import StepStatus
from grader.sandbox.container import MANAGED_LABEL, ContainerResult
from grader.sandbox.engine import Engine, failure_text
from grader.sandbox.image import KIND_LABEL
from grader.sandbox.policy import SandboxPolicy


def dockerfile_network(policy: SandboxPolicy) -> str:
    """The network of a group's Dockerfile build: a build cannot use the install gateway, so in the default
    `proxy` mode it gets none (the lecturer chooses `host` to let it download, reaching the host as well)."""
    return "none" if policy.install_network == "proxy" else policy.install_network


def build_group_dockerfile(
    engine: Engine, context: Path, dockerfile: str, tag: str, policy: SandboxPolicy, labels: dict[str, str]
) -> ContainerResult:
    """Build `dockerfile` (relative to `context`) as `tag`, with the install phase's network and wall timeout;
    the outcome has the shape of a container's so that the install step reports both alike."""
    started = time.monotonic()
    lines: list[str] = []
    errors: list[str] = []
    done = threading.Event()

    def stream() -> None:
        try:
            for line in engine.build(
                context, tag, dockerfile=dockerfile, network_mode=dockerfile_network(policy),
                labels={**labels, MANAGED_LABEL: "1", KIND_LABEL: "install"}, buildargs={},
                timeout=policy.install_timeout + 30,
            ):
                if line.error:
                    errors.append(line.text.strip())
                elif text := line.text.rstrip():
                    lines.append(text)
        except Exception as exc:  # the engine refusing the build is the step's outcome, reported below
            errors.append(failure_text(exc))
        finally:
            done.set()

    # The build is streamed in a thread so that the grader, not the HTTP timeout, decides when time is up.
    threading.Thread(target=stream, name="grader-dockerfile-build", daemon=True).start()
    finished = done.wait(policy.install_timeout)
    log = "\n".join(lines[-400:])
    duration = time.monotonic() - started
    if not finished:
        return ContainerResult(StepStatus.TIMEOUT, None, duration, log, "", timed_out=True)
    if errors:
        return ContainerResult(StepStatus.FAILED, 1, duration, log, "\n".join(errors))
    try:
        image_id = engine.image_id(tag)
    except Exception as exc:  # the engine stopped answering right after the build
        return ContainerResult(StepStatus.INFRA_ERROR, None, duration, log, "", error=failure_text(exc))
    if image_id is None:
        return ContainerResult(StepStatus.INFRA_ERROR, None, duration, log, "", error=f"the built image {tag} is gone")
    return ContainerResult(StepStatus.PASSED, 0, duration, log, "", committed_image=image_id)
