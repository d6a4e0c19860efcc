"""Template family of a paper, decided from its measured geometry first, with the figures and the rule behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import Layout
from grader.analysis.paper.styles import GEOMETRY_TOLERANCE, Style, StyleMatch, TemplateFamily, rank
from grader.models import Measurement

__all__ = ["TEMPLATE_FAMILIES", "TemplateFamily", "TemplateVerdict", "changed_margins", "classify"]

TEMPLATE_FAMILIES: tuple[TemplateFamily, ...] = get_args(TemplateFamily)
#: IEEEtran conference text block (left, bottom, right, top) measured from pdflatex output; IEEE's Word
#: template lands within a few points of it.
IEEE_TEXT_BLOCK = {"letter": (49.0, 73.4, 563.5, 739.9), "a4": (40.6, 123.3, 555.2, 789.8)}
#: Points the text block may differ from the template's before the margins count as changed.
BLOCK_DRIFT_PT = 8.0
#: Fewer characters than this on the pages read means a scan or a picture, not a paper.
MIN_TEXT_CHARS = 200
#: Share of characters in Computer Modern / Latin Modern above which an IEEE paper is said not to be in Times.
NOT_TIMES_SHARE = 0.5


@dataclass(frozen=True)
class TemplateVerdict:
    """A family, the named style closest to the paper, the rule that decided, and the evidence behind it."""

    family: TemplateFamily
    reasons: tuple[str, ...]
    evidence: dict[str, Measurement]
    #: The closest named style (e.g. "acl" within other-two-column), or None (one column, no text).
    style: TemplateFamily | None = None
    #: Which rule decided: "no-text", "columns", "geometry", "markers" or "no-geometry-match".
    decided_by: str = "columns"
    #: Points between the measured column geometry and the closest style's.
    distance_pt: float | None = None
    #: Things to tell the student although the family stands (fonts, geometry decided by markers).
    warnings: tuple[str, ...] = field(default=())


def changed_margins(verdict: TemplateVerdict) -> list[str]:
    """How an IEEEtran-conference paper's text block is larger or smaller than the template's (a block merely
    shifted by a driver's offset is not a change), e.g. ['taller by 72 pt']."""
    size = verdict.evidence.get("text_block_size_pt")
    expected = verdict.evidence.get("template_text_block_size_pt")
    if verdict.family != "ieeetran-conference" or not isinstance(size, list) or not isinstance(expected, list):
        return []
    changes = []
    for name, (bigger, smaller), got, want in zip(
        ("width", "height"), (("wider", "narrower"), ("taller", "shorter")), size, expected, strict=True
    ):
        if isinstance(got, (int, float)) and isinstance(want, (int, float)) and abs(got - want) > BLOCK_DRIFT_PT:
            changes.append(f"{bigger if got > want else smaller} by {abs(got - want):.0f} pt ({name})")
    return changes


def _evidence(facts: PdfFacts, layout: Layout) -> dict[str, Measurement]:
    """Every figure the decision may use, named as the report shows them."""
    evidence: dict[str, Measurement] = {
        "page_size": layout.page_size, "page_width_pt": layout.page_width, "page_height_pt": layout.page_height,
        "columns": layout.columns, "column_votes_chars": list(layout.column_votes),
        "column_lefts_pt": list(layout.column_lefts), "column_rights_pt": list(layout.column_rights),
        "column_width_pt": layout.column_width, "column_gap_pt": layout.column_gap,
        "text_block_pt": list(layout.text_block), "body_font_size": layout.body_font_size,
        "times_share": layout.times_share, "computer_modern_share": layout.computer_modern_share,
        "main_font": layout.main_font, "title_size": layout.title_size, "page_numbers": layout.page_numbers,
        "running_header": layout.running_header, "abstract_dash": layout.abstract_dash,
        "abstract_heading": layout.abstract_heading, "index_terms": layout.index_terms,
        "heading_style": layout.heading_style, "headings": {style: n for style, n in layout.headings},
        "references_heading_page": layout.references_heading_page, "review_mode_pages": list(layout.review_pages),
    }
    expected = IEEE_TEXT_BLOCK.get(layout.page_size)
    if expected is not None and facts.page_count >= 2:
        block = layout.text_block
        evidence["template_text_block_pt"] = list(expected)
        evidence["text_block_drift_pt"] = {
            side: round(abs(a - b), 1) for side, a, b in zip(("left", "bottom", "right", "top"), block, expected,
                                                             strict=True)
        }
        evidence["text_block_size_pt"] = [round(block[2] - block[0], 1), round(block[3] - block[1], 1)]
        evidence["template_text_block_size_pt"] = [round(expected[2] - expected[0], 1),
                                                   round(expected[3] - expected[1], 1)]
    return evidence


def _geometry_words(layout: Layout) -> str:
    return f"columns {layout.column_width:.0f} pt wide and {layout.column_gap:.0f} pt apart"


def _font_warnings(family: TemplateFamily, layout: Layout) -> tuple[str, ...]:
    """IEEE templates are set in Times; another font is worth a warning, never a different family."""
    if not family.startswith("ieee") or layout.times_share >= NOT_TIMES_SHARE:
        return ()
    font = "Computer Modern / Latin Modern" if layout.computer_modern_share >= NOT_TIMES_SHARE else layout.main_font
    return (f"set in {font}, not Times as the IEEE template is; the geometry matches {family}, so it is accepted "
            "as that family",)


def _by_markers(layout: Layout) -> TemplateFamily | None:
    """An IEEE family from its printed marks alone, for a paper whose margins were changed: every mark must be
    there, so another style's paper never qualifies."""
    ieee = (layout.heading_count("roman") >= 2 and (layout.abstract_dash or layout.index_terms)
            and layout.title_size >= 17)
    if ieee:
        return "ieeetran-journal" if layout.page_numbers == "top" or layout.running_header else "ieeetran-conference"
    spconf = (layout.heading_count("arabic-upper") >= 2 and layout.abstract_heading
              and 11 <= layout.title_size <= 13 and layout.body_font_size <= 10.5)
    return "ieee-spconf" if spconf else None


def _verdict(layout: Layout, best: StyleMatch, evidence: dict[str, Measurement]) -> TemplateVerdict:
    style: Style = best.style
    geometry = _geometry_words(layout)
    if best.distance_pt <= GEOMETRY_TOLERANCE:
        why = (f"{geometry} match {style.name} within {best.distance_pt:.1f} pt"
               + (f" (differs: {'; '.join(best.mismatches)})" if best.mismatches else ""))
        return TemplateVerdict(style.family, (why,), evidence, style.id, "geometry", best.distance_pt,
                               _font_warnings(style.family, layout))
    marked = _by_markers(layout)
    if marked is not None:
        why = (f"{geometry} match no published template (closest: {style.name}, {best.distance_pt:.0f} pt off), "
               f"but every mark of {marked} is printed (numbered headings, abstract, title size)")
        warning = (f"the columns differ from the {marked} template's by {best.distance_pt:.0f} pt: were the margins "
                   "changed?")
        return TemplateVerdict(marked, (why,), evidence, style.id, "markers", best.distance_pt,
                               (warning, *_font_warnings(marked, layout)))
    why = f"two columns, but {geometry} match no IEEE template (closest: {style.name}, {best.distance_pt:.0f} pt off)"
    return TemplateVerdict("other-two-column", (why,), evidence, style.id, "no-geometry-match", best.distance_pt)


def classify(facts: PdfFacts, layout: Layout | None) -> TemplateVerdict:
    """The family of the paper: text at all, then the column count, then the nearest published geometry (title
    size, body size, heading numbering and running heads break ties), then the printed marks."""
    if layout is None or facts.chars < MIN_TEXT_CHARS or layout.columns == 0:
        return TemplateVerdict("no-text", (f"only {facts.chars} characters of text (a scan or images?)",), {},
                               decided_by="no-text")
    evidence = _evidence(facts, layout)
    if layout.columns == 1:
        return TemplateVerdict("one-column", ("body text is set in one column",), evidence)
    block = layout.text_block
    ranking = rank(layout.column_width, layout.column_gap, layout.title_size, layout.body_font_size,
                   layout.heading_style, "top" if layout.page_numbers == "top" or layout.running_header else "none",
                   block[3] - block[1] if facts.page_count >= 2 else None)
    evidence["closest_styles"] = [
        {"style": m.style.id, "distance_pt": m.distance_pt, "differs": list(m.mismatches)} for m in ranking[:3]
    ]
    verdict = _verdict(layout, ranking[0], evidence)
    evidence["decided_by"] = verdict.decided_by
    evidence["style"] = verdict.style
    return verdict
