"""The installed environment's metadata as the build keeps it: small, well-formed, and saying which of the
notebooks' packages were installed."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from grader.engine import grade
from grader.models import Submission
from grader.outcomes import BuildResult
from grader.rubric import load_rubric
from grader.sandbox.engine import Engine
from grader.sandbox.installed import name_lists, notebook_notes, relevant_graph
from grader.sandbox.runner import run_sandbox
from tests.harness import MakeTree

#: A librosa environment's requirements, as the metadata driver reads them (installed distributions only).
LIBROSA = {
    "librosa": ("audioread", "numpy", "scipy", "scikit-learn", "soundfile", "numba", "pooch"),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "soundfile": ("cffi", "numpy"),
    "cffi": ("pycparser",),
    "numba": ("llvmlite", "numpy"),
    "pooch": ("requests", "platformdirs", "packaging"),
    "requests": ("urllib3", "idna", "certifi", "charset-normalizer"),
    "matplotlib": ("numpy", "pillow", "packaging"),
    "scipy": ("numpy",),
}


def test_only_the_paths_from_a_declared_distribution_to_an_import_are_kept() -> None:
    kept = relevant_graph(LIBROSA, ["librosa"], {"soundfile", "scikit-learn"})
    assert kept == {"librosa": ("scikit-learn", "soundfile")}
    # Deeper: pycparser is reached through soundfile's cffi; matplotlib, not declared, brings nothing in.
    assert relevant_graph(LIBROSA, ["Librosa", "matplotlib"], {"pycparser", "pillow"}) == {
        "cffi": ("pycparser",), "librosa": ("soundfile",), "matplotlib": ("pillow",), "soundfile": ("cffi",)}
    assert relevant_graph(LIBROSA, [], {"numpy"}) == {}


def test_the_drivers_answer_is_kept_only_where_it_is_well_formed() -> None:
    hostile = {"ok": ["a", 3, "b c", "x" * 500, "good-name"], "bad key": ["a"], 7: ["a"], "list": "not a list",
               "../etc": ["a"]}
    assert name_lists(hostile) == {"ok": ("a", "good-name")}
    assert name_lists(["not", "a", "mapping"]) == {}


def test_the_notebooks_packages_that_did_not_install_are_named() -> None:
    build = BuildResult(for_notebooks=("pydub", "Wave==0.0.2", "tinytag==2.0.0; python_version > '3'"))
    noted = notebook_notes(build, {"pydub", "tinytag", "numpy"})
    assert noted.notebooks_failed == ("Wave==0.0.2",)
    assert noted.notes[0].startswith("installed for the notebooks: pydub, tinytag==2.0.0")
    assert "not installed for the notebooks" in noted.notes[1] and "Wave==0.0.2" in noted.notes[1]
    unknown = notebook_notes(build, None)
    assert unknown.notebooks_failed == () and len(unknown.notes) == 1
    assert notebook_notes(BuildResult(), set()).notes == ()


IMPORTS_RUBRIC = """\
id: installed-test
title: Installed environment
sandbox: {{timeout: 120, preinstall: [{course}]}}
criteria:
  - id: environment
    title: Environment
    points: 5
    checks:
      - {{id: env.imports-declared}}
      - {{id: run.build}}
      - {{id: run.imports}}
"""


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.usefixtures("no_leftovers", "base_image")
def test_the_group_images_own_metadata_decides_every_import(
    engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    # Real, small packages from the index: librosa brings soundfile and scikit-learn (imported as sklearn);
    # websocket-client is imported as websocket, which no static table knows; the course layer has tinytag,
    # which the group imports without declaring it.
    root = make_tree({
        "requirements.txt": "librosa==0.10.2.post1\nPyYAML==6.0.2\nwebsocket-client==1.8.0\n",
        "audio.py": '"""Features."""\nimport librosa\nimport soundfile\nimport sklearn\nimport yaml\nimport websocket\n'
                    "import tinytag\n",
    })
    path = tmp_path / "rubric.yaml"
    path.write_text(IMPORTS_RUBRIC.format(course="tinytag==2.0.0"), encoding="utf-8")
    loaded = load_rubric(path)
    submission = Submission(id="group 3", root=root, source=str(root))

    report = grade(submission, loaded, sandbox=partial(run_sandbox, engine=engine))

    result = report.check("env.imports-declared")
    assert result is not None and report.check("run.imports") is not None
    assert str(report.check("run.build").status) == "passed"  # type: ignore[union-attr]
    decided = {d["import"]: (d["kind"], d["distribution"], d["decided_by"])
               for d in result.measurements["decisions"]}  # type: ignore[union-attr]
    by_metadata = "environment metadata"
    assert decided == {
        "librosa": ("declared", "librosa", by_metadata),
        "soundfile": ("transitive", "soundfile", by_metadata),
        "sklearn": ("transitive", "scikit-learn", by_metadata),
        "yaml": ("declared", "PyYAML", by_metadata),
        "websocket": ("declared", "websocket-client", by_metadata),
        "tinytag": ("undeclared", "tinytag", by_metadata),
    }
    said = " | ".join([result.summary, *(f.message for f in result.findings)])
    assert "'soundfile'" in said and "a dependency of librosa" in said
    assert "imports 'tinytag', but no environment file declares it: add `tinytag`" in said
    assert report.run is not None and isinstance(report.run.steps[0].detail, BuildResult)
    installed = report.run.steps[0].detail.installed
    assert installed is not None and installed.count > 20
    assert set(installed.distributions) == set(decided)
    assert installed.requires["librosa"] == ("scikit-learn", "soundfile")

    static = {d["import"]: (d["kind"], d["decided_by"]) for d in grade(submission, loaded).check(
        "env.imports-declared").measurements["decisions"]}  # type: ignore[union-attr]
    assert static["websocket"] == ("undeclared", "unknown")
    assert static["soundfile"] == ("transitive", "known stack")
