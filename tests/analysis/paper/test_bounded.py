"""Reading untrusted PDFs in a bounded child process: facts, and each kind of bad input as an error value."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.analysis.paper import bounded
from grader.analysis.paper.bounded import read_ink, read_pdf, read_pdfs, render_pages
from grader.analysis.paper.facts import PdfFacts

from .conftest import PAPERS
from .handmade import vector_figure_pdf

Read = Callable[[str], PdfFacts]


def test_reads_pages_text_lines_and_fonts(paper_facts: Read) -> None:
    facts = paper_facts("ieee-letter-4")
    assert facts.error is None
    assert facts.page_count == 4
    assert (facts.pages[0].width, facts.pages[0].height) == (612.0, 792.0)
    assert any(line.text.startswith("Abstract—") for line in facts.pages[0].lines)
    assert all(font.embedded for font in facts.fonts)
    assert any("NimbusRom" in font.name for font in facts.fonts)


def test_empty_password_is_read_and_reported(paper_facts: Read) -> None:
    facts = paper_facts("encrypted-empty")
    assert facts.error is None
    assert facts.encryption == "empty-password"
    assert facts.page_count == 4


def test_user_password_is_an_error_not_a_crash(paper_facts: Read) -> None:
    assert paper_facts("encrypted-password").error == "password"


def test_truncated_pdf_is_corrupt(paper_facts: Read) -> None:
    assert paper_facts("truncated").error == "corrupt"


def test_html_saved_as_pdf_is_not_a_pdf(tmp_path: Path) -> None:
    page = tmp_path / "paper.pdf"
    page.write_text("<!DOCTYPE html><html><body>Sign in to GitHub</body></html>")
    facts = read_pdf(page, "paper.pdf")
    assert (facts.error, facts.detail) == ("not-pdf", "html")


def test_empty_file_is_not_a_pdf(tmp_path: Path) -> None:
    empty = tmp_path / "paper.pdf"
    empty.write_bytes(b"")
    assert read_pdf(empty, "paper.pdf").error == "not-pdf"


#: A figure a reader needs about a second for (0.96 s here): ten times the time limit the tests give it, so the
#: limit is hit on a machine several times faster too (400,000 objects against 0.5 s was a coin toss).
HUGE_FIGURE_OBJECTS = 1_000_000
SHORT_LIMIT_S = 0.1


def test_huge_vector_figure_hits_the_time_limit(tmp_path: Path) -> None:
    figure = tmp_path / "figure.pdf"
    figure.write_bytes(vector_figure_pdf(HUGE_FIGURE_OBJECTS))
    facts = read_pdf(figure, "figure.pdf", time_limit=SHORT_LIMIT_S)
    assert facts.error == "limit"
    assert "longer than" in facts.detail


def test_memory_limit_stops_the_reader(tmp_path: Path) -> None:
    figure = tmp_path / "figure.pdf"
    figure.write_bytes(vector_figure_pdf(2_000))
    facts = read_pdf(figure, "figure.pdf", memory=8 * 1024 * 1024)
    assert facts.error == "limit"


def test_vector_figure_within_limits_counts_objects(tmp_path: Path) -> None:
    figure = tmp_path / "figure.pdf"
    figure.write_bytes(vector_figure_pdf(2_000))
    facts = read_pdf(figure, "figure.pdf")
    assert facts.error is None
    assert facts.pages[0].object_count == 2_000
    assert facts.chars == 0


@pytest.mark.slow
def test_one_hanging_file_does_not_stop_the_others(tmp_path: Path) -> None:
    figure = tmp_path / "figure.pdf"
    figure.write_bytes(vector_figure_pdf(4_000_000))
    good = PAPERS / "ieee-letter-3.pdf"
    facts = read_pdfs([(good, "a.pdf"), (figure, "figure.pdf"), (good, "b.pdf")], time_limit=3.0)
    assert [f.error for f in facts] == [None, "limit", None]
    assert [f.page_count for f in facts] == [3, 0, 3]


def test_render_writes_png_thumbnails(tmp_path: Path) -> None:
    names = render_pages(PAPERS / "ieee-letter-3.pdf", tmp_path, {1: [(49.0, 400.0, 300.0, 500.0)]})
    assert names == ["page-1.png", "page-2.png", "page-3.png"]
    data = (tmp_path / "page-1.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == 600


def test_readers_are_reused_between_reads() -> None:
    read_pdf(PAPERS / "ieee-letter-3.pdf", "a.pdf")
    before = {id(w) for w in bounded._POOL._idle}
    read_pdf(PAPERS / "ieee-letter-4.pdf", "b.pdf")
    assert before and before == {id(w) for w in bounded._POOL._idle}


def test_a_reader_killed_by_its_limit_is_not_reused(tmp_path: Path) -> None:
    figure = tmp_path / "figure.pdf"
    figure.write_bytes(vector_figure_pdf(HUGE_FIGURE_OBJECTS))
    assert read_pdf(figure, "figure.pdf", time_limit=SHORT_LIMIT_S).error == "limit"
    assert read_pdf(PAPERS / "ieee-letter-3.pdf", "a.pdf", time_limit=30).page_count == 3


def test_ink_is_found_inside_boxes_and_text_can_be_left_out() -> None:
    pdf = PAPERS / "margin-figure-whitespace.pdf"
    facts = read_pdf(pdf, "x.pdf")
    form = next(o for p in facts.pages for o in p.objects if o.kind == "form")
    page = next(p.number for p in facts.pages if any(o is form for o in p.objects))
    found = read_ink(pdf, [(page, form.box, []), (page, (0.0, 0.0, 20.0, 20.0), [])])
    assert found is not None
    ink, blank = found
    assert blank is None and ink is not None
    width = form.box[2] - form.box[0]
    # The bars fill the middle 60 % of the plot's width; the white page around them is no ink.
    assert ink[0] == pytest.approx(form.box[0] + 0.2 * width, abs=2.0)
    assert ink[2] == pytest.approx(form.box[0] + 0.8 * width, abs=2.0)


def test_the_reader_process_writes_no_bytecode_where_its_caller_would_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert bounded._child_env()["PYTHONDONTWRITEBYTECODE"] == "1"
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert "PYTHONDONTWRITEBYTECODE" not in bounded._child_env()
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", "/tmp/elsewhere")
    assert bounded._child_env()["PYTHONPYCACHEPREFIX"] == "/tmp/elsewhere"
