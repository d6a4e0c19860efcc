"""A notebook stopped by what the sandbox does not have (the network, Colab's Drive) is said so, with the cell;
a notebook stopped by its own bug is not."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from grader.analysis.code.source import load_notebook
from grader.engine import grade
from grader.models import Submission
from grader.rubric import load_rubric
from grader.sandbox.engine import Engine
from grader.sandbox.offline import offline_cause, reaches
from grader.sandbox.runner import run_sandbox
from tests.harness import MakeTree, notebook_json

COLAB = load_notebook("colab.ipynb", notebook_json(
    ("markdown", "# Genre classification"),
    "from google.colab import drive\ndrive.mount('/content/drive')",
    "!pip install pretty_midi",
    "!wget https://www.tagtraum.com/genres/msd_tagtraum_cd1.cls.zip\n!unzip msd_tagtraum_cd1.cls.zip",
    "labels = open('msd_tagtraum_cd1.cls').read()",
    "import pretty_midi",
    "import urllib.request\nurllib.request.urlretrieve('https://example.org/x.wav', 'x.wav')",
    "total = 1 / 0",
))


def test_every_reach_outside_the_sandbox_is_found_with_its_cell() -> None:
    assert [(r.cell, r.kind) for r in reaches(COLAB)] == [
        (2, "drive"), (3, "pip"), (4, "download"), (7, "fetch")]


@pytest.mark.parametrize(("cell", "error", "expected"), [
    # Colab's Drive: the import of google.colab fails in the cell that mounts it.
    (2, "ModuleNotFoundError: No module named 'google.colab'", "cell 2 mounts Google Drive"),
    # A download prints its error (a `!` line never raises); the next cell reading the file fails.
    (5, "FileNotFoundError: [Errno 2] No such file or directory: 'msd_tagtraum_cd1.cls'",
     "cell 4 downloads with `wget https://www.tagtraum.com/genres/msd_tagtraum_cd1.cls.zip`"),
    # The notebook's pip install could not run, and the install phase did not provide the package.
    (6, "ModuleNotFoundError: No module named 'pretty_midi'", "cell 3 runs `pip install pretty_midi`"),
    # A download in Python raises in its own cell.
    (7, "URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
     "cell 7 fetches over the network with `urllib.request.urlretrieve("),
])
def test_a_failure_for_want_of_the_network_names_the_cell_that_reached_for_it(
    cell: int, error: str, expected: str
) -> None:
    said = offline_cause(COLAB, cell, error)
    assert said is not None and said.startswith(expected), said
    assert "no network" in said or "does not have" in said


@pytest.mark.parametrize(("cell", "error"), [
    (8, "ZeroDivisionError: division by zero"),  # the group's own bug, after the downloads
    (6, "ModuleNotFoundError: No module named 'torch'"),  # a module no cell installs: an environment problem
    (None, "DeadKernelError: Kernel died"),
])
def test_a_failure_of_the_code_itself_is_not_blamed_on_the_sandbox(cell: int | None, error: str) -> None:
    assert offline_cause(COLAB, cell, error) is None


def test_a_missing_file_with_no_download_before_it_is_the_codes_own() -> None:
    plain = load_notebook("plain.ipynb", notebook_json("x = open('data.csv').read()", "!wget https://e.org/a"))
    assert offline_cause(plain, 1, "FileNotFoundError: [Errno 2] No such file or directory: 'data.csv'") is None


NOTEBOOKS_RUBRIC = """\
id: notebooks-test
title: Notebooks
sandbox: {timeout: 180, notebook_cell_timeout: 60}
criteria:
  - id: running
    title: Running
    points: 10
    checks:
      - {id: env.imports-declared}
      - {id: run.build}
      - {id: run.notebooks}
"""


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("no_leftovers", "base_image")
def test_notebook_installs_are_satisfied_and_a_notebook_without_network_says_so(
    engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "requirements.txt": "six==1.17.0\n",
        "explore.ipynb": notebook_json(
            "!pip install tinytag==2.0.0 grader-no-such-package-xyz-42",
            "%pip install websocket-client==1.8.0",
            # `!pip` must be the group's pip, `%pip` the kernel's interpreter's: both /opt/venv.
            "import sys, tinytag, websocket\nassert sys.executable.startswith('/opt/venv/'), sys.executable\n"
            "found = !pip --version\nassert '/opt/venv/' in found[0], found",
            "!wget https://example.org/clips.zip && unzip clips.zip",
            "open('clips/a.wav', 'rb').read()",
        ),
        "colab.ipynb": notebook_json("from google.colab import drive\ndrive.mount('/content/drive')", "print(1)"),
        "broken.ipynb": notebook_json("import six", "six.moves.nothing_here()"),
    })
    path = tmp_path / "rubric.yaml"
    path.write_text(NOTEBOOKS_RUBRIC, encoding="utf-8")
    report = grade(Submission(id="group 5", root=root, source=str(root)), load_rubric(path),
                   sandbox=partial(run_sandbox, engine=engine))

    build, notebooks, imports = (report.check(i) for i in ("run.build", "run.notebooks", "env.imports-declared"))
    assert build is not None and notebooks is not None and imports is not None
    assert str(build.status) == "passed", build.summary
    notes = " | ".join(f.message for f in build.findings)
    assert "installed for the notebooks: tinytag==2.0.0, websocket-client==1.8.0" in notes
    assert "not installed for the notebooks" in notes and "grader-no-such-package-xyz-42" in notes

    failures = {f["path"]: f for f in notebooks.measurements["failures"]}  # type: ignore[union-attr]
    assert set(failures) == {"explore.ipynb", "colab.ipynb", "broken.ipynb"}
    # The pip cells were satisfied (cell 3 asserts on them); the download was not, and the next cell says why.
    assert failures["explore.ipynb"]["cell"] == 5
    assert failures["explore.ipynb"]["offline"].startswith("cell 4 downloads with `wget https://example.org/clips.zip")
    assert failures["colab.ipynb"]["offline"].startswith("cell 1 mounts Google Drive")
    assert "offline" not in failures["broken.ipynb"], "the group's own bug is not the sandbox's doing"
    assert (notebooks.measurements["offline"], notebooks.measurements["failed"]) == (2, 1)
    assert str(notebooks.status) == "failed" and notebooks.summary.startswith("1 of 1 notebooks failed")
    said = " | ".join(f.message for f in notebooks.findings)
    assert "not a bug in the code: cell 4 downloads" in said and "the sandbox has no network" in said

    decided = {d["import"]: (d["kind"], d["decided_by"], d["reason"])
               for d in imports.measurements["decisions"]}  # type: ignore[union-attr]
    assert decided["tinytag"][:2] == decided["websocket"][:2] == ("elsewhere", "environment metadata")
    assert "declared only in a notebook" in decided["tinytag"][2]
