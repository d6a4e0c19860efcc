"""Calibrate the paper checks on the shared corpus: predicted vs labelled family, total pages, content pages and
margins, per paper and overall; and the paper found in each labelled repository.

Run as `python bench/calibrate_paper.py [CORPUS]` (default ../shared/corpus). The corpus is read in place; each
paper is graded as a copy named paper.pdf in a temporary folder, so its file name (which holds the label)
cannot reach the grader. Margins have no label: a paper counts as margins-clean when no violation is reported,
and every reported violation is confirmed by rendering the strip past the block edge it crosses (ink there or
not), so the figure printed is how many reported violations are real ink.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.analysis.paper.analysis import PaperAnalysis, analyse_paper
from grader.analysis.paper.bounded import read_ink
from grader.analysis.paper.margins import beyond
from grader.files import SubmissionTree
from grader.models import Submission


def grade_copy(pdf: Path) -> tuple[PaperAnalysis, int]:
    """The paper analysis of a copy of `pdf` handed in as the only file, paper.pdf, and how many of its margin
    violations rendering confirms."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "submission"
        root.mkdir()
        shutil.copyfile(pdf, root / "paper.pdf")
        analysis = analyse_paper(SubmissionTree(root), Submission(id="calibration", root=root, source=tmp))
        return analysis, confirmed_violations(root / "paper.pdf", analysis)


def confirmed_violations(pdf: Path, analysis: PaperAnalysis) -> int:
    """How many reported violations have ink past the edge they cross, by rendering."""
    if not analysis.violations or analysis.margin_block is None:
        return 0
    block = analysis.margin_block
    inks = read_ink(pdf, [(v.page, beyond(v, block), []) for v in analysis.violations]) or []
    return sum(ink is not None for ink in inks)


def papers(corpus: Path) -> int:
    """One row per labelled paper and the agreement on family, pages, content pages and margins."""
    folder = corpus / "papers"
    labels = folder / "labels.tsv"
    if not labels.is_file():
        print(f"no papers at {folder}", file=sys.stderr)
        return 0
    rows = list(csv.DictReader(labels.open(encoding="utf-8"), delimiter="\t"))
    agree = {"family": 0, "pages": 0, "content": 0}
    reported = confirmed = clean = 0
    print(f"{'paper':44} {'family (pred / label)':48} {'pages':>7} {'content':>8}  margins")
    for row in rows:
        analysis, checked = grade_copy(folder / row["file"])
        family = analysis.verdict.family if analysis.verdict else None
        count = analysis.count
        pages, content = (count.pages, count.content_pages) if count else (None, None)
        agree["family"] += family == row["family"]
        agree["pages"] += str(pages) == row["pages"]
        agree["content"] += str(content) == row["content_pages"]
        violations = len(analysis.violations)
        reported, confirmed, clean = reported + violations, confirmed + checked, clean + (violations == 0)
        mark = {True: " ", False: "x"}
        print(f"{row['file'][:44]:44} {mark[family == row['family']]}{family!s:>22} / {row['family']:22} "
              f"{mark[str(pages) == row['pages']]}{pages!s:>2}/{row['pages']:>2} "
              f"{mark[str(content) == row['content_pages']]}{content!s:>3}/{row['content_pages']:>2}  "
              + ("clean" if not violations else f"{violations} reported, {checked} confirmed by rendering"))
    total = len(rows)
    print(f"papers: family {agree['family']}/{total}, total pages {agree['pages']}/{total}, content pages "
          f"{agree['content']}/{total}, margins clean {clean}/{total} (violations reported {reported}, "
          f"confirmed by rendering {confirmed})")
    return 0


def repositories(corpus: Path) -> int:
    """One row per labelled repository: the paper found among its PDFs, its pages and family."""
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
    print("repositories: " + ", ".join(f"{k} {v}/{total}" for k, v in agree.items()))
    return 0


def main(corpus: Path) -> int:
    """Both tables: the papers, then the repositories."""
    code = papers(corpus)
    print()
    return code or repositories(corpus)


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpus")))
