"""Code runs the way its authors run it, against the real engine: script folders, a package with tests outside it,
notebooks in their own folder, missing data told apart from broken code, and the grader's tools kept apart from a
group's pins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from grader.files import SubmissionTree
from grader.outcomes import ImportsResult, NotebooksResult, PytestResult, SmokeResult, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.steps import StepRunner
from tests.harness import MakeTree, notebook_json

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]


@contextmanager
def installed(engine: Engine, tree: SubmissionTree) -> Iterator[PreparedEnvironment]:
    """The group's environment installed from the index (a real one: slow tests), its image removed afterwards."""
    prepared = prepare_environment(engine, tree, SandboxPolicy(install_timeout=900))
    try:
        assert prepared.step.status is StepStatus.PASSED, prepared.step.stderr_tail
        yield prepared
    finally:
        if prepared.image:
            engine.remove_image(prepared.image)


POLICY = SandboxPolicy(timeout=90, memory="1g", pids=256, tmpfs_size="64m", notebook_cell_timeout=60)

#: The institute's HPC template: scripts under source/ (a package too) that dvc.yaml runs from the root.
SCRIPT_FOLDERS = {
    "dvc.yaml": "stages:\n  train:\n    cmd: python3 source/train.py --epochs 1\n    deps: [source/train.py]\n",
    "source/__init__.py": "",
    "source/train.py": "import network\nfrom utils import EPOCHS\n\nif __name__ == '__main__':\n    print(EPOCHS)\n",
    "source/network.py": "import utils\n\nLAYERS = utils.EPOCHS + 1\n",
    "source/utils.py": "EPOCHS = 1\n",
    "source/evaluate.py": "import utils\nimport sklearn_not_installed\n",
}


def runner(engine: Engine, image: str, root: Path, tmp_path: Path, **options: Any) -> StepRunner:
    scratch = tmp_path / f"scratch-{len(list(tmp_path.iterdir()))}"
    scratch.mkdir()
    return StepRunner(engine, image, POLICY, "conventions", root, scratch, **options)


def test_a_script_folder_imports_as_its_pipeline_runs_it(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(SCRIPT_FOLDERS)
    tree = SubmissionTree(root)
    step = runner(engine, base_image, root, tmp_path).imports(tree)
    assert isinstance(step.detail, ImportsResult)
    # Only the module that is really broken fails; its siblings import as `python3 source/train.py` has them.
    (failure,) = step.detail.failures
    assert (failure.module, failure.error_type) == ("evaluate", "ModuleNotFoundError")
    assert "sklearn_not_installed" in failure.message
    assert failure.how.startswith("as `evaluate` with source/ on sys.path") and "dvc.yaml:3" in failure.how
    assert (failure.error_path, failure.error_line) == ("source/evaluate.py", 2)
    assert step.detail.modules == 5
    assert any("source/" in line and "dvc.yaml:3" in line for line in step.detail.layout)
    # The smoke command the pipeline runs works the same way.
    (smoke,) = runner(engine, base_image, root, tmp_path).smoke(("python3 source/train.py --epochs 1",), tree)
    assert smoke.status is StepStatus.PASSED and smoke.stdout_tail == "1\n"


def test_a_package_with_tests_outside_it_passes_as_python_m_pytest_runs_it(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "tiny/__init__.py": "",
        "tiny/core.py": "def answer():\n    return 42\n",
        "tests/test_core.py": "from tiny.core import answer\n\n\ndef test_answer():\n    assert answer() == 42\n",
    })
    tree = SubmissionTree(root)
    steps = runner(engine, base_image, root, tmp_path)
    tests = steps.tests(tree)
    assert tests.status is StepStatus.PASSED, tests.stdout_tail
    assert isinstance(tests.detail, PytestResult)
    assert (tests.detail.passed, tests.detail.pytest_exit) == (1, 0)
    imports = steps.imports(tree)
    assert imports.status is StepStatus.PASSED, imports.detail
    assert isinstance(imports.detail, ImportsResult) and imports.detail.modules == 3


def test_pytest_configuration_and_conftest_are_honoured(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['src']\ntestpaths = ['tests']\n",
        "src/audio/__init__.py": "",
        "src/audio/frames.py": "def count(n, hop):\n    return 1 + (n - 1) // hop\n",
        "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef hop():\n    return 5\n",
        "tests/test_frames.py": (
            "from audio.frames import count\n\n\ndef test_count(hop):\n    assert count(10, hop) == 2\n"
        ),
        # Outside testpaths: never collected, or the suite would fail.
        "scratch/test_unfinished.py": "def test_todo():\n    raise NotImplementedError\n",
    })
    tests = runner(engine, base_image, root, tmp_path).tests(SubmissionTree(root))
    assert tests.status is StepStatus.PASSED, tests.stdout_tail
    assert isinstance(tests.detail, PytestResult) and tests.detail.tests == 1


