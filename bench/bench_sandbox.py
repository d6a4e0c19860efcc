"""Benchmark the sandbox: a trivial run step through the grader vs a bare `docker run --rm`, and regrading.

Run as `python bench/bench_sandbox.py [--repeat N] [--package SPEC]` on a machine with a Docker Engine.
(1) overhead: the same image and command (`python3 -c pass`) through `run_container` with the full policy, and
    through a whole smoke step (fresh submission copy, output folder, removal), each against a bare
    `docker run --rm` measured in the same run; medians and ratios (aim: at most 1.3).
(2) regrade: run_sandbox (install + imports) on a fresh submission, then again on the unchanged submission
    (the install side's environment cache must make the second one several times faster).
(3) the installed environment's metadata, read after every install for env.imports-declared: its driver against
    the same bare `docker run --rm`, and against the whole imports step of the regrade's submission.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.files import SubmissionTree  # noqa: E402 - the checkout's grader, not an installed one
from grader.models import Submission  # noqa: E402
from grader.outcomes import StepName  # noqa: E402
from grader.sandbox.container import ContainerSpec, run_container  # noqa: E402
from grader.sandbox.docker_engine import DockerEngine  # noqa: E402
from grader.sandbox.engine import Engine  # noqa: E402
from grader.sandbox.image import ensure_base_image  # noqa: E402
from grader.sandbox.policy import SandboxPolicy  # noqa: E402
from grader.sandbox.runner import run_sandbox  # noqa: E402
from grader.sandbox.steps import StepRunner  # noqa: E402

COMMAND = ("python3", "-c", "pass")


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` over `repeat` runs, after one warm-up run."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def overhead(engine: Engine, image: str, repeat: int) -> None:
    """Print the trivial-step timings and their ratios to a bare docker run."""
    policy = SandboxPolicy()

    def bare() -> None:
        subprocess.run(["docker", "run", "--rm", "--network", "none", image, *COMMAND], check=True, capture_output=True)

    def primitive() -> None:
        result = run_container(engine, ContainerSpec(image=image, command=COMMAND, run_id="bench"))
        assert result.exit_code == 0, result

    with tempfile.TemporaryDirectory() as scratch:
        submission = Path(scratch) / "submission"
        submission.mkdir()
        (submission / "main.py").write_text("print('hello')\n")
        steps = StepRunner(engine, image, policy, "bench", submission, Path(scratch))

        def step() -> None:
            (outcome,) = steps.smoke((" ".join(COMMAND),))
            assert outcome.exit_code == 0, outcome

        def metadata() -> None:
            read = steps.run_driver("metadata", "metadata_driver.py", {}, copy=False, timeout=60)
            assert read.data is not None and "requires" in read.data, read

        def imports() -> None:
            outcome = steps.imports(SubmissionTree(submission))
            assert str(outcome.status) == "passed", outcome

        base = median_seconds(bare, repeat)
        prim = median_seconds(primitive, repeat)
        full = median_seconds(step, repeat)
        meta = median_seconds(metadata, repeat)
        step_imports = median_seconds(imports, repeat)
    print(f"bare docker run --rm      : {base:6.3f} s (median of {repeat})")
    print(f"grader run_container      : {prim:6.3f} s  ratio {prim / base:4.2f}")
    print(f"grader smoke step (+copy) : {full:6.3f} s  ratio {full / base:4.2f}   (aim <= 1.3)")
    print(f"metadata read             : {meta:6.3f} s  ratio {meta / base:4.2f}, {meta / step_imports:4.2f} of the "
          f"imports step ({step_imports:.3f} s)")


def regrade(engine: Engine, package: str) -> None:
    """Print first grading vs regrading an unchanged submission (install + imports)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "group"
        root.mkdir()
        # A fresh token keeps this run's first grading a true cache miss.
        (root / "requirements.txt").write_text(f"{package}\n# bench {secrets.token_hex(8)}\n")
        (root / "main.py").write_text("import json\n")
        submission = Submission(id="bench", root=root, source=str(root))
        policy = SandboxPolicy(timeout=120)
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            run = run_sandbox(submission, SubmissionTree(root), policy, [StepName.IMPORTS], lambda _: None,
                              engine=engine)
            timings.append(time.perf_counter() - started)
            hits = [(s.name, str(s.status), getattr(s.detail, "cache_hit", None)) for s in run.steps]
            print(f"  {hits}")
    first, second = timings
    print(f"first grading             : {first:6.2f} s")
    print(f"regrade (unchanged)       : {second:6.2f} s  speed-up {first / second:4.1f}x")


def main() -> None:
    """Measure and print; needs a running engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--package", default="tomli-w==1.0.0", help="a small requirement for the regrade run")
    args = parser.parse_args()
    engine = DockerEngine(docker.from_env(timeout=300))
    image = ensure_base_image(engine, progress=print)
    overhead(engine, image, args.repeat)
    regrade(engine, args.package)


if __name__ == "__main__":
    main()
