"""Finding and parsing environment files statically, including the traps of real student repositories."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.analysis.env.find import (
    declared_requirements,
    environment_files,
    preferred_environment,
    readme_requirements,
)
from grader.analysis.env.model import EnvFile, EnvKind, Pin, conda_pin, pep440_pin, poetry_pin
from grader.files import SubmissionTree
from tests.analysis.env.properties import assert_well_formed
from tests.analysis.strategies import (
    conda_text,
    notebook_text,
    requirements_text,
    setup_cfg_text,
    setup_py_text,
    toml_text,
)
from tests.harness import MakeTree


def _files(root: Path) -> dict[str, EnvFile]:
    return {f.path: f for f in environment_files(SubmissionTree(root))}


def test_requirements_with_include_options_markers_hashes_and_editable_project(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": """\
            # training stack
            --index-url https://download.pytorch.org/whl/cpu
            -r requirements/base.txt
            -e .
            torch==2.2.0 \\
                --hash=sha256:abc123
            soundfile>=0.12 ; sys_platform != "win32"  # for wav files
            git+https://github.com/openai/whisper.git#egg=openai-whisper
            """,
        "requirements/base.txt": "numpy~=1.26\nlibrosa\n",
    })
    env = _files(root)["requirements.txt"]
    assert env.kind is EnvKind.REQUIREMENTS and env.error is None and env.installs_project
    assert env.includes == ("requirements/base.txt",)
    by_name = {r.name: r for r in env.requirements}
    assert set(by_name) == {"numpy", "librosa", "torch", "soundfile", "openai-whisper"}
    assert (by_name["torch"].pin, by_name["torch"].line) == (Pin.EXACT, 5)
    assert by_name["numpy"].pin is Pin.BOUNDED and by_name["numpy"].path == "requirements/base.txt"
    assert by_name["soundfile"].marker == 'sys_platform != "win32"' and by_name["soundfile"].pin is Pin.NONE
    assert by_name["librosa"].pin is Pin.NONE
    assert env.warnings == ()


def test_include_cycle_and_include_outside_the_checkout_are_warnings(make_tree: MakeTree, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("stolen-package==1.0\n")
    root = make_tree({
        "requirements.txt": "-r requirements-dev.txt\n-r ../secret.txt\n-r /etc/passwd\nnumpy\n",
        "requirements-dev.txt": "-r requirements.txt\npytest\n",
    })
    env = _files(root)["requirements.txt"]
    assert {r.name for r in env.requirements} == {"numpy", "pytest"}
    messages = [(w.path, w.line, w.message) for w in env.warnings]
    assert any(p == "requirements-dev.txt" and line == 1 and "cycle" in m for p, line, m in messages)
    assert [line for p, line, m in messages if "outside the checkout" in m] == [2, 3]


def test_pyproject_with_only_tool_settings_is_not_an_environment_file(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[tool.black]\nline-length = 100\n\n[tool.isort]\nprofile = 'black'\n"})
    assert _files(root) == {}


def test_corrupt_pyproject_is_an_error_with_its_line(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[project]\nname = 'x'\ndependencies = [\n  'numpy',\n"})
    env = _files(root)["pyproject.toml"]
    assert env.error is not None and env.error.startswith("invalid TOML")
    assert env.error_line is not None and env.error_line >= 4


def test_pep621_dependencies_with_parenthesised_ranges(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": """\
        [project]
        name = "kws"
        dependencies = ["tensorflow (==2.19.0)", "numpy (>=1.26.0,<2.2.0)", "pyyaml>=6"]
        """})
    env = _files(root)["pyproject.toml"]
    assert env.kind is EnvKind.PYPROJECT
    assert [(r.name, r.pin) for r in env.requirements] == [
        ("tensorflow", Pin.EXACT), ("numpy", Pin.BOUNDED), ("pyyaml", Pin.NONE)]
    assert env.requirements[1].line == 3


def test_poetry_ranges_and_poetry_lock(make_tree: MakeTree) -> None:
    root = make_tree({
        "pyproject.toml": """\
            [tool.poetry]
            name = "kws"

            [tool.poetry.dependencies]
            python = ">=3.10,<3.13"
            librosa = "^0.10"
            torch = {version = "2.2.0", source = "pytorch"}
            pandas = "*"

            [tool.poetry.group.dev.dependencies]
            pytest = ">=8"
            """,
        "poetry.lock": '[[package]]\nname = "librosa"\nversion = "0.10.1"\n\n'
                       '[[package]]\nname = "numba"\nversion = "0.59.0"\n',
    })
    files = _files(root)
    poetry = files["pyproject.toml"]
    assert poetry.kind is EnvKind.POETRY
    assert {r.name: r.pin for r in poetry.requirements} == {
        "librosa": Pin.BOUNDED, "torch": Pin.EXACT, "pandas": Pin.NONE, "pytest": Pin.NONE}
    lock = files["poetry.lock"]
    assert lock.is_lock and lock.frozen and {r.name for r in lock.requirements} == {"librosa", "numba"}
    assert all(r.pin is Pin.EXACT for r in lock.requirements)


def test_uv_lock_leaves_out_the_project_itself(make_tree: MakeTree) -> None:
    root = make_tree({"uv.lock": """\
        version = 1
        [[package]]
        name = "mgr"
        version = "0.1.0"
        source = { editable = "." }

        [[package]]
        name = "torch"
        version = "2.3.0"
        """})
    assert [r.name for r in _files(root)["uv.lock"].requirements] == ["torch"]


@pytest.mark.parametrize("name", ["env.yaml", "mgr_env.yml", "environment-gpu.yml", "sub/dir/environment.yml"])
def test_conda_files_by_their_many_names(make_tree: MakeTree, name: str) -> None:
    root = make_tree({name: """\
        name: mgr
        channels:
          - pytorch
          - conda-forge
        dependencies:
          - python=3.10
          - pytorch::pytorch=2.0.1=py3.10_cuda11.8_0
          - numpy=1.24
          - librosa
          - pip
          - pip:
            - pytorch-lightning==2.0.2
            - torchmetrics
        """})
    env = _files(root)[name]
    assert env.kind is EnvKind.CONDA and env.error is None
    assert {r.name: r.pin for r in env.requirements} == {
        "pytorch": Pin.EXACT, "numpy": Pin.BOUNDED, "librosa": Pin.NONE,
        "pytorch-lightning": Pin.EXACT, "torchmetrics": Pin.NONE}
    assert not env.frozen


def test_yaml_that_is_not_conda_is_ignored_and_corrupt_conda_is_an_error(make_tree: MakeTree) -> None:
    root = make_tree({
        "configs/train_env.yaml": "lr: 0.001\nbatch_size: 32\n",
        "environment.yml": "name: x\ndependencies:\n  - numpy\n  - [unclosed\n",
    })
    files = _files(root)
    assert "configs/train_env.yaml" not in files
    assert files["environment.yml"].error is not None and files["environment.yml"].error_line is not None


def test_conda_export_is_frozen(make_tree: MakeTree) -> None:
    deps = "".join(f"  - pkg{i}=1.0.{i}=h123_0\n" for i in range(30))
    root = make_tree({"environment.yml": f"name: x\ndependencies:\n{deps}prefix: /home/me/miniconda3/envs/x\n"})
    env = _files(root)["environment.yml"]
    assert env.frozen and len(env.requirements) == 30


def test_setup_py_is_read_statically_and_never_executed(make_tree: MakeTree) -> None:
    root = make_tree({"setup.py": """\
        from pathlib import Path
        from setuptools import setup
        Path("PWNED").write_text("setup.py was executed")
        REQUIRES = ["torch>=2", "librosa==0.10.1"]
        setup(name="mgr", install_requires=REQUIRES)
        """})
    env = _files(root)["setup.py"]
    assert [(r.name, r.pin) for r in env.requirements] == [("torch", Pin.NONE), ("librosa", Pin.EXACT)]
    assert not (root / "PWNED").exists()


def test_setup_py_with_computed_requirements_and_python2_syntax(make_tree: MakeTree) -> None:
    root = make_tree({
        "a/setup.py": "import setuptools\nsetuptools.setup(install_requires=open('r.txt').read().split())\n",
        "b/setup.py": "print 'hello'\n",
    })
    files = _files(root)
    assert files["a/setup.py"].warnings[0].line == 2
    assert files["b/setup.py"].error is not None


def test_setup_cfg_and_pipfile(make_tree: MakeTree) -> None:
    root = make_tree({
        "setup.cfg": "[options]\ninstall_requires =\n    numpy>=1.2,<2\n    scipy\n",
        "tools/setup.cfg": "[flake8]\nmax-line-length = 100\n",
        "Pipfile": '[packages]\nlibrosa = "*"\ntorch = "==2.1.0"\n\n[dev-packages]\npytest = {version = ">=7"}\n',
    })
    files = _files(root)
    assert "tools/setup.cfg" not in files
    assert {r.name: r.pin for r in files["setup.cfg"].requirements} == {"numpy": Pin.BOUNDED, "scipy": Pin.NONE}
    assert {r.name: r.pin for r in files["Pipfile"].requirements} == {
        "librosa": Pin.NONE, "torch": Pin.EXACT, "pytest": Pin.NONE}


def test_dockerfile_is_evidence_and_not_a_declaration(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": """\
        FROM python:3.11
        RUN pip install --no-cache-dir \\
            torch==2.2.0 librosa && \\
            pip install -e .
        """})
    env = _files(root)["Dockerfile"]
    assert env.evidence_only and env.installs_project
    assert [r.name for r in env.requirements] == ["torch", "librosa"]
    assert declared_requirements([env]) == []
    assert len(declared_requirements([env], include_evidence=True)) == 2


def test_pip_freeze_is_frozen(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "".join(f"package-{i}=={i}.0\n" for i in range(40))})
    assert _files(root)["requirements.txt"].frozen


def test_readme_install_commands(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": """\
        # Project
        Install with:

            pip install torch librosa==0.10.1 -r requirements.txt
            conda install -c conda-forge ffmpeg
        """})
    reqs = readme_requirements(SubmissionTree(root))
    assert [(r.name, r.line) for r in reqs] == [("torch", 4), ("librosa", 4), ("ffmpeg", 5)]


def test_unreadable_and_binary_files_do_not_crash(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": b"\x00\x01binary\x00", "pyproject.toml": b"\xff\xfe[project]\n"})
    files = _files(root)
    assert files["requirements.txt"].error is not None
    assert files["pyproject.toml"].error is not None


@pytest.mark.parametrize(
    ("spec", "pin"),
    [("==1.0", Pin.EXACT), ("===1.0", Pin.EXACT), ("==1.*", Pin.BOUNDED), ("~=1.2", Pin.BOUNDED),
     (">=1,<2", Pin.BOUNDED), ("<=3", Pin.BOUNDED), (">=1", Pin.NONE), ("", Pin.NONE), ("!=1.3", Pin.NONE)],
)
def test_pep440_pins(spec: str, pin: Pin) -> None:
    assert pep440_pin(spec) is pin


@pytest.mark.parametrize(
    ("constraint", "pin"),
    [("1.2.3", Pin.EXACT), ("^1.2", Pin.BOUNDED), ("~1.2", Pin.BOUNDED), ("1.2.*", Pin.BOUNDED),
     (">=1 <2", Pin.BOUNDED), (">=1", Pin.NONE), ("*", Pin.NONE), ("^1.0 || >=3", Pin.NONE)],
)
def test_poetry_pins(constraint: str, pin: Pin) -> None:
    assert poetry_pin(constraint) is pin


@pytest.mark.parametrize(
    ("version", "build", "pin"),
    [("=1.2.3", "py39_0", Pin.EXACT), ("==1.2", "", Pin.EXACT), ("=1.2", "", Pin.BOUNDED),
     (">=1.2,<2", "", Pin.BOUNDED), (">=1.2", "", Pin.NONE), ("", "", Pin.NONE)],
)
def test_conda_pins(version: str, build: str, pin: Pin) -> None:
    assert conda_pin(version, build) is pin


def test_powershell_utf16_freeze_and_conda_local_file_references(make_tree: MakeTree) -> None:
    freeze = "numpy==1.26.0\r\ncertifi @ file:///croot/certifi_1671487769961/work/certifi\r\n"
    root = make_tree({"requirements.txt": freeze.encode("utf-16")})
    env = _files(root)["requirements.txt"]
    assert env.error is None
    assert {r.name: r.pin for r in env.requirements} == {"numpy": Pin.EXACT, "certifi": Pin.EXACT}
    assert [(w.line, "local files" in w.message) for w in env.warnings] == [(2, True)]


def test_conda_file_under_any_name_is_recognised_by_content(make_tree: MakeTree) -> None:
    root = make_tree({
        "dl4ad.yml": "name: dl4ad\nchannels: [conda-forge]\ndependencies:\n  - librosa=0.10\n",
        "configs/model.yaml": "layers: [1, 2\n",  # a broken config, not an environment: no error for it
        ".github/workflows/ci.yml": "jobs: {}\ndependencies:\n  - numpy\n",
        "req.yml": "dependencies: [numpy, {pip: [torch]}]\n",
    })
    files = _files(root)
    assert sorted(files) == ["dl4ad.yml", "req.yml"]
    assert [r.name for r in files["req.yml"].requirements] == ["numpy", "torch"]


def test_pipfile_lock_and_pyproject_without_dependencies(make_tree: MakeTree) -> None:
    root = make_tree({
        "Pipfile.lock": '{"_meta": {}, "default": {"numpy": {"version": "==1.26.0"}}, "develop": {"pytest": {}}}',
        "pyproject.toml": '[project]\nname = "mgr"\ndynamic = ["dependencies"]\n',
        "pkg/pyproject.toml": '[project]\nname = "tool"\n',
    })
    files = _files(root)
    lock = files["Pipfile.lock"]
    assert lock.is_lock
    assert [(r.name, r.pin) for r in lock.requirements] == [("numpy", Pin.EXACT), ("pytest", Pin.EXACT)]
    assert "dynamic" in files["pyproject.toml"].warnings[0].message
    assert files["pkg/pyproject.toml"].warnings[0].message == "[project] declares no dependencies"
    assert files["pkg/pyproject.toml"].warnings[0].line == 1


def test_readme_prose_is_not_read_as_package_names(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": """\
        # Project
        If something is missing, pip install the missing packages yourself.
        Or run `pip install soundfile` first, then:

        $ pip3 install "torch>=2" --index-url https://download.pytorch.org/whl/cpu
        """})
    reqs = readme_requirements(SubmissionTree(root))
    assert [(r.name, r.line) for r in reqs] == [("soundfile", 3), ("torch", 5)]


def test_include_through_a_symbolic_link_is_not_followed(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "-r base.txt\nnumpy\n"})
    (root / "base.txt").symlink_to("/etc/passwd")
    env = _files(root)["requirements.txt"]
    assert [r.name for r in env.requirements] == ["numpy"]
    assert [(w.line, "is a link, not followed" in w.message) for w in env.warnings] == [(1, True)]


def test_preferred_environment_for_an_installer(make_tree: MakeTree) -> None:
    root = make_tree({
        "Dockerfile": "FROM python:3.11\n",
        "docs/requirements.txt": "sphinx\n",
        "requirements.txt": "numpy\n",
        "environment.yml": "dependencies: [numpy]\n",
        "pyproject.toml": "[project\n",
    })
    preferred = preferred_environment(environment_files(SubmissionTree(root)))
    assert preferred is not None and preferred.path == "environment.yml"
    assert preferred_environment([]) is None


# -- discovery on generated trees -----------------------------------------------------------------------------------

_FOLDERS = ("", "requirements/", "env/", "src/", ".github/workflows/", "a/b/c/", "docs/")
#: Environment file names, each with the kind of text a student puts in it.
_NAMED_TEXT = (
    (("requirements.txt", "requirements-dev.txt", "reqs.in", "req.pip", "base.txt"), requirements_text),
    (("pyproject.toml", "Pipfile", "uv.lock", "poetry.lock"), toml_text),
    (("environment.yml", "conda.yaml", "dl4ad.yml", "config.yaml"), conda_text),
    (("setup.py",), setup_py_text),
    (("setup.cfg",), setup_cfg_text),
    (("Pipfile.lock",), notebook_text),
    (("Dockerfile", "gpu.dockerfile"), requirements_text),
)
_files_with_text = st.one_of(*[
    st.tuples(st.sampled_from(_FOLDERS), st.sampled_from(names), text.map(lambda t: t.encode("utf-8", "replace")))
    for names, text in _NAMED_TEXT
])
_odd_bytes = st.tuples(st.sampled_from(_FOLDERS), st.sampled_from(["requirements.txt", "environment.yml"]),
                       st.sampled_from([b"\x00\x01binary", b"\xff\xfe" + "numpy\n".encode("utf-16-le"), b"\xff\xfe",
                                        b"\xef\xbb\xbfnumpy==1.0\n", b"\xc3\x28 invalid utf-8\n", b""]))


@given(st.lists(st.one_of(_files_with_text, _odd_bytes), max_size=6), st.booleans())
def test_any_tree_gives_well_formed_environment_files(files: list[tuple[str, str, bytes]], link: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for directory, name, data in files:
            (root / directory).mkdir(parents=True, exist_ok=True)
            (root / directory / name).write_bytes(data)
        if link:
            (root / "requirements-link.txt").symlink_to("/etc/passwd")
        tree = SubmissionTree(root)
        found = environment_files(tree)
        texts = {rel: tree.read_text(rel) or "" for rel in tree.files()}
        assert environment_files(tree) is found  # parsed once per tree
    paths = [env.path for env in found]
    assert paths == sorted(set(paths)) and set(paths) <= set(texts)
    for env in found:
        assert_well_formed(env, texts)
    preferred = preferred_environment(found)
    assert preferred is None or (preferred in found and preferred.error is None)
    assert all(req.name.strip() for req in declared_requirements(found, include_evidence=True))
