"""Margin violations: text or figures reaching outside the paper's text block, per page, with the box."""

from __future__ import annotations

from dataclasses import dataclass

from grader.analysis.paper.facts import Box, PdfFacts
from grader.analysis.paper.layout import PAGE_NUMBER, Layout, outside_block

#: Points a box may pass the text block before it counts (kerning, italic overhang, rules drawn on the edge).
TOLERANCE_PT = 4.0


@dataclass(frozen=True)
class Violation:
    """Something that runs into a margin: which page, which side, how far (points) and its box."""

    page: int
    side: str
    distance_pt: float
    kind: str
    box: Box


def _clip(box: Box, width: float, height: float) -> Box:
    return (max(0.0, box[0]), max(0.0, box[1]), min(width, box[2]), min(height, box[3]))


def _overshoot(box: Box, block: Box, vertical: bool) -> list[tuple[str, float]]:
    sides = [("left", block[0] - box[0]), ("right", box[2] - block[2])]
    if vertical:
        sides += [("bottom", block[1] - box[1]), ("top", box[3] - block[3])]
    return [(side, round(d, 1)) for side, d in sides if d > TOLERANCE_PT]


def find_violations(facts: PdfFacts, layout: Layout) -> list[Violation]:
    """Every box past the text block; running heads, page numbers and page-sized backgrounds are not faults."""
    block = layout.text_block
    if block[2] <= block[0]:
        return []
    found: list[Violation] = []
    for page in facts.pages:
        area = page.width * page.height
        for line in page.lines:
            # Heads and feet live outside the block by design; only their sideways reach is judged.
            if PAGE_NUMBER.match(line.text):
                continue
            vertical = not outside_block(line, block)
            for side, distance in _overshoot(line.box, block, vertical):
                found.append(Violation(page.number, side, distance, "text", line.box))
        for obj in page.objects:
            box = _clip(obj.box, page.width, page.height)
            size = (box[2] - box[0]) * (box[3] - box[1])
            if size <= 0 or size > 0.85 * area:
                continue
            for side, distance in _overshoot(box, block, vertical=True):
                found.append(Violation(page.number, side, distance, obj.kind, box))
    return found
