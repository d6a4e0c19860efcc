"""Notebook cells as students write them: magics and shell lines are understood, never syntax errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.analysis.code.ipython import ipython_lines
from grader.analysis.code.source import load_notebook
from tests.harness import notebook_json


@pytest.mark.parametrize(
    ("cell", "python", "commands"),
    [
        ("!pip install -q librosa\nimport librosa", ["", "import librosa"], ["pip install -q librosa"]),
        ("%pip install torchaudio==2.1", [""], ["pip install torchaudio==2.1"]),
        ("%matplotlib inline\n%load_ext autoreload\n%autoreload 2", ["", "", ""], []),
        ("!wget https://x.org/data.zip \\\n    -O data.zip\nx = 1", ["", "", "x = 1"],
         ["wget https://x.org/data.zip \\"]),
        ("files = !ls data\nprint(files)", ["files = None", "print(files)"], ["ls data"]),
        ("%%shell\npip install gin-config\n# a comment\nwget x", ["", "", "", ""],
         ["pip install gin-config", "wget x"]),
        ("%%time\nmodel.fit(x)", ["", "model.fit(x)"], []),
        ("%%writefile train.py\nimport os\nprint 'py2'", ["", "", ""], []),
        ("model?\n??model\nnp.mean??", ["", "", ""], []),
        ("%cd /content/drive/MyDrive/project", [""], ["cd /content/drive/MyDrive/project"]),
        ("  !nvidia-smi", [""], ["nvidia-smi"]),
        ("x = a != b\ny = 5 % 3", ["x = a != b", "y = 5 % 3"], []),
    ],
    ids=["bang-pip", "pip-magic", "line-magics", "bang-continued", "assigned-shell", "shell-cell", "time-cell",
         "writefile-cell", "help", "cd-magic", "indented-bang", "python-operators"],
)
def test_ipython_lines_become_blank_python_and_shell_commands(cell: str, python: list[str],
                                                               commands: list[str]) -> None:
    lines = ipython_lines(cell)
    assert [p for p, _ in lines] == python
    assert [c for _, c in lines if c is not None] == commands


def test_a_notebook_with_magics_parses_and_keeps_its_shell_lines() -> None:
    text = notebook_json(("markdown", "# Demo"), "%matplotlib inline\n!pip install pretty_midi\nimport pretty_midi",
                         "from google.colab import drive\ndrive.mount('/content/drive')", "%%bash\nls -la\n")
    unit = load_notebook("demo.ipynb", text)
    assert unit.error is None and unit.module is not None
    assert [(s.cell, s.command) for s in unit.shell] == [(1, "pip install pretty_midi"), (3, "ls -la")]
    assert unit.code.splitlines()[unit.shell[0].line - 1] == ""


def test_a_cell_that_does_not_parse_is_left_out_and_the_rest_analysed() -> None:
    text = notebook_json("import numpy as np", 'for f in *.wav; do ffmpeg -i "$f" x.wav; done', "print(np.pi)")
    unit = load_notebook("nb.ipynb", text)
    assert unit.module is not None and unit.error is None
    assert len(unit.problems) == 1 and unit.problems[0].startswith("cell 2 does not parse as Python 3")
    assert "print(np.pi)" in unit.code and "ffmpeg" not in unit.code


def test_a_notebook_of_python_2_everywhere_still_counts_as_not_parsing() -> None:
    unit = load_notebook("old.ipynb", notebook_json(*[f"print 'cell {i}'" for i in range(8)]))
    assert unit.module is None and unit.error is not None and "Python 2" in unit.error


@given(st.lists(st.text(max_size=60), max_size=6))
def test_every_line_of_any_cell_is_accounted_for(lines: list[str]) -> None:
    cell = "\n".join(lines)
    assert len(ipython_lines(cell)) == len(cell.splitlines())
