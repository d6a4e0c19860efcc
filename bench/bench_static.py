"""Benchmark: the whole static check against pylint alone on the same generated submission, in the same run.

Run `python bench/bench_static.py` (options: --repeats, --lines). The static check is the engine's `grade()`
without a sandbox, over a rubric listing every registered check (what `grader check --static` does with a
rubric that uses them all). The baseline is `python -m pylint` with the grader's own configuration and worker
count over the same Python code (the .py files plus the notebooks' code cells). Aim: ratio at most 1.25.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gen_submission import generate
from grader.analysis.code.lint import RCFILE, lint_command
from grader.analysis.code.source import python_sources
from grader.checks.base import Phase
from grader.checks.registry import REGISTRY
from grader.engine import grade
from grader.files import SubmissionTree
from grader.models import Submission
from grader.rubric import CheckRef, Criterion, LoadedRubric, Rubric


def every_static_check() -> LoadedRubric:
    """A rubric with one criterion holding every registered static check."""
    refs = [CheckRef(id=cid) for cid, cls in REGISTRY.items() if cls.phase is Phase.STATIC]
    rubric = Rubric(id="bench", title="Every static check",
                    criteria=[Criterion(id="all", title="All static checks", points=1, checks=refs)])
    return LoadedRubric(rubric, Path("<bench>"))


def cpu_seconds() -> float:
    """CPU time used so far by this process and its waited-for children (less noisy than wall time)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_grade(root: Path, loaded: LoadedRubric) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU seconds for one static grading of `root`, and the pylint score it found (a sanity figure)."""
    start, cpu = time.perf_counter(), cpu_seconds()
    report = grade(Submission(id="bench", root=root, source=str(root)), loaded)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    pylint = report.check("code.pylint")
    errors = [c.id for c in report.checks if c.status.value == "error"]
    if errors:
        print(f"warning: checks crashed: {errors}", file=sys.stderr)
    score = pylint.measurements.get("score") if pylint else None
    return elapsed, cpu, {"pylint_score": float(score) if isinstance(score, int | float) else -1.0}


def pylint_files(root: Path, work: Path) -> list[Path]:
    """The code pylint alone is given: the .py files in place, the notebooks' code written out as .py."""
    files = []
    for unit in python_sources(SubmissionTree(root)):
        if unit.kind == "py":
            files.append(root / unit.path)
        else:
            path = work / (Path(unit.path).stem + "_ipynb.py")
            path.write_text(unit.code, encoding="utf-8")
            files.append(path)
    return files


def time_pylint(rcfile: Path, files: list[Path], jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds for one `python -m pylint` run over `files` with the grader's configuration."""
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(lint_command(rcfile, files, jobs), check=True, capture_output=True)
    return time.perf_counter() - start, cpu_seconds() - cpu


def main() -> None:
    """Generate the submission, time both sides alternately, print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (the median is reported)")
    parser.add_argument("--lines", type=int, default=5000, help="Python lines in the generated submission")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        root = Path(tmp) / "submission"
        sizes = generate(root, args.lines)
        work = Path(tmp) / "work"
        work.mkdir()
        rcfile = work / "pylintrc"
        rcfile.write_text(RCFILE, encoding="utf-8")
        files = pylint_files(root, work)
        # The same worker count the code.pylint check chooses for this many files.
        jobs = 1 if len(files) < 8 else 0
        loaded = every_static_check()
        grade_times: list[tuple[float, float]] = []
        pylint_times: list[tuple[float, float]] = []
        facts: dict[str, float] = {}
        for _ in range(args.repeats):
            # Alternate the two sides so a change in machine load hits both alike.
            pylint_times.append(time_pylint(rcfile, files, jobs))
            elapsed, cpu, facts = time_grade(root, loaded)
            grade_times.append((elapsed, cpu))
    grade_s, pylint_s = (statistics.median(t[0] for t in grade_times), statistics.median(t[0] for t in pylint_times))
    grade_cpu, pylint_cpu = (statistics.median(t[1] for t in grade_times),
                             statistics.median(t[1] for t in pylint_times))
    print(f"submission: {sizes['python_files']} .py files, {sizes['python_lines']} lines, "
          f"{sizes['notebooks']} notebooks; {len(loaded.rubric.criteria[0].checks)} static checks; "
          f"pylint --jobs={jobs}; pylint score {facts.get('pylint_score', -1):.2f}")
    for name, wall, cpu, runs in (("pylint alone", pylint_s, pylint_cpu, pylint_times),
                                  ("grader static", grade_s, grade_cpu, grade_times)):
        print(f"{name:>14}: wall median {wall:6.2f} s, CPU median {cpu:6.2f} s; runs (wall, CPU) "
              f"{[(round(w, 1), round(c, 1)) for w, c in runs]}")
    print(f"ratio (grader / pylint alone): wall {grade_s / pylint_s:.2f}x, CPU {grade_cpu / pylint_cpu:.2f}x "
          "(aim: at most 1.25x)")


if __name__ == "__main__":
    main()
