"""One analysis of a submission's paper, shared by the five paper checks (computed once per tree)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.analysis.paper.bounded import read_ink, read_pdfs, render_pages
from grader.analysis.paper.candidates import Candidate, content_score, name_score
from grader.analysis.paper.facts import Box, PdfFacts
from grader.analysis.paper.latex import LatexSource, disagreement, find_sources, source_for
from grader.analysis.paper.layout import Layout, measure
from grader.analysis.paper.margins import Violation, allowed_block, beyond, find_violations, judged_objects, visible
from grader.analysis.paper.pages import PageCount, count_pages
from grader.analysis.paper.template import TemplateVerdict, classify
from grader.files import SubmissionTree, UnsafePathError
from grader.models import Submission

#: Below this score the best candidate does not look like a paper at all (a one-page figure, slides...).
PLAUSIBLE_SCORE = -2.0
#: PDFs opened at most per submission, picked by the cheap name ranking (score sheets, cited papers...).
MAX_PDFS = 30


@dataclass(frozen=True)
class PaperAnalysis:
    """The chosen paper and everything measured about it; `problem` says why there is no usable paper."""

    path: str | None
    candidates: tuple[Candidate, ...]
    facts: PdfFacts | None = None
    layout: Layout | None = None
    verdict: TemplateVerdict | None = None
    count: PageCount | None = None
    violations: tuple[Violation, ...] = ()
    #: The block the margins are judged against (published geometry where the family is known).
    margin_block: Box | None = None
    latex: LatexSource | None = None
    latex_mismatch: str | None = None
    problem: str | None = None


def describe_error(facts: PdfFacts) -> str:
    """A sentence a student understands for a PDF that could not be read."""
    messages = {
        "not-pdf": "is not a PDF " + {"html": "(it is an HTML page saved as .pdf)", "empty": "(the file is empty)"}.get(
            facts.detail, "(it does not start with a %PDF header)"),
        "password": "is encrypted with a user password, so nobody can read it without the password",
        "corrupt": f"is truncated or corrupt ({facts.detail})",
        "limit": f"could not be read within the grader's limits: {facts.detail}",
        "too-large": f"is too large to read ({facts.detail})",
        "unreadable": f"cannot be read ({facts.detail})",
    }
    return f"{facts.path} " + messages.get(facts.error or "", f"cannot be read ({facts.error})")


def _pdf_paths(tree: SubmissionTree, submission: Submission, patterns: tuple[str, ...]) -> tuple[list[str], str | None]:
    if submission.paper:
        rel = submission.paper.strip("/")
        if tree.exists(rel) and rel in tree.files():
            return [rel], None
        return [], f"the roster names the paper {submission.paper!r}, but no such file is in the submission"
    if patterns:
        return tree.glob(*patterns), None
    return tree.with_suffix(".pdf"), None


def analyse_paper(
    tree: SubmissionTree, submission: Submission, patterns: tuple[str, ...] = (), max_pdfs: int = MAX_PDFS
) -> PaperAnalysis:
    """Find the paper among the submission's PDFs and measure it."""
    paths, problem = _pdf_paths(tree, submission, patterns)
    if not paths:
        return PaperAnalysis(None, (), problem=problem or "no PDF in the submission")
    sized = []
    for rel in paths:
        try:
            sized.append((rel, tree.size(rel)))
        except (OSError, UnsafePathError):
            continue
    ranked = sorted(sized, key=lambda item: (-name_score(*item)[0], item[0]))
    opened: list[tuple[Candidate, PdfFacts, Layout | None, TemplateVerdict]] = []
    skipped = [Candidate(rel, name_score(rel, size)[0], ("not opened: over the limit of PDFs read",))
               for rel, size in ranked[max_pdfs:]]
    chosen = ranked[:max_pdfs]
    all_facts = read_pdfs([(tree.abspath(rel), rel) for rel, _ in chosen])
    for (rel, size), facts in zip(chosen, all_facts, strict=True):
        layout = measure(facts) if facts.error is None and facts.pages else None
        verdict = classify(facts, layout)
        first, why_name = name_score(rel, size)
        second, why_content = content_score(facts, layout, verdict.family)
        opened.append((Candidate(rel, first + second, tuple(why_name + why_content)), facts, layout, verdict))
    best = max(opened, key=lambda item: item[0].score)
    candidate, facts, layout, verdict = best
    candidates = tuple(
        Candidate(c.path, c.score, c.reasons, chosen=c is candidate)
        for c in sorted([o[0] for o in opened] + skipped, key=lambda c: -c.score)
    )
    if candidate.score < PLAUSIBLE_SCORE and facts.error is None:
        why = f"none of the {len(candidates)} PDFs looks like a paper (best: {candidate.path}: "
        return PaperAnalysis(None, candidates, problem=why + "; ".join(candidate.reasons) + ")")
    if facts.error is not None or layout is None:
        return PaperAnalysis(candidate.path, candidates, facts=facts, verdict=verdict,
                             problem=describe_error(facts) if facts.error else None)
    block = allowed_block(layout, verdict.style if verdict.decided_by == "geometry" else None)
    violations = _violations(tree.abspath(candidate.path), facts, layout, block) if verdict.family != "no-text" else []
    sources = find_sources(tree)
    source = source_for(sources, candidate.path)
    mismatch = disagreement(source, verdict.family, layout.page_size, layout.title) if source else None
    return PaperAnalysis(
        path=candidate.path,
        candidates=candidates,
        facts=facts,
        layout=layout,
        verdict=verdict,
        count=count_pages(facts, layout),
        violations=tuple(violations),
        margin_block=block,
        latex=source,
        latex_mismatch=mismatch,
    )


