"""Margin violations: visible ink of text lines, figures and tables reaching outside the paper's text block.

The text block is what the template publishes where the family is known (so a page opening with a figure or a
column of small references cannot shrink it), else what the body text fills. A figure is judged by the ink it
draws, not by its declared box (a plot's white background, an image's blank border). Running heads and feet,
the style's rules above and below the block, page numbers and a review mode's line numbers are the template's
own, not the student's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grader.analysis.paper.facts import Box, PageFacts, PageObject, PdfFacts, TextLine
from grader.analysis.paper.layout import PAGE_NUMBER, Layout, outside_block, review_numbers
from grader.analysis.paper.styles import STYLES

#: Points ink may pass the text block before it counts (kerning, italic overhang, rules drawn on the edge).
TOLERANCE_PT = 4.0
#: A drawn line at most this thick is a rule (a table's, a header's), not a figure.
RULE_PT = 2.0
#: How a student would call each kind of drawn object.
OBJECT_WORDS = {"image": "an image", "form": "an embedded graphic", "path": "a vector drawing", "shading": "a shading"}
#: Points between the first baseline and the top of the block: the glyphs of the first line stop short of the
#: top edge, which floats reach, by about half the body size.
TOP_PAD_SHARE = 0.6


@dataclass(frozen=True)
class Violation:
    """Something that runs into a margin: which page, which side, how far (points), what it is and its ink box."""

    page: int
    side: str
    distance_pt: float
    kind: str
    box: Box
    #: What a student looks for on the page: 'text line "..."', "figure", "table".
    what: str = ""


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def allowed_block(layout: Layout, style_id: str | None) -> Box:
    """The block content may fill: the measured body block (its top raised to where floats start), grown to the
    style's published size where the family is known."""
    measured = layout.text_block
    if measured[2] <= measured[0]:
        return measured
    block: Box = (measured[0], measured[1], measured[2], measured[3] + TOP_PAD_SHARE * layout.body_font_size)
    style = next((s for s in STYLES if s.id == style_id), None)
    if style is None:
        return block
    width, height = style.text_width, style.text_height
    origin = style.origin(layout.page_size)
    if origin is not None and abs(origin[0] - measured[0]) <= 2 * TOLERANCE_PT:
        top = layout.page_height - origin[1]
        return _union(block, (origin[0], top - height, origin[0] + width, top))
    return _union(block, (measured[0], block[3] - height, measured[0] + width, block[3]))


def _overshoot(box: Box, block: Box, vertical: bool) -> list[tuple[str, float]]:
    sides = [("left", block[0] - box[0]), ("right", box[2] - block[2])]
    if vertical:
        sides += [("bottom", block[1] - box[1]), ("top", box[3] - block[3])]
    return [(side, round(d, 1)) for side, d in sides if d > TOLERANCE_PT]


def _wholly_outside(box: Box, block: Box) -> bool:
    return box[1] >= block[3] - TOLERANCE_PT or box[3] <= block[1] + TOLERANCE_PT


def _is_rule(box: Box) -> bool:
    return box[3] - box[1] <= RULE_PT and box[2] - box[0] >= 20


def judged_objects(page: PageFacts, block: Box) -> list[PageObject]:
    """Drawn objects whose declared box passes the block: heads' and feet's rules and page-sized backgrounds
    aside, these are the ones whose ink is worth looking at."""
    area = page.width * page.height
    found = []
    for obj in page.objects:
        box = (max(0.0, obj.box[0]), max(0.0, obj.box[1]), min(page.width, obj.box[2]), min(page.height, obj.box[3]))
        size = (box[2] - box[0]) * (box[3] - box[1])
        if size <= 0 or size > 0.85 * area:
            continue
        if _wholly_outside(box, block) and _is_rule(box):
            continue  # a running head's or foot's rule, drawn by the style
        if _overshoot(box, block, vertical=not _wholly_outside(box, block)):
            found.append(PageObject(obj.kind, box))
    return found


def _in_table(line: TextLine, page: PageFacts) -> bool:
    """A line with a table rule just above or below it across its width."""
    return any(_is_rule(o.box) and o.box[0] <= line.box[2] and o.box[2] >= line.box[0]
               and -30 <= o.box[1] - line.box[3] <= 30 for o in page.objects)


