"""Margin violations judged by visible ink against the template's block: what runs out is named with its page,
side and distance; what only looks like it (declared boxes, the style's rules, review line numbers) is not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.analysis.paper.analysis import PaperAnalysis, analyse_paper
from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import measure
from grader.analysis.paper.margins import allowed_block, find_violations
from grader.analysis.paper.styles import STYLES
from grader.files import SubmissionTree
from grader.models import Submission
from tests.harness import MakeTree

from .conftest import PAPERS

Read = Callable[[str], PdfFacts]


def analysed(make_tree: MakeTree, name: str) -> PaperAnalysis:
    """The analysis of fixture `name` handed in as paper.pdf (the ink is read from the PDF)."""
    root = make_tree({"paper.pdf": (PAPERS / f"{name}.pdf").read_bytes()})
    return analyse_paper(SubmissionTree(root), Submission(id="t", root=root, source=str(root)))


def test_figure_into_the_right_margin(make_tree: MakeTree) -> None:
    violations = analysed(make_tree, "ieee-margin").violations
    assert len(violations) == 1
    violation = violations[0]
    assert (violation.page, violation.side, violation.kind) == (1, "right", "figure")
    assert violation.what == "a figure (a vector drawing)"
    # 1.06 x a 516 pt text block overshoots by about 31 pt.
    assert violation.distance_pt == pytest.approx(31.0, abs=2.0)


@pytest.mark.parametrize(
    "name",
    # Whitespace around a plot, ICML's running-head rule, ACM review line numbers, pages opening with figures.
    ["ieee-letter-4", "ieee-a4-6", "ieee-journal", "spconf-a4", "article-onecol", "margin-figure-whitespace",
     "icml-emulated", "acm-review", "margin-figure-first", "ieee-short-lists"],
)
def test_clean_papers_have_no_violations(make_tree: MakeTree, name: str) -> None:
    assert analysed(make_tree, name).violations == ()


def test_declared_box_is_not_ink(paper_facts: Read) -> None:
    # The plot's declared box runs 38 pt into both margins; only its white background does.
    facts = paper_facts("margin-figure-whitespace")
    layout = measure(facts)
    declared = find_violations(facts, layout, allowed_block(layout, "ieeetran-conference"))
    assert sorted((v.side, v.kind) for v in declared) == [("left", "figure"), ("right", "figure")]
    assert all(v.distance_pt == pytest.approx(38.5, abs=1.5) for v in declared)


def test_review_line_numbers_are_recognised(make_tree: MakeTree) -> None:
    analysis = analysed(make_tree, "acm-review")
    assert analysis.layout is not None and analysis.layout.review_pages == (1, 2, 3)
    assert analysed(make_tree, "ieee-letter-4").layout.review_pages == ()  # type: ignore[union-attr]


def test_text_line_past_the_edge_is_named(make_tree: MakeTree) -> None:
    violations = analysed(make_tree, "margin-overfull").violations
    assert [(v.kind, v.side) for v in violations] == [("text", "right")]
    assert violations[0].what.startswith('text line "https://')
    assert violations[0].distance_pt > 10


def test_block_is_the_published_one_when_pages_start_with_figures(paper_facts: Read) -> None:
    facts = paper_facts("margin-figure-first")
    layout = measure(facts)
    conference = next(s for s in STYLES if s.id == "ieeetran-conference")
    block = allowed_block(layout, conference.id)
    assert block[3] - block[1] >= conference.text_height - 1
    assert block[2] - block[0] >= conference.text_width - 1
