"""Benchmark: grade 16 generated git repositories with --static on a Dask cluster of one worker, then of two, on
this machine; the local batch (--jobs 1) over the same roster is the baseline, measured in the same run.

Usage: python bench/bench_cluster.py [--groups 16] [--files 12] [--rubric FILE]

Prints each pass's wall time, the ratio two workers / one worker (aim: at most 0.6 on a machine with two free
cores), and the cluster's overhead per task: what one worker takes beyond the local batch doing the same work
one group at a time (connecting, readying the worker, scheduling, sending seeds and reports, writing them),
divided by the number of groups (aim: under 50 ms). Each worker is a separate process with one thread, as
`dask worker --nthreads 1` starts it; clusters are started before the clock starts (a lab's are running).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import make_repos
from distributed import Client, LocalCluster, get_task_stream

from grader.batch import BatchOptions, BatchResult, grade_roster
from grader.cluster import ClusterOptions, grade_on_cluster
from grader.roster import load_roster
from grader.rubric import load_rubric


@dataclass(frozen=True)
class Pass:
    """One cluster pass: its wall time, its result, and the seconds its group tasks computed (Dask's task stream)."""

    seconds: float
    result: BatchResult
    computing: float


def on_cluster(roster: Path, rubric: Path | None, out: Path, workers: int) -> Pass:
    """Grade the roster statically on a fresh local cluster of `workers` one-thread processes."""
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                     silence_logs=logging.ERROR) as cluster,
        Client(cluster, set_as_default=False) as client,
        get_task_stream(client) as stream,
    ):
        started = time.perf_counter()
        result = grade_on_cluster(load_roster(roster), load_rubric(rubric), BatchOptions(out_dir=out),
                                  ClusterOptions(cluster.scheduler_address), static=True)
        seconds = time.perf_counter() - started
    computing = sum(
        s["stop"] - s["start"] for task in stream.data if ":" in str(task["key"])  # group tasks: grader-<batch>:<id>
        for s in task["startstops"] if s["action"] == "compute"
    )
    return Pass(seconds, result, computing)


def locally(roster: Path, rubric: Path | None, out: Path) -> tuple[float, BatchResult]:
    """Grade the roster statically on this machine, one group at a time."""
    started = time.perf_counter()
    result = grade_roster(load_roster(roster), load_rubric(rubric), BatchOptions(out_dir=out, jobs=1))
    return time.perf_counter() - started, result


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--groups", type=int, default=16)
    parser.add_argument("--files", type=int, default=12, help="Python files per repository")
    parser.add_argument("--rubric", type=Path, default=None, help="default: the bundled course rubric")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        roster = make_repos(root, args.groups, args.files)
        baseline, local = locally(roster, args.rubric, root / "out-local")
        one = on_cluster(roster, args.rubric, root / "out-1", 1)
        two = on_cluster(roster, args.rubric, root / "out-2", 2)
    n = args.groups
    totals = [[o.report.total for o in r.outcomes] for r in (local, one.result, two.result)]
    print(f"groups: {n} generated repositories, {args.files} Python files each, --static; cores: {os.cpu_count()}")
    print(f"local batch, --jobs 1: {baseline:.2f} s ({baseline / n:.3f} s per group)")
    print(f"cluster, 1 worker:     {one.seconds:.2f} s ({one.seconds / n:.3f} s per group; "
          f"tasks computed {one.computing:.2f} s)")
    print(f"cluster, 2 workers:    {two.seconds:.2f} s ({two.seconds / n:.3f} s per group)")
    print(f"ratio 2 workers / 1 worker: {two.seconds / one.seconds:.2f}  (aim: at most 0.6)")
    print(f"scheduler overhead per task (1 worker: wall time outside the tasks / groups; connecting, readying, "
          f"scheduling, sending, writing): {(one.seconds - one.computing) / n * 1000:.0f} ms (aim: under 50)")
    print(f"1 worker against the local batch: {(one.seconds - baseline) / n * 1000:+.0f} ms per group")
    print(f"workers used in the 2-worker pass: {sorted({o.worker or '?' for o in two.result.outcomes})}")
    print(f"same totals in all passes: {totals[0] == totals[1] == totals[2]}")


if __name__ == "__main__":
    main()
