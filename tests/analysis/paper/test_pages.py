"""Page counts, with a trailing references-only page told apart from a page of text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.analysis.paper.facts import PdfFacts
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
    ],
)
def test_count(paper_facts: Read, name: str, pages: int, content: int, references_only: bool) -> None:
    count = count_pages(paper_facts(name))
    assert (count.pages, count.content_pages, count.references_only_last_page) == (pages, content, references_only)
