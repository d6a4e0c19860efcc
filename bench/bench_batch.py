"""Benchmark: grade 16 generated git repositories with --static, --jobs 1 against --jobs 2, in one run.

Usage: python bench/bench_batch.py [--groups 16] [--rubric FILE] [--files 12]

Prints the wall time of each pass, the ratio (jobs 1 / jobs 2; above 1 means parallel is faster), the
grader's peak resident memory (getrusage, whole process, including both passes) and the peak Python heap of
a jobs-2 pass (tracemalloc, measured in a separate third pass because tracing slows everything down).
Every pass clones into its own folder, so each does the same work.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.batch import BatchOptions, BatchResult, grade_roster
from grader.roster import load_roster
from grader.rubric import load_rubric

README = """# Audio tagging, group {n}

## Setup

    python -m venv .venv && . .venv/bin/activate
    pip install -r requirements.txt

## Usage

    python train.py --epochs 1
"""

MODULE = '''"""Module {i} of group {n}: feature extraction and a small model."""

import numpy as np
import torch


def frames_{i}(signal, size=1024, hop=512):
    """Cut a signal into overlapping frames."""
    # the last partial frame is dropped on purpose: the model needs full frames
    count = 1 + max(0, (len(signal) - size) // hop)
    return np.stack([signal[k * hop:k * hop + size] for k in range(count)])


class Net{i}(torch.nn.Module):
    """A tiny convolutional tagger."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 8, 3)
        self.head = torch.nn.Linear(8, classes)

    def forward(self, x):
        """Scores per class."""
        # x = x.float()
        return self.head(self.conv(x).mean(-1))
'''


def git(*args: str, cwd: Path) -> None:
    """Run git with an isolated configuration."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "2026-03-30T12:00:00+02:00", "GIT_COMMITTER_DATE": "2026-03-30T12:00:00+02:00"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_repos(root: Path, groups: int, files: int) -> Path:
    """Generate `groups` repositories and a roster naming them; returns the roster's path."""
    lines = ["deadline: 2026-03-31T23:59:00+02:00", "groups:"]
    for n in range(groups):
        repo = root / f"group-{n}"
        (repo / "src").mkdir(parents=True)
        (repo / "README.md").write_text(README.format(n=n), encoding="utf-8")
        (repo / "requirements.txt").write_text("numpy==1.26.4\ntorch>=2.2\n", encoding="utf-8")
        for i in range(files):
            (repo / "src" / f"mod{i}.py").write_text(MODULE.format(i=i, n=n) * 4, encoding="utf-8")
        git("init", "-q", "-b", "main", cwd=repo)
        git("add", "-A", cwd=repo)
        git("commit", "-q", "-m", "work", cwd=repo)
        lines += [f"  - id: group-{n}", f"    repo: group-{n}", f"    members: [{{name: Student {n}}}]"]
    roster = root / "roster.yaml"
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return roster


def one_pass(roster: Path, rubric: Path | None, out: Path, jobs: int) -> tuple[float, BatchResult]:
    """Grade the roster statically with `jobs` threads into `out`; returns wall seconds and the result."""
    started = time.perf_counter()
    result = grade_roster(load_roster(roster), load_rubric(rubric), BatchOptions(out_dir=out, jobs=jobs))
    return time.perf_counter() - started, result


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=16)
    parser.add_argument("--files", type=int, default=12, help="Python files per repository")
    parser.add_argument("--rubric", type=Path, default=None, help="default: the bundled course rubric")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        roster = make_repos(root, args.groups, args.files)
        serial, first = one_pass(roster, args.rubric, root / "out-1", 1)
        parallel, second = one_pass(roster, args.rubric, root / "out-2", 2)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        tracemalloc.start()
        one_pass(roster, args.rubric, root / "out-3", 2)
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    same = [o.report.total for o in first.outcomes] == [o.report.total for o in second.outcomes]
    print(f"groups: {args.groups} generated repositories, {args.files} Python files each, --static")
    print(f"jobs 1: {serial:.2f} s ({serial / args.groups:.3f} s per group)")
    print(f"jobs 2: {parallel:.2f} s ({parallel / args.groups:.3f} s per group)")
    print(f"ratio jobs1/jobs2: {serial / parallel:.2f}x  (cores: {os.cpu_count()})")
    print(f"peak RSS of the grader process: {rss_mb:.0f} MB; largest child (git...): {children_mb:.0f} MB")
    print(f"peak Python heap, jobs 2 pass (tracemalloc): {heap_peak / 2**20:.1f} MB")
    print(f"same totals in both passes: {same}")


if __name__ == "__main__":
    main()
