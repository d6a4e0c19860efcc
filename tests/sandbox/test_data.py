"""Missing data told apart from broken code: which error names a missing file, which file is data, what says so."""

from __future__ import annotations

import pytest

from grader.files import SubmissionTree
from grader.sandbox.data import as_data, data_failure, data_mark, missing_in, readme_help
from tests.harness import MakeTree

TRACEBACK = """Traceback (most recent call last):
  File "/work/train.py", line 3, in <module>
    rows = open('dataset/effectData.csv')
FileNotFoundError: [Errno 2] No such file or directory: 'dataset/effectData.csv'
"""


@pytest.mark.parametrize(("text", "expected"), [
    (TRACEBACK, ["dataset/effectData.csv"]),
    ("soundfile.LibsndfileError: Error opening 'data/clip.wav': System error.", ["data/clip.wav"]),
    ("RuntimeError: Failed to open the input \"data/a.flac\" (No such file or directory).", ["data/a.flac"]),
    ("FileNotFoundError: [Errno 2] Unable to synchronously open file (unable to open file: name = 'm.h5', "
     "errno = 2, error message = 'No such file or directory')", ["m.h5"]),
    ("E   FileNotFoundError: [Errno 2] No such file or directory: 'x.npy'", ["x.npy"]),
    # Not a missing file: no space, a format error, an earlier error handled before the real one.
    ("OSError: [Errno 28] No space left on device: 'out.bin'", []),
    ("soundfile.LibsndfileError: Error opening 'a.wav': Format not recognised.", []),
    ("FileNotFoundError: [Errno 2] No such file or directory: 'a.csv'\nDuring handling...\nValueError: bad", []),
])
def test_the_last_error_line_names_the_missing_file(text: str, expected: list[str]) -> None:
    assert missing_in(text) == expected


def test_only_missing_files_inside_the_working_copy_that_are_not_code_are_data(make_tree: MakeTree) -> None:
    tree = SubmissionTree(make_tree({"notebooks/a.ipynb": "{}", "data/present.csv": "x\n"}))
    assert as_data("../dataset/x.csv", "notebooks", tree) == "dataset/x.csv"
    assert as_data("/work/dataset/x.csv", "notebooks", tree) == "dataset/x.csv"
    assert as_data("/home/student/data/x.csv", "", tree) is None  # only runs on its author's machine
    assert as_data("../../x.csv", "notebooks", tree) is None  # outside the working copy
    assert as_data("helpers.py", "", tree) is None  # missing code is broken code
    assert as_data("data/present.csv", "", tree) is None  # it is there: the failure is something else
    assert data_failure([TRACEBACK], "", tree) == ("dataset/effectData.csv",)
    assert data_failure(["ValueError: bad shape"], "", tree) == ()


def test_why_a_path_reads_as_data(make_tree: MakeTree) -> None:
    tree = SubmissionTree(make_tree({
        ".gitignore": "# data\n*.wav\n/checkpoints/\n",
        "audio.dvc": "outs:\n- path: audio\n",
        "dvc.yaml": "stages:\n  prep:\n    deps:\n      - raw/clips\n",
        "sub/.gitignore": "cache\n",
    }))
    assert data_mark(tree, "audio/a.csv") == "audio/a.csv: tracked by DVC (audio.dvc)"
    assert data_mark(tree, "raw/clips/1.csv") == "raw/clips/1.csv: a data path of dvc.yaml (line 4)"
    assert data_mark(tree, "x/y.wav") == "x/y.wav: ignored by .gitignore (line 2: *.wav)"
    assert data_mark(tree, "checkpoints/best.pt") == (
        "checkpoints/best.pt: ignored by .gitignore (line 3: /checkpoints/)")
    assert data_mark(tree, "sub/cache/f.npy") == "sub/cache/f.npy: ignored by sub/.gitignore (line 1: cache)"
    assert data_mark(tree, "other/cache/f.npy") is None
    assert data_mark(tree, "results.csv") is None


def test_the_readme_line_that_says_how_to_get_the_data(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "# Project\n\nThe dataset/ folder holds our data.\n\n"
                                   "Get it with `dvc pull` before training.\n"})
    assert readme_help(SubmissionTree(root), ("dataset/a.csv",)) == (
        "README.md:5: Get it with `dvc pull` before training.")
    silent = make_tree({"README.md": "# Project\n\nThe dataset/ folder holds our data.\n"})
    assert readme_help(SubmissionTree(silent), ("dataset/a.csv",)) is None
