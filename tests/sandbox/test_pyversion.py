"""The Python version a group declares: read from every kind of file, compared with the sandbox's, a base of that
version built where a registry answers, and install failures explained by it (against the real engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.pyversion import declared_python
from tests.harness import MakeTree
from tests.sandbox.fake_engine import FakeEngine
from tests.sandbox.pyindex import LocalIndex, local_index, sdist, wheel


@pytest.mark.parametrize(
    ("files", "text", "source", "minor"),
    [
        ({".python-version": "3.8.10\n"}, "3.8.10", ".python-version", "3.8"),
        ({"runtime.txt": "python-3.9.7\n"}, "python-3.9.7", "runtime.txt", "3.9"),
        ({"environment.yml": "name: x\ndependencies:\n  - python=3.10\n  - numpy\n"}, "python=3.10",
         "environment.yml", "3.10"),
        ({"Pipfile": "[packages]\nnumpy = '*'\n[requires]\npython_version = '3.7'\n"}, "3.7", "Pipfile", "3.7"),
        ({".python-version": "3.6.15\n"}, "3.6.15", ".python-version", None),
        ({"pyproject.toml": "[project]\nname='x'\nrequires-python='>=3.8,<3.10'\n"}, ">=3.8,<3.10",
         "pyproject.toml", "3.9"),
        ({"pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.12'\n"}, ">=3.12,<4.0", "pyproject.toml",
         "3.13"),
        ({"setup.py": "from setuptools import setup\nsetup(name='x', python_requires='>=3.6, <3.9')\n"},
         ">=3.6, <3.9", "setup.py", "3.8"),
    ],
    ids=["pyenv", "runtime", "conda", "pipfile", "unbuildable", "requires-python", "poetry-caret", "setup-py"],
)
def test_declarations_are_read_from_every_kind_of_file(
    make_tree: MakeTree, files: dict[str, str], text: str, source: str, minor: str | None
) -> None:
    found = declared_python(SubmissionTree(make_tree(files)))
    assert found is not None
    assert (found.text, found.source) == (text, source)
    assert found.best_minor() == minor


@pytest.mark.parametrize("pyproject", [
    "[project]\nname = 'x'\nversion = " + "9" * 5000 + "\n",  # past Python's int digits limit: ValueError
    "[project]\nrequires-python = '>=3.8'\nx = " + "[" * 5000 + "]" * 5000 + "\n",  # nested past the cap
    "[project\nrequires-python = '>=3.8'\n",  # not TOML
    "project = 5\n",  # a table that is no table
], ids=["huge-integer", "nested", "not-toml", "wrong-type"])
def test_a_hostile_pyproject_declares_nothing_and_raises_nothing(make_tree: MakeTree, pyproject: str) -> None:
    """The sandbox reads pyproject.toml through the bounded loader: what it cannot read declares nothing here
    (the environment checks report the file), instead of an error that left the build an infrastructure error."""
    assert declared_python(SubmissionTree(make_tree({"pyproject.toml": pyproject}))) is None


def test_a_conda_file_of_any_name_declares_too(make_tree: MakeTree) -> None:
    conda = "dependencies:\n  - pip=20.0.2=py37_1\n  - python=3.7.6=h0371630_2\n"
    tree = SubmissionTree(make_tree({"env.yaml": conda}))
    found = declared_python(tree, conda=("env.yaml",))
    assert found is not None and (found.exact_minor, found.source) == ("3.7", "env.yaml")
    assert found.wanted() == "env.yaml asks for Python 3.7"


def test_what_satisfies_a_declaration(make_tree: MakeTree) -> None:
    ranged = declared_python(SubmissionTree(make_tree({"pyproject.toml": "[project]\nrequires-python='>=3.8'\n"})))
    assert ranged is not None and ranged.satisfied_by("3.11")
    pinned = declared_python(SubmissionTree(make_tree({"runtime.txt": "python-3.8.10"})))
    assert pinned is not None and not pinned.satisfied_by("3.11") and pinned.satisfied_by("3.8")
    assert declared_python(SubmissionTree(make_tree({"main.py": "print(1)\n"}))) is None
    junk = {".python-version": "system\n", "pyproject.toml": "[project\n", "runtime.txt": "\x00"}
    assert declared_python(SubmissionTree(make_tree(junk))) is None


class RegistryEngine(FakeEngine):
    """A fake engine that reaches a registry: every public image can be pulled."""

    def pull(self, reference: str) -> None:
        self.add_image(reference)


def test_a_base_of_the_declared_python_is_built_where_a_registry_answers(make_tree: MakeTree) -> None:
    engine = RegistryEngine()
    root = make_tree({"runtime.txt": "python-3.9.7\n", "requirements.txt": "six\n"})
    prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy())
    assert prepared.step.status is StepStatus.PASSED, prepared.step
    assert [b["buildargs"]["BASE_IMAGE"] for b in engine.builds] == ["python:3.11-slim", "python:3.9-slim"]
    install = next(c for c in engine.created if c.step == "install")
    assert install.image.endswith("-py3.9")
    assert isinstance(prepared.step.detail, BuildResult)
    assert prepared.step.detail.python == "3.9"
    assert "installed on Python 3.9, as runtime.txt asks" in prepared.step.detail.notes
    # follow_python off: the default base, and a note saying why.
    again = prepare_environment(RegistryEngine(), SubmissionTree(root), SandboxPolicy(follow_python=False))
    assert isinstance(again.step.detail, BuildResult) and again.step.detail.python == "3.11"
    assert "follow_python is off" in str(again.step.detail.notes)


# -- against the real engine (no registry here: the base stays Python 3.11) ----------------------------------------


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        built = tmp_path / "built"
        built.mkdir()
        served.add(wheel(built, "oldonly", "1.0", requires_python="<3.9"), requires_python="<3.9")
        served.add(sdist(built, "legacypkg", "0.9", "from collections import Mapping\n"))
        yield served


def run(engine: Engine, root: Path, index: LocalIndex) -> tuple[PreparedEnvironment, BuildResult]:
    prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy(index_url=index.url))
    assert isinstance(prepared.step.detail, BuildResult), prepared.step
    return prepared, prepared.step.detail


@pytest.mark.docker
@pytest.mark.usefixtures("base_image", "no_leftovers")
def test_a_pin_for_an_older_python_is_diagnosed_with_the_groups_declaration(
    engine: Engine, make_tree: MakeTree, index: LocalIndex
) -> None:
    root = make_tree({"runtime.txt": "python-3.8.10\n", "requirements.txt": "oldonly==1.0\n"})
    prepared, build = run(engine, root, index)
    assert prepared.step.status is StepStatus.FAILED
    assert build.failure_reason == "python-version-mismatch"
    assert build.failed_requirement == "oldonly==1.0"
    assert build.python_declared == "python-3.8.10 (runtime.txt)"
    assert str(build.explanation).startswith("runtime.txt asks for Python 3.8 but the sandbox has Python 3.11: ")
    assert "oldonly==1.0" in str(build.explanation)
    assert any("no base image of Python 3.8 could be built" in n for n in build.notes), build.notes


@pytest.mark.docker
@pytest.mark.usefixtures("base_image", "no_leftovers")
def test_an_old_pin_without_a_wheel_that_does_not_build_is_named(
    engine: Engine, make_tree: MakeTree, index: LocalIndex
) -> None:
    prepared, build = run(engine, make_tree({"requirements.txt": "legacypkg==0.9\n"}), index)
    assert prepared.step.status is StepStatus.FAILED
    assert build.failure_reason == "no-wheel-for-python", (build, prepared.step.stdout_tail)
    assert build.failed_requirement == "legacypkg==0.9"
    assert "no wheel for Python 3.11 on Linux" in str(build.explanation)
