"""Page counting: total pages, and whether the last page holds nothing but references."""

from __future__ import annotations

from dataclasses import dataclass

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import PAGE_NUMBER, REFERENCES, ROMAN_HEADING, body_font_size

#: Characters of ordinary text tolerated before the references heading on a references-only page.
SLACK_CHARS = 40


@dataclass(frozen=True)
class PageCount:
    """Pages of a paper, with a trailing references-only page told apart."""

    pages: int
    content_pages: int
    references_only_last_page: bool


def count_pages(facts: PdfFacts) -> PageCount:
    """Count pages; the last page is references-only when the references heading opens it or began earlier
    and no new section, figure or text comes after it."""
    if not facts.pages or facts.pages[-1].number != facts.page_count or facts.page_count < 2:
        return PageCount(facts.page_count, facts.page_count, False)
    last = facts.pages[-1]
    half = last.width / 2
    body = body_font_size(facts)
    # Reading order of a two-column page: the left column top to bottom, then the right one.
    ordered = sorted(
        (ln for ln in last.lines if not PAGE_NUMBER.match(ln.text)),
        key=lambda ln: (ln.box[0] >= half and ln.box[2] - ln.box[0] < half, -ln.box[3]),
    )
    heading_at = next((i for i, ln in enumerate(ordered) if REFERENCES.match(ln.text.strip())), None)
    if heading_at is not None:
        before = sum(ln.chars for ln in ordered[:heading_at])
        only = before <= SLACK_CHARS
    else:
        earlier = [p for p in facts.pages[:-1] if any(REFERENCES.match(ln.text.strip()) for ln in p.lines)]
        figures = [o for o in last.objects if o.kind in ("image", "form")]
        headings = [ln for ln in ordered if ROMAN_HEADING.match(ln.text) and ln.size <= body + 0.5]
        starts_entry = bool(ordered) and ordered[0].text.lstrip().startswith("[")
        only = bool(earlier) and not figures and not headings and starts_entry
    return PageCount(facts.page_count, facts.page_count - 1 if only else facts.page_count, only)
