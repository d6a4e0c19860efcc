"""The published geometry of the two-column templates a paper is compared with, in PDF points (1/72 in).

Figures come from the class and style files themselves (\\textwidth, \\columnsep, \\textheight, margins), converted
from TeX points (1/72.27 in): IEEEtran.cls and acmart.cls as shipped by TeX Live, article.cls for the generic
two-column article, spconf.sty (IEEE SPS: ICASSP, ICIP), INTERSPEECH2021.sty and its predecessors, cvpr.sty /
iccv.sty, icml20xx.sty and acl.sty. A column is (width, gap); a style may have several (paper sizes, versions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from grader.analysis.paper.headings import HeadingStyle

#: Coarse families (the rubric's historic ids) and the named styles within "other-two-column".
TemplateFamily = Literal[
    "ieeetran-conference", "ieeetran-journal", "ieee-spconf", "other-two-column", "one-column", "no-text",
    "ieeetran-technote", "cvpr", "interspeech", "acl", "acm-sigconf", "icml", "article-two-column",
]


@dataclass(frozen=True)
class Style:
    """One template's published geometry and the marks it prints."""

    id: TemplateFamily
    #: The coarse family a paper in this style belongs to.
    family: TemplateFamily
    name: str
    columns: tuple[tuple[float, float], ...]
    text_height: float
    #: The text block's top-left corner, measured from the page's top-left corner, per paper size the style
    #: fixes it for (styles that centre the block on any paper have none).
    origins: tuple[tuple[str, float, float], ...]
    title_size: tuple[float, float]
    body_size: tuple[float, float]
    headings: tuple[HeadingStyle, ...]
    #: "none" when a running head or page number at the top contradicts the style (IEEEtran conference; a journal's
    #: can be switched off, so its taller block decides there); None when either is common.
    heads: str | None = None

    @property
    def text_width(self) -> float:
        """Width of the text block for the first column geometry."""
        width, gap = self.columns[0]
        return 2 * width + gap

    def origin(self, page_size: str) -> tuple[float, float] | None:
        """(left, top) of the text block from the page's top-left corner on this paper size, where published."""
        return next(((left, top) for size, left, top in self.origins if size == page_size), None)


STYLES: tuple[Style, ...] = (
    Style("ieeetran-conference", "ieeetran-conference", "IEEEtran conference", ((251.1, 12.0), (252.0, 18.0)),
          669.5, (("letter", 49.0, 47.0), ("a4", 40.6, 47.0)), (18.0, 30.0), (8.5, 12.5), ("roman",), "none"),
    Style("ieeetran-journal", "ieeetran-journal", "IEEEtran journal", ((251.1, 12.0),),
          693.4, (("letter", 49.0, 52.5), ("a4", 40.6, 52.5)), (17.0, 30.0), (8.5, 12.5), ("roman",)),
    Style("ieeetran-technote", "ieeetran-journal", "IEEEtran technote", ((251.1, 12.0),),
          693.4, (("letter", 49.0, 52.5), ("a4", 40.6, 52.5)), (9.0, 16.0), (8.5, 12.5), ("roman",)),
    Style("ieee-spconf", "ieee-spconf", "IEEE SPS spconf (ICASSP)", ((243.8, 17.0),),
          649.1, (("letter", 54.4, 72.0), ("a4", 54.4, 72.0)), (11.0, 13.0), (8.5, 10.5), ("arabic-upper",)),
    Style("cvpr", "other-two-column", "CVPR / ICCV / WACV", ((236.3, 22.5),),
          639.0, (), (13.5, 15.5), (9.5, 10.5), ("arabic",)),
    Style("interspeech", "other-two-column", "Interspeech", ((226.8, 28.3), (236.7, 22.7)),
          666.1, (("a4", 57.6, 74.0),), (13.5, 15.5), (8.5, 9.5), ("arabic",)),
    Style("acl", "other-two-column", "ACL (*ACL, EMNLP)", ((218.3, 17.0),),
          700.2, (("a4", 70.9, 70.9),), (14.0, 16.0), (10.5, 11.5), ("arabic-plain",)),
    Style("acm-sigconf", "other-two-column", "ACM sigconf (acmart)", ((240.3, 23.9),),
          623.7, (("letter", 53.8, 83.7),), (13.5, 18.0), (8.5, 9.5), ("arabic-plain-upper",)),
    Style("icml", "other-two-column", "ICML", ((234.0, 18.0),),
          648.0, (), (13.5, 15.5), (9.5, 10.5), ("arabic",)),
    Style("article-two-column", "other-two-column", "LaTeX article, twocolumn", ((228.7, 10.0), (220.2, 10.0)),
          547.9, (), (16.0, 18.0), (9.5, 12.5), ("arabic-plain",)),
)
STYLE_IDS: frozenset[str] = frozenset(style.id for style in STYLES)

#: Points the measured column width and gap may differ from a style's before the geometry no longer matches
#: (measured lines end within about a point of the published edges; scaled figures and kerning add the rest).
GEOMETRY_TOLERANCE = 4.0
#: Points the measured text block's height (highest to lowest line of text over all pages) may differ from the
#: published \textheight: IEEEtran conference and journal share their columns and differ here by 24 pt.
HEIGHT_TOLERANCE = 12.0
#: Points a mismatched secondary mark (title size, body size, heading numbering, running head) costs a style.
MARK_COST = 2.5


@dataclass(frozen=True)
class StyleMatch:
    """How far a paper's measured layout is from one style: geometry in points, and the marks that differ."""

    style: Style
    distance_pt: float
    mismatches: tuple[str, ...]

    @property
    def score(self) -> float:
        """Geometry distance plus a cost per differing mark: lower is closer."""
        return self.distance_pt + MARK_COST * len(self.mismatches)


def geometry_distance(style: Style, width: float, gap: float) -> float:
    """The largest difference (points) between the measured column width / gap and the style's nearest variant."""
    return min(max(abs(width - w), abs(gap - g)) for w, g in style.columns)


def _mismatches(style: Style, title: float, body: float, heading: HeadingStyle | None, heads: str,
                height: float | None) -> list[str]:
    marks = []
    if height is not None and abs(height - style.text_height) > HEIGHT_TOLERANCE:
        marks.append(f"text block {height:.0f} pt tall, not {style.text_height:.0f} pt")
    if not style.title_size[0] <= title <= style.title_size[1]:
        marks.append(f"title at {title:g} pt, not {style.title_size[0]:g}-{style.title_size[1]:g} pt")
    if not style.body_size[0] <= body <= style.body_size[1]:
        marks.append(f"body text at {body:g} pt, not {style.body_size[0]:g}-{style.body_size[1]:g} pt")
    if heading is not None and heading not in style.headings:
        marks.append(f"{heading} section numbering, not {' or '.join(style.headings)}")
    if style.heads == "none" and heads == "top":
        marks.append("page numbers or a running head at the top")
    return marks


def rank(width: float, gap: float, title: float, body: float, heading: HeadingStyle | None, heads: str,
         height: float | None = None) -> list[StyleMatch]:
    """Every style, closest first (`height` is the measured text block's, None when too few pages show it)."""
    matches = [StyleMatch(style, round(geometry_distance(style, width, gap), 1),
                          tuple(_mismatches(style, title, body, heading, heads, height))) for style in STYLES]
    return sorted(matches, key=lambda m: (m.distance_pt > GEOMETRY_TOLERANCE, m.score))
