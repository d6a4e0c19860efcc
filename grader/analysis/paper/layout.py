"""Page layout measured from a PDF's text: body font, columns, text block, running heads, template markers."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from grader.analysis.paper.facts import Box, PageFacts, PdfFacts, TextLine

TIMES_FONT = re.compile(r"times|nimbusrom|termes|ptmr|ptmb|ptmri|utm|nimbus ?roman", re.IGNORECASE)
ROMAN_HEADING = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)\.\s+[A-Z]")
ARABIC_UPPER_HEADING = re.compile(r"^\d{1,2}\.\s+[A-Z][A-Z0-9 ,:&\-]{2,}$")
ABSTRACT_DASH = re.compile(r"^Abstract\s*[—–-]", re.IGNORECASE)
INDEX_TERMS = re.compile(r"^(?:Index Terms|Keywords|Key words)\s*[—–:-]", re.IGNORECASE)
REFERENCES = re.compile(r"^(?:[IVX]+\.\s*|\d+\.?\s*)?(?:R\s?EFERENCES|References|Bibliography|BIBLIOGRAPHY)$")
PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?$", re.IGNORECASE)
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
    column_width: float
    column_gap: float
    text_block: Box
    times_share: float
    title_size: float
    #: Text of the first page's largest lines near the top (the title), for comparing with a LaTeX source.
    title: str
    page_numbers: str
    running_header: bool
    abstract_dash: bool
    abstract_heading: bool
    index_terms: bool
    roman_headings: int
    arabic_upper_headings: int
    references_heading_page: int | None
    template_sample: bool


def paper_size(width: float, height: float) -> str:
    """'letter', 'a4' or 'other' for a page of width x height points (either orientation)."""
    short, long_ = sorted((width, height))
    for name, (w, h) in (("letter", US_LETTER), ("a4", A4)):
        if abs(short - w) <= 3 and abs(long_ - h) <= 3:
            return name
    return "other"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else 0.0


def body_font_size(facts: PdfFacts) -> float:
    """The font size carrying most characters."""
    sizes: Counter[float] = Counter()
    for page in facts.pages:
        for line in page.lines:
            sizes[round(line.size * 2) / 2] += line.chars
    return sizes.most_common(1)[0][0] if sizes else 0.0


def body_lines(page: PageFacts, body_size: float) -> list[TextLine]:
    """Lines set in the body font that are long enough to show where a column starts and ends."""
    return [ln for ln in page.lines if abs(ln.size - body_size) <= 0.75 and ln.chars >= 15]


def _columns(lines: list[TextLine], page_width: float) -> list[float]:
    """Left edges shared by many body lines (bins of 6 pt, each holding at least 15% of the lines)."""
    bins: Counter[int] = Counter(int(ln.box[0] // 6) for ln in lines)
    threshold = max(3, 0.15 * len(lines))
    lefts: list[float] = []
    for bin_, count in sorted(bins.items()):
        if count >= threshold and not (lefts and bin_ * 6 - lefts[-1] < 0.2 * page_width):
            lefts.append(min(ln.box[0] for ln in lines if int(ln.box[0] // 6) == bin_))
    return lefts


def text_block(facts: PdfFacts, body_size: float) -> Box:
    """The text block the body text fills: the median page's left and right edges (robust against one line
    running out), and the highest and lowest body line over all pages (short pages do not shrink it)."""
    extents = []
    for page in facts.pages:
        lines = body_lines(page, body_size)
        if lines:
            extents.append((min(ln.box[0] for ln in lines), min(ln.box[1] for ln in lines),
                            max(ln.box[2] for ln in lines), max(ln.box[3] for ln in lines)))
    if not extents:
        return (0.0, 0.0, 0.0, 0.0)
    return (
        _percentile([e[0] for e in extents], 0.5),
        min(e[1] for e in extents),
        _percentile([e[2] for e in extents], 0.5),
        max(e[3] for e in extents),
    )


def outside_block(line: TextLine, block: Box, tolerance: float = 2.0) -> bool:
    """Whether a line sits wholly above or below the text block (a running head or foot)."""
    return line.box[1] > block[3] + tolerance or line.box[3] < block[1] - tolerance


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


def measure(facts: PdfFacts) -> Layout:
    """Measure the layout of a readable PDF (facts without error)."""
    first = facts.pages[0]
    body = body_font_size(facts)
    block = text_block(facts, body)
    page_lefts = [tuple(_columns(body_lines(p, body), p.width)) for p in facts.pages]
    counted = Counter(len(lefts) for lefts in page_lefts if lefts)
    columns = counted.most_common(1)[0][0] if counted else 0
    lefts = next((lefts for lefts in page_lefts if len(lefts) == columns), ())
    widths = [ln.box[2] - ln.box[0] for p in facts.pages for ln in body_lines(p, body)]
    column_width = _percentile(widths, 0.8)
    gap = lefts[1] - (lefts[0] + column_width) if len(lefts) >= 2 else 0.0
    all_lines = [ln for p in facts.pages for ln in p.lines]
    chars = sum(ln.chars for ln in all_lines) or 1
    times = sum(ln.chars for ln in all_lines if TIMES_FONT.search(ln.font))
    top_lines = [ln for ln in first.lines if ln.box[1] > first.height * 0.6]
    title_size = max((ln.size for ln in top_lines), default=0.0)
    texts = [ln.text for ln in all_lines]
    page_numbers, running_header = _heads_and_feet(facts, block)
    references_page = next(
        (p.number for p in reversed(facts.pages) for ln in p.lines if REFERENCES.match(ln.text.strip())), None
    )
    first_text = " ".join(ln.text for ln in first.lines[:40]).lower()
    return Layout(
        page_size=paper_size(first.width, first.height),
        page_width=first.width,
        page_height=first.height,
        body_font_size=body,
        columns=columns,
        column_lefts=tuple(round(x, 1) for x in lefts),
        column_width=round(column_width, 1),
        column_gap=round(gap, 1),
        text_block=tuple(round(v, 1) for v in block),  # type: ignore[arg-type]
        times_share=round(times / chars, 3),
        title_size=title_size,
        title=" ".join(ln.text for ln in top_lines if ln.size >= title_size - 0.5)[:300],
        page_numbers=page_numbers,
        running_header=running_header,
        abstract_dash=any(ABSTRACT_DASH.match(t) for t in texts),
        abstract_heading=any(t.strip().upper() == "ABSTRACT" for t in texts),
        index_terms=any(INDEX_TERMS.match(t) for t in texts),
        roman_headings=sum(1 for t in texts if ROMAN_HEADING.match(t)),
        arabic_upper_headings=sum(1 for t in texts if ARABIC_UPPER_HEADING.match(t.strip())),
        references_heading_page=references_page,
        template_sample=any(s in first_text for s in ("use style: paper title", "bare demo of ieeetran",
                                                     "conference paper title*", "identify applicable funding")),
    )
