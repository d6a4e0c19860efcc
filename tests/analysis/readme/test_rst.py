"""reStructuredText READMEs through docutils: structure on its source lines, and hostile text bounded, inert and
never a crash."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from docutils.core import publish_doctree

from grader.analysis.readme.document import DocumentError, parse_document
from grader.analysis.readme.find import find_readme
from grader.analysis.readme.rst import MAX_RST_CHARS, safe_settings
from grader.checks.readme import ReadmePresentCheck
from grader.files import SubmissionTree
from grader.models import Status
from tests.harness import MakeTree, run_on


def test_titles_over_and_underlined_nest_by_style_with_their_lines() -> None:
    text = textwrap.dedent("""\
        ==================
        Bird song detector
        ==================

        Installation
        ------------

        From source
        ~~~~~~~~~~~

        About ``birds``
        ---------------

        Skipped level
        ^^^^^^^^^^^^^
        """)
    doc = parse_document(text, "README.rst")
    assert [(h.level, h.text, h.line) for h in doc.headings] == [
        (1, "Bird song detector", 2), (2, "Installation", 5), (3, "From source", 8), (2, "About birds", 11),
        (3, "Skipped level", 14)]
    sections = {s.heading.text: (s.first_line, s.last_line) for s in doc.sections()}
    assert sections["Installation"] == (6, 10)


def test_a_title_that_skips_a_level_still_counts_one_below_its_section() -> None:
    # docutils drops it ("Title level inconsistent"); the writer still meant a heading there
    text = "Top\n===\n\nA\n---\n\nB\n~~~\n\nSecond\n======\n\nLost\n~~~~\n\ntext\n"
    doc = parse_document(text, "README.rst")
    assert [(h.level, h.text, h.line) for h in doc.headings] == [
        (1, "Top", 1), (2, "A", 4), (3, "B", 7), (1, "Second", 10), (2, "Lost", 13)]


def test_code_directives_and_literal_blocks_keep_language_and_source_lines() -> None:
    text = textwrap.dedent("""\
        Setup
        -----

        .. code-block:: bash
           :linenos:
           :caption: Sphinx options are no error

           python -m venv .venv
           pip install -r requirements.txt

        .. code:: python
           print("no blank line after the directive")

        Train with::

            python train.py --epochs 10

            python evaluate.py

        Quoted::

        $ make data

        .. note::

           Not code, though its line ends in ``::``
        """)
    doc = parse_document(text, "README.rst")
    assert [(b.language, b.lines, b.fenced) for b in doc.code_blocks] == [
        ("bash", ((8, "python -m venv .venv"), (9, "pip install -r requirements.txt")), True),
        ("python", ((12, 'print("no blank line after the directive")'),), True),
        ("", ((16, "python train.py --epochs 10"), (18, "python evaluate.py")), False),
        ("", ((22, "$ make data"),), False)]
    prose_lines = {n for n, _ in doc.prose}
    assert {8, 9, 12, 16, 18, 22}.isdisjoint(prose_lines) and 26 in prose_lines


def test_links_targets_images_and_literals_each_on_its_line() -> None:
    text = textwrap.dedent("""\
        Read the `guide <docs/guide.rst>`_, the `paper`_ and
        an `anonymous one <notes/a.md>`__; see https://example.org too.

        .. _paper: paper/main.pdf

        .. image:: img/badge.svg
           :target: https://ci.example.org

        .. figure:: figures/arch.png

           The ``model`` in one picture.

        |logo| Run ``python a.py`` or ``python a.py`` again, then ``python
        b.py``.

        .. |logo| image:: img/logo.png

        .. include:: CONTRIBUTING.rst
        """)
    doc = parse_document(text, "README.rst")
    # a substitution's image is placed where its path is written (where a broken one is fixed)
    assert sorted((link.line, link.target, link.image) for link in doc.links) == [
        (1, "docs/guide.rst", False), (1, "paper/main.pdf", False), (2, "https://example.org", False),
        (2, "notes/a.md", False), (4, "paper/main.pdf", False), (6, "https://ci.example.org", False),
        (6, "img/badge.svg", True), (9, "figures/arch.png", True), (16, "img/logo.png", True),
        (18, "CONTRIBUTING.rst", False)]
    assert doc.inline_code == ((11, "model"), (13, "python a.py"), (13, "python a.py"), (13, "python b.py"))


def test_include_raw_and_file_options_read_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT\n", encoding="utf-8")
    # a docutils.conf where docutils would look for one must not switch inclusion back on
    (tmp_path / "docutils.conf").write_text("[general]\nfile_insertion_enabled: yes\nraw_enabled: yes\n",
                                            encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = textwrap.dedent(f"""\
        Title
        =====

        .. include:: {secret}

        .. include:: /etc/passwd
           :literal:

        .. raw:: html
           :file: {secret}

        .. raw:: html

           <script>alert(1)</script>

        .. csv-table:: data
           :file: {secret}

        .. csv-table:: remote
           :url: http://127.0.0.1:9/x.csv
        """)
    tree = publish_doctree(text, settings_overrides=safe_settings())
    assert "TOP-SECRET" not in tree.astext() and "root:" not in tree.astext()
    assert not list(tree.findall(lambda node: node.tagname == "raw"))
    doc = parse_document(text, "README.rst")
    assert [(link.target, link.line) for link in doc.links] == [(str(secret), 4), ("/etc/passwd", 6)]
    assert doc.code_blocks == () and doc.headings[0].text == "Title"
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_nesting_past_docutils_limits_is_a_parse_problem_not_a_crash(make_tree: MakeTree) -> None:
    nested = "Title\n=====\n\n" + "- " * 3000 + "deep\n"
    with pytest.raises(DocumentError, match="nested too deeply"):
        parse_document(nested, "README.rst")
    root = make_tree({"README.rst": nested})
    readme = find_readme(SubmissionTree(root))
    assert readme.document is None and readme.problem is not None and "could not be parsed" in readme.problem
    result = run_on(ReadmePresentCheck(), root)
    assert result.status is Status.FAILED and "nested too deeply" in result.summary


def test_two_megabytes_are_read_up_to_the_bound_and_the_rest_counts_as_prose() -> None:
    head = "Usage\n=====\n\nRun ``python train.py``.\n\n"
    filler = ("Plain words of a long README that goes on and on. ``a `b *c |d| [e]_ " * 20 + "\n") * 1500
    tail = "\nLate heading\n============\n\n.. code-block:: bash\n\n   python late.py\n"
    text = head + filler + tail
    assert len(text) > 2_000_000
    doc = parse_document(text, "README.rst")
    assert [h.text for h in doc.headings] == ["Usage"]  # the late heading lies past MAX_RST_CHARS
    assert doc.code_blocks == () and doc.inline_code[0] == (4, "python train.py")
    assert len(doc.lines) == text.count("\n") + 1
    assert (len(doc.lines) - 1, "   python late.py") in doc.prose  # unparsed, but still read as prose
    assert sum(len(line) + 1 for line in doc.lines[:10]) < MAX_RST_CHARS


def test_one_readmes_roles_do_not_change_how_the_next_is_read() -> None:
    hostile = ".. default-role:: literal\n\n.. role:: strong(literal)\n\n`rm -rf /` and :strong:`x`\n"
    assert [code for _, code in parse_document(hostile, "README.rst").inline_code] == ["rm -rf /", "x"]
    after = parse_document("Run `python train.py` and :strong:`now`.\n", "README.rst")
    assert after.inline_code == ()
