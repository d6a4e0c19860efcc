"""Benchmark: seconds per page for the five paper checks against pypdf's plain text extraction, same file,
same run.

Usage: python bench/bench_paper.py [PDF ...] [--repeat 3]
(default: the committed fixtures tests/fixtures/papers/ieee-letter-4.pdf and ieee-letter-6.pdf, plus the
real papers under ../shared/corpus/papers when present).

Each check pass uses a fresh submission folder (a copy of the PDF), so the shared analysis and the rendering of
margin candidates are paid for every time; the reader processes are pooled as in a batch, so their start-up
is paid once per run (the first row carries it). `--images` adds the page thumbnails. The ratio is
checks / pypdf (how many times slower than merely extracting the text).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pypdf

from grader.checks.base import CheckContext, run_check
from grader.checks.paper import CHECKS
from grader.files import SubmissionTree
from grader.models import Submission

ROOT = Path(__file__).resolve().parents[1]


def time_pypdf(pdf: Path) -> float:
    """Seconds for pypdf to extract every page's text."""
    start = time.perf_counter()
    reader = pypdf.PdfReader(str(pdf))
    for page in reader.pages:
        page.extract_text()
    return time.perf_counter() - start


def time_checks(pdf: Path, images: bool) -> float:
    """Seconds for the five paper checks on a fresh folder holding only this PDF."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sub"
        root.mkdir()
        shutil.copy(pdf, root / "paper.pdf")
        artifacts = Path(tmp) / "out" if images else None
        start = time.perf_counter()
        ctx = CheckContext(Submission(id="b", root=root, source=tmp), SubmissionTree(root), artifacts_dir=artifacts)
        for check in CHECKS:
            run_check(check(), ctx)
        return time.perf_counter() - start


def main() -> int:
    """Print one row per PDF and the overall ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--images", action="store_true", help="also render page thumbnails")
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # the baseline's font warnings are not ours to print
    fixtures = ROOT / "tests" / "fixtures" / "papers"
    pdfs = args.pdfs or [fixtures / "ieee-letter-4.pdf", fixtures / "ieee-letter-6.pdf"]
    if not args.pdfs:
        pdfs += sorted((ROOT.parent / "shared" / "corpus" / "papers").glob("*.pdf"))
    total_checks = total_pypdf = 0.0
    total_pages = 0
    print(f"{'pdf':40} {'pages':>5} {'checks s/page':>14} {'pypdf s/page':>13} {'ratio':>6}")
    for pdf in pdfs:
        pages = len(pypdf.PdfReader(str(pdf)).pages)
        checks = min(time_checks(pdf, args.images) for _ in range(args.repeat))
        baseline = min(time_pypdf(pdf) for _ in range(args.repeat))
        total_checks, total_pypdf, total_pages = total_checks + checks, total_pypdf + baseline, total_pages + pages
        print(f"{pdf.name[:40]:40} {pages:5d} {checks / pages:14.4f} {baseline / pages:13.4f} {checks / baseline:6.2f}")
    print(f"{'all':40} {total_pages:5d} {total_checks / total_pages:14.4f} {total_pypdf / total_pages:13.4f} "
          f"{total_checks / total_pypdf:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
