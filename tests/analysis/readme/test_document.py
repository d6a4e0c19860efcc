"""README structure parsing: Markdown and RST headings, code blocks, links and inline code, through real text."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from grader.analysis.readme.document import MAX_LINE_CHARS, Document, clean_heading, parse_document
from tests.analysis.strategies import readme_names, readme_text, rst_text


def test_markdown_headings_of_every_form_with_their_sections() -> None:
    text = textwrap.dedent("""\
        <p align="center"><h3 align="center">Project 1: Denoising</h3></p>
        # **Installation** :rocket:
        Setext title
        ------------
        ### [Usage](#usage)
        body
        ## Results
    """)
    doc = parse_document(text, "README.md")
    assert [(h.level, h.text, h.line) for h in doc.headings] == [
        (3, "Project 1 Denoising", 1), (1, "Installation rocket", 2), (2, "Setext title", 3),
        (3, "Usage", 5), (2, "Results", 7)]
    sections = {s.heading.text: (s.first_line, s.last_line) for s in doc.sections()}
    assert sections["Installation rocket"] == (3, len(doc.lines))
    assert sections["Usage"] == (6, 6)


def test_code_blocks_fenced_indented_and_in_list_items_keep_line_numbers() -> None:
    text = textwrap.dedent("""\
        Intro

          ```bash
          pip install -r requirements.txt
          ```

            python train.py

        1. Step:

               make data
        ~~~
        unterminated
    """)
    doc = parse_document(text, "README.md")
    blocks = [(b.language, b.lines, b.fenced) for b in doc.code_blocks]
    assert blocks == [("bash", ((4, "  pip install -r requirements.txt"),), True),
                      ("", ((7, "python train.py"),), False),
                      ("", ((11, "make data"),), False),
                      ("", ((13, "unterminated"),), True)]


def test_links_images_and_inline_code_outside_code_blocks() -> None:
    text = textwrap.dedent("""\
        See [the paper](paper/main.pdf "title"), ![fig](img/a.png) and <img src="img/b.png" width=3>.
        [ref]: docs/guide.md
        Run `python train.py` then [![badge](https://x.org/b.svg)](https://x.org).
        ```
        [not a link](nowhere.md)
        ```
    """)
    doc = parse_document(text, "README.md")
    assert [(link.target, link.line, link.image) for link in doc.links] == [
        ("paper/main.pdf", 1, False), ("img/a.png", 1, True), ("img/b.png", 1, True),
        ("docs/guide.md", 2, False), ("https://x.org", 3, False), ("https://x.org/b.svg", 3, True)]
    assert doc.inline_code == ((3, "python train.py"),)


def test_rst_titles_directives_literal_blocks_and_links() -> None:
    text = textwrap.dedent("""\
        =====
        Title
        =====

        Setup
        -----

        .. code-block:: bash
           :linenos:

           pip install .

        Run it::

            python -m app

        .. image:: docs/arch.png

        See `guide <docs/guide.rst>`_ and ``make test``.
    """)
    doc = parse_document(text, "README.rst")
    assert doc.kind == "rst"
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Title"), (2, "Setup")]
    assert [(b.language, b.lines) for b in doc.code_blocks] == [
        ("bash", ((11, "pip install ."),)), ("", ((15, "python -m app"),))]
    assert [(link.target, link.image) for link in doc.links] == [("docs/arch.png", True), ("docs/guide.rst", False)]
    assert doc.inline_code == ((19, "make test"),)


def test_words_count_prose_only_and_long_lines_are_capped() -> None:
    doc = parse_document("# A title with words\n\nTwo words <b>bold</b>\n```\nnot counted here\n```\n", "README")
    assert doc.words() == 3
    capped = parse_document("x" * (MAX_LINE_CHARS * 3), "README.md")
    assert len(capped.lines[0]) == MAX_LINE_CHARS


def test_clean_heading_strips_markup() -> None:
    assert clean_heading("**Getting started** 🚀 [link](x.md):") == "Getting started link"


# -- properties on generated READMEs -------------------------------------------------------------------------------


def _line_count(text: str) -> int:
    return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


@given(readme_text, readme_names)
def test_any_readme_parses_with_every_line_number_inside_it(text: str, name: str) -> None:
    _assert_well_formed(parse_document(text, name), text)


@given(rst_text, st.sampled_from(["README.rst", "docs/usage.rest"]))
def test_any_restructuredtext_parses_with_every_line_number_inside_it(text: str, name: str) -> None:
    doc = parse_document(text, name)
    _assert_well_formed(doc, text)
    assert all(block.fenced or block.language == "" for block in doc.code_blocks)


def _assert_well_formed(doc: Document, text: str) -> None:
    count = len(doc.lines)
    assert count == _line_count(text)
    assert doc.kind in ("markdown", "rst", "text")
    heading_lines = [h.line for h in doc.headings]
    assert heading_lines == sorted(set(heading_lines))
    assert all(1 <= line <= count for line in heading_lines)
    assert all(h.level >= 1 and (doc.kind == "rst" or h.level <= 6) for h in doc.headings)
    for block in doc.code_blocks:
        numbers = [number for number, _ in block.lines]
        assert numbers == sorted(set(numbers)) and all(1 <= n <= count for n in numbers)
    for numbered in (doc.prose, doc.inline_code, [(link.line, link.target) for link in doc.links]):
        assert all(1 <= number <= count for number, _ in numbered)
    for section in doc.sections():
        assert section.first_line == section.heading.line + 1
        assert section.heading.line <= section.last_line <= count
    assert doc.words() >= 0
