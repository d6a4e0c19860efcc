"""The five paper checks end to end on submission folders holding real pdflatex output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.checks.paper import (
    PaperFontsCheck,
    PaperMarginsCheck,
    PaperPagesCheck,
    PaperPresentCheck,
    PaperTemplateCheck,
)
from grader.files import SubmissionTree
from grader.models import Severity, Status
from tests.analysis.paper.handmade import vector_figure_pdf
from tests.harness import MakeTree, run_on

PAPERS = Path(__file__).resolve().parents[1] / "fixtures" / "papers"


def paper(name: str) -> bytes:
    """The bytes of a committed fixture PDF or .tex file."""
    return (PAPERS / name).read_bytes()


def test_present_picks_the_paper_among_posters_figures_and_cited_papers(make_tree: MakeTree) -> None:
    root = make_tree({
        "report/final_paper.pdf": paper("ieee-letter-4.pdf"),
        "poster.pdf": paper("article-onecol.pdf"),
        "figures/spectrogram.pdf": paper("ieee-margin.pdf"),
        "references/cited_icassp_paper.pdf": paper("spconf-a4.pdf"),
        "scan.pdf": paper("scan.pdf"),
    })
    result = run_on(PaperPresentCheck, root)
    assert result.status is Status.PASSED
    assert result.measurements["path"] == "report/final_paper.pdf"
    candidates = result.measurements["candidates"]
    assert isinstance(candidates, list) and len(candidates) == 5
    chosen = [c for c in candidates if isinstance(c, dict) and c["chosen"]]
    assert [c["path"] for c in chosen] == ["report/final_paper.pdf"]  # type: ignore[index]
    figure = next(c for c in candidates if isinstance(c, dict) and c["path"] == "figures/spectrogram.pdf")
    assert "inside a figures/references folder" in figure["reasons"]  # type: ignore[operator]


def test_only_figures_and_slides_is_no_paper(make_tree: MakeTree) -> None:
    root = make_tree({"figures/fig_1.pdf": vector_figure_pdf(100)})
    result = run_on(PaperPresentCheck, root)
    assert result.status is Status.FAILED
    assert result.measurements["path"] is None
    assert result.findings[0].message.startswith("none of the 1 PDFs looks like a paper (best: figures/fig_1.pdf")


def test_roster_paper_path_overrides_discovery(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-letter-4.pdf"), "docs/other.pdf": paper("article-twocol.pdf")})
    result = run_on(PaperPresentCheck, root, paper="docs/other.pdf")
    assert result.measurements["path"] == "docs/other.pdf"
    missing = run_on(PaperPresentCheck, root, paper="nope.pdf")
    assert missing.status is Status.FAILED
    assert "nope.pdf" in missing.findings[0].message


def test_paths_option_restricts_candidates(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-letter-4.pdf"), "submit/x.pdf": paper("ieee-a4-3.pdf")})
    result = run_on(PaperPresentCheck, root, {"paths": ["submit/*.pdf"]})
    assert result.measurements["path"] == "submit/x.pdf"


def test_no_pdf_at_all(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "# hi\n"})
    for check in (PaperPresentCheck, PaperPagesCheck, PaperTemplateCheck, PaperFontsCheck, PaperMarginsCheck):
        result = run_on(check, root)
        assert result.status is Status.FAILED
        assert result.findings[0].message.startswith("no PDF in the submission: commit the paper as a PDF")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("encrypted-password.pdf", "encrypted with a user password"),
        ("truncated.pdf", "truncated or corrupt"),
    ],
)
def test_unreadable_paper_is_a_finding(make_tree: MakeTree, name: str, message: str) -> None:
    root = make_tree({"paper.pdf": paper(name)})
    result = run_on(PaperPresentCheck, root)
    assert result.status is Status.FAILED
    assert message in result.findings[0].message
    assert result.findings[0].path == "paper.pdf"
    assert run_on(PaperPagesCheck, root).status is Status.FAILED


def test_html_named_pdf(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": "<!DOCTYPE html>\n<html><head><title>GitHub</title></head></html>\n"})
    result = run_on(PaperPresentCheck, root)
    assert result.status is Status.FAILED
    assert "HTML page saved as .pdf" in result.findings[0].message


def test_empty_password_is_read(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("encrypted-empty.pdf")})
    result = run_on(PaperPresentCheck, root)
    assert result.status is Status.PASSED
    assert result.measurements["encryption"] == "empty-password"
    assert run_on(PaperPagesCheck, root).measurements["pages"] == 4


def test_scan_passes_present_with_a_warning_and_fails_template(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("scan.pdf")})
    present = run_on(PaperPresentCheck, root)
    assert present.status is Status.PASSED
    assert present.findings[0].severity is Severity.WARNING
    template = run_on(PaperTemplateCheck, root)
    assert (template.status, template.measurements["family"]) == (Status.FAILED, "no-text")
    assert run_on(PaperMarginsCheck, root).status is Status.SKIPPED


@pytest.mark.parametrize(
    ("name", "allow", "status", "pages", "content"),
    [
        ("ieee-letter-4.pdf", False, Status.PASSED, 4, 4),
        ("ieee-letter-5refs.pdf", False, Status.FAILED, 5, 4),
        ("ieee-letter-5refs.pdf", True, Status.PASSED, 5, 4),
        ("ieee-a4-5text.pdf", True, Status.FAILED, 5, 5),
        ("ieee-a4-6.pdf", False, Status.FAILED, 6, 6),
    ],
)
def test_pages(make_tree: MakeTree, name: str, allow: bool, status: Status, pages: int, content: int) -> None:
    root = make_tree({"paper.pdf": paper(name)})
    result = run_on(PaperPagesCheck, root, {"allow_references_page": allow})
    assert result.status is status
    assert result.measurements["pages"] == pages
    assert result.measurements["content_pages"] == content
    assert result.measurements["limit"] == 4
    assert result.measurements["references_only_last_page"] is (pages != content)


def test_pages_limit_option_and_partial_score(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-letter-6.pdf")})
    result = run_on(PaperPagesCheck, root, {"limit": 4})
    assert result.score == pytest.approx(0.5)
    assert run_on(PaperPagesCheck, root, {"limit": 6}).status is Status.PASSED


def test_page_images_written_with_margin_marks(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"paper.pdf": paper("ieee-margin.pdf")})
    artifacts = tmp_path / "out"
    tree = SubmissionTree(root)
    result = run_on(PaperPagesCheck, root, artifacts=artifacts, tree=tree)
    images = result.measurements["page_images"]
    assert images == [f"paper/page-{n}.png" for n in range(1, 5)]
    assert (artifacts / "paper" / "page-1.png").read_bytes().startswith(b"\x89PNG")
    margins = run_on(PaperMarginsCheck, root, tree=tree)
    assert margins.status is Status.FAILED
    violation = margins.measurements["violations"][0]  # type: ignore[index]
    assert (violation["page"], violation["side"]) == (1, "right")  # type: ignore[index]
    message = margins.findings[0].message
    assert re.match(r"page 1: a figure \(a vector drawing\) runs 3\d pt into the right margin", message)


def test_no_page_images_without_artifacts_dir(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-letter-3.pdf")})
    assert "page_images" not in run_on(PaperPagesCheck, root).measurements


@pytest.mark.parametrize(
    ("name", "status", "family", "warned"),
    [
        ("ieee-letter-4.pdf", Status.PASSED, "ieeetran-conference", False),
        ("spconf-a4.pdf", Status.PASSED, "ieee-spconf", True),
        ("ieee-journal.pdf", Status.FAILED, "ieeetran-journal", False),
        ("article-twocol.pdf", Status.FAILED, "other-two-column", False),
        ("article-onecol.pdf", Status.FAILED, "one-column", False),
    ],
)
def test_template(make_tree: MakeTree, name: str, status: Status, family: str, warned: bool) -> None:
    root = make_tree({"paper.pdf": paper(name)})
    result = run_on(PaperTemplateCheck, root)
    assert (result.status, result.measurements["family"]) == (status, family)
    assert any(f.severity is Severity.WARNING for f in result.findings) is warned
    assert result.measurements["page_size"] in ("letter", "a4")


def test_template_warns_on_changed_margins(make_tree: MakeTree) -> None:
    squeezed = run_on(PaperTemplateCheck, make_tree({"paper.pdf": paper("ieee-squeezed.pdf")}))
    assert squeezed.measurements["family"] == "ieeetran-conference"
    drift = squeezed.measurements["text_block_drift_pt"]
    assert isinstance(drift, dict)
    assert drift == {"left": pytest.approx(0.0, abs=1), "bottom": pytest.approx(36.0, abs=1),
                     "right": pytest.approx(0.0, abs=1), "top": pytest.approx(36.0, abs=1)}
    warning = next(f for f in squeezed.findings if "margins changed" in f.message)
    assert "taller by 72 pt (height)" in warning.message
    assert squeezed.measurements["text_block_size_pt"] == [pytest.approx(514.5, abs=1), pytest.approx(738.5, abs=1)]
    clean = run_on(PaperTemplateCheck, make_tree({"paper.pdf": paper("ieee-a4-4.pdf")}))
    assert not [f for f in clean.findings if "margins changed" in f.message]


def test_template_accepted_option(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-journal.pdf")})
    result = run_on(PaperTemplateCheck, root, {"accepted": ["ieeetran-conference", "ieeetran-journal"]})
    assert result.status is Status.PASSED


def test_latex_source_is_evidence_and_a_stale_pdf_is_reported(make_tree: MakeTree) -> None:
    root = make_tree({
        "paper/main.pdf": paper("article-onecol.pdf"),
        "paper/main.tex": "% comment \\documentclass{article}\n\\documentclass[conference]{IEEEtran}\n",
    })
    result = run_on(PaperTemplateCheck, root)
    assert result.measurements["latex_class"] == "IEEEtran"
    assert result.measurements["latex_options"] == ["conference"]
    stale = [f for f in result.findings if f.path == "paper/main.tex"]
    assert stale and stale[0].line == 2 and "stale" in stale[0].message


def test_latex_source_that_agrees_gives_no_warning(make_tree: MakeTree) -> None:
    root = make_tree({"ieee-letter-4.pdf": paper("ieee-letter-4.pdf"), "ieee-letter-4.tex": paper("ieee-letter-4.tex")})
    result = run_on(PaperTemplateCheck, root)
    assert result.measurements["latex_source"] == "ieee-letter-4.tex"
    assert result.findings == ()


@pytest.mark.parametrize(
    ("title", "stale"),
    [
        ("Audio Event Detection with Small \\emph{Convolutional} Networks", False),
        ("Speech Enhancement with GANs", True),
    ],
)
def test_latex_title_that_differs_from_the_pdf(make_tree: MakeTree, title: str, stale: bool) -> None:
    source = f"\\documentclass[conference]{{IEEEtran}}\n\\title{{{title}}}\n"
    root = make_tree({"paper.pdf": paper("ieee-letter-4.pdf"), "paper.tex": source})
    findings = run_on(PaperTemplateCheck, root).findings
    assert any("different title" in f.message for f in findings) is stale


def test_fonts(make_tree: MakeTree) -> None:
    good = run_on(PaperFontsCheck, make_tree({"paper.pdf": paper("ieee-letter-4.pdf")}))
    assert good.status is Status.PASSED
    assert good.measurements["not_embedded"] == [] and good.measurements["type3"] == []

    missing = run_on(PaperFontsCheck, make_tree({"paper.pdf": paper("ieee-nonembedded.pdf")}))
    assert missing.status is Status.FAILED
    names = {f["name"] for f in missing.measurements["not_embedded"]}  # type: ignore[index,union-attr]
    assert "Times-Roman" in names

    type3 = run_on(PaperFontsCheck, make_tree({"paper.pdf": paper("ieee-type3.pdf")}))
    assert type3.status is Status.PASSED
    assert type3.measurements["type3"]
    assert any(f.severity is Severity.WARNING and "Type 3" in f.message for f in type3.findings)


def test_analysis_is_shared_between_checks(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("ieee-letter-4.pdf")})
    tree = SubmissionTree(root)
    run_on(PaperPresentCheck, root, tree=tree)
    (root / "paper.pdf").unlink()  # a second read would now fail; the memo must answer instead
    assert run_on(PaperPagesCheck, root, tree=tree).measurements["pages"] == 4


def test_pdf_cap_keeps_large_repositories_bounded(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {f"scores/score_{i:03d}.pdf": b"%PDF-1.4 not really" for i in range(40)}
    files["paper.pdf"] = paper("ieee-letter-3.pdf")
    result = run_on(PaperPresentCheck, make_tree(files), {"max_pdfs": 5})
    assert result.measurements["path"] == "paper.pdf"
    candidates = result.measurements["candidates"]
    assert isinstance(candidates, list) and len(candidates) == 41
    unopened = [c for c in candidates if isinstance(c, dict) and "not opened" in str(c["reasons"])]
    assert len(unopened) == 36


def test_symlinked_pdf_is_not_followed(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(paper("ieee-letter-4.pdf"))
    root = make_tree({"README.md": "x"})
    (root / "paper.pdf").symlink_to(outside)
    assert run_on(PaperPresentCheck, root).findings[0].message.startswith("no PDF in the submission: commit")


def test_huge_vector_figure_is_a_warning(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": vector_figure_pdf(30_000)})
    result = run_on(PaperPresentCheck, root)
    warnings = [f for f in result.findings if "vector objects" in f.message]
    assert warnings and warnings[0].message.startswith("page 1 draws 30000 vector objects")


def test_template_names_the_style_and_accepts_it_by_name(make_tree: MakeTree) -> None:
    root = make_tree({"paper.pdf": paper("acl-emulated.pdf")})
    result = run_on(PaperTemplateCheck, root)
    assert result.status is Status.FAILED
    assert (result.measurements["family"], result.measurements["style"]) == ("other-two-column", "acl")
    assert result.measurements["decided_by"] == "geometry"
    assert result.summary.startswith("other-two-column (acl): columns 218 pt wide and 17 pt apart match ACL")
    assert run_on(PaperTemplateCheck, root, {"accepted": ["acl"]}).status is Status.PASSED


def test_template_accepts_ieee_geometry_in_computer_modern_with_a_warning(make_tree: MakeTree) -> None:
    result = run_on(PaperTemplateCheck, make_tree({"paper.pdf": paper("spconf-cm.pdf")}))
    assert (result.status, result.measurements["family"]) == (Status.PASSED, "ieee-spconf")
    warnings = [f.message for f in result.findings if f.severity is Severity.WARNING]
    assert any("Computer Modern" in w and "not Times" in w for w in warnings)


def test_template_option_rejects_an_unknown_family() -> None:
    with pytest.raises(ValueError, match="accepted"):
        PaperTemplateCheck.Options(accepted=("ieee-conference",))


@pytest.mark.parametrize(("allowed", "status", "content"), [(False, Status.FAILED, 5), (True, Status.PASSED, 4)])
def test_acknowledgements_on_the_references_page(
    make_tree: MakeTree, allowed: bool, status: Status, content: int
) -> None:
    root = make_tree({"paper.pdf": paper("spconf-acks.pdf")})
    options = {"allow_references_page": True, "acknowledgements_on_references_page": allowed}
    result = run_on(PaperPagesCheck, root, options)
    assert (result.status, result.measurements["content_pages"]) == (status, content)
    assert result.measurements["acknowledgements_page"] == 5
    assert any("opens with the acknowledgements" in f.message for f in result.findings) is not allowed


def test_pages_reports_every_trailing_references_page(make_tree: MakeTree) -> None:
    result = run_on(PaperPagesCheck, make_tree({"paper.pdf": paper("ieee-refs-two-pages.pdf")}))
    assert result.measurements["references_only_pages"] == [4, 5]
    assert result.summary == "5 pages (3 of content + 2 references-only pages), limit 4"
    assert "the last 2 pages hold only references; this rubric counts them" in result.findings[0].message


def test_margins_say_the_pdf_is_a_review_version(make_tree: MakeTree) -> None:
    result = run_on(PaperMarginsCheck, make_tree({"paper.pdf": paper("acm-review.pdf")}))
    assert result.status is Status.PASSED
    assert (result.measurements["review_mode"], result.measurements["review_mode_pages"]) == (True, [1, 2, 3])
    assert "review-mode version" in result.findings[0].message


def test_margins_name_the_text_line_that_runs_out(make_tree: MakeTree) -> None:
    result = run_on(PaperMarginsCheck, make_tree({"paper.pdf": paper("margin-overfull.pdf")}))
    assert result.status is Status.FAILED
    assert re.match(r'page 2: text line "https://example\.org/.*" runs \d+ pt into the right margin',
                    result.findings[0].message)
    violation = result.measurements["violations"][0]  # type: ignore[index]
    assert violation["kind"] == "text"  # type: ignore[index]
