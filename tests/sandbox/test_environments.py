"""Environment detection: kinds in order, first match wins, each with the pip install plan it produces."""

from __future__ import annotations

import pytest

from grader.analysis.env.model import Requirement
from grader.files import SubmissionTree
from grader.sandbox.environments import conda_to_pip, plan_install, poetry_to_pep440
from tests.harness import MakeTree, notebook_json


def plan_of(make_tree: MakeTree, files: dict[str, str | bytes]):  # type: ignore[no-untyped-def]
    return plan_install(SubmissionTree(make_tree(files)))


def test_requirements_win_over_pyproject_and_conda(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {
        "requirements.txt": "numpy==1.26.4\n",
        "requirements-dev.txt": "pytest\n",
        "docs/requirements.txt": "sphinx\n",
        "pyproject.toml": "[project]\nname='x'\ndependencies=['six']\n",
        "environment.yml": "dependencies:\n  - numpy\n",
        "train.py": "print(1)\n",
    })
    assert plan.kind == "requirements"
    assert plan.pip_installs == (("-r", "requirements-dev.txt"), ("-r", "requirements.txt"))
    # Only the requirement files are copied (and hashed), not the code: a code change keeps the cached environment.
    assert plan.copy == ("requirements-dev.txt", "requirements.txt")


def test_requirements_in_a_subfolder_with_include(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {
        "source/requirements.txt": "-r base.txt\nidna\n",
        "source/base.txt": "six\n",
        "deep/er/requirements.txt": "torch\n",
    })
    assert plan.kind == "requirements"
    assert plan.pip_installs == (("-r", "source/requirements.txt"),)
    assert set(plan.copy) == {"source/requirements.txt", "source/base.txt"}


def test_requirements_installing_the_project_copy_everything(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"requirements.txt": "-e .\nsix\n", "setup.py": "", "pkg/__init__.py": ""})
    assert plan.kind == "requirements"
    assert "pkg/__init__.py" in plan.copy


def test_pyproject_pep621_and_poetry_install_the_project(make_tree: MakeTree) -> None:
    pep621 = plan_of(make_tree, {"pyproject.toml": "[project]\nname='a'\ndependencies=['six']\n", "a/__init__.py": ""})
    poetry = plan_of(make_tree, {
        "pyproject.toml": "[tool.poetry]\nname='b'\n[tool.poetry.dependencies]\npython='^3.11'\nsix='*'\n",
    })
    for plan in (pep621, poetry):
        assert plan.kind == "pyproject"
        assert plan.pip_installs == ((".",),)
        assert plan.sources == ("pyproject.toml",)
    assert "a/__init__.py" in pep621.copy


def test_tool_only_pyproject_falls_through_to_setup_py(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"pyproject.toml": "[tool.black]\nline-length=100\n", "setup.py": "setup()\n"})
    assert plan.kind == "setup"
    assert plan.sources == ("setup.py",)
    assert plan.pip_installs == ((".",),)


def test_setup_cfg_in_a_subfolder(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"code/setup.cfg": "[metadata]\nname = x\n[options]\ninstall_requires =\n  six\n"})
    assert plan.kind == "setup"
    assert plan.pip_installs == (("./code",),)


def test_conda_pip_section_and_pypi_part_installed_rest_reported(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"environment.yml": """\
        name: audio
        channels: [pytorch, conda-forge]
        dependencies:
          - python=3.9
          - pytorch=1.13
          - cudatoolkit=11.7
          - libsndfile
          - numpy>=1.22
          - pip
          - pip:
            - librosa==0.10.1
        """})
    assert plan.kind == "conda"
    requirements = plan.generated["grader-conda-requirements.txt"].split()
    assert requirements == ["torch==1.13.*", "numpy>=1.22", "librosa==0.10.1"]
    assert plan.pip_installs == (("-r", "grader-conda-requirements.txt"),)
    assert any("cudatoolkit" in n and "libsndfile" in n for n in plan.notes)


def test_conda_to_pip_versions() -> None:
    assert conda_to_pip(Requirement("numpy", "=1.21.5=py39h7a5d4dd_0", source="conda")) == "numpy==1.21.5.*"
    assert conda_to_pip(Requirement("scipy", "==1.10", source="conda")) == "scipy==1.10"
    assert conda_to_pip(Requirement("py-opencv", "", source="conda")) == "opencv-python"
    assert conda_to_pip(Requirement("libffi", "=3.4", source="conda")) is None
    assert conda_to_pip(Requirement("librosa", "=0.7.2=py_0", source="conda")) == "librosa==0.7.2.*"


def test_pipfile_packages_become_requirements(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"Pipfile": "[packages]\nsix = '*'\nidna = '==3.7'\n[dev-packages]\npytest = '*'\n"})
    assert plan.kind == "pipfile"
    assert plan.generated["grader-pipfile-requirements.txt"].split() == ["six", "idna==3.7", "pytest"]


def test_plain_fallback_and_dockerfile_reported_not_used(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"main.py": "print('hi')\n", "Dockerfile": "FROM python:3.11\nRUN pip install six\n"})
    assert plan.kind == "plain"
    assert plan.empty
    assert any("Dockerfile" in n and "not used" in n for n in plan.notes)


def test_broken_environment_file_does_not_raise(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"environment.yml": "dependencies: [\n", "Pipfile": "[packages\n"})
    assert plan.kind == "plain"


def test_a_projects_dependencies_are_its_fallback(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"pyproject.toml": """\
        [tool.poetry]
        name = "kws"
        [tool.poetry.dependencies]
        python = "^3.11"
        numpy = "^1.26"
        scipy = "~1.15.2"
        tqdm = "*"
        """})
    assert plan.kind == "pyproject" and plan.pip_installs == ((".",),)
    assert plan.fallback is not None
    lines = plan.fallback.generated["grader-project-requirements.txt"].split()
    assert lines == ["numpy>=1.26,<2", "scipy>=1.15.2,<1.16", "tqdm"]


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^1.2.3", ">=1.2.3,<2"), ("^0.2.3", ">=0.2.3,<0.3"), ("~1.2", ">=1.2,<1.3"), ("*", ""), ("1.4", "==1.4"),
    (">=1,<2", ">=1,<2"),
])
def test_poetry_constraints_in_pep440_words(poetry: str, pep440: str) -> None:
    assert poetry_to_pep440(poetry) == pep440


def test_the_notebooks_own_pip_installs_come_after_the_environment_file(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {
        "requirements.txt": "librosa==0.10.1\nnumpy\n",
        "explore.ipynb": notebook_json("!pip install pydub numpy==1.19\n%pip install -q tinytag==2.0.0\nimport pydub",
                                       "%%bash\npip install --upgrade wavio\n", "!pip install -r requirements.txt"),
    })
    assert plan.pip_installs == (("-r", "requirements.txt"),)
    # The environment file wins: numpy is declared there, so the notebook's own pin of it is not installed.
    assert plan.notebook_packages == ("pydub", "tinytag==2.0.0", "wavio")


def test_a_notebook_that_installs_makes_a_plain_submission_worth_an_install(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"colab.ipynb": notebook_json("!pip install pretty_midi\nimport pretty_midi")})
    assert (plan.kind, plan.pip_installs, plan.notebook_packages) == ("plain", (), ("pretty_midi",))
    assert not plan.empty
    assert plan_of(make_tree, {"train.py": "print(1)\n"}).empty
