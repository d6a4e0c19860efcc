"""Margin violations: a too-wide figure is found with its page, side and distance; clean papers have none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import measure
from grader.analysis.paper.margins import find_violations

Read = Callable[[str], PdfFacts]


def test_figure_into_the_right_margin(paper_facts: Read) -> None:
    facts = paper_facts("ieee-margin")
    violations = find_violations(facts, measure(facts))
    assert len(violations) == 1
    violation = violations[0]
    assert (violation.page, violation.side, violation.kind) == (1, "right", "path")
    # 1.06 x a 514 pt text block overshoots by about 31 pt.
    assert violation.distance_pt == pytest.approx(31.0, abs=2.0)


@pytest.mark.parametrize("name", ["ieee-letter-4", "ieee-a4-6", "ieee-journal", "spconf-a4", "article-onecol"])
def test_clean_papers_have_no_violations(paper_facts: Read, name: str) -> None:
    facts = paper_facts(name)
    assert find_violations(facts, measure(facts)) == []
