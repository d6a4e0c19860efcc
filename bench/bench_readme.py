"""Benchmark the README step: N quick README commands in one container vs the same commands as N smoke steps.

Run as `python bench/bench_readme.py [--commands N] [--repeat R]` on a machine with a Docker Engine.
Both run the same `python3 step.py K` commands on the base image through the grader's own machinery; the README
step follows the README (one container, one driver that times and judges each command), the smoke steps start a
fresh container per command. Printed: medians and the README step's time as a ratio of the smoke steps' (aim: at
most 1.0, since one container is started instead of N), and the driver's cost per command against the commands'
own run time as the driver measured it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.files import SubmissionTree  # noqa: E402 - the checkout's grader, not an installed one
from grader.outcomes import ReadmeRunResult, StepStatus  # noqa: E402
from grader.sandbox.docker_engine import DockerEngine  # noqa: E402
from grader.sandbox.image import ensure_base_image  # noqa: E402
from grader.sandbox.policy import SandboxPolicy  # noqa: E402
from grader.sandbox.readme import readme_step  # noqa: E402
from grader.sandbox.steps import StepRunner  # noqa: E402


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` over `repeat` runs, after one warm-up run."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Measure and print; needs a running engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = DockerEngine(docker.from_env(timeout=300))
    image = ensure_base_image(engine, progress=print)
    commands = tuple(f"python3 step.py {n}" for n in range(args.commands))
    policy = SandboxPolicy(max_readme_commands=args.commands)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "group"
        root.mkdir()
        (root / "step.py").write_text("import sys\nprint('step', sys.argv[1])\n")
        (root / "README.md").write_text("# Bench\n\n```bash\n" + "\n".join(commands) + "\n```\n")
        tree = SubmissionTree(root)
        runner = StepRunner(engine, image, policy, "bench-readme", root, Path(scratch))
        own: list[float] = []

        def readme() -> None:
            step = readme_step(runner, tree)
            assert step.status is StepStatus.PASSED and isinstance(step.detail, ReadmeRunResult), step
            own.append(sum(c.duration_s for c in step.detail.commands))

        def smoke() -> None:
            steps = runner.smoke(commands)
            assert all(s.status is StepStatus.PASSED for s in steps), steps

        base = median_seconds(smoke, args.repeat)
        ours = median_seconds(readme, args.repeat)
    per_command = statistics.median(own) / args.commands
    print(f"{args.commands} commands as smoke steps : {base:6.3f} s (median of {args.repeat})")
    print(f"{args.commands} commands, README step   : {ours:6.3f} s  ratio {ours / base:4.2f}   (aim <= 1.0)")
    print(f"per command inside the step : {per_command:6.3f} s measured by the driver; the rest of the step "
          f"({(ours - per_command * args.commands) / args.commands:5.3f} s a command) is the container and driver")


if __name__ == "__main__":
    main()
