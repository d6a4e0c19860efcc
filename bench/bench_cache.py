"""Benchmark: regrading an unchanged submission (environment cache hit) against its first grading (real install).

Run as `python bench/bench_cache.py [--rounds N]`; needs a Docker Engine and the package index. Reports seconds
and the ratio first / regrade, both measured in this run (the first grading is the baseline).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import docker

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepName
from grader.sandbox.docker_engine import DockerEngine
from grader.sandbox.engine import Engine
from grader.sandbox.image import ensure_base_image
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy


def _submission(folder: Path, marker: str) -> Path:
    """A small honest submission: two pure-Python requirements and a script (the marker makes the key new)."""
    (folder / "requirements.txt").write_text(f"six==1.17.0\nidna==3.10\n# bench {marker}\n")
    (folder / "main.py").write_text("import idna, six\nprint(idna.encode('example.com'), six.PY3)\n")
    return folder


def _cache_hit(prepared: PreparedEnvironment) -> bool | None:
    return prepared.step.detail.cache_hit if isinstance(prepared.step.detail, BuildResult) else None


def main() -> int:
    """Time first installs and cached regrades; print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="fresh submissions to install (default 3)")
    args = parser.parse_args()
    engine = DockerEngine(docker.from_env(timeout=600))
    ensure_base_image(engine)
    policy = SandboxPolicy()
    first: list[float] = []
    again: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        for round_ in range(args.rounds):
            folder = Path(tmp) / f"group-{round_}"
            folder.mkdir()
            root = _submission(folder, uuid.uuid4().hex)
            started = time.perf_counter()
            prepared = prepare_environment(engine, SubmissionTree(root), policy)
            first.append(time.perf_counter() - started)
            if _cache_hit(prepared) is not False or not prepared.image:
                print(f"round {round_}: the first install did not run as expected: {prepared.step}", file=sys.stderr)
                return 1
            for _ in range(3):
                started = time.perf_counter()
                cached = prepare_environment(engine, SubmissionTree(root), policy)
                again.append(time.perf_counter() - started)
                assert _cache_hit(cached) is True
            engine.remove_image(prepared.image)
    first_s, again_s = statistics.median(first), statistics.median(again)
    print(f"install phase, first grading (install + commit), median of {len(first)}: {first_s:.3f} s")
    print(f"install phase, regrade of the unchanged submission (cache hit), median of {len(again)}: {again_s:.3f} s")
    print(f"ratio first / regrade (install phase): {first_s / again_s:.0f}x")
    _whole_sandbox(engine, args.rounds)
    return 0


def _whole_sandbox(engine: Engine, rounds: int) -> None:
    """The same comparison through the whole sandbox (install, then the imports step), as `grader check` runs it."""
    from grader.models import Submission
    from grader.sandbox.runner import run_sandbox

    first: list[float] = []
    again: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        for round_ in range(rounds):
            folder = Path(tmp) / f"group-{round_}"
            folder.mkdir()
            root = _submission(folder, uuid.uuid4().hex)
            submission = Submission(id=f"bench-{round_}", root=root, source=str(root))
            timings = []
            for _ in range(2):
                started = time.perf_counter()
                outcome = run_sandbox(submission, SubmissionTree(root), SandboxPolicy(), [StepName.IMPORTS],
                                      lambda _: None, engine=engine)
                timings.append(time.perf_counter() - started)
            first.append(timings[0])
            again.append(timings[1])
            engine.remove_image(outcome.image)
    first_s, again_s = statistics.median(first), statistics.median(again)
    print(f"whole sandbox (install + imports), first grading, median of {len(first)}: {first_s:.3f} s")
    print(f"whole sandbox (install + imports), regrade, median of {len(again)}: {again_s:.3f} s")
    print(f"ratio first / regrade (whole sandbox): {first_s / again_s:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