def test_a_notebook_runs_in_its_own_folder(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "analysis/explore.ipynb": notebook_json(
            "import helpers", "rows = open('data/values.csv').read().split()", "assert rows == ['a,b', '1,2']",
            "print(helpers.scale(len(rows)))",
        ),
        "analysis/helpers.py": "def scale(n):\n    return 10 * n\n",
        "analysis/data/values.csv": "a,b\n1,2\n",
    })
    step = runner(engine, base_image, root, tmp_path).notebooks(SubmissionTree(root))
    assert step.status is StepStatus.PASSED, step.detail
    assert isinstance(step.detail, NotebooksResult)
    assert step.detail.results[0].executed == 4


#: A group whose data set is not committed (.gitignore), whose README says how to get it.
NEEDS_DATA = {
    ".gitignore": "dataset/\n__pycache__/\n",
    "README.md": "# Effects\n\n## Data\n\nDownload the data set from https://zenodo.org/record/1 into `dataset/`.\n",
    "notebooks/effects.ipynb": notebook_json("import csv", "rows = list(csv.reader(open('../dataset/effectData.csv')))",
                                             "print(len(rows))"),
    "train.py": "import csv\nrows = list(csv.reader(open('dataset/effectData.csv')))\nprint(len(rows), 'rows')\n",
}


