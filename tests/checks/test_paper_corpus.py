"""The paper checks on 22 real papers (../shared/corpus/papers, labels from each paper's LaTeX source): family,
total pages and content pages must keep the agreement reached, and every margin violation reported must be ink
that rendering finds past the edge. Each PDF is graded as a copy named paper.pdf, so its labelled file name
cannot help. `python bench/calibrate_paper.py` prints the same figures as a table."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from grader.analysis.paper.bounded import read_ink
from grader.analysis.paper.margins import Violation, beyond
from grader.checks.paper import PaperMarginsCheck, PaperPagesCheck, PaperTemplateCheck
from grader.files import SubmissionTree
from tests.harness import run_on

PAPERS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "papers"
#: Papers agreeing with the labels when this floor was set (all 22 on each): a change may not lose one.
FLOOR = {"family": 22, "pages": 22, "content_pages": 22}

pytestmark = pytest.mark.skipif(not (PAPERS / "labels.tsv").is_file(), reason="no ../shared/corpus/papers here")


def _confirmed(pdf: Path, violations: list[dict[str, object]], block: list[float]) -> int:
    """How many reported violations rendering finds ink for, past the edge each one crosses."""
    edge = (block[0], block[1], block[2], block[3])
    found = [Violation(int(str(v["page"])), str(v["side"]), 0.0, "", tuple(v["box"]))  # type: ignore[arg-type]
             for v in violations]
    inks = read_ink(pdf, [(v.page, beyond(v, edge), []) for v in found]) or []
    return sum(ink is not None for ink in inks)


def test_real_papers_agree_with_their_labels(tmp_path: Path) -> None:
    rows = list(csv.DictReader((PAPERS / "labels.tsv").open(encoding="utf-8"), delimiter="\t"))
    agree = dict.fromkeys(FLOOR, 0)
    misses: list[str] = []
    reported = confirmed = 0
    for index, row in enumerate(rows):
        folder = tmp_path / f"submission-{index}"
        folder.mkdir()
        shutil.copyfile(PAPERS / row["file"], folder / "paper.pdf")
        tree = SubmissionTree(folder)
        got = {
            "family": run_on(PaperTemplateCheck, folder, tree=tree).measurements["family"],
            "pages": (pages := run_on(PaperPagesCheck, folder, tree=tree).measurements)["pages"],
            "content_pages": pages["content_pages"],
        }
        for key in FLOOR:
            if str(got[key]) == row[key]:
                agree[key] += 1
            else:
                misses.append(f"{row['file']}: {key} {got[key]} (label {row[key]})")
        margins = run_on(PaperMarginsCheck, folder, tree=tree).measurements
        violations = margins["violations"]
        assert isinstance(violations, list)
        reported += len(violations)
        if violations:
            confirmed += _confirmed(folder / "paper.pdf", violations, margins["text_block_pt"])  # type: ignore[arg-type]
    assert len(rows) == 22
    assert all(agree[key] >= FLOOR[key] for key in FLOOR), f"agreement {agree}; misses: {misses}"
    assert confirmed == reported, f"{reported - confirmed} of {reported} margin violations have no ink past the edge"
