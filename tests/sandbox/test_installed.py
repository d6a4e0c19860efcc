"""The installed environment's metadata as the build keeps it: small, well-formed, and saying which of the
notebooks' packages were installed."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import grader.sandbox
from grader.checks.code import CodeCommentsCheck
from grader.engine import grade
from grader.models import Submission
from grader.outcomes import BuildResult
from grader.rubric import load_rubric
from grader.sandbox.engine import Engine
from grader.sandbox.installed import installed_copies, installed_versions, name_lists, notebook_notes, relevant_graph
from grader.sandbox.runner import run_sandbox
from tests.harness import MakeTree, run_on
from tests.sandbox.pyindex import local_index, wheel
from tests.sandbox.test_install import output_of

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
    # `$` matches before a final newline: a name is matched whole, so "six\n" is no name.
    assert name_lists({"six\n": ["six"], "ok": ["six\n", "six"]}) == {"ok": ("six",)}


def test_the_versions_kept_are_the_declared_distributions_well_formed_ones() -> None:
    answer = {"torch": "2.4.0+cpu", "Librosa": "0.10.2.post1", "numpy": "1.26.4", "scipy": "1.14.1",
              "six": "1.16.0\n", "bad name": "1.0", "pyyaml": "6.0.2; rm -rf /", "tqdm": "1" + ".0" * 40,
              "rich": "not a version", "click": 8, "soundfile": ["0.12.1"], "pillow": ""}
    declared = {"torch", "librosa", "six", "pyyaml", "tqdm", "rich", "click", "soundfile", "pillow", "absent"}
    # Only what the group declares (numpy and scipy arrive with librosa), under its PEP 503 name; anything that
    # is not a PEP 440 version of at most 64 of PEP 440's characters is dropped.
    assert installed_versions(answer, declared) == {"librosa": "0.10.2.post1", "torch": "2.4.0+cpu"}
    assert installed_versions(["torch", "2.4.0"], declared) == installed_versions(None, declared) == {}
    assert installed_versions(answer, set()) == {}


def test_the_notebooks_packages_that_did_not_install_are_named() -> None:
    build = BuildResult(for_notebooks=("pydub", "Wave==0.0.2", "tinytag==2.0.0; python_version > '3'"))
    noted = notebook_notes(build, {"pydub", "tinytag", "numpy"})
    assert noted.notebooks_failed == ("Wave==0.0.2",)
    assert noted.notes[0].startswith("installed for the notebooks: pydub, tinytag==2.0.0")
    assert "not installed for the notebooks" in noted.notes[1] and "Wave==0.0.2" in noted.notes[1]
    unknown = notebook_notes(build, None)
    assert unknown.notebooks_failed == () and len(unknown.notes) == 1
    assert notebook_notes(BuildResult(), set()).notes == ()


def test_the_drivers_copies_are_kept_only_where_asked_and_well_formed() -> None:
    digests = {"A" * 43: ("lib/six.py", "vendor2/six.py"), "B" * 43: ("util/version.py",), "C" * 43: ("x.py",),
               "D" * 43: ("y.py",), "E" * 43: ("z.py",)}
    answer = {"A" * 43: ["six", "six.py"], "B" * 43: ["packaging", "packaging/version.py"],
              "C" * 43: ["bad name", "x.py"], "D" * 43: ["ok", "../../etc/passwd"], "E" * 43: ["ok", "a.py", "b"],
              "F" * 43: ["never", "asked.py"]}
    kept = {(c.path, c.distribution, c.file) for c in installed_copies(answer, digests)}
    assert kept == {("lib/six.py", "six", "six.py"), ("vendor2/six.py", "six", "six.py"),
                    ("util/version.py", "packaging", "packaging/version.py")}
    assert installed_copies({"A" * 43: ["six", "six.py\n`rm`.py"]}, digests) == ()
    assert installed_copies({"A" * 43: ["six\n", "six.py"]}, digests) == ()
    assert installed_copies({"A" * 43: ["six", "six.py\n"]}, digests) == ()
    assert installed_copies(["not", "a", "mapping"], digests) == installed_copies(None, digests) == ()


@pytest.fixture
def metadata_driver(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The metadata driver as a module on the host (it imports its helper from beside itself)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "_common", raising=False)
    path = Path(grader.sandbox.__file__).parent / "assets" / "metadata_driver.py"
    spec = importlib.util.spec_from_file_location("metadata_driver_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dist(site: Path, name: str, record: str, direct_url: str | None = None, version: str = "1.0") -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (info / "RECORD").write_text(record, encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(direct_url, encoding="utf-8")


def test_the_driver_finds_copies_in_the_records_and_passes_over_the_groups_own_project(
    metadata_driver: ModuleType, tmp_path: Path
) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "six", "six.py,sha256=SIX,34549\nsix-1.0.dist-info/RECORD,,\n")
    # A library that ships its own copy deeper down: the distribution's own module is named first.
    _dist(site, "bundler", "bundler/_vendor/six.py,sha256=SIX,34549\n\"odd,name.py\",sha256=ODD,3\n")
    # `pip install .` of the group's project: its RECORD lists the submission's own files.
    _dist(site, "groupproj", "groupproj/model.py,sha256=OWN,900\n", '{"url": "file:///tmp/src", "dir_info": {}}')
    _dist(site, "broken", '"' + "x" * 200_000 + '\n', "not json")
    _dist(site, "md5", "m.py,md5=OWN,3\nnot-python.txt,sha256=TXT,3\n")
    found = metadata_driver.record_copies({"SIX", "OWN", "ODD", "TXT", "MISSING"}, [str(site)])
    assert found == {"SIX": ["six", "six.py"], "ODD": ["bundler", "odd,name.py"]}
    assert metadata_driver.record_copies(set(), [str(site)]) == {}


def test_the_driver_reads_each_distributions_version_under_its_pep_503_name(
    metadata_driver: ModuleType, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "Group_Kit", "", version="0.3.dev1")
    _dist(first, "six", "", version="1.17.0")
    # The same distribution later on sys.path: the first is the one imported, and the one whose version counts.
    _dist(second, "six", "", version="1.16.0")
    _dist(second, "torch", "", version="2.4.0+cpu")
    found = metadata_driver.read([str(first), str(second)])
    assert found["versions"] == {"group-kit": "0.3.dev1", "six": "1.17.0", "torch": "2.4.0+cpu"}


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
    # Versions of what the group declares only (not of tinytag, the course layer's, nor of librosa's dependencies).
    assert installed.versions == {"librosa": "0.10.2.post1", "pyyaml": "6.0.2", "websocket-client": "1.8.0"}

    static = {d["import"]: (d["kind"], d["decided_by"]) for d in grade(submission, loaded).check(
        "env.imports-declared").measurements["decisions"]}  # type: ignore[union-attr]
    assert static["websocket"] == ("undeclared", "unknown")
    assert static["soundfile"] == ("transitive", "known stack")


#: A group's own package, installed as a project with its dependencies.
PROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "groupkit"
version = "0.1"
dependencies = ["six=={six}", "rfc3339-validator=={rfc}"]

[tool.setuptools]
packages = ["groupkit"]
"""

