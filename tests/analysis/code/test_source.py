"""Parsing the group's code once: .py files, notebooks with IPython syntax, broken input as data."""

from __future__ import annotations

from grader.analysis.code.source import load_notebook, python_sources
from grader.files import SubmissionTree
from tests.harness import MakeTree, notebook_json


def test_notebook_magics_are_blanked_and_lines_map_to_cells() -> None:
    unit = load_notebook("nb.ipynb", notebook_json(
        ("markdown", "# Training\nWe train the model."),
        ("code", "%matplotlib inline\n!pip install librosa\nimport librosa"),
        ("code", "librosa.load?\ny = 2"),
    ))
    assert unit.error is None and unit.module is not None
    assert unit.markdown == ("# Training\nWe train the model.",)
    assert unit.code.splitlines()[2] == "import librosa"
    assert unit.location(3) == "nb.ipynb (cell 2)"
    assert unit.location(5) == "nb.ipynb (cell 3)"


def test_broken_inputs_are_recorded_not_raised(make_tree: MakeTree) -> None:
    root = make_tree({
        "old.py": "print 'hello'\n",
        "bad.ipynb": "this is not json",
        "ok.py": "def f():\n    return 1\n",
    })
    units = {u.path: u for u in python_sources(SubmissionTree(root))}
    assert "Python 2" in (units["old.py"].error or "") and units["old.py"].error_line == 1
    assert "not a valid notebook" in (units["bad.ipynb"].error or "")
    assert units["ok.py"].module is not None


def test_sources_are_parsed_once_per_tree(make_tree: MakeTree) -> None:
    tree = SubmissionTree(make_tree({"a.py": "x = 1\n"}))
    assert python_sources(tree) is python_sources(tree)