def _text_violations(page: PageFacts, block: Box, layout: Layout) -> list[Violation]:
    review = page.number in layout.review_pages
    numbers = {id(ln) for ln in review_numbers(page, layout.text_block)} if review else set()
    found = []
    for line in page.lines:
        if id(line) in numbers or PAGE_NUMBER.match(line.text):
            continue
        # Heads and feet live outside the block by design; only their sideways reach is judged.
        vertical = not outside_block(line, block)
        for side, distance in _overshoot(line.box, block, vertical):
            kind = "table" if _in_table(line, page) else "text"
            what = f'a table row "{line.text[:40]}"' if kind == "table" else f'text line "{line.text[:40]}"'
            found.append(Violation(page.number, side, distance, kind, line.box, what))
    return found


def _merge(violations: list[Violation]) -> list[Violation]:
    """One violation per figure, table or run of text lines per side: boxes of one drawing overlap or touch,
    and lines of one paragraph or table sit within a line or two of each other."""
    groups: list[list[Violation]] = []
    for violation in violations:
        box = violation.box
        group = next((g for g in groups if g[0].page == violation.page and g[0].side == violation.side
                      and g[0].kind == violation.kind and box[0] <= max(v.box[2] for v in g) + 6
                      and box[2] >= min(v.box[0] for v in g) - 6 and box[1] <= max(v.box[3] for v in g) + 14
                      and box[3] >= min(v.box[1] for v in g) - 14), None)
        if group is None:
            groups.append([violation])
        else:
            group.append(violation)
    merged = []
    for group in groups:
        first, box = group[0], group[0].box
        for other in group[1:]:
            box = _union(box, other.box)
        what = first.what
        if len(group) > 1 and first.kind in ("text", "table") and first.what.startswith(("text line", "a table row")):
            noun = "text lines" if first.kind == "text" else "table rows"
            what = f"{len(group)} {noun} from {first.what.split(' ', 2 if first.kind == 'text' else 3)[-1]}"
        merged.append(Violation(first.page, first.side, max(v.distance_pt for v in group), first.kind, box, what))
    return merged


def beyond(violation: Violation, block: Box) -> Box:
    """The part of a violation's box that lies past the block edge it crosses (plus the tolerance)."""
    # A glyph box can be flatter than its ink (a dash reported with no height): a point of slack around it.
    left, bottom, right, top = (violation.box[0] - 1, violation.box[1] - 1, violation.box[2] + 1, violation.box[3] + 1)
    if violation.side == "right":
        return (block[2] + TOLERANCE_PT, bottom, right, top)
    if violation.side == "left":
        return (left, bottom, block[0] - TOLERANCE_PT, top)
    if violation.side == "top":
        return (left, block[3] + TOLERANCE_PT, right, top)
    return (left, bottom, right, block[1] - TOLERANCE_PT)


def visible(violation: Violation, block: Box, ink: Box | None) -> Violation | None:
    """The violation as far as ink is drawn past the edge (None when nothing visible is there: white or
    hidden text, an invisible text layer)."""
    if ink is None:
        return None
    distance = {"right": ink[2] - block[2], "left": block[0] - ink[0], "top": ink[3] - block[3],
                "bottom": block[1] - ink[1]}[violation.side]
    return Violation(violation.page, violation.side, round(distance, 1), violation.kind, violation.box, violation.what)


def find_violations(
    facts: PdfFacts, layout: Layout, block: Box, ink: Mapping[tuple[int, Box], Box | None] | None = None
) -> list[Violation]:
    """Every text line, figure or table whose ink passes `block`; `ink` maps (page, declared box) of the objects
    from `judged_objects` to their visible ink (None: nothing visible), and objects missing from it are judged
    by their declared box."""
    if block[2] <= block[0]:
        return []
    found: list[Violation] = []
    for page in facts.pages:
        found += _text_violations(page, block, layout)
        for obj in judged_objects(page, block):
            box = (ink or {}).get((page.number, obj.box), obj.box)
            if box is None:
                continue
            kind = "table" if _is_rule(box) else "figure"
            what = "a table rule" if kind == "table" else f"a figure ({OBJECT_WORDS.get(obj.kind, obj.kind)})"
            for side, distance in _overshoot(box, block, vertical=not _wholly_outside(box, block)):
                found.append(Violation(page.number, side, distance, kind, box, what))
    return _merge(found)
