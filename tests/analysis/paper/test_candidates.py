"""Ranking PDFs: names and folders first, then what the PDF holds."""

from __future__ import annotations

from collections.abc import Callable

from grader.analysis.paper.candidates import content_score, name_score
from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import measure
from grader.analysis.paper.template import classify

Read = Callable[[str], PdfFacts]


def test_name_score_orders_paper_above_poster_figure_and_individual_report() -> None:
    paper = name_score("Final_Group_Project_Report/Final_Group_Project_Report.pdf", 500_000)[0]
    assert paper > name_score("Aman_Individual_Project/Report/Report.pdf", 500_000)[0]
    assert paper > name_score("poster.pdf", 500_000)[0]
    assert paper > name_score("figures/fig_3.pdf", 500_000)[0]
    assert paper > name_score("IEEE-conference-template/conference_101719.pdf", 500_000)[0]


def test_content_score_prefers_a_two_column_ieee_paper(paper_facts: Read) -> None:
    def score(name: str) -> float:
        facts = paper_facts(name)
        layout = measure(facts) if facts.error is None and facts.pages else None
        return content_score(facts, layout, classify(facts, layout).family)[0]

    assert score("ieee-letter-4") > score("article-twocol") > score("article-onecol")
    assert score("article-onecol") > score("scan") > score("truncated")
