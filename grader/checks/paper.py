"""Paper checks: find the paper PDF, pages, template, fonts, margins."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field

from grader.analysis.paper.analysis import MAX_PDFS, PaperAnalysis, analyse_paper, page_images
from grader.analysis.paper.template import TemplateFamily, changed_margins
from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, finding
from grader.models import CheckResult, Finding, Measurement, Severity, Status

#: Drawing objects on one page beyond which a vector figure is called huge (a scatter plot of every sample).
HEAVY_PAGE_OBJECTS = 20_000


class PaperOptions(CheckOptions):
    """Where the paper is: globs restricting the candidates (the roster's paper path overrides them)."""

    paths: tuple[str, ...] = Field((), description="globs of PDFs that may be the paper (default: every PDF)")
    max_pdfs: int = Field(default=MAX_PDFS, ge=1, le=500, description="most PDFs opened to find the paper")


class PaperPagesOptions(PaperOptions):
    """Page limit and whether a references-only extra page is allowed."""

    limit: int = Field(default=4, ge=1, description="most pages the paper may have")
    allow_references_page: bool = Field(
        False, description="trailing pages holding only references do not count against the limit")
    acknowledgements_on_references_page: bool = Field(
        False, description="acknowledgements may open the references-only page (ICASSP's rule in some years)")


class PaperTemplateOptions(PaperOptions):
    """Families that pass, and families that pass with a warning."""

    accepted: tuple[TemplateFamily, ...] = Field(
        ("ieeetran-conference",), description="template families (or named styles, e.g. acl) that pass")
    accepted_with_warning: tuple[TemplateFamily, ...] = Field(
        ("ieee-spconf",), description="template families (or named styles) that pass with a warning")


#: The options of any paper check.
PO = TypeVar("PO", bound=PaperOptions)


def _analysis(ctx: CheckContext, options: PaperOptions) -> PaperAnalysis:
    key = f"paper.analysis:{options.paths}:{options.max_pdfs}:{ctx.submission.paper}"
    return ctx.tree.memo(key, lambda: analyse_paper(ctx.tree, ctx.submission, options.paths, options.max_pdfs))


class _PaperCheck(Check[PO]):
    """Shared plumbing: the analysis, and the result when there is no readable paper."""

    def analysis(self, ctx: CheckContext) -> PaperAnalysis:
        """The submission's paper analysis, computed once for all paper checks."""
        return _analysis(ctx, self.options)

    def no_paper(self, analysis: PaperAnalysis) -> CheckResult:
        """Failed (or skipped when there is no PDF at all): nothing to measure."""
        why = analysis.problem or "no readable paper"
        return self.result(Status.FAILED, 0.0, why, {"path": analysis.path},
                           [finding(f"{why}: {paper_advice(analysis)}", analysis.path)])


#: What to do about a paper PDF that could not be read, by the reader's error code.
_UNREADABLE_ADVICE = {
    "not-pdf": "export the paper as a real PDF (LaTeX's or Overleaf's output, not a saved web page) and commit that",
    "password": "commit a copy of the PDF without a password",
    "corrupt": "commit the PDF again from a fresh compile (check that it opens, and that git LFS did not replace it "
               "with a pointer)",
}


def paper_advice(analysis: PaperAnalysis) -> str:
    """One sentence saying how to give the grader a readable paper, by why there is none."""
    error = analysis.facts.error if analysis.facts is not None else None
    if error is not None:
        return _UNREADABLE_ADVICE.get(error, "export the PDF again from its source and commit that copy")
    if analysis.problem and "roster names" in analysis.problem:
        return "commit the paper at that path, or tell the lecturer where it is"
    if analysis.candidates:
        return ("commit the paper itself as a PDF (e.g. paper/paper.pdf), compiled from your LaTeX source, next to "
                "the other PDFs")
    return "commit the paper as a PDF (e.g. paper/paper.pdf); the grader reads the compiled PDF, not the LaTeX source"


class PaperPresentCheck(_PaperCheck[PaperOptions]):
    """The paper PDF is in the submission and readable."""

    id = "paper.present"
    title = "Paper PDF present"
    description = "Finds the paper among every PDF (ranked on names, layout, abstract, page count) and reads it."

    def run(self, ctx: CheckContext) -> CheckResult:
        """Pass when a readable paper was found; list every candidate with why it was or was not chosen."""
        analysis = self.analysis(ctx)
        candidates: list[Measurement] = [
            {"path": c.path, "score": round(c.score, 2), "chosen": c.chosen, "reasons": list(c.reasons)}
            for c in analysis.candidates
        ]
        measurements: dict[str, Measurement] = {"path": analysis.path, "candidates": candidates}
        if analysis.facts is not None:
            measurements["encryption"] = analysis.facts.encryption
        if analysis.path is None or analysis.problem is not None or analysis.facts is None:
            why = analysis.problem or "no readable paper"
            return self.result(Status.FAILED, 0.0, why, measurements,
                               [finding(f"{why}: {paper_advice(analysis)}", analysis.path)])
        findings = []
        if analysis.verdict is not None and analysis.verdict.family == "no-text":
            findings.append(finding(f"{analysis.path} has no text layer (a scan or images only)", analysis.path,
                                    severity=Severity.WARNING))
        for page in analysis.facts.pages:
            if page.object_count > HEAVY_PAGE_OBJECTS:
                findings.append(finding(
                    f"page {page.number} draws {page.object_count} vector objects (a huge figure): it is slow to "
                    "open and print; export that figure as a bitmap", analysis.path, severity=Severity.WARNING))
        if analysis.facts.encryption != "none":
            findings.append(finding(f"{analysis.path} is encrypted (opens without a password)", analysis.path,
                                    severity=Severity.INFO))
        return self.result(Status.PASSED, 1.0, f"paper: {analysis.path}", measurements, findings)


class PaperPagesCheck(_PaperCheck[PaperPagesOptions]):
    """The paper keeps to the page limit."""

    id = "paper.pages"
    title = "Paper page limit"
    description = ("Counts pages against the limit; trailing references-only pages (however many) and the "
                   "acknowledgements' page are reported separately.")

    def run(self, ctx: CheckContext) -> CheckResult:
        """Pass when pages (or content pages, if a references-only page is allowed) are within the limit."""
        options = self.options
        analysis = self.analysis(ctx)
        if analysis.count is None:
            return self.no_paper(analysis)
        count = analysis.count
        content = count.content_pages
        if options.acknowledgements_on_references_page and count.content_pages_acknowledgements_allowed is not None:
            content = count.content_pages_acknowledgements_allowed
        measurements: dict[str, Measurement] = {
            "path": analysis.path,
            "pages": count.pages,
            "content_pages": content,
            "references_only_last_page": count.pages > content,
            "references_only_pages": list(range(content + 1, count.pages + 1)),
            "references_page": count.references_page,
            "acknowledgements_page": count.acknowledgements_page,
            "limit": options.limit,
            "allow_references_page": options.allow_references_page,
        }
        if ctx.artifacts_dir is not None:
            artifacts: Path = ctx.artifacts_dir
            measurements["page_images"] = list(
                ctx.tree.memo("paper.images", lambda: tuple(page_images(ctx.tree, analysis, artifacts)))
            )
        counted = content if options.allow_references_page else count.pages
        trailing = count.pages - content
        extra = {0: "", 1: " + a references-only page"}.get(trailing, f" + {trailing} references-only pages")
        summary = f"{count.pages} pages ({content} of content{extra}), limit {options.limit}"
        if counted <= options.limit:
            return self.result(Status.PASSED, 1.0, summary, measurements)
        over = counted - options.limit
        message = f"{analysis.path} has {counted} counted pages, {over} over the limit of {options.limit}"
        if trailing and not options.allow_references_page:
            held = "page holds" if trailing == 1 else f"{trailing} pages hold"
            message += f" (the last {held} only references; this rubric counts {'it' if trailing == 1 else 'them'})"
        allowed = count.content_pages_acknowledgements_allowed
        if options.allow_references_page and allowed is not None and allowed < content:
            message += (f" (page {count.acknowledgements_page} would be a references page but opens with the "
                        "acknowledgements, which this rubric counts as content)")
        message += (f"; cut {over} page(s): shorten the text, shrink or drop figures and tables, or move detail "
                    "to the repository's README")
        return self.result(Status.FAILED, max(0.0, 1.0 - over / options.limit), summary, measurements,
                           [finding(message, analysis.path)])


class PaperTemplateCheck(_PaperCheck[PaperTemplateOptions]):
    """The paper uses an accepted template family, measured from the PDF itself."""

    id = "paper.template"
    title = "Paper template"
    description = ("Decides the family from the measured geometry (IEEEtran conference/journal, IEEE SPS/ICASSP, "
                   "CVPR, Interspeech, ACL, ACM, ICML, two-column article, one-column, no text) and names the closest.")

    def run(self, ctx: CheckContext) -> CheckResult:
        """Pass for an accepted family (or named style); report a LaTeX source that disagrees with the PDF."""
        options = self.options
        analysis = self.analysis(ctx)
        verdict = analysis.verdict
        if verdict is None or analysis.facts is None or analysis.facts.error is not None:
            return self.no_paper(analysis)
        measurements: dict[str, Measurement] = {
            "path": analysis.path, "family": verdict.family, "style": verdict.style,
            "decided_by": verdict.decided_by, "distance_pt": verdict.distance_pt, "reasons": list(verdict.reasons),
            **verdict.evidence,
        }
        if analysis.latex is not None:
            measurements["latex_source"] = analysis.latex.path
            measurements["latex_class"] = analysis.latex.latex_class
            measurements["latex_options"] = list(analysis.latex.options)
        findings = _template_findings(analysis)
        named = verdict.family if verdict.style in (None, verdict.family) else f"{verdict.family} ({verdict.style})"
        summary = f"{named}: {verdict.reasons[0]}"
        if {verdict.family, verdict.style} & set(options.accepted):
            return self.result(Status.PASSED, 1.0, summary, measurements, findings)
        if {verdict.family, verdict.style} & set(options.accepted_with_warning):
            findings.append(finding(f"{analysis.path} uses {named}, accepted but not the course template "
                                    f"({', '.join(options.accepted)})", analysis.path, severity=Severity.WARNING))
            return self.result(Status.PASSED, 1.0, summary, measurements, findings)
        findings.append(finding(f"{analysis.path} looks like {named}; expected "
                                f"{' or '.join(options.accepted + options.accepted_with_warning)}: "
                                f"{_template_advice(options.accepted, verdict.family)}", analysis.path))
        return self.result(Status.FAILED, 0.0, summary, measurements, findings)


#: How a student sets a paper in a template family, for the families a rubric can accept.
_TEMPLATE_HOW = {
    "ieeetran-conference": "`\\documentclass[conference]{IEEEtran}` (IEEE's conference template, also on Overleaf)",
    "ieeetran-journal": "`\\documentclass[journal]{IEEEtran}`",
    "ieee-spconf": "spconf.sty, the ICASSP template",
}


def _template_advice(accepted: tuple[str, ...], measured: str) -> str:
    """Which template to set the paper in: the first accepted family, with how (a scan first needs its source)."""
    if measured == "no-text":
        return "commit the PDF compiled from the paper's source: a scan or an image has no text to measure"
    family = accepted[0] if accepted else "ieeetran-conference"
    how = _TEMPLATE_HOW.get(family, f"the {family} template")
    return f"set the paper in {how} without changing its margins, fonts or column layout, and compile it again"


def _template_findings(analysis: PaperAnalysis) -> list[Finding]:
    """Warnings that stand beside the family: a disagreeing LaTeX source, changed margins, fonts."""
    assert analysis.verdict is not None
    findings: list[Finding] = []
    if analysis.latex_mismatch and analysis.latex is not None:
        findings.append(finding(analysis.latex_mismatch, analysis.latex.path, analysis.latex.line, Severity.WARNING))
    changed = changed_margins(analysis.verdict)
    if changed:
        findings.append(finding(f"{analysis.path}: the text block is {', '.join(changed)} than the IEEE "
                                "template's: were the margins changed?", analysis.path, severity=Severity.WARNING))
    findings += [finding(f"{analysis.path}: {warning}", analysis.path, severity=Severity.WARNING)
                 for warning in analysis.verdict.warnings]
    return findings


class PaperFontsCheck(_PaperCheck[PaperOptions]):
    """Every font of the paper is embedded (as IEEE PDF eXpress requires); Type 3 fonts are flagged."""

    id = "paper.fonts"
    title = "Paper fonts embedded"
    description = "Lists fonts that are not embedded (failure) and Type 3 bitmap fonts (warning)."

    def run(self, ctx: CheckContext) -> CheckResult:
        """Fail when a font is not embedded; warn on Type 3 fonts."""
        analysis = self.analysis(ctx)
        facts = analysis.facts
        if facts is None or facts.error is not None:
            return self.no_paper(analysis)
        missing = [f for f in facts.fonts if not f.embedded]
        type3 = [f for f in facts.fonts if f.subtype == "Type3"]
        measurements: dict[str, Measurement] = {
            "path": analysis.path,
            "fonts": len(facts.fonts),
            "not_embedded": [{"name": f.name, "subtype": f.subtype, "pages": list(f.pages)} for f in missing],
            "type3": [{"name": f.name, "pages": list(f.pages)} for f in type3],
        }
        findings = [finding(f"font {f.name} ({f.subtype}) is not embedded (pages {_pages(f.pages)})", analysis.path)
                    for f in missing]
        findings += [finding(f"Type 3 (bitmap) font {f.name} on pages {_pages(f.pages)}: it prints blurred; "
                             "use scalable fonts (e.g. cm-super or lmodern)", analysis.path,
                             severity=Severity.WARNING) for f in type3]
        if facts.font_error:
            findings.append(finding(f"font tables could not be read: {facts.font_error}", analysis.path,
                                    severity=Severity.WARNING))
        if missing:
            findings.append(finding("embed every font: compile with pdfLaTeX (Overleaf does), or rewrite the PDF with "
                                    "`gs -o embedded.pdf -sDEVICE=pdfwrite -dPDFSETTINGS=/prepress "
                                    f"-dEmbedAllFonts=true {analysis.path}` and commit that", analysis.path))
            return self.result(Status.FAILED, 0.0, f"{len(missing)} of {len(facts.fonts)} fonts not embedded",
                               measurements, findings)
        return self.result(Status.PASSED, 1.0, f"all {len(facts.fonts)} fonts embedded"
                           + (f", {len(type3)} Type 3" if type3 else ""), measurements, findings)


class PaperMarginsCheck(_PaperCheck[PaperOptions]):
    """Nothing runs into the margins outside the template's text block."""

    id = "paper.margins"
    title = "Paper margins"
    description = ("Visible ink of text lines, figures and tables outside the template's text block, per page and "
                   "side, with how far it runs; running heads and review line numbers are the template's own.")

    def run(self, ctx: CheckContext) -> CheckResult:
        """Fail when the ink of any text line, figure or table passes the text block by more than the tolerance."""
        analysis = self.analysis(ctx)
        layout = analysis.layout
        if layout is None or analysis.facts is None:
            return self.no_paper(analysis)
        if analysis.verdict is not None and analysis.verdict.family == "no-text":
            return self.skipped("the paper has no text layer, so its text block cannot be measured",
                                {"path": analysis.path})
        violations: list[Measurement] = [
            {"page": v.page, "side": v.side, "distance_pt": v.distance_pt, "kind": v.kind, "what": v.what,
             "box": list(v.box)}
            for v in analysis.violations
        ]
        block = analysis.margin_block or layout.text_block
        measurements: dict[str, Measurement] = {
            "path": analysis.path, "violations": violations, "text_block_pt": [round(v, 1) for v in block],
            "measured_text_block_pt": list(layout.text_block), "review_mode": bool(layout.review_pages),
            "review_mode_pages": list(layout.review_pages),
        }
        findings = []
        if layout.review_pages:
            findings.append(finding(f"{analysis.path} is a review-mode version: line numbers in the margins on pages "
                                    f"{_pages(layout.review_pages)} (ignored here); hand in the final version",
                                    analysis.path, severity=Severity.WARNING))
        if not violations:
            return self.result(Status.PASSED, 1.0, "nothing runs into the margins", measurements, findings)
        pages = sorted({v.page for v in analysis.violations})
        findings += [finding(f"page {v.page}: {v.what or v.kind} {'run' if v.what[:1].isdigit() else 'runs'} "
                             f"{v.distance_pt:.0f} pt into the {v.side} margin", analysis.path)
                     for v in analysis.violations[:20]]
        findings.append(finding(_margin_advice({v.kind for v in analysis.violations}), analysis.path))
        return self.result(Status.FAILED, max(0.0, 1.0 - 0.25 * len(pages)),
                           f"{len(violations)} {'object runs' if len(violations) == 1 else 'objects run'} into the "
                           f"margins on page{'s' if len(pages) > 1 else ''} {_pages(tuple(pages))}",
                           measurements, findings)


def _margin_advice(kinds: set[str]) -> str:
    """How to bring what runs into the margins back inside the text block, by what it is."""
    fixes = []
    if kinds - {"text", "table"}:
        fixes.append("scale figures to the column (`\\includegraphics[width=\\columnwidth]{...}`, or "
                     "`\\textwidth` in a `figure*`)")
    if "table" in kinds:
        fixes.append("narrow tables (fewer or shorter columns, `\\small`, or `\\resizebox{\\columnwidth}{!}{...}`)")
    if "text" in kinds:
        fixes.append("break overfull lines (long URLs in `\\url{}`, long words with hyphenation hints `\\-`)")
    return "keep everything inside the text block: " + "; ".join(fixes)


def _pages(pages: tuple[int, ...]) -> str:
    return ", ".join(str(p) for p in pages)


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (
    PaperPresentCheck, PaperPagesCheck, PaperTemplateCheck, PaperFontsCheck, PaperMarginsCheck
)