def _violations(abspath: Path, facts: PdfFacts, layout: Layout, block: Box) -> list[Violation]:
    """Margin violations as far as ink shows them: figures by the ink inside their declared boxes, text lines by
    the ink past the block edge (one request to the reader for both)."""
    regions: list[tuple[int, Box, list[Box]]] = []
    for page in facts.pages:
        for obj in judged_objects(page, block):
            masks = [ln.box for ln in page.lines if ln.box[0] < obj.box[2] and ln.box[2] > obj.box[0]
                     and ln.box[1] < obj.box[3] and ln.box[3] > obj.box[1]]
            regions.append((page.number, obj.box, masks))
    objects = len(regions)
    lines = [v for v in find_violations(facts, layout, block) if v.what.startswith(("text line", "a table row"))]
    regions += [(v.page, beyond(v, block), []) for v in lines]
    inks = read_ink(abspath, regions)
    if inks is None:  # the reader could not say: judge by the boxes
        return find_violations(facts, layout, block)
    ink = {(page, box): found for (page, box, _), found in zip(regions[:objects], inks[:objects], strict=True)}
    shown = {(v.page, v.box, v.side): visible(v, block, found) for v, found in zip(lines, inks[objects:], strict=True)}
    result = []
    for violation in find_violations(facts, layout, block, ink):
        key = (violation.page, violation.box, violation.side)
        if key in shown:
            checked = shown[key]
            if checked is not None:
                result.append(checked)
        else:
            result.append(violation)
    return result


def page_images(tree: SubmissionTree, analysis: PaperAnalysis, artifacts_dir: Path) -> list[str]:
    """Thumbnails of the chosen paper under artifacts_dir/paper/, margin violations boxed in red."""
    if analysis.path is None or analysis.facts is None or analysis.facts.error is not None:
        return []
    marks: dict[int, list[tuple[float, float, float, float]]] = {}
    for violation in analysis.violations:
        marks.setdefault(violation.page, []).append(violation.box)
    names = render_pages(tree.abspath(analysis.path), artifacts_dir / "paper", marks)
    return [f"paper/{name}" for name in names]
