"""Which PDF is the paper: a cheap ranking on names and sizes, then a ranking on what each PDF contains."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.analysis.paper.facts import PdfFacts
from grader.analysis.paper.layout import Layout

GOOD_NAME = re.compile(r"paper|report|final|manuscript|article|main|submission|ieee|icassp", re.IGNORECASE)
BAD_NAME = re.compile(
    r"poster|slide|presentation|proposal|figure|fig[-_ ]?\d|plot|template|sample|example|bare_(?:conf|jrnl)"
    r"|conference_101719|score|grade|individual|cheat|handout|license|datasheet",
    re.IGNORECASE,
)
BAD_FOLDER = re.compile(
    r"(?:^|/)(?:figures?|figs?|images?|imgs?|plots?|references?|refs|literature|related[-_ ]?work|papers|"
    r"resources|docs?/ref\w*|assets|results|outputs?)/",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """One PDF considered as the paper: its score and the reasons that made it."""

    path: str
    score: float
    reasons: tuple[str, ...]
    chosen: bool = False


def name_score(path: str, size: int) -> tuple[float, list[str]]:
    """Score from the path alone, used to pick the PDFs worth opening."""
    score, reasons = 0.0, []
    name = path.rsplit("/", 1)[-1]
    if GOOD_NAME.search(name):
        score += 3
        reasons.append("name suggests a paper")
    if BAD_NAME.search(name):
        score -= 3
        reasons.append("name suggests a poster, slides, proposal, figure or template")
    folders = path.rsplit("/", 1)[0] if "/" in path else ""
    if GOOD_NAME.search(folders):
        score += 1
        reasons.append("folder name suggests a paper")
    if BAD_NAME.search(folders):
        score -= 2
        reasons.append("folder name suggests something other than the group's paper")
    if BAD_FOLDER.search(path):
        score -= 2
        reasons.append("inside a figures/references folder")
    if size < 15_000:
        score -= 1
        reasons.append("very small file")
    score -= path.count("/") * 0.25
    return score, reasons


def content_score(facts: PdfFacts, layout: Layout | None, family: str) -> tuple[float, list[str]]:
    """Score from what the PDF holds: readable text, two columns, paper markers, plausible length."""
    if facts.error:
        return -10.0, [f"unreadable ({facts.error})"]
    score, reasons = 0.0, []
    if family == "no-text" or layout is None:
        return -4.0, ["no text layer"]
    if layout.columns >= 2:
        score += 3
        reasons.append("two-column text")
    if layout.abstract_dash or layout.abstract_heading:
        score += 2
        reasons.append("has an abstract")
    if layout.references_heading_page is not None:
        score += 1
        reasons.append("has a references section")
    if family.startswith("ieee"):
        score += 2
        reasons.append(f"looks like {family}")
    if facts.page_count == 1:
        score -= 3
        reasons.append("a single page (figure or poster?)")
    elif 2 <= facts.page_count <= 12:
        score += 2
        reasons.append(f"{facts.page_count} pages, plausible for a paper")
    elif facts.page_count > 20:
        score -= 2
        reasons.append(f"{facts.page_count} pages, long for a paper")
    if layout.page_size == "other":
        score -= 2
        reasons.append("not a letter or A4 page (slides?)")
    if layout.template_sample:
        score -= 6
        reasons.append("the template's own sample text")
    return score, reasons
