"""Column detection: one or two columns, each column's left and right edge, from where body lines start and end.

A two-column page has a gutter that no body line crosses; a one-column page has most of its text crossing the
middle. Pages vote with the characters of their body lines, so a page of figures, a short last page or a column
of small-font references cannot out-vote the pages of running text. Edges come from clusters of line starts and
ends pooled over the pages (never from fixed bins), and the leftmost well-supported start wins, so indented and
bulleted lines never move a column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from grader.analysis.paper.facts import PageFacts, TextLine

#: Share of a page's body characters that may cross the gutter of a two-column page (titles, wide equations).
MAX_CROSSING = 0.12
#: Body lines a page needs before it votes at all.
MIN_VOTING_LINES = 6
#: Where a gutter is looked for, as shares of the page width.
GUTTER_WINDOW = (0.33, 0.67)
#: Points line ends may differ and still be one edge (justified text ends within a point; kerning adds a little).
EDGE_SLACK = 2.0


@dataclass(frozen=True)
class Columns:
    """The columns of a paper: how many, and each column's (left, right) edge in points."""

    count: int
    edges: tuple[tuple[float, float], ...]
    #: The x coordinate of the gutter between two columns (None for one column).
    gutter: float | None
    #: Body characters on pages that voted for one and for two columns.
    votes: tuple[int, int]

    @property
    def width(self) -> float:
        """The mean column width."""
        return sum(r - left for left, r in self.edges) / len(self.edges) if self.edges else 0.0

    @property
    def gap(self) -> float:
        """Space between the first column's right edge and the second's left edge (0 for one column)."""
        return self.edges[1][0] - self.edges[0][1] if len(self.edges) >= 2 else 0.0


def _coverage_minimum(lines: list[TextLine], low: float, high: float) -> tuple[int, float]:
    """The fewest characters of lines crossing any x in [low, high], and the middle of the widest such run."""
    events = sorted([(ln.box[0] + EDGE_SLACK, ln.chars) for ln in lines]
                    + [(ln.box[2] - EDGE_SLACK, -ln.chars) for ln in lines])
    covered, x = 0, low
    best: int | None = None
    span = (low, low)
    for position, delta in [*events, (high, 0)]:
        position = min(max(position, low), high)
        if position > x:
            if best is None or covered < best or (covered == best and position - x > span[1] - span[0]):
                best, span = covered, (x, position)
            x = position
        covered += delta
    return (best or 0), (span[0] + span[1]) / 2


def page_gutter(lines: list[TextLine], page_width: float) -> tuple[float | None, int]:
    """The gutter of one page (None when its body text crosses the middle) and the characters that voted."""
    chars = sum(line.chars for line in lines)
    if len(lines) < MIN_VOTING_LINES or chars == 0:
        return None, 0
    crossing, gutter = _coverage_minimum(lines, GUTTER_WINDOW[0] * page_width, GUTTER_WINDOW[1] * page_width)
    return (gutter if crossing <= MAX_CROSSING * chars else None), chars


def edge(values: list[float], leftmost: bool) -> float:
    """The outermost edge shared by a fair number of lines (indented, centred and short lines lie inside it; a few
    overfull lines outside it), as the median of the line ends near it."""
    counts = Counter(round(v) for v in values)
    if not counts:
        return 0.0
    smoothed = {x: counts[x - 1] + counts[x] + counts[x + 1] for x in counts}
    strongest = max(smoothed.values())
    candidates = sorted(x for x, n in smoothed.items() if n >= max(3, 0.25 * strongest))
    if not candidates:
        candidates = [max(smoothed, key=lambda x: smoothed[x])]
    chosen = candidates[0] if leftmost else candidates[-1]
    near = sorted(v for v in values if abs(v - chosen) <= 1.5)
    return near[len(near) // 2]


def detect(pages: list[tuple[PageFacts, list[TextLine]]]) -> Columns:
    """Columns of a paper from (page, body lines of that page) pairs."""
    one = two = 0
    gutters: list[tuple[float, list[TextLine]]] = []
    singles: list[TextLine] = []
    for page, lines in pages:
        gutter, chars = page_gutter(lines, page.width)
        if gutter is None:
            one += chars
            singles += lines
        else:
            two += chars
            gutters.append((gutter, lines))
    if one == two == 0:
        pooled = [ln for _, lines in pages for ln in lines]
        if not pooled:
            return Columns(0, (), None, (0, 0))
        return Columns(1, ((edge([ln.box[0] for ln in pooled], True), edge([ln.box[2] for ln in pooled], False)),),
                       None, (0, 0))
    if one >= two:
        return Columns(1, ((edge([ln.box[0] for ln in singles], True), edge([ln.box[2] for ln in singles], False)),),
                       None, (one, two))
    # Each page is split at its own gutter: a page whose right column holds only figures has a gutter run
    # reaching far right, which must not move the split of the others.
    left = [ln for g, lines in gutters for ln in lines if ln.box[2] <= g + EDGE_SLACK]
    right = [ln for g, lines in gutters for ln in lines if ln.box[0] >= g - EDGE_SLACK]
    edges = tuple((edge([ln.box[0] for ln in side], True), edge([ln.box[2] for ln in side], False))
                  for side in (left, right) if side)
    gutter = (edges[0][1] + edges[1][0]) / 2 if len(edges) == 2 else sorted(g for g, _ in gutters)[len(gutters) // 2]
    return Columns(len(edges), edges, round(gutter, 1), (one, two))
