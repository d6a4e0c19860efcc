"""The env.* checks driven through real files: environment found, pinning, imports declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.env import EnvFileCheck, EnvImportsDeclaredCheck, EnvPinnedCheck, EnvPinnedOptions
from grader.files import SubmissionTree
from grader.models import CheckResult, Severity, Status
from grader.outcomes import BuildResult, InstalledEnvironment, RunOutcome, StepOutcome, StepStatus
from tests.harness import MakeTree, notebook_json, run_on

# -- env.file ----------------------------------------------------------------------------------------------------


def test_file_found_in_a_subfolder_with_counts(make_tree: MakeTree) -> None:
    root = make_tree({"Denoising/DNP/environment.yml": "name: dnp\ndependencies:\n  - numpy\n  - pip:\n    - torch\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.PASSED and result.score == 1.0
    assert result.measurements["files"] == ["Denoising/DNP/environment.yml"]
    assert result.measurements["kind"] == "conda"
    assert result.measurements["requirements"] == 2


def test_a_conda_freeze_s_local_paths_are_named_with_what_to_write_instead(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "six==1.16.0\nnumpy @ file:///home/conda/feedstock_root/numpy_16689/work\n"
                                          "certifi @ file:///croot/certifi_1671487769961/work/certifi\n"})
    result = run_on(EnvFileCheck(), root)
    (local,) = [f for f in result.findings if "local files" in f.message]
    assert (local.path, local.line) == ("requirements.txt", 2)
    assert local.message == ("2 requirement(s) point at local files (file://, as `pip freeze` writes in conda): numpy, "
                             "certifi; they will not install elsewhere: write `name==version` instead (`pip list "
                             "--format=freeze` does)")


def test_no_file_with_gitignore_hiding_txt(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "__pycache__/\n*.txt\n", "train.py": "import torch\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.measurements["kind"] == "none"
    hidden = [f for f in result.findings if f.path == ".gitignore"]
    assert hidden and hidden[0].line == 2 and hidden[0].severity is Severity.WARNING


def test_gitignore_negation_takes_requirements_back(make_tree: MakeTree) -> None:
    hidden = run_on(EnvFileCheck(), make_tree({".gitignore": "**/*.txt\n"}))
    assert [(f.path, f.line) for f in hidden.findings if f.path == ".gitignore"] == [(".gitignore", 1)]
    back = run_on(EnvFileCheck(), make_tree({".gitignore": "*.txt\n!requirements.txt\n"}))
    assert not any(f.path == ".gitignore" for f in back.findings)


def test_black_only_pyproject_is_no_environment(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[tool.black]\nline-length = 88\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.FAILED and result.measurements["files"] == []


def test_dependencies_only_in_readme_get_partial_credit(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "# KWS\n\n```bash\npip install torch librosa\n```\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.FAILED and result.score == 0.5
    assert result.measurements["kind"] == "readme" and result.measurements["requirements"] == 2
    assert any(f.path == "README.md" and f.line == 4 and "only in the README" in f.message for f in result.findings)


def test_corrupt_pyproject_is_a_finding_not_a_crash(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[project\nname = 'x'\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.FAILED and result.score == 0.25
    assert result.measurements["broken"] == ["pyproject.toml"]
    assert [(f.path, f.line) for f in result.findings] == [("pyproject.toml", 1)]


def test_corrupt_pyproject_next_to_a_good_requirements_file(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[project\n", "requirements.txt": "numpy\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.PASSED and result.score == 0.75
    assert any(f.path == "pyproject.toml" for f in result.findings)


def test_dockerfile_only(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": "FROM python:3.11\nRUN pip install torch\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.PASSED and result.score == 0.75
    assert result.measurements["kind"] == "dockerfile"


def test_include_problems_are_reported_with_lines(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "numpy\n-r ../../outside.txt\n"})
    result = run_on(EnvFileCheck(), root)
    assert result.status is Status.PASSED
    assert [(f.path, f.line) for f in result.findings] == [("requirements.txt", 2)]


# -- env.pinned --------------------------------------------------------------------------------------------------


def test_pinned_ratio_counts_exact_and_bounded(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "torch==2.2.0\nnumpy<2\nlibrosa\nscipy>=1.0\n"})
    result = run_on(EnvPinnedCheck(), root)
    m = result.measurements
    assert (m["pinned_ratio"], m["exact"], m["bounded"], m["unpinned"], m["total"]) == (0.5, 1, 1, 2, 4)
    assert m["exact_ratio"] == 0.25
    assert result.status is Status.PASSED and result.score == 1.0
    assert {(f.message.split()[0], f.line) for f in result.findings} == {("librosa", 3), ("scipy", 4)}


def test_unpinned_course_style_requirements_score_mildly(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "torch\nnumpy\nlibrosa==0.10.1\n"})
    default = run_on(EnvPinnedCheck(), root)
    assert default.status is Status.FAILED and abs(default.score - (1 / 3) / 0.5) < 1e-9
    strict = run_on(EnvPinnedCheck(EnvPinnedOptions(target_ratio=1.0)), root)
    assert abs(strict.score - 1 / 3) < 1e-9


def test_poetry_ranges_with_lock_are_fully_pinned(make_tree: MakeTree) -> None:
    root = make_tree({
        "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nlibrosa = "*"\ntorch = ">=2"\n',
        "poetry.lock": '[[package]]\nname = "librosa"\nversion = "0.10.1"\n',
    })
    result = run_on(EnvPinnedCheck(), root)
    assert result.measurements["pinned_ratio"] == 1.0 and result.measurements["locked"] is True
    assert result.measurements["unpinned"] == 2 and result.status is Status.PASSED


def test_pinned_skipped_without_requirements(make_tree: MakeTree) -> None:
    assert run_on(EnvPinnedCheck(), make_tree({"main.py": "print(1)\n"})).status is Status.SKIPPED


def _installed(versions: dict[str, str] | None, status: StepStatus = StepStatus.PASSED) -> RunOutcome:
    """A sandbox run whose build installed these versions (None: its metadata could not be read)."""
    installed = InstalledEnvironment(versions=versions) if versions is not None else None
    build = StepOutcome("build", status, detail=BuildResult(environment="requirements", installed=installed))
    return RunOutcome("grader-env:test", "requirements", (build,))


def _verdict(result: CheckResult) -> tuple[object, ...]:
    """What the sandbox must not change: the status, the score and every figure measured."""
    return result.status, result.score, result.measurements


def test_pinned_advice_names_the_version_the_sandbox_installed(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "torch\nnumpy==1.26.4\nlibrosa\nscipy\n"})
    tree = SubmissionTree(root)
    static = run_on(EnvPinnedCheck(), root, tree=tree)
    # scipy is not among the versions (its metadata was unreadable, say): its advice stays the static one.
    run = _installed({"torch": "2.4.0+cpu", "numpy": "1.26.4", "librosa": "0.10.1"})
    refined = run_on(EnvPinnedCheck(), root, tree=tree, run=run)
    assert _verdict(refined) == _verdict(static) and refined.status is Status.FAILED
    assert [(f.message, f.line) for f in refined.findings] == [
        ("torch has no version bound: pin it to the version you use (`pip show torch` shows it); a fresh install "
         "takes 2.4.0+cpu today: `torch==2.4.0`", 1),
        ("librosa has no version bound: pin it to the version you use (`pip show librosa` shows it); a fresh install "
         "takes 0.10.1 today: `librosa==0.10.1`", 3),
        ("scipy has no version bound: pin it to the version you use, e.g. `scipy==X.Y.Z` (`pip show scipy` shows it)",
         4),
    ]
    assert refined.summary == ("25% of 4 requirements pinned; pin them to the versions you use (`pip freeze` lists "
                               "them): torch, librosa, scipy; a fresh install takes today: torch==2.4.0, "
                               "librosa==0.10.1")
    assert static.summary == ("25% of 4 requirements pinned; pin them to the versions you use (`pip freeze` lists "
                              "them): torch, librosa, scipy")


@pytest.mark.parametrize(("files", "pin"), [
    ({"environment.yml": "name: kws\ndependencies:\n  - python=3.11\n  - numpy\n"}, "numpy=1.26.4"),
    ({"environment.yml": "name: kws\ndependencies:\n  - python=3.11\n  - pip:\n    - numpy\n"}, "numpy==1.26.4"),
    ({"Pipfile": '[packages]\nnumpy = "*"\n'}, 'numpy = "==1.26.4"'),
    ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nnumpy = "*"\n'}, 'numpy = "1.26.4"'),
    ({"pyproject.toml": '[project]\nname = "kws"\ndependencies = ["numpy"]\n'}, "numpy==1.26.4"),
    ({"setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n"}, "numpy==1.26.4"),
    ({"requirements/base.txt": "numpy\n"}, "numpy==1.26.4"),
])
def test_pinned_advice_writes_the_pin_in_the_declaring_files_syntax(
    files: dict[str, str | bytes], pin: str, make_tree: MakeTree
) -> None:
    root = make_tree(files)
    tool = "conda list" if pin == "numpy=1.26.4" else "pip show"
    static = run_on(EnvPinnedCheck(), root)
    refined = run_on(EnvPinnedCheck(), root, run=_installed({"numpy": "1.26.4"}))
    assert _verdict(refined) == _verdict(static)
    assert [f.message for f in refined.findings] == [
        f"numpy has no version bound: pin it to the version you use (`{tool} numpy` shows it); a fresh install "
        f"takes 1.26.4 today: `{pin}`"]
    assert refined.summary.endswith(f"(`pip freeze` lists them): numpy; a fresh install takes today: {pin}")


@pytest.mark.parametrize("run", [
    None,  # --static
    _installed(None, StepStatus.FAILED),  # the install failed
    _installed(None),  # the metadata could not be read
    _installed({"scipy": "1.14.1"}),  # read, but no version of these names
    _installed({"torch": "not a version", "librosa": ""}),  # never kept by the sandbox; no crash if it were
], ids=["static", "failed-install", "no-metadata", "other-names", "invalid"])
def test_pinned_advice_stays_static_without_an_installed_version(run: RunOutcome | None, make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "torch\nlibrosa\n", "environment.yml": "dependencies:\n  - pytorch\n"})
    static = run_on(EnvPinnedCheck(), root)
    assert run_on(EnvPinnedCheck(), root, run=run) == static
    assert "the versions you use (`pip freeze` lists them): pytorch, torch, librosa" in static.summary
    assert "pin it to the version you use, e.g. `pytorch=X.Y` (`conda list pytorch` shows it)" in {
        f.message.split(": ", 1)[1] for f in static.findings}


def test_a_conda_name_is_not_the_installed_distributions(make_tree: MakeTree) -> None:
    # conda's pytorch is pip's torch: the sandbox installed torch, which says nothing of what conda would pin.
    root = make_tree({"environment.yml": "dependencies:\n  - pytorch\n  - numpy\n"})
    refined = run_on(EnvPinnedCheck(), root, run=_installed({"torch": "2.4.0", "numpy": "1.26.4"}))
    assert [f.message for f in refined.findings] == [
        "pytorch has no version bound: pin it to the version you use, e.g. `pytorch=X.Y` (`conda list pytorch` "
        "shows it)",
        "numpy has no version bound: pin it to the version you use (`conda list numpy` shows it); a fresh install "
        "takes 1.26.4 today: `numpy=1.26.4`"]
    assert refined.summary.endswith("(`pip freeze` lists them): pytorch, numpy; a fresh install takes today: "
                                    "numpy=1.26.4")


def test_pinned_summary_lists_three_pins_and_counts_the_rest(make_tree: MakeTree) -> None:
    names = ("torch", "torchaudio", "librosa", "numpy", "scipy")
    root = make_tree({"requirements.txt": "".join(f"{n}\n" for n in names)})
    refined = run_on(EnvPinnedCheck(), root, run=_installed({n: "1.0" for n in names}))
    assert refined.summary == ("0% of 5 requirements pinned; pin them to the versions you use (`pip freeze` lists "
                               "them): torch, torchaudio, librosa and 2 more; a fresh install takes today: torch==1.0, "
                               "torchaudio==1.0, librosa==1.0 and 2 more")
    assert refined.score == 0.0


# -- env.imports-declared ----------------------------------------------------------------------------------------


def test_sibling_scripts_packages_and_relative_imports_are_the_projects_own(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "torch\nscikit-learn\nopencv-python-headless\nPillow\nPyYAML\nruamel.yaml\n",
        "source/train.py": """\
            import os, json
            import config
            from model import Net
            from mgr.data import loader
            from . import helpers
            import sklearn.metrics, cv2
            from PIL import Image
            import yaml
            from ruamel.yaml import YAML
            import torch.nn as nn
            """,
        "source/config.py": "LR = 1e-3\n",
        "source/model.py": "class Net: ...\n",
        "src/mgr/__init__.py": "",
        "src/mgr/data.py": "loader = None\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.status is Status.PASSED and result.score == 1.0
    assert result.measurements["missing"] == [] and result.measurements["unused"] == []
    assert result.measurements["imports"] == 6


def test_missing_imports_with_file_line_and_notebook_cell(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "numpy\nmatplotlib\n",
        "train.py": "import numpy as np\n\nimport librosa\n",
        "explore.ipynb": notebook_json(
            ("markdown", "# Look"), ("code", "import numpy\n"), ("code", "import soundfile as sf\n")),
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.status is Status.FAILED
    assert result.measurements["missing"] == ["librosa", "soundfile"]
    assert result.measurements["unused"] == ["matplotlib"]
    assert abs(result.score - 1 / 3) < 1e-9
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [(f.path, f.line) for f in errors] == [("train.py", 3), ("explore.ipynb", None)]
    assert "cell 3" in errors[1].message and "soundfile" in errors[1].message


def test_optional_imports_and_notebook_pip_installs(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "numpy\n",
        "util.py": "try:\n    import wandb\nexcept ImportError:\n    wandb = None\nimport numpy\n",
        "metrics.py": """\
            class Scores:
                def pesq(self):
                    try:
                        from pesq import pesq
                    except (ImportError, OSError):
                        import mir_eval
                    if True:
                        import pystoi
            """,
        "demo.ipynb": notebook_json(("code", "!pip install -q torchaudio\nimport torchaudio\n")),
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    # The fallback in the handler and the import after the try are needed for real.
    assert result.measurements["missing"] == ["mir_eval", "pystoi"]
    assert result.measurements["optional"] == ["pesq", "wandb"]
    assert result.measurements["installed_elsewhere"] == ["torchaudio"]
    assert result.score == 1 - (2 + 0.5) / 6
    assert any(f.path == "demo.ipynb" and f.severity is Severity.WARNING for f in result.findings)


def test_python2_file_is_reported_and_its_imports_still_read(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "numpy\n",
        "old.py": "import numpy\nimport scipy.io.wavfile as wav\nprint 'done'\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.measurements["unparsed"] == ["old.py"]
    assert result.measurements["missing"] == ["scipy"]
    assert any(f.path == "old.py" and f.severity is Severity.INFO and "Python 2" in f.message
               for f in result.findings)


def test_pip_freeze_makes_unused_no_fault(make_tree: MakeTree) -> None:
    freeze = "".join(f"transitive-{i}==1.{i}\n" for i in range(40)) + "numpy==1.26.0\n"
    root = make_tree({"requirements.txt": freeze, "main.py": "import numpy\n"})
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.status is Status.PASSED
    assert result.measurements["unused"] == [] and result.measurements["frozen"] is True


def test_readme_declarations_count_when_there_is_no_environment_file(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "Run `pip install torch librosa`.\n", "main.py": "import torch\nimport librosa\n"})
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.status is Status.PASSED and result.measurements["declared"] == 2


def test_nothing_declared_at_all(make_tree: MakeTree) -> None:
    root = make_tree({"main.py": "import torch\nimport os\n"})
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.status is Status.FAILED and result.score == 0.0 and result.measurements["missing"] == ["torch"]


def test_imports_skipped_without_code(make_tree: MakeTree) -> None:
    assert run_on(EnvImportsDeclaredCheck(), make_tree({"requirements.txt": "numpy\n"})).status is Status.SKIPPED


def test_hostile_inputs_never_crash(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({
        "requirements.txt": "-r requirements.txt\n\x1b[31mnot a package!!\n",
        "environment.yml": "{{{{",
        "setup.py": "setup(install_requires=[f'{x}' for x in y])\n",
        "broken.ipynb": "not json",
        "deep.py": "x = " + "(" * 500 + ")" * 500 + "\n",
    })
    (root / "link.txt").symlink_to("/etc/passwd")
    for check in (EnvFileCheck(), EnvPinnedCheck(), EnvImportsDeclaredCheck()):
        run_on(check, root)


def test_colab_and_kernel_modules_are_provided_by_the_platform(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "numpy\n",
        "colab.ipynb": notebook_json(("code", "from google.colab import drive\nfrom IPython.display import Audio\n")),
        "script.py": "from IPython.display import Audio\nfrom google.cloud import storage\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.measurements["platform"] == ["IPython.display", "google.colab"]
    # Outside a notebook IPython is an ordinary dependency; google.cloud is not Colab's.
    assert result.measurements["missing"] == ["IPython", "google"]
    assert any(f.path == "colab.ipynb" and "google.colab" in f.message for f in result.findings)


def test_packages_installed_by_the_readme_besides_an_environment_file(make_tree: MakeTree) -> None:
    root = make_tree({
        "environment.yml": "dependencies:\n  - numpy\n",
        "README.md": "Then also run\n\n```\npip install pytorch-lightning optuna\n```\n",
        "train.py": "import numpy\nimport pytorch_lightning as pl\nimport optuna\nimport foolbox\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.measurements["installed_elsewhere"] == ["optuna", "pytorch_lightning"]
    assert result.measurements["missing"] == ["foolbox"]
    assert abs(result.score - (1 - (1 + 0.5 * 2) / 4)) < 1e-9
    assert ("train.py", 2) in [(f.path, f.line) for f in result.findings if "README" in f.message]


def test_the_projects_own_package_declared_as_a_requirement(make_tree: MakeTree) -> None:
    root = make_tree({
        "mgr_env.yml": "dependencies:\n  - numpy=1.24\n  - pip:\n    - mgr==0.1.1\n",
        "MGR/mgr/__init__.py": "",
        "MGR/train.py": "import numpy\nfrom mgr import models\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.measurements["own_declared"] == ["mgr"]
    assert result.measurements["missing"] == [] and result.measurements["unused"] == []
    assert any(f.path == "mgr_env.yml" and f.line == 4 and "own code" in f.message for f in result.findings)


def test_every_failing_import_finding_says_what_to_do_and_never_advises_a_wrong_name(make_tree: MakeTree) -> None:
    root = make_tree({
        "environment.yml": "dependencies:\n  - python=3.11\n  - librosa\n",
        "train.py": "import torch\nimport gin\nimport numpy\nimport cPickle\nfrom fileUtils import *\n"
                    "import wavenet_utils\n",
    })
    result = run_on(EnvImportsDeclaredCheck(), root)
    messages = {f.message.split("'")[1]: f.message for f in result.findings if "'" in f.message}
    assert "add `torch` to environment.yml (under `pip:`" in messages["torch"]
    assert "pytorch" not in messages["torch"]
    assert "add `gin-config`" in messages["gin"]
    assert "a dependency of librosa" in messages["numpy"] and "add `numpy`" in messages["numpy"]
    assert "use pickle" in messages["cPickle"] and "add" not in messages["cPickle"]
    assert "commit fileUtils.py" in messages["fileUtils"]
    assert "no distribution is known to provide `wavenet_utils`" in messages["wavenet_utils"]
    assert result.measurements["missing"] == ["gin", "torch", "wavenet_utils"]
    assert result.measurements["transitive"] == ["numpy"]
    assert result.measurements["python2"] == ["cPickle"]
    assert result.measurements["missing_local"] == ["fileUtils"]
    decided = {d["import"]: d["decided_by"] for d in result.measurements["decisions"]}  # type: ignore[index,union-attr]
    assert decided["numpy"] == "known stack" and decided["fileUtils"] == "layout"
    # 3 undeclared and 1 transitive (a quarter) of 4 counted; Python 2 and missing local modules are code faults,
    # reported but not scored as environment faults.
    assert result.score == 1 - (3 + 0.25) / 4


def test_with_no_environment_file_the_advice_is_to_create_one(make_tree: MakeTree) -> None:
    result = run_on(EnvImportsDeclaredCheck(), make_tree({"a.py": "import sklearn\n"}))
    assert result.findings[0].message.endswith("add `scikit-learn` to a requirements.txt (there is no environment "
                                               "file yet)")


def test_a_notebook_that_mounts_google_drive_is_reported(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "numpy\n",
                      "nb.ipynb": notebook_json("from google.colab import drive\ndrive.mount('/content/drive')")})
    result = run_on(EnvImportsDeclaredCheck(), root)
    assert result.measurements["platform"] == ["google.colab"]
    assert any("mounts Google Drive" in f.message and f.path == "nb.ipynb" for f in result.findings)
