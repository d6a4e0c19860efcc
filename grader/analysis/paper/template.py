"""Template family of a paper, decided from its measured layout, with the figures it was decided from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import Layout
from grader.models import Measurement

#: The template families a paper can be classified as.
TemplateFamily = Literal[
    "ieeetran-conference", "ieeetran-journal", "ieee-spconf", "other-two-column", "one-column", "no-text"
]
TEMPLATE_FAMILIES: tuple[TemplateFamily, ...] = get_args(TemplateFamily)

#: IEEEtran (and IEEE's Word template): 3.5 in columns, a 0.17-0.25 in gap.
IEEE_COLUMN_WIDTH = (240.0, 262.0)
IEEE_COLUMN_GAP = (8.0, 22.0)
#: IEEEtran conference text block (left, bottom, right, top) measured from pdflatex output; IEEE's Word
#: template lands within a few points of it.
IEEE_TEXT_BLOCK = {"letter": (49.0, 73.4, 563.5, 739.9), "a4": (40.6, 123.3, 555.2, 789.8)}
#: Points the text block may differ from the template's before the margins count as changed.
BLOCK_DRIFT_PT = 8.0
#: Fewer characters than this on the pages read means a scan or a picture, not a paper.
MIN_TEXT_CHARS = 200


@dataclass(frozen=True)
class TemplateVerdict:
    """A family and the evidence behind it."""

    family: TemplateFamily
    reasons: tuple[str, ...]
    evidence: dict[str, Measurement]


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


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


def classify(facts: PdfFacts, layout: Layout | None) -> TemplateVerdict:
    """The family of the paper: IEEE markers and geometry first, then the column count."""
    if layout is None or facts.chars < MIN_TEXT_CHARS or layout.columns == 0:
        return TemplateVerdict("no-text", (f"only {facts.chars} characters of text (a scan or images?)",), {})
    evidence: dict[str, Measurement] = {
        "page_size": layout.page_size,
        "page_width_pt": layout.page_width,
        "page_height_pt": layout.page_height,
        "columns": layout.columns,
        "column_lefts_pt": list(layout.column_lefts),
        "column_width_pt": layout.column_width,
        "column_gap_pt": layout.column_gap,
        "text_block_pt": list(layout.text_block),
        "body_font_size": layout.body_font_size,
        "times_share": layout.times_share,
        "title_size": layout.title_size,
        "page_numbers": layout.page_numbers,
        "running_header": layout.running_header,
        "abstract_dash": layout.abstract_dash,
        "abstract_heading": layout.abstract_heading,
        "index_terms": layout.index_terms,
        "roman_headings": layout.roman_headings,
        "arabic_upper_headings": layout.arabic_upper_headings,
        "references_heading_page": layout.references_heading_page,
    }
    if layout.columns == 1:
        return TemplateVerdict("one-column", ("body text is set in one column",), evidence)
    ieee_markers = layout.roman_headings >= 2 or layout.abstract_dash or layout.index_terms
    ieee_geometry = _within(layout.column_width, IEEE_COLUMN_WIDTH) and _within(layout.column_gap, IEEE_COLUMN_GAP)
    spconf_markers = layout.abstract_heading or layout.arabic_upper_headings >= 2
    expected = IEEE_TEXT_BLOCK.get(layout.page_size)
    if expected is not None and facts.page_count >= 2:
        sides = ("left", "bottom", "right", "top")
        drift: dict[str, Measurement] = {
            side: round(abs(a - b), 1) for side, a, b in zip(sides, layout.text_block, expected, strict=True)
        }
        evidence["template_text_block_pt"] = list(expected)
        evidence["text_block_drift_pt"] = drift
        block = layout.text_block
        evidence["text_block_size_pt"] = [round(block[2] - block[0], 1), round(block[3] - block[1], 1)]
        evidence["template_text_block_size_pt"] = [round(expected[2] - expected[0], 1),
                                                   round(expected[3] - expected[1], 1)]
    evidence["ieee_markers"] = ieee_markers
    evidence["ieee_geometry"] = ieee_geometry
    if ieee_markers and ieee_geometry and layout.roman_headings >= 1:
        if layout.page_numbers == "top" or layout.running_header:
            return TemplateVerdict(
                "ieeetran-journal", ("IEEE markers and geometry with a running head / page numbers at the top",),
                evidence,
            )
        return TemplateVerdict(
            "ieeetran-conference",
            ("two 3.5 in columns, Roman-numeral section headings, IEEE abstract/index-terms markers, no running head",),
            evidence,
        )
    if spconf_markers and layout.times_share >= 0.5 and layout.roman_headings == 0:
        return TemplateVerdict(
            "ieee-spconf", ("two columns in Times, an ABSTRACT heading and numbered upper-case section headings",),
            evidence,
        )
    why = "two columns without the IEEE template's markers and geometry"
    if ieee_markers and not ieee_geometry:
        why = (f"IEEE-style headings, but columns of {layout.column_width:.0f} pt with a {layout.column_gap:.0f} pt "
               "gap do not match the IEEE template")
    return TemplateVerdict("other-two-column", (why,), evidence)
