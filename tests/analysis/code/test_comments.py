"""Comment analysis: prose, banners, pragmas and docstrings told apart from commented-out code, per file."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.analysis.code.comments import analyse_unit, classify_block, is_code
from grader.analysis.code.source import SourceUnit, load_notebook, load_python
from tests.analysis.strategies import python_text
from tests.harness import notebook_json


@pytest.mark.parametrize(
    "text",
    ["print(x)", "x = 1", "model.fit(x, y)", "import numpy as np", "return loss", "for x in batch:", "else:",
     "except ValueError:", "x: np.ndarray", "self.w1 -= lr * grad", "plt.show()"],
)
def test_code_lines_are_code(text: str) -> None:
    assert is_code(text)


@pytest.mark.parametrize(
    "text",
    ["TODO", "Compute the mean over frames", "Note: see below", "Args:", "https://example.com/paper.pdf",
     "e.g. 16 kHz", "Shape (batch, time)", "If this fails:", "x.shape", "Training loop", ""],
)
def test_prose_is_not_code(text: str) -> None:
    assert not is_code(text)


def test_banner_header_counts_its_prose_not_its_rules() -> None:
    kinds = classify_block(["#" * 40, "Feature extraction: log-mel spectrograms with 64 bands,",
                            "because the model expects a 2-D input.", "#" * 40])
    assert kinds == ["decoration", "prose", "prose", "decoration"]


def test_multi_line_commented_out_call_is_code_in_a_mixed_block() -> None:
    kinds = classify_block(["Old model, kept for reference", "model = Net(", "    layers=3,", ")", "print(model)"])
    assert kinds == ["prose", "code", "code", "code", "code"]


def test_pragmas_are_neither_prose_nor_code() -> None:
    pragmas = ["-*- coding: utf-8 -*-", "type: ignore", "pylint: disable=invalid-name", "noqa", "fmt: off"]
    assert classify_block(pragmas) == ["pragma"] * 5
    assert classify_block(["type of the model depends on the data set"]) == ["prose"]


def test_file_counts_and_commented_out_block_range() -> None:
    code = textwrap.dedent('''\
        """Train the model."""
        import numpy as np  # arrays

        # Normalise each clip so loudness does not matter.
        def norm(x):
            """Scale to unit peak."""
            return x / np.abs(x).max()

        # y = norm(x)
        # print(y)
        # plt.plot(y)
        z = 3
        ''')
    figures = analyse_unit(load_python("train.py", code))
    assert figures.code_lines == 4  # import, def, return, z = 3
    assert figures.comment_lines == 2  # the inline `# arrays` and the prose line
    assert figures.docstring_lines == 2
    assert figures.commented_out_lines == 3
    assert [(b.start, b.end, b.location) for b in figures.blocks] == [(9, 11, "train.py:9")]


def test_string_holding_code_is_commented_out_and_prose_string_is_documentation() -> None:
    code = textwrap.dedent('''\
        x = 1
        """
        for i in range(3):
            print(i)
        """
        """Below: the second stage of the pipeline."""
        y = 2
        ''')
    figures = analyse_unit(load_python("a.py", code))
    assert figures.code_lines == 2
    assert figures.commented_out_lines == 4
    assert figures.docstring_lines == 1


def test_notebook_markdown_counts_and_blocks_name_their_cell() -> None:
    nb = notebook_json(
        ("markdown", ["# Title\n", "\n", "Why we do this.\n"]),
        ("code", ["%matplotlib inline\n", "x = 1\n"]),
        ("code", ["# y = x + 1\n", "# print(y)\n", "z = 2\n"]),
    )
    figures = analyse_unit(load_notebook("nb/explore.ipynb", nb))
    assert figures.markdown_lines == 2
    assert figures.code_lines == 2
    assert figures.commented_out_lines == 2
    assert figures.blocks[0].location == "nb/explore.ipynb (cell 3)"


def test_python2_file_is_counted_from_its_text_and_keeps_its_error() -> None:
    figures = analyse_unit(load_python("old.py", 'print "hello"\n# say hello to the user\nprint x, y\n'))
    assert figures.error is not None and "Python 2" in figures.error
    assert figures.code_lines == 2 and figures.comment_lines == 1


def test_untokenizable_text_never_raises() -> None:
    figures = analyse_unit(load_python("broken.py", 'x = """never closed\n# still text\n'))
    assert figures.error is not None
    assert figures.code_lines >= 1


# -- properties on generated code --------------------------------------------------------------------------------


def _assert_figures_well_formed(unit: SourceUnit) -> None:
    figures = analyse_unit(unit)
    # tokenize numbers rows by "\n", the text fallback by splitlines(): either bounds a row.
    rows = max(len(unit.code.splitlines()), unit.code.count("\n") + 1)
    counts = (figures.code_lines, figures.comment_lines, figures.docstring_lines, figures.commented_out_lines,
              figures.decoration_lines)
    assert all(0 <= count <= rows for count in counts), (counts, rows)
    # A row is counted once, except that an inline comment shares its row with code.
    assert figures.comment_lines + figures.decoration_lines + figures.commented_out_lines <= rows + figures.code_lines
    assert figures.markdown_lines >= 0
    assert (figures.path, figures.kind, figures.error) == (unit.path, unit.kind, unit.error)
    previous_end = 0
    for block in figures.blocks:
        assert previous_end < block.start <= block.end <= rows, (block, rows)
        assert block.location.startswith(unit.path)
        previous_end = block.end
    assert figures.commented_out_lines == sum(b.lines for b in figures.blocks)


@given(python_text)
def test_any_python_text_is_counted_without_raising(text: str) -> None:
    _assert_figures_well_formed(load_python("a.py", text))


@given(st.lists(st.tuples(st.sampled_from(["code", "markdown"]), python_text), max_size=4))
def test_any_notebook_is_counted_without_raising(cells: list[tuple[str, str]]) -> None:
    _assert_figures_well_formed(load_notebook("nb.ipynb", notebook_json(*cells)))


@given(st.lists(st.one_of(python_text, st.text(max_size=40)), max_size=8))
def test_every_comment_line_gets_one_label(texts: list[str]) -> None:
    lines = [line for text in texts for line in text.splitlines()]
    kinds = classify_block(lines)
    assert len(kinds) == len(lines)
    assert set(kinds) <= {"code", "prose", "decoration", "pragma"}