def test_missing_data_reads_as_needs_data_and_the_lecturer_can_provide_it(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(NEEDS_DATA)
    tree = SubmissionTree(root)
    steps = runner(engine, base_image, root, tmp_path)
    notebooks = steps.notebooks(tree)
    (smoke,) = steps.smoke(("python train.py",), tree)
    for step in (notebooks, smoke):
        assert step.status is StepStatus.NEEDS_DATA, step
        assert step.needs_data is not None
        assert step.needs_data.missing == ("dataset/effectData.csv",)
        assert step.needs_data.readme_help is not None and step.needs_data.readme_help.startswith("README.md:5:")
        assert step.needs_data.marks == ("dataset/effectData.csv: ignored by .gitignore (line 1: dataset/)",)
    assert isinstance(smoke.detail, SmokeResult) and smoke.detail.missing_data == ("dataset/effectData.csv",)

    data = tmp_path / "lecturer-data"
    data.mkdir()
    (data / "effectData.csv").write_text("gain,drive\n1,2\n3,4\n")
    data.chmod(0o755)
    provided = runner(engine, base_image, root, tmp_path, data={"dataset": str(data)})
    notebooks = provided.notebooks(tree)
    (smoke,) = provided.smoke(("python train.py",), tree)
    assert notebooks.status is StepStatus.PASSED, notebooks.detail
    assert smoke.status is StepStatus.PASSED and smoke.stdout_tail == "3 rows\n"
    # Read-only: the lecturer's copy is the same for every group.
    (write,) = provided.smoke(("echo x > dataset/new.csv",), tree)
    assert write.status is StepStatus.FAILED and "Read-only file system" in write.stderr_tail
    assert sorted(p.name for p in data.iterdir()) == ["effectData.csv"]


def test_a_step_writes_at_most_its_work_size(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({"big.py": "with open('out.bin', 'wb') as f:\n    f.write(b'x' * (64 * 1024 * 1024))\n"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    policy = POLICY.model_copy(update={"work_size": "16m"})
    (step,) = StepRunner(engine, base_image, policy, "limits", root, scratch).smoke(("python big.py",))
    assert step.status is StepStatus.OUTPUT_LIMIT, step.stderr_tail
    assert "work_size" in str(step.error)
    assert sorted(p.name for p in root.iterdir()) == ["big.py"]


#: Pins that broke the grader's tools when they shared the group's environment.
CONFLICTING_PINS = "typing-extensions==4.5.0\npsutil==5.9.5\nipython==8.12.0\njupyter-client==7.4.9\n"


@pytest.mark.slow
def test_a_group_s_pins_win_and_the_grader_s_tools_still_run(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    # In the kernel, the group's own copies are the ones imported, IPython included (the grader's ipykernel runs on
    # them, appended after the group's packages).
    versions = ("import IPython, psutil, typing_extensions\nassert IPython.__version__ == '8.12.0'\n"
                "assert psutil.__version__ == '5.9.5'\nassert '/opt/venv/' in typing_extensions.__file__")
    root = make_tree({
        "requirements.txt": CONFLICTING_PINS + f"# {tmp_path.name}\n",
        "check.ipynb": notebook_json(versions),
        "test_pins.py": "import psutil\n\n\ndef test_pin():\n    assert psutil.__version__ == '5.9.5'\n",
    })
    tree = SubmissionTree(root)
    with installed(engine, tree) as prepared:
        log = prepared.step.stdout_tail + prepared.step.stderr_tail
        # No conflict with anything of the grader's: its tools are not in the group's environment.
        for tool in ("ipykernel", "nbclient", "pytest", "jupyter-server"):
            assert f"{tool} " not in log.split("dependency conflicts")[-1] or "dependency conflicts" not in log
        steps = StepRunner(engine, prepared.image, POLICY, "pins", root, tmp_path)
        notebooks = steps.notebooks(tree)
        assert notebooks.status is StepStatus.PASSED, notebooks
        assert isinstance(notebooks.detail, NotebooksResult) and notebooks.detail.kernel is None
        tests = steps.tests(tree)
        assert tests.status is StepStatus.PASSED, tests.stdout_tail
        smoke = steps.smoke(("python -c \"import json, importlib.metadata as m; print(json.dumps("
                             "{d: m.version(d) for d in ['typing-extensions', 'psutil']}))\"",))
        assert json.loads(smoke[0].stdout_tail) == {"typing-extensions": "4.5.0", "psutil": "5.9.5"}


#: `pip freeze` of a 2021 Jupyter environment, the group's own kernel included (wheels for Python 3.11 exist).
FROZEN_JUPYTER = ("ipykernel==5.5.6\nipython==7.34.0\njupyter-client==6.1.12\ntraitlets==5.9.0\ntornado==6.3.3\n"
                  "pyzmq==25.1.1\n")


@pytest.mark.slow
def test_a_frozen_jupyter_environment_runs_its_notebooks_on_its_own_old_kernel(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    """Students freeze the Jupyter they worked in: an ipykernel 5 on IPython 7 still executes the notebooks, with
    the group's own kernel imported (a group installing its own ipykernel uses it)."""
    versions = ("import ipykernel, IPython\nassert ipykernel.__version__ == '5.5.6', ipykernel.__version__\n"
                "assert IPython.__version__ == '7.34.0'\nprint('old kernel')")
    root = make_tree({"requirements.txt": FROZEN_JUPYTER + f"# {tmp_path.name}\n",
                      "analysis.ipynb": notebook_json(versions)})
    tree = SubmissionTree(root)
    with installed(engine, tree) as prepared:
        notebooks = StepRunner(engine, prepared.image, POLICY, "frozen", root, tmp_path).notebooks(tree)
        assert notebooks.status is StepStatus.PASSED, notebooks


@pytest.mark.slow
def test_an_ipython_too_old_for_the_grader_s_kernel_puts_the_kernel_s_copies_first(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    """A 2020 freeze pins IPython 7.16 and no ipykernel: the grader's ipykernel 6.29 imports on it but hangs the
    first cell (the notebook was reported as failing at cell 1 with a CellTimeoutError). The preflight checks the
    kernel's requirements, not only its import, and starts it with its own copies first, saying so."""
    root = make_tree({"requirements.txt": f"ipython==7.16.3\n# {tmp_path.name}\n",
                      "analysis.ipynb": notebook_json("print(sum(range(4)))")})
    tree = SubmissionTree(root)
    with installed(engine, tree) as prepared:
        notebooks = StepRunner(engine, prepared.image, POLICY, "old-ipython", root, tmp_path).notebooks(tree)
        assert notebooks.status is StepStatus.PASSED, notebooks
        assert isinstance(notebooks.detail, NotebooksResult) and notebooks.detail.kernel is not None
        assert "ipython 7.16.3 (needs >=7.23.1)" in notebooks.detail.kernel
        assert "the kernel ran with the grader's copies of them first" in notebooks.detail.kernel


def test_a_test_file_that_does_not_import_is_one_error_and_the_rest_still_run(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "test_ok.py": "def test_one():\n    assert True\n\n\ndef test_two():\n    assert True\n",
        "test_broken.py": "import not_installed_anywhere\n",
    })
    tests = runner(engine, base_image, root, tmp_path).tests(SubmissionTree(root))
    assert tests.status is StepStatus.FAILED
    assert isinstance(tests.detail, PytestResult) and tests.detail.note is None
    assert (tests.detail.passed, tests.detail.errors) == (2, 1)


def test_a_script_run_inside_its_folder_imports_with_that_folder_as_working_folder(
    engine: Engine, base_image: str, make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree({
        "README.md": "Navigate to the Back_End folder and run 'python3 backend.py'.\n",
        "Back_End/backend.py": "import os, sys\nsys.path.append(os.path.abspath(os.path.join('..', 'Shared')))\n"
                               "import helpers\nCONFIG = open('config.txt').read()\n",
        "Back_End/config.txt": "x\n",
        "Shared/helpers.py": "VALUE = 1\n",
    })
    step = runner(engine, base_image, root, tmp_path).imports(SubmissionTree(root))
    assert step.status is StepStatus.PASSED, step.detail
