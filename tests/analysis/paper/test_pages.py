"""Page counts, with a trailing references-only page told apart from a page of text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.analysis.paper.facts import PdfFacts, TextLine
from grader.analysis.paper.headings import heading_style, is_appendix, is_references, unnumbered_heading
from grader.analysis.paper.layout import measure
from grader.analysis.paper.pages import count_pages

Read = Callable[[str], PdfFacts]


@pytest.mark.parametrize(
    ("name", "pages", "content", "references_only"),
    [
        ("ieee-letter-3", 3, 3, False),
        ("ieee-letter-4", 4, 4, False),
        ("ieee-letter-5refs", 5, 4, True),
        ("ieee-letter-5text", 5, 5, False),
        ("ieee-letter-6", 6, 6, False),
        ("ieee-a4-3", 3, 3, False),
        ("ieee-a4-4", 4, 4, False),
        ("ieee-a4-5refs", 5, 4, True),
        ("ieee-a4-5text", 5, 5, False),
        ("ieee-a4-6", 6, 6, False),
        ("scan", 2, 2, False),
        # D: the bibliography opens page 4 and fills pages 4-5.
        ("ieee-refs-two-pages", 5, 3, True),
        # D and E: it starts mid-page 2, fills page 3, and page 4 opens in the middle of an entry.
        ("ieee-refs-midentry", 4, 2, True),
        # F: page 4 opens with the references, then an appendix with a table.
        ("ieee-appendix-after-refs", 4, 4, False),
        ("icml-emulated", 4, 3, True),  # a references-only page under a running head
        ("acm-review", 3, 3, False),  # references after text, line numbers in the margins
    ],
)
def test_count(paper_facts: Read, name: str, pages: int, content: int, references_only: bool) -> None:
    facts = paper_facts(name)
    count = count_pages(facts, measure(facts))
    assert (count.pages, count.content_pages, count.references_only_last_page) == (pages, content, references_only)


def test_trailing_references_pages_are_listed(paper_facts: Read) -> None:
    facts = paper_facts("ieee-refs-two-pages")
    count = count_pages(facts, measure(facts))
    assert (count.references_only_pages, count.references_page) == ((4, 5), 4)


def test_acknowledgements_are_content_unless_allowed_on_the_references_page(paper_facts: Read) -> None:
    facts = paper_facts("spconf-acks")
    count = count_pages(facts, measure(facts))
    assert (count.pages, count.content_pages, count.acknowledgements_page) == (5, 5, 5)
    assert count.content_pages_acknowledgements_allowed == 4


@pytest.mark.parametrize(
    ("text", "bold", "expected"),
    [
        ("REFERENCES", False, "references"),
        ("R EFERENCES", False, "references"),
        ("6. LITERATUR", True, "references"),
        ("Riferimenti bibliografici", True, "references"),
        ("VIII. APPENDIX", False, "appendix"),
        ("A Data Generator metadata samples", True, "heading"),
        ("DECLARATION OF USE OF GENERATIVE AI", True, "heading"),
        ("I. Goodfellow, Y. Bengio, and A. Courville, Deep Learning", False, None),
        ("[3] C. Author, Spectrograms, in Proc. Interspeech, 2019.", False, None),
    ],
)
def test_headings_after_the_references(text: str, bold: bool, expected: str | None) -> None:
    line = TextLine((0.0, 0.0, 100.0, 10.0), 10.0, "Times-Bold" if bold else "Times-Roman", len(text), text)
    if expected == "references":
        assert is_references(line)
    elif expected == "appendix":
        assert is_appendix(line)
    else:
        assert not is_references(line)
        assert (heading_style(line, 10.0) is not None or unnumbered_heading(line, 10.0)) is (expected == "heading")
