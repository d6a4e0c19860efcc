"""LaTeX sources as evidence: \\documentclass read past comments, matched to the PDF, disagreements worded."""

from __future__ import annotations

from grader.analysis.paper.latex import LatexSource, disagreement, expected_family, find_sources, source_for
from grader.files import SubmissionTree
from tests.harness import MakeTree


def test_find_sources_reads_class_options_and_line(make_tree: MakeTree) -> None:
    root = make_tree({
        "paper/main.tex": "%\\documentclass{article}\n\n\\documentclass[ conference , a4paper ]{IEEEtran}\n",
        "paper/sections/intro.tex": "\\section{Intro}\n",
        "notes.tex": "\\documentclass{article}\n",
    })
    sources = find_sources(SubmissionTree(root))
    assert sources == [
        LatexSource("notes.tex", 1, "article", ()),
        LatexSource("paper/main.tex", 3, "IEEEtran", ("conference", "a4paper")),
    ]


def test_title_words_skip_commands_and_nested_braces(make_tree: MakeTree) -> None:
    root = make_tree({"main.tex": "\\documentclass{IEEEtran}\n\\title{Deep {\\em Audio} Tagging\\\\ at 16 kHz}\n"})
    assert find_sources(SubmissionTree(root))[0].title_words == {"deep", "audio", "tagging", "khz"}


def test_source_for_prefers_the_same_stem_then_the_same_folder() -> None:
    main = LatexSource("paper/main.tex", 1, "IEEEtran", ("conference",))
    other = LatexSource("poster/poster.tex", 1, "beamer", ())
    assert source_for([other, main], "paper/main.pdf") is main
    assert source_for([other, main], "paper/final.pdf") is main
    assert source_for([other, main], "report.pdf") is None


def test_expected_family() -> None:
    assert expected_family(LatexSource("a.tex", 1, "IEEEtran", ("conference",))) == "ieeetran-conference"
    assert expected_family(LatexSource("a.tex", 1, "IEEEtran", ("journal",))) == "ieeetran-journal"
    assert expected_family(LatexSource("a.tex", 1, "article", ("twocolumn",))) == "other-two-column"
    assert expected_family(LatexSource("a.tex", 1, "beamer", ())) is None


def test_disagreement_on_family_and_paper_size() -> None:
    conference = LatexSource("main.tex", 1, "IEEEtran", ("conference",))
    assert disagreement(conference, "ieeetran-conference", "letter") is None
    assert "stale" in (disagreement(conference, "one-column", "letter") or "")
    assert "US letter" in (disagreement(conference, "ieeetran-conference", "a4") or "")
    a4 = LatexSource("main.tex", 1, "IEEEtran", ("conference", "a4paper"))
    assert disagreement(a4, "ieeetran-conference", "a4") is None
