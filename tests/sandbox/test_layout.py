"""How the authors run their code, read from their files: the conventions the import step uses per module."""

from __future__ import annotations

import pytest

from grader.files import SubmissionTree
from grader.sandbox.layout import module_plans, pytest_pythonpath, script_runs
from tests.harness import MakeTree

SOURCE = {
    "source/__init__.py": "",
    "source/train.py": "import utils\n",
    "source/utils.py": "X = 1\n",
    "source/models/__init__.py": "",
    "source/models/net.py": "import utils\n",
}


def conventions(root: object) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    plans, _ = module_plans(SubmissionTree(root))  # type: ignore[arg-type]
    return {p.path: [(c.module, c.paths) for c in p.conventions] for p in plans}


@pytest.mark.parametrize(("where", "text"), [
    ("dvc.yaml", "stages:\n  train:\n    cmd: python3 source/train.py --epochs 1\n"),
    ("README.md", "# Run\n\n```bash\npython -u source/train.py\n```\n"),
    ("README.md", "# Run\n\n```\ncd source\npython train.py\n```\n"),
    ("Makefile", "train:\n\t$(PYTHON) source/train.py --config cfg.yaml\n"),
    ("scripts/run.sh", "#!/bin/sh\ncd source && python3 train.py\n"),
    ("MLproject", "entry_points:\n  main:\n    command: \"python source/train.py\"\n"),
    ("run_all.py", "import subprocess, sys\nsubprocess.run([sys.executable, 'source/train.py'])\n"),
    ("slurm/job.sbatch", "#SBATCH -N 1\nsrun torchrun --nproc_per_node=2 source/train.py\n"),
])
def test_a_folder_whose_scripts_are_run_imports_its_modules_top_level(
    make_tree: MakeTree, where: str, text: str
) -> None:
    found = conventions(make_tree({**SOURCE, where: text}))
    assert found["source/train.py"] == [("train", ("source",)), ("source.train", ("",))]
    assert found["source/utils.py"] == [("utils", ("source",)), ("source.utils", ("",))]
    assert found["source/models/net.py"] == [("models.net", ("source",)), ("source.models.net", ("",))]
    # The package itself is still a package from the root.
    assert found["source/__init__.py"] == [("source", ("",))]


def test_the_code_itself_says_it_runs_as_a_script_from_its_folder(make_tree: MakeTree) -> None:
    root = make_tree({**SOURCE, "source/train.py": "import utils\n\nif __name__ == '__main__':\n    print(utils.X)\n"})
    plans, notes = module_plans(SubmissionTree(root))
    how = {p.path: p.conventions[0].how for p in plans}
    assert "source/train.py runs as __main__ and imports its sibling `utils`" in how["source/utils.py"]
    assert any(note.startswith("source/:") for note in notes)


def test_without_evidence_a_package_imports_from_the_root(make_tree: MakeTree) -> None:
    found = conventions(make_tree({**SOURCE, "README.md": "Run `python -m source.train`.\n"}))
    assert found["source/train.py"] == [("source.train", ("",))]
    assert found["source/models/net.py"] == [("source.models.net", ("",))]


def test_src_layouts_loose_folders_and_tests(make_tree: MakeTree) -> None:
    root = make_tree({
        "src/audio/__init__.py": "", "src/audio/mel.py": "",
        "experiments/exp1/run.py": "", "experiments/exp1/helpers.py": "",
        "tests/test_mel.py": "", "pkgtests/__init__.py": "", "pkgtests/test_x.py": "",
        "pytest.ini": "[pytest]\npythonpath = src lib\n",
    })
    plans, notes = module_plans(SubmissionTree(root))
    found = {p.path: p.conventions for p in plans}
    mel = found["src/audio/mel.py"][0]
    assert (mel.module, mel.paths) == ("audio.mel", ("src",)) and "src layout" in mel.how
    # A folder without __init__.py: its scripts run from it, or it is a namespace package from the root.
    assert [(c.module, c.paths) for c in found["experiments/exp1/run.py"]] == [
        ("run", ("experiments/exp1",)), ("experiments.exp1.run", ("",))]
    (test,) = found["tests/test_mel.py"]
    assert (test.module, test.paths) == ("test_mel", ("tests", "", "src", "lib")) and "pytest" in test.how
    assert [(c.module, c.paths) for c in found["pkgtests/test_x.py"]] == [("pkgtests.test_x", ("", "src", "lib"))]
    assert any(note.startswith("src/") for note in notes)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("pyproject.toml", "[tool.pytest.ini_options]\npythonpath = ['src', '../outside']\n", ("src",)),
    ("setup.cfg", "[tool:pytest]\npythonpath = src\n", ("src",)),
    ("tox.ini", "[pytest]\npythonpath =\n    src\n    lib\n", ("src", "lib")),
    ("pytest.ini", "[pytest\nbroken", ()),
    ("pyproject.toml", "[tool.pytest.ini_options]\npythonpath = 5\n", ()),
    ("pyproject.toml", "[tool.pytest]\nini_options = 3\n", ()),
    ("pyproject.toml", "[tool.pytest.ini_options]\npythonpath = ['src']\nx = " + "[" * 5000 + "\n", ()),
])
def test_pytest_pythonpath_is_read_from_the_group_s_configuration(
    make_tree: MakeTree, name: str, text: str, expected: tuple[str, ...]
) -> None:
    assert pytest_pythonpath(SubmissionTree(make_tree({name: text}))) == expected


@pytest.mark.parametrize("text", [
    "python ../../etc/evil.py", "python /etc/passwd.py", "python train", "py files live in source/",
    "python -m", "x" * 5000 + " python source/train.py",
])
def test_what_is_not_a_script_of_the_submission_is_no_evidence(make_tree: MakeTree, text: str) -> None:
    root = make_tree({**SOURCE, "README.md": text + "\n"})
    assert [r for r in script_runs(SubmissionTree(root)) if not r.as_module] == []


def test_script_folders_need_not_be_identifiers(make_tree: MakeTree) -> None:
    found = conventions(make_tree({"project_source/SGD-classifier/train.py": "import fileUtils\n",
                                   "project_source/SGD-classifier/fileUtils.py": "", "my-pkg/__init__.py": "",
                                   "my-pkg/a.py": "", "01-intro.py": ""}))
    assert found["project_source/SGD-classifier/train.py"] == [("train", ("project_source/SGD-classifier",))]
    # A package whose name is no identifier cannot be imported as one; a script named so cannot be imported.
    assert "my-pkg/a.py" in found and found["my-pkg/a.py"] == [("a", ("my-pkg",))]
    assert "01-intro.py" not in found


def test_a_folder_the_code_imports_from_the_root_is_a_namespace_package_first(make_tree: MakeTree) -> None:
    found = conventions(make_tree({"train.py": "from models.cnn import Net\n", "models/cnn.py": "import torch\n",
                                   "tools/plot.py": ""}))
    assert found["models/cnn.py"] == [("models.cnn", ("",)), ("cnn", ("models",))]
    assert found["tools/plot.py"] == [("plot", ("tools",)), ("tools.plot", ("",))]
