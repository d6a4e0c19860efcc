"""Page layout measured from a PDF's text: body font, columns, text block, running heads, template markers."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from grader.analysis.paper.columns import Columns, detect
from grader.analysis.paper.facts import Box, PageFacts, PdfFacts, TextLine
from grader.analysis.paper.headings import HeadingStyle, heading_styles, is_references

TIMES_FONT = re.compile(r"times|nimbusrom|termes|ptmr|ptmb|ptmri|utm|nimbus ?roman|stix", re.IGNORECASE)
#: Knuth's Computer Modern and its descendants (Latin Modern, cm-super's SF fonts).
COMPUTER_MODERN_FONT = re.compile(r"^(?:[A-Z]{6}\+)?(?:cm[a-z]{1,4}\d|lmroman|lmsans|lmmono|sfrm|sfbx|sfti|lmr)",
                                  re.IGNORECASE)
ABSTRACT_DASH = re.compile(r"^Abstract\s*[—–-]", re.IGNORECASE)
INDEX_TERMS = re.compile(r"^(?:Index Terms|Keywords|Key words)\s*[—–:-]", re.IGNORECASE)
PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?$", re.IGNORECASE)
#: A line number printed by a review mode (ACL, ACM `review`, CVPR): digits alone, in a margin.
LINE_NUMBER = re.compile(r"^\d{1,4}$")
#: Line numbers on one page, in the margins, that make it a review-mode page.
REVIEW_NUMBERS_PER_PAGE = 12
US_LETTER = (612.0, 792.0)
A4 = (595.28, 841.89)


@dataclass(frozen=True)
class Layout:
    """What a paper's pages look like, as figures a lecturer can check by eye."""

    page_size: str
    page_width: float
    page_height: float
    body_font_size: float
    columns: int
    column_lefts: tuple[float, ...]
    column_rights: tuple[float, ...]
    column_width: float
    column_gap: float
    #: The x of the gutter between two columns (None for one column).
    gutter: float | None
    #: Body characters on pages that looked one-column and two-column.
    column_votes: tuple[int, int]
    #: Where the body text sits (left, bottom, right, top): the columns' outer edges and the highest and lowest
    #: body line over all pages.
    text_block: Box
    times_share: float
    computer_modern_share: float
    #: The font carrying most characters, without its subset prefix.
    main_font: str
    title_size: float
    #: Text of the first page's largest lines near the top (the title), for comparing with a LaTeX source.
    title: str
    page_numbers: str
    running_header: bool
    abstract_dash: bool
    abstract_heading: bool
    index_terms: bool
    #: Section headings seen per numbering style ("roman", "arabic-upper", ...), and the dominant one.
    headings: tuple[tuple[HeadingStyle, int], ...]
    heading_style: HeadingStyle | None
    #: The last page with a references heading.
    references_heading_page: int | None
    #: Pages printing review-mode line numbers in their margins.
    review_pages: tuple[int, ...]
    template_sample: bool

    def heading_count(self, style: HeadingStyle) -> int:
        """Section headings seen in one numbering style."""
        return dict(self.headings).get(style, 0)


def paper_size(width: float, height: float) -> str:
    """'letter', 'a4' or 'other' for a page of width x height points (either orientation)."""
    short, long_ = sorted((width, height))
    for name, (w, h) in (("letter", US_LETTER), ("a4", A4)):
        if abs(short - w) <= 3 and abs(long_ - h) <= 3:
            return name
    return "other"


def body_font_size(facts: PdfFacts) -> float:
    """The font size carrying most characters before the references (a long bibliography in a smaller font
    must not pass for the body text)."""
    pages = list(facts.pages)
    heading = next((i for i in range(len(pages) - 1, 0, -1) if any(is_references(ln) for ln in pages[i].lines)), None)
    sizes: Counter[float] = Counter()
    for page in pages[:heading] if heading else pages:
        for line in page.lines:
            sizes[round(line.size * 2) / 2] += line.chars
    return sizes.most_common(1)[0][0] if sizes else 0.0


def body_lines(page: PageFacts, body_size: float) -> list[TextLine]:
    """Lines set in the body font that are long enough to show where a column starts and ends."""
    return [ln for ln in page.lines if abs(ln.size - body_size) <= 0.75 and ln.chars >= 15]


def _repeated(facts: PdfFacts) -> set[tuple[str, int]]:
    """(text with digits masked, rounded baseline) of lines printed at the same place on most pages: running heads
    and feet, which sit outside the text block by design."""
    seen: Counter[tuple[str, int]] = Counter()
    for page in facts.pages:
        seen.update({(re.sub(r"\d+", "#", ln.text), round(ln.box[1] / 2)) for ln in page.lines})
    return {key for key, n in seen.items() if n >= max(2, len(facts.pages) / 2)}


def _vertical_extent(facts: PdfFacts, body_size: float, left: float, right: float) -> tuple[float, float]:
    """The lowest and highest line of text within the columns over all pages (headings, captions and footnotes
    count; running heads, feet and page numbers do not), so a page opening with a heading or a figure, or a
    short last page, does not shrink the block."""
    repeated = _repeated(facts)
    tops, bottoms = [], []
    for page in facts.pages:
        lines = [ln for ln in page.lines if ln.size >= 0.8 * body_size and not PAGE_NUMBER.match(ln.text)
                 and ln.box[0] >= left - 6 and ln.box[2] <= right + 6
                 and (re.sub(r"\d+", "#", ln.text), round(ln.box[1] / 2)) not in repeated]
        if lines:
            tops.append(max(ln.box[3] for ln in lines))
            bottoms.append(min(ln.box[1] for ln in lines))
    return (min(bottoms), max(tops)) if tops else (0.0, 0.0)


