"""Calibrate env.file and env.pinned against the labelled corpus (../shared/corpus/labels.tsv): predicted vs labelled.

Run as `python bench/calibrate_env.py [CORPUS_DIR]`. The corpus is read in place and never copied into the repo.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from grader.checks.base import CheckContext, run_check
from grader.checks.env import EnvFileCheck, EnvPinnedCheck
from grader.files import SubmissionTree
from grader.models import Status, Submission

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def pinning_label(measurements: dict[str, object], status: Status) -> str:
    """The labels' vocabulary: `all` exact (or locked), `none` without any bound, `partial` otherwise, `-` no file."""
    if status is Status.SKIPPED:
        return "-"
    if measurements.get("locked") or measurements.get("exact_ratio") == 1.0:
        return "all"
    if measurements.get("pinned_ratio") == 0.0:
        return "none"
    return "partial"


def predict(folder: Path) -> tuple[str, str, float | None]:
    """Predicted environment files (comma-separated, or `none`), pinning label and pinned ratio for one repo."""
    tree = SubmissionTree(folder)
    ctx = CheckContext(submission=Submission(id=folder.name, root=folder, source=str(folder)), tree=tree)
    found = run_check(EnvFileCheck(), ctx)
    pinned = run_check(EnvPinnedCheck(), ctx)
    kinds = found.measurements.get("kinds") or []
    paths = found.measurements.get("files") or []
    assert isinstance(kinds, list) and isinstance(paths, list)
    declaring = [str(p) for p, k in zip(paths, kinds, strict=True) if k != "dockerfile"]
    ratio = pinned.measurements.get("pinned_ratio")
    return (", ".join(declaring) or "none", pinning_label(dict(pinned.measurements), pinned.status),
            float(ratio) if isinstance(ratio, (int, float)) else None)


def _mark(agrees: bool) -> str:
    return " " if agrees else "*"


def main(argv: list[str]) -> int:
    """Print one row per labelled repository and the agreement on files and on pinning."""
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    labels = corpus / "labels.tsv"
    if not labels.is_file():
        print(f"no corpus at {corpus} (labels.tsv missing); pass the corpus folder as the first argument")
        return 2
    rows = list(csv.DictReader(labels.open(encoding="utf-8"), delimiter="\t"))
    files_ok = pinned_ok = 0
    print(f"{'repository':<58} {'files (label | predicted)':<60} pinned (label | predicted, ratio)")
    for row in rows:
        folder = corpus / row["repo"].replace("/", "+")
        if not folder.is_dir():
            print(f"{row['repo']:<58} (folder missing)")
            continue
        files, pin, ratio = predict(folder)
        same_files = sorted(files.split(", ")) == sorted(row["env_files"].split(", "))
        same_pin = pin == row["env_pinned"]
        files_ok += same_files
        pinned_ok += same_pin
        ratio_text = "-" if ratio is None else f"{ratio:.2f}"
        print(f"{row['repo'][:57]:<58} {_mark(same_files)}{row['env_files'][:28]:<28} | {files[:28]:<28} "
              f"{_mark(same_pin)}{row['env_pinned']:<8} | {pin:<8} {ratio_text}")
    total = len(rows)
    print(f"\nenv.file agreement:   {files_ok}/{total} ({files_ok / total:.0%})")
    print(f"env.pinned agreement: {pinned_ok}/{total} ({pinned_ok / total:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