VENDORED_RUBRIC = """\
id: vendored-test
title: Vendored copies
sandbox: {timeout: 120}
criteria:
  - id: code
    title: Code
    points: 5
    checks:
      - {id: code.comments}
      - {id: code.docstrings}
      - {id: code.pylint}
      - {id: run.build}
"""


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers", "base_image")
def test_a_verbatim_copy_of_an_installed_module_is_left_out_of_the_code_checks(
    engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    # Modules as their wheels install them (this machine's copies, with the same versions declared): six.py carries
    # its MIT header, found without the sandbox too; rfc3339_validator.py carries nothing that says it is a copy.
    six_py, rfc_py = (Path(importlib.util.find_spec(name).origin or "").read_bytes()  # type: ignore[union-attr]
                      for name in ("six", "rfc3339_validator"))
    # The group's own package is installed too (`pip install .`): its RECORD lists the group's files, which stay
    # the group's.
    layers = (f'def layer_{i}(x):\n    """Layer {i}."""\n    return x * {i}\n\n\n' for i in range(12))
    model = '"""The model."""\n\n\n' + "".join(layers)
    root = make_tree({
        "pyproject.toml": PROJECT.format(six=importlib.metadata.version("six"),
                                         rfc=importlib.metadata.version("rfc3339-validator")),
        "groupkit/__init__.py": "", "groupkit/model.py": model,
        "main.py": '"""Entry point."""\nfrom lib import six\n\n\ndef main():\n    """Say which six."""\n'
                   "    # The copy, not the installed one.\n    print(six.__version__)\n",
        "lib/__init__.py": "", "lib/six.py": six_py, "lib/checks/rfc3339_validator.py": rfc_py,
    })
    path = tmp_path / "rubric.yaml"
    path.write_text(VENDORED_RUBRIC, encoding="utf-8")
    submission = Submission(id="group 6", root=root, source=str(root))

    report = grade(submission, load_rubric(path), sandbox=partial(run_sandbox, engine=engine))

    assert str(report.check("run.build").status) == "passed"  # type: ignore[union-attr]
    reasons = {"lib/checks/rfc3339_validator.py": "identical to rfc3339_validator.py of the installed distribution "
                                                  "rfc3339-validator",
               "lib/six.py": "identical to six.py of the installed distribution six"}
    for check_id in ("code.comments", "code.docstrings", "code.pylint"):
        result = report.check(check_id)
        assert result is not None
        listed = result.measurements["vendored"]
        assert isinstance(listed, list)
        assert {v["path"]: (v["reason"], v["excluded"]) for v in listed} == {  # type: ignore[index]
            p: (r, True) for p, r in reasons.items()}, check_id
        assert {f.message for f in result.findings} >= {f"left out as vendored code: {r}" for r in reasons.values()}
        assert not any(f.path in reasons for f in result.findings if "vendored" not in f.message)
    assert report.check("code.pylint").measurements["files"] == 2  # type: ignore[union-attr]
    assert report.check("code.docstrings").measurements["total"] == 2 + 12 + 1  # type: ignore[union-attr]
    # Without the sandbox, only the licence header gives one of them away.
    static = run_on(CodeCommentsCheck(), root)
    assert [v["path"] for v in static.measurements["vendored"]] == ["lib/six.py"]  # type: ignore[union-attr,index]
    assert static.measurements["files"] == 5


PINNED_RUBRIC = """\
id: pinned-test
title: Pinned versions
sandbox: {{timeout: 120, index_url: '{index}'}}
criteria:
  - id: environment
    title: Environment
    points: 5
    checks:
      - {{id: env.pinned}}
      - {{id: run.build}}
"""


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers", "base_image")
def test_the_advice_pins_the_version_the_image_holds(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    # Names unique to this run (no image of an earlier run may serve them), from an index on this machine: one
    # unpinned, one unpinned whose newest build carries a local label (as torch's `+cpu` wheels do), one pinned.
    token = re.sub(r"[^a-z0-9]", "", tmp_path.name.lower())[-12:]
    plain, local, pinned = (f"{name}_{token}" for name in ("pinplain", "pinlocal", "pinned"))
    with local_index(tmp_path / "index") as index:
        built = tmp_path / "built"
        built.mkdir()
        for name, version in ((plain, "1.0"), (plain, "1.4.2"), (local, "2.0.1+cpu"), (pinned, "1.0"),
                              (pinned, "1.1")):
            index.add(wheel(built, name, version))
        # Its link as download.pytorch.org writes one, the `+` percent-encoded.
        page = index.root / "simple" / local.replace("_", "-") / "index.html"
        page.write_text(page.read_text(encoding="utf-8").replace('+cpu-py3-none-any.whl#', '%2Bcpu-py3-none-any.whl#'),
                        encoding="utf-8")
        # The code imports none of them: the unpinned requirements alone are reason to read the metadata.
        root = make_tree({"requirements.txt": f"{plain}\n{local}\n{pinned}==1.0\n",
                          "main.py": '"""Entry."""\nprint("ready")\n'})
        path = tmp_path / "rubric.yaml"
        path.write_text(PINNED_RUBRIC.format(index=index.url), encoding="utf-8")
        loaded = load_rubric(path)
        submission = Submission(id="group 7", root=root, source=str(root))
        report = grade(submission, loaded, sandbox=partial(run_sandbox, engine=engine))
    assert report.run is not None and isinstance(report.run.steps[0].detail, BuildResult)
    try:
        assert str(report.check("run.build").status) == "passed", report.run.steps[0].stderr_tail  # type: ignore[union-attr]
        installed = report.run.steps[0].detail.installed
        assert installed is not None
        keys = {name: name.replace("_", "-") for name in (plain, local, pinned)}
        assert installed.versions == {keys[plain]: "1.4.2", keys[local]: "2.0.1+cpu", keys[pinned]: "1.0"}
        # What the group's own interpreter says, asked in the image itself.
        said = output_of(docker_client, report.run.image, [
            "/opt/venv/bin/python", "-c", "import importlib.metadata as m, sys\n"
            "print(' '.join(m.version(n) for n in sys.argv[1:]))", plain, local, pinned])
        assert said.split() == [installed.versions[keys[n]] for n in (plain, local, pinned)]

        result = report.check("env.pinned")
        assert result is not None
        assert {f.message for f in result.findings} == {
            f"{plain} has no version bound: pin it to the version you use (`pip show {plain}` shows it); a fresh "
            f"install takes 1.4.2 today: `{plain}==1.4.2`",
            f"{local} has no version bound: pin it to the version you use (`pip show {local}` shows it); a fresh "
            f"install takes 2.0.1+cpu today: `{local}==2.0.1`"}
        assert result.summary.endswith(f"; a fresh install takes today: {plain}==1.4.2, {local}==2.0.1")
        # Without the sandbox: the same verdict, with the static advice.
        static = grade(submission, loaded).check("env.pinned")
        assert static is not None and (static.status, static.score) == (result.status, result.score)
        assert "(`pip freeze` lists them)" in static.summary
    finally:
        if report.run.image:
            docker_client.images.remove(report.run.image, force=True)