def outside_block(line: TextLine, block: Box, tolerance: float = 2.0) -> bool:
    """Whether a line sits wholly above or below the text block (a running head or foot)."""
    return line.box[1] > block[3] + tolerance or line.box[3] < block[1] - tolerance


def review_numbers(page: PageFacts, block: Box) -> list[TextLine]:
    """Line numbers a review mode prints in the margins of this page (empty unless there are many)."""
    numbers = [ln for ln in page.lines
               if LINE_NUMBER.match(ln.text) and (ln.box[2] <= block[0] + 1 or ln.box[0] >= block[2] - 1)]
    return numbers if len(numbers) >= REVIEW_NUMBERS_PER_PAGE else []


def _heads_and_feet(facts: PdfFacts, block: Box) -> tuple[str, bool]:
    """Where page numbers sit ('top', 'bottom', 'none') and whether a text running head repeats."""
    numbers: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    for page in facts.pages[1:] or facts.pages:
        for line in page.lines:
            if not outside_block(line, block):
                continue
            above = line.box[1] > block[3]
            if PAGE_NUMBER.match(line.text):
                numbers["top" if above else "bottom"] += 1
            elif above and len(line.text) > 3:
                heads[re.sub(r"\d+", "#", line.text)] += 1
    pages = max(1, len(facts.pages) - 1)
    where = numbers.most_common(1)[0][0] if numbers and numbers.most_common(1)[0][1] >= pages / 2 else "none"
    return where, bool(heads) and heads.most_common(1)[0][1] >= max(2, pages / 2)


def _font_shares(lines: list[TextLine]) -> tuple[float, float, str]:
    """Shares of characters in Times and in Computer Modern, and the font carrying most characters."""
    chars = sum(ln.chars for ln in lines) or 1
    fonts: Counter[str] = Counter()
    for line in lines:
        fonts[re.sub(r"^[A-Z]{6}\+", "", line.font)] += line.chars
    times = sum(n for font, n in fonts.items() if TIMES_FONT.search(font))
    modern = sum(n for font, n in fonts.items() if COMPUTER_MODERN_FONT.search(font))
    main = fonts.most_common(1)[0][0] if fonts else ""
    return round(times / chars, 3), round(modern / chars, 3), main


def _title(first: PageFacts) -> tuple[float, str]:
    """The largest font size in the upper part of the first page, and the text set in it."""
    top_lines = [ln for ln in first.lines if ln.box[1] > first.height * 0.6 and not LINE_NUMBER.match(ln.text)]
    size = max((ln.size for ln in top_lines), default=0.0)
    return size, " ".join(ln.text for ln in top_lines if ln.size >= size - 0.5)[:300]


def _columns(facts: PdfFacts, body: float) -> Columns:
    return detect([(page, body_lines(page, body)) for page in facts.pages])


def measure(facts: PdfFacts) -> Layout:
    """Measure the layout of a readable PDF (facts without error)."""
    first = facts.pages[0]
    body = body_font_size(facts)
    columns = _columns(facts, body)
    lefts = tuple(round(left, 1) for left, _ in columns.edges)
    rights = tuple(round(right, 1) for _, right in columns.edges)
    bottom, top = _vertical_extent(facts, body, lefts[0], rights[-1]) if lefts else (0.0, 0.0)
    block: Box = (lefts[0], round(bottom, 1), rights[-1], round(top, 1)) if lefts else (0.0, 0.0, 0.0, 0.0)
    all_lines = [ln for p in facts.pages for ln in p.lines]
    times, modern, main_font = _font_shares(all_lines)
    title_size, title = _title(first)
    texts = [ln.text for ln in all_lines]
    page_numbers, running_header = _heads_and_feet(facts, block)
    styles = heading_styles(all_lines, body)
    dominant: HeadingStyle | None = max(styles.items(), key=lambda item: item[1])[0] if styles else None
    first_text = " ".join(ln.text for ln in first.lines[:40]).lower()
    return Layout(
        page_size=paper_size(first.width, first.height),
        page_width=first.width,
        page_height=first.height,
        body_font_size=body,
        columns=columns.count,
        column_lefts=lefts,
        column_rights=rights,
        column_width=round(columns.width, 1),
        column_gap=round(columns.gap, 1),
        gutter=columns.gutter,
        column_votes=columns.votes,
        text_block=block,
        times_share=times,
        computer_modern_share=modern,
        main_font=main_font,
        title_size=title_size,
        title=title,
        page_numbers=page_numbers,
        running_header=running_header,
        abstract_dash=any(ABSTRACT_DASH.match(t) for t in texts),
        abstract_heading=any(t.strip().upper() == "ABSTRACT" for t in texts),
        index_terms=any(INDEX_TERMS.match(t) for t in texts),
        headings=tuple(sorted(styles.items())),
        heading_style=dominant if dominant is not None and styles.get(dominant, 0) >= 2 else None,
        references_heading_page=next(
            (p.number for p in reversed(facts.pages) for ln in p.lines if is_references(ln)), None),
        review_pages=tuple(p.number for p in facts.pages if review_numbers(p, block)),
        template_sample=any(s in first_text for s in ("use style: paper title", "bare demo of ieeetran",
                                                     "conference paper title*", "identify applicable funding")),
    )
