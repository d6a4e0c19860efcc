"""Each kind of import decided on a small submission, with the evidence that decided it."""

from __future__ import annotations

from grader.analysis.env.provenance import EnvironmentMetadata, ImportKind, advised
from grader.analysis.env.usage import imports_analysis
from grader.files import SubmissionTree
from tests.harness import MakeTree, notebook_json


def _kinds(root, environment: EnvironmentMetadata | None = None) -> dict[str, tuple[str, str | None, str]]:
    found = imports_analysis(SubmissionTree(root), environment)
    return {d.name: (d.kind.value, d.distribution, d.decided_by) for d in found.decisions}


def test_every_kind_of_import_with_how_it_was_decided(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "librosa==0.10\nscikit-learn\n",
        "README.md": "```bash\npip install gin-config\n```\n",
        "train.py": """\
            import librosa, soundfile, numpy
            import sklearn
            import gin
            import cPickle
            import wavenet_utils
            from fileUtils import *
            from helpers_old import load_clip, SAMPLE_RATE
            import music_tools
            try:
                import wandb
            except ImportError:
                wandb = None
            import os, model
            """,
        "model.py": "SAMPLE_RATE = 16000\ndef load_clip(path):\n    return path\n",
        "colab.ipynb": notebook_json("from google.colab import drive\n!pip install pretty_midi\nimport pretty_midi"),
    })
    kinds = _kinds(root)
    assert kinds == {
        "librosa": ("declared", "librosa", "name table"),
        "sklearn": ("declared", "scikit-learn", "name table"),
        "numpy": ("transitive", "numpy", "known stack"),
        "soundfile": ("transitive", "soundfile", "known stack"),
        "gin": ("elsewhere", "gin-config", "name table"),
        "pretty_midi": ("elsewhere", "pretty_midi", "name table"),
        "cPickle": ("python2", None, "python2 table"),
        "fileUtils": ("missing-local", None, "layout"),
        "helpers_old": ("missing-local", None, "layout"),
        "wavenet_utils": ("undeclared", None, "unknown"),
        "music_tools": ("undeclared", None, "unknown"),
        "wandb": ("optional", "wandb", "syntax"),
        "google.colab": ("platform", None, "platform"),
    }


def test_a_lock_files_graph_decides_transitive_imports(make_tree: MakeTree) -> None:
    root = make_tree({
        "pyproject.toml": '[project]\nname = "kws"\ndependencies = ["tf-models-official"]\n',
        "poetry.lock": '[[package]]\nname = "tf-models-official"\nversion = "2.19"\n[package.dependencies]\n'
                       'librosa = "*"\n\n[[package]]\nname = "librosa"\nversion = "0.10"\n',
        "a.py": "import librosa\nimport official\n",
    })
    found = imports_analysis(SubmissionTree(root))
    decisions = {d.name: d for d in found.decisions}
    assert decisions["official"].kind is ImportKind.DECLARED
    # The lock records what was resolved, the pyproject declares: librosa arrives as tf-models-official's dependency.
    assert decisions["librosa"].kind is ImportKind.TRANSITIVE
    assert (decisions["librosa"].reason, decisions["librosa"].decided_by) == (
        "installed as a dependency of tf-models-official", "lock file")
    alone = make_tree({"poetry.lock": '[[package]]\nname = "librosa"\nversion = "0.10"\n', "a.py": "import librosa\n"})
    assert [d.kind for d in imports_analysis(SubmissionTree(alone)).decisions] == [ImportKind.DECLARED]


def test_the_installed_environments_metadata_decides_when_given(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "mylab-tools\n", "a.py": "import labkit\nimport numpy\nimport rave\n"})
    static = _kinds(root)
    assert static["labkit"][0] == "undeclared" and static["numpy"][0] == "undeclared"
    environment = EnvironmentMetadata(
        distributions={"labkit": ("mylab-tools",), "numpy": ("numpy",), "rave": ("acids-rave",)},
        requires={"mylab-tools": ("numpy",)},
    )
    kinds = _kinds(root, environment)
    assert kinds["labkit"] == ("declared", "mylab-tools", "environment metadata")
    assert kinds["numpy"] == ("transitive", "numpy", "environment metadata")
    assert kinds["rave"] == ("undeclared", "acids-rave", "environment metadata")
    assert imports_analysis(SubmissionTree(root), environment).decided_with == "environment metadata"


def test_the_advised_distribution_is_never_a_placeholder_or_a_guess() -> None:
    assert advised("torch") == "torch"
    assert advised("sklearn") == "scikit-learn"
    assert advised("cv2") == "opencv-python"
    assert advised("gin") == "gin-config"
    assert advised("rave") == "acids-rave"
    assert advised("yaml") == "PyYAML"
    assert advised("google") is None
    assert advised("some_unknown_thing") is None


def test_a_dependency_of_what_a_notebook_installs_comes_with_it(make_tree: MakeTree) -> None:
    root = make_tree({
        "requirements.txt": "tqdm\n",
        "colab.ipynb": notebook_json("!pip install scipy wavio", "import numpy, wavio, tqdm"),
    })
    found = {d.name: d for d in imports_analysis(SubmissionTree(root)).decisions}
    assert (found["numpy"].kind, found["numpy"].decided_by) == (ImportKind.ELSEWHERE, "known stack")
    assert found["numpy"].reason == ("a dependency of scipy, which is declared only in a notebook (`!pip install` / "
                                     "`%pip install`)")
    installed = EnvironmentMetadata(distributions={"numpy": ("numpy",), "wavio": ("wavio",), "tqdm": ("tqdm",)},
                                    requires={"wavio": ("numpy",)})
    kinds = _kinds(root, installed)
    assert kinds["numpy"] == ("elsewhere", "numpy", "environment metadata")
    assert kinds["wavio"] == ("elsewhere", "wavio", "environment metadata")
