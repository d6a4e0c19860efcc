"""Page counting: total pages, the trailing pages that hold nothing but references, and where acknowledgements sit.

Counting follows the text in reading order from the last references heading: every page from there on that
holds only the continuing bibliography is a references-only page, however many there are and wherever an
entry breaks across pages. An appendix, a declaration, a figure or a page of body-size text after the
references ends the bibliography, so that page and every page before it are content.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.analysis.paper.facts import PageFacts, PdfFacts, TextLine
from grader.analysis.paper.headings import (
    heading_style,
    is_acknowledgements,
    is_appendix,
    is_references,
    unnumbered_heading,
)
from grader.analysis.paper.layout import PAGE_NUMBER, Layout, body_font_size, outside_block, review_numbers

#: Characters of ordinary text tolerated before the references heading on a references-only page (a caption
#: fragment, a stray footnote mark).
SLACK_CHARS = 40
#: A figure on a page after the references heading: anything drawn larger than this (pt²), short of the page.
FIGURE_AREA = 2500.0
#: Points above the references' own size from which a text line is body text, not an entry.
BODY_STEP = 1.0


@dataclass(frozen=True)
class PageCount:
    """Pages of a paper, with the trailing references-only pages told apart."""

    pages: int
    content_pages: int
    references_only_last_page: bool
    #: The trailing pages that hold only references (empty when the last page has other content).
    references_only_pages: tuple[int, ...] = ()
    #: The page of the acknowledgements heading, if any.
    acknowledgements_page: int | None = None
    #: Content pages when acknowledgements may sit on a references-only page (ICASSP's rule in some years).
    content_pages_acknowledgements_allowed: int | None = None
    #: The page of the references heading the count starts from.
    references_page: int | None = None


def _reading_order(page: PageFacts, layout: Layout | None) -> list[TextLine]:
    """The page's text lines in reading order (left column, then right), without heads, feet and line numbers."""
    block = layout.text_block if layout is not None else None
    skip = set(id(ln) for ln in review_numbers(page, block)) if block is not None else set()
    lines = [ln for ln in page.lines if id(ln) not in skip and not PAGE_NUMBER.match(ln.text)
             and not (block is not None and block[3] > block[1] and outside_block(ln, block, 6.0))]
    gutter = layout.gutter if layout is not None else None
    if gutter is None:
        return sorted(lines, key=lambda ln: -ln.box[3])
    return sorted(lines, key=lambda ln: (ln.box[0] >= gutter - 2.0, -ln.box[3]))


def _breaks_bibliography(line: TextLine, body: float, entry_size: float, acknowledgements_allowed: bool) -> bool:
    """Whether a line after the references heading starts something that is not the bibliography."""
    if is_references(line):
        return False
    if is_acknowledgements(line):
        return not acknowledgements_allowed
    if is_appendix(line):
        return True
    if heading_style(line, body) is not None or unnumbered_heading(line, max(body, entry_size)):
        return True
    return line.size >= entry_size + BODY_STEP and line.chars >= 20


def _has_figure(page: PageFacts) -> bool:
    area = page.width * page.height
    return any(o.kind in ("image", "form") and FIGURE_AREA <= (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]) < 0.8 * area
               for o in page.objects)


def _trailing(
    facts: PdfFacts, layout: Layout | None, acknowledgements_allowed: bool
) -> tuple[tuple[int, ...], int | None]:
    """The trailing references-only pages and the page of the heading they start from."""
    body = body_font_size(facts)
    ordered = [(page, _reading_order(page, layout)) for page in facts.pages]
    start = None
    for index in range(len(ordered) - 1, -1, -1):
        page, lines = ordered[index]
        at = next((i for i in range(len(lines) - 1, -1, -1) if is_references(lines[i])), None)
        if at is not None:
            start = (index, at)
            break
    if start is None:
        return (), None
    index, at = start
    page, lines = ordered[index]
    if acknowledgements_allowed:
        # Acknowledgements just before the references open the references' page as far as the rule goes.
        ack = next((i for i in range(at - 1, -1, -1) if is_acknowledgements(lines[i])), None)
        between = lines[ack + 1:at] if ack is not None else []
        if ack is not None and not any(heading_style(ln, body) for ln in between):
            at = ack
    # Pages must be contiguous from the heading to the end to follow the bibliography across them.
    numbers = [p.number for p, _ in ordered[index:]]
    if numbers != list(range(page.number, facts.page_count + 1)):
        return (), page.number
    following = [ln for _, ls in ordered[index:] for ln in ls][at + 1:]
    entries = sorted(ln.size for ln in following[:12]) or [body]
    entry_size = entries[len(entries) // 2]
    qualifies: list[int] = []
    for offset, (current, current_lines) in enumerate(ordered[index:]):
        after = current_lines[at + 1:] if offset == 0 else current_lines
        before = sum(ln.chars for ln in current_lines[:at]) if offset == 0 else 0
        broken = any(_breaks_bibliography(ln, body, entry_size, acknowledgements_allowed) for ln in after)
        qualifies.append(before <= SLACK_CHARS and not broken and not _has_figure(current))
    trailing: list[int] = []
    for number, ok in zip(reversed(numbers), reversed(qualifies), strict=True):
        if not ok:
            break
        trailing.append(number)
    return tuple(sorted(trailing)), page.number


def count_pages(facts: PdfFacts, layout: Layout | None = None) -> PageCount:
    """Count pages and the trailing references-only pages (read in reading order across the columns)."""
    if not facts.pages or facts.pages[-1].number != facts.page_count or facts.page_count < 2:
        return PageCount(facts.page_count, facts.page_count, False)
    trailing, heading_page = _trailing(facts, layout, acknowledgements_allowed=False)
    allowed, _ = _trailing(facts, layout, acknowledgements_allowed=True)
    acknowledgements = next((p.number for p in reversed(facts.pages) for ln in p.lines if is_acknowledgements(ln)),
                            None)
    content = facts.page_count - len(trailing)
    return PageCount(
        pages=facts.page_count,
        content_pages=content,
        references_only_last_page=bool(trailing),
        references_only_pages=trailing,
        acknowledgements_page=acknowledgements,
        content_pages_acknowledgements_allowed=facts.page_count - len(allowed),
        references_page=heading_page,
    )
