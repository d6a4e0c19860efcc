"""Calibrate the paper checks on the shared corpus: predicted vs labelled paper path, pages and family.

Run as `python bench/calibrate_paper.py [CORPUS]` (default ../shared/corpus); reads the corpus in place.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from grader.analysis.paper.analysis import analyse_paper
from grader.files import SubmissionTree
from grader.models import Submission


def main(corpus: Path) -> int:
    """Print one row per labelled repository and the agreement on path, pages and family."""
    labels = corpus / "labels.tsv"
    if not labels.is_file():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    rows = list(csv.DictReader(labels.open(encoding="utf-8"), delimiter="\t"))
    agree = {"path": 0, "pages": 0, "family": 0}
    print(f"{'repository':45} {'path (pred / label)':60} {'pages':>9} {'family (pred / label)'}")
    for row in rows:
        root = corpus / row["repo"].replace("/", "+")
        if not root.is_dir():
            continue
        analysis = analyse_paper(SubmissionTree(root), Submission(id=row["repo"], root=root, source=str(root)))
        label_path = row["paper_pdf"] if row["paper_pdf"] != "-" else None
        label_pages = int(row["paper_pages"]) if row["paper_pages"].isdigit() else None
        label_family = row["paper_layout"] if row["paper_layout"] != "-" else None
        pages = analysis.count.pages if analysis.count else None
        family = analysis.verdict.family if analysis.verdict and analysis.path else None
        agree["path"] += analysis.path == label_path
        agree["pages"] += pages == label_pages
        agree["family"] += family == label_family
        print(f"{row['repo'][:45]:45} {str(analysis.path)[:28]:28} / {str(label_path)[:28]:29} "
              f"{pages!s:>4}/{label_pages!s:4} {family} / {label_family}")
    total = len(rows)
    print("agreement: " + ", ".join(f"{k} {v}/{total}" for k, v in agree.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpus")))
