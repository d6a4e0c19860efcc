"""Template families measured from real pdflatex output, with the figures they are decided from."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import measure, paper_size
from grader.analysis.paper.template import classify

Read = Callable[[str], PdfFacts]


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("ieee-letter-4", "ieeetran-conference"),
        ("ieee-a4-4", "ieeetran-conference"),
        ("ieee-journal", "ieeetran-journal"),
        ("ieee-journal-nohead", "ieeetran-journal"),  # no running head: the taller block decides
        ("spconf-a4", "ieee-spconf"),
        ("article-twocol", "other-two-column"),
        ("article-onecol", "one-column"),
        ("scan", "no-text"),
        ("ieee-short-lists", "ieeetran-conference"),
        ("spconf-cm", "ieee-spconf"),
    ],
)
def test_family(paper_facts: Read, name: str, family: str) -> None:
    facts = paper_facts(name)
    layout = measure(facts)
    assert classify(facts, layout).family == family


@pytest.mark.parametrize(
    ("name", "style"),
    [
        ("interspeech-emulated", "interspeech"),
        ("cvpr-emulated", "cvpr"),
        ("acl-emulated", "acl"),
        ("icml-emulated", "icml"),
        ("acm-review", "acm-sigconf"),
        ("article-twocol", "article-two-column"),
    ],
)
def test_other_two_column_styles_are_told_from_ieee_by_geometry(paper_facts: Read, name: str, style: str) -> None:
    # Failure class A: Times, an "Abstract" heading and numbered headings no longer make a paper IEEE SPS.
    facts = paper_facts(name)
    verdict = classify(facts, measure(facts))
    assert (verdict.family, verdict.style, verdict.decided_by) == ("other-two-column", style, "geometry")
    assert verdict.distance_pt is not None and verdict.distance_pt <= 2.0
    assert verdict.evidence["closest_styles"][0]["style"] == style  # type: ignore[index,call-overload]


def test_spconf_in_computer_modern_is_spconf_with_a_warning(paper_facts: Read) -> None:
    # Failure class B: the geometry decides, the font only earns a warning.
    facts = paper_facts("spconf-cm")
    verdict = classify(facts, measure(facts))
    assert (verdict.family, verdict.decided_by) == ("ieee-spconf", "geometry")
    assert verdict.evidence["times_share"] == 0.0
    assert verdict.evidence["computer_modern_share"] > 0.9  # type: ignore[operator]
    assert "Computer Modern" in verdict.warnings[0]


def test_short_paper_with_lists_figure_column_and_reference_column_is_two_columns(paper_facts: Read) -> None:
    # Failure class C: 3 pages, bulleted lists, a right column of figures only, one of small references.
    layout = measure(paper_facts("ieee-short-lists"))
    assert layout.columns == 2
    assert layout.column_lefts == pytest.approx((48.0, 311.0), abs=1.0)
    assert layout.column_rights == pytest.approx((299.0, 562.0), abs=1.0)
    assert layout.column_votes[0] == 0


def test_ieee_markers_decide_only_when_no_geometry_matches(paper_facts: Read) -> None:
    # A squeezed IEEEtran keeps its columns; the rule recorded is the geometry, with the distance.
    facts = paper_facts("ieee-squeezed")
    verdict = classify(facts, measure(facts))
    assert verdict.decided_by == "geometry" and verdict.evidence["decided_by"] == "geometry"


def test_ieee_conference_letter_geometry(paper_facts: Read) -> None:
    layout = measure(paper_facts("ieee-letter-4"))
    assert layout.page_size == "letter"
    assert layout.columns == 2
    assert layout.column_lefts == pytest.approx((49.0, 312.0), abs=1.0)
    assert layout.column_rights == pytest.approx((300.0, 563.0), abs=1.0)
    assert layout.column_width == pytest.approx(251.5, abs=2.0)  # 3.5 in
    assert layout.column_gap == pytest.approx(12.0, abs=2.0)
    assert layout.body_font_size == 10.0
    assert layout.times_share > 0.95
    assert layout.title_size == pytest.approx(24.0, abs=0.5)
    assert layout.abstract_dash and layout.index_terms
    assert layout.heading_style == "roman" and layout.heading_count("roman") >= 4
    assert (layout.page_numbers, layout.running_header) == ("none", False)


def test_a4_shifts_the_columns_not_their_width(paper_facts: Read) -> None:
    layout = measure(paper_facts("ieee-a4-4"))
    assert layout.page_size == "a4"
    assert layout.column_lefts[0] == pytest.approx(40.6, abs=1.0)
    assert layout.column_width == pytest.approx(251.5, abs=2.0)


def test_journal_has_page_numbers_at_the_top(paper_facts: Read) -> None:
    assert measure(paper_facts("ieee-journal")).page_numbers == "top"


def test_spconf_markers_and_gap(paper_facts: Read) -> None:
    facts = paper_facts("spconf-a4")
    verdict = classify(facts, measure(facts))
    assert verdict.evidence["abstract_heading"] is True
    assert verdict.evidence["headings"] == {"arabic-upper": 5}
    assert verdict.evidence["column_gap_pt"] == pytest.approx(17.0, abs=1.0)  # 6 mm


def test_computer_modern_article_is_not_times(paper_facts: Read) -> None:
    assert measure(paper_facts("article-twocol")).times_share == 0.0


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [(612, 792, "letter"), (595.28, 841.89, "a4"), (842, 595, "a4"), (720, 405, "other")],
)
def test_paper_size(width: float, height: float, size: str) -> None:
    assert paper_size(width, height) == size
