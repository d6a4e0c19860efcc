"""Contract: whenever a check fails, its findings (or its summary) say in one sentence what the student should do.

Every check of the registry is listed here with a small failing submission (run checks get a canned sandbox
outcome, no Docker); a check added to the registry without a case here fails the coverage test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from grader.acquire import local_submission
from grader.checks.registry import REGISTRY
from grader.models import CheckResult, Member, Status, Submission
from grader.outcomes import (
    BuildResult,
    ImportsResult,
    InstalledEnvironment,
    ModuleImport,
    NotebookRun,
    NotebooksResult,
    PytestResult,
    ReadmeCommandRun,
    ReadmeRunResult,
    RunOutcome,
    SmokeResult,
    StepOutcome,
    StepStatus,
)
from tests.acquire.builder import AFTER, BEFORE, DEADLINE, RepoBuilder
from tests.harness import MakeTree, run_on

PAPERS = Path(__file__).resolve().parents[1] / "fixtures" / "papers"

#: Verbs a sentence that tells the student what to do starts with (the imperative of the fixes checks ask for).
ACTIONS = frozenset((
    "add", "ask", "bound", "break", "catch", "change", "check", "commit", "compile", "create", "cut", "declare",
    "delete", "describe", "document", "drop", "embed", "export", "find", "fix", "follow", "give", "guard",
    "include", "install", "keep", "link", "list", "make", "mark", "move", "narrow", "pin", "publish", "push", "put",
    "reduce", "relax", "remove", "rename", "replace", "revoke", "rewrite", "run", "save", "say", "scale", "set",
    "shorten", "split", "use", "write",
))

#: A clause opens the message or follows a colon, semicolon, full stop or dash; the word after the verb is kept.
_CLAUSE = re.compile(r"(?:^|[:;.]\s+|\s[-–]\s+|\()(?:then\s+|or\s+|and\s+)?`?([A-Za-z]+)(?=\s*(\S*))")
#: "commit 3f2a9c1d0b7e by ...": a noun followed by a hash, not an instruction.
_HASH = re.compile(r"[0-9a-f]{7,40}")


def actions(text: str) -> list[str]:
    """The imperative verbs that open a clause of `text`."""
    return [m.group(1).lower() for m in _CLAUSE.finditer(text)
            if m.group(1).lower() in ACTIONS and not _HASH.fullmatch(m.group(2))]


def says_what_to_do(result: CheckResult) -> bool:
    """Whether a finding of the result, or its summary, holds a sentence the student can act on."""
    return any(actions(text) for text in (result.summary, *(f.message for f in result.findings)))


def test_actions_are_recognised_in_a_clause_not_anywhere() -> None:
    assert actions("torch has no version bound: pin it: torch==2.4.0") == ["pin"]
    assert actions("no PDF in the submission") == []
    assert actions("the file is a list of names") == []  # "list" inside a sentence is not an instruction
    assert actions("commit 3f2a9c1d0b7e by Ada is after the deadline") == []


def _outcome(*steps: StepOutcome) -> RunOutcome:
    return RunOutcome(image="grader-env:test", environment="requirements", steps=steps)


_CODE: dict[str, str | bytes] = {"train.py": "print('training')\n", "requirements.txt": "numpy\n"}
_LONG = "def fit(data):\n" + "".join(f"    data = data + {n}\n" for n in range(60)) + "    return data\n"


def _paper(name: str) -> dict[str, str | bytes]:
    return {"paper.pdf": (PAPERS / name).read_bytes()}


def _late_repo(tmp: Path) -> Submission:
    repo = RepoBuilder(tmp / "late")
    repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    repo.commit({"a.py": "x = 2\n"}, when=AFTER, author="Bob Builder", email="bob@example.org")
    return local_submission(repo.path, deadline=DEADLINE)


def _quiet_member(tmp: Path) -> Submission:
    repo = RepoBuilder(tmp / "team")
    repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    members = (Member("Ada Lovelace", "ada@example.org"), Member("Carol Coder", "carol@example.org"))
    return replace(local_submission(repo.path, deadline=DEADLINE), members=members)


#: A failing case: the files, or a builder of the submission from a temporary folder; the sandbox's outcome.
Case = tuple[dict[str, str | bytes] | Callable[[Path], Submission], RunOutcome | None]

_BUILT = StepOutcome("build", StepStatus.PASSED, detail=BuildResult(environment="requirements"))

#: Failing cases per check id; several per check where it fails in different ways.
CASES: dict[str, list[Case]] = {
    "readme.present": [({"a.py": "x = 1\n"}, None), ({"README.md": "# Project\n\nAudio.\n"}, None),
                       ({"README.md": b"\x00\x01binary"}, None)],
    "readme.sections": [({"README.md": "# Project\n\n" + "We classify bird songs with a small network. " * 5}, None)],
    "readme.commands": [({"README.md": "# Project\n\n" + "We classify bird songs with a small network. " * 5}, None)],
    "readme.links": [({"README.md": "# Project\n\nSee [the notes](docs/notes.md) and run `python train.py`.\n"},
                      None)],
    "env.file": [({"train.py": "import numpy\n"}, None), ({"pyproject.toml": "[project\nname = 'x'\n"}, None)],
    "env.pinned": [({"requirements.txt": "torch\nnumpy\nlibrosa\n"}, None),
                   ({"requirements.txt": "torch\nnumpy\nlibrosa\n"}, _outcome(StepOutcome(
                       "build", StepStatus.PASSED, detail=BuildResult(installed=InstalledEnvironment(
                           versions={"torch": "2.4.0", "numpy": "1.26.4", "librosa": "0.10.1"})))))],
    "env.imports-declared": [({"train.py": "import librosa\n", "requirements.txt": "numpy\n"}, None)],
    "code.comments": [({"src/train.py": _LONG}, None)],
    "code.docstrings": [({"src/train.py": _LONG + "\n\n" + _LONG.replace("fit", "evaluate")}, None)],
    "code.pylint": [({"a.py": "print 'python 2'\n"}, None),
                    ({"a.py": "import os, sys\nfrom math import *\ndef f(x):\n  l = 1\n  return\n"}, None)],
    "paper.present": [({"a.py": "x = 1\n"}, None), ({"paper.pdf": b"<html>not a pdf</html>"}, None)],
    "paper.pages": [(_paper("ieee-a4-6.pdf"), None)],
    "paper.template": [(_paper("article-onecol.pdf"), None), (_paper("scan.pdf"), None)],
    "paper.fonts": [(_paper("ieee-nonembedded.pdf"), None)],
    "paper.margins": [(_paper("ieee-margin.pdf"), None)],
    "repo.deadline": [(_late_repo, None)],
    "repo.contributions": [(_quiet_member, None)],
    "repo.hygiene": [({"a.py": "x = 1\n", ".venv/bin/python": "", ".venv/pyvenv.cfg": "home = /usr\n"}, None)],
    "run.build": [(_CODE, _outcome(StepOutcome("build", StepStatus.FAILED, exit_code=1, detail=BuildResult(
        environment="requirements", failure_reason="no-such-version", failed_requirement="torch==9.9",
        explanation="no version of torch==9.9 matches; available: 2.3.1, 2.4.0")))),
        (_CODE, _outcome(StepOutcome("build", StepStatus.TIMEOUT, duration_s=900.0))),
        (_CODE, _outcome(StepOutcome("build", StepStatus.FAILED, exit_code=1, detail=BuildResult(
            environment="requirements", failure_reason="install-failed", explanation="pip failed"))))],
    "run.imports": [(_CODE, _outcome(_BUILT, StepOutcome("imports", StepStatus.FAILED, detail=ImportsResult(
        modules=2, failures=(ModuleImport("train", "train.py", "ModuleNotFoundError", "No module named 'librosa'",
                                          error_path="train.py", error_line=1),))))),
        (_CODE, _outcome(_BUILT, StepOutcome("imports", StepStatus.FAILED, detail=ImportsResult(
            modules=2, failures=(ModuleImport("train", "train.py", "KeyError", "'lr'", error_path="train.py",
                                              error_line=3),))))),
        (_CODE, _outcome(_BUILT, StepOutcome("imports", StepStatus.TIMEOUT, duration_s=300.0, detail=ImportsResult(
            modules=2, stopped_at="train")))),
        (_CODE, _outcome(StepOutcome("build", StepStatus.FAILED, exit_code=1),
                         StepOutcome("imports", StepStatus.SKIPPED, reason="no environment")))],
    "run.smoke": [(_CODE, _outcome(_BUILT, StepOutcome("smoke[1]", StepStatus.FAILED, exit_code=2,
                                                       stderr_tail="Traceback\nKeyError: 'lr'\n",
                                                       detail=SmokeResult(command="python train.py")))),
                  (_CODE, _outcome(_BUILT, StepOutcome("smoke[1]", StepStatus.TIMEOUT, duration_s=600.0,
                                                       detail=SmokeResult(command="python train.py")))),
                  (_CODE, _outcome(_BUILT, StepOutcome("smoke", StepStatus.SKIPPED, detail=SmokeResult(
                      declared_in=".grader.toml", problem="is not valid TOML: bad", problem_line=1))))],
    "run.tests": [(_CODE, _outcome(_BUILT, StepOutcome("tests", StepStatus.FAILED, exit_code=1, detail=PytestResult(
        tests=2, passed=1, failed=1, failing=("tests/test_model.py::test_shape",), pytest_exit=1)))),
        (_CODE, _outcome(_BUILT, StepOutcome("tests", StepStatus.FAILED, exit_code=5, detail=PytestResult(
            pytest_exit=5)))),
        (_CODE, _outcome(_BUILT, StepOutcome("tests", StepStatus.OOM, duration_s=30.0)))],
    "run.notebooks": [(_CODE, _outcome(_BUILT, StepOutcome("notebooks", StepStatus.FAILED, detail=NotebooksResult(
        results=(NotebookRun("nb/analysis.ipynb", "failed", cells=4, executed=3, failed_cell=3,
                             error="ValueError: boom"),))))),
        (_CODE, _outcome(_BUILT, StepOutcome("notebooks", StepStatus.OUTPUT_LIMIT, duration_s=30.0)))],
    "run.readme": [(_CODE, _outcome(_BUILT, StepOutcome("readme", StepStatus.FAILED, detail=ReadmeRunResult(
        commands=(ReadmeCommandRun("python train.py --epochs 1", "README.md", 7, kind="run", outcome="failed",
                                   reason="exited with 1", exit_code=1),))))),
        (_CODE, _outcome(_BUILT, StepOutcome("readme", StepStatus.TIMEOUT, duration_s=900.0)))],
}


def test_every_check_of_the_registry_has_a_failing_case() -> None:
    assert sorted(CASES) == sorted(REGISTRY)


@pytest.mark.parametrize(("check_id", "index"), [(c, i) for c, cases in CASES.items() for i in range(len(cases))])
def test_a_failing_check_says_what_to_do(check_id: str, index: int, make_tree: MakeTree, tmp_path: Path) -> None:
    where, run = CASES[check_id][index]
    check = REGISTRY[check_id]
    submission = where(tmp_path) if callable(where) else make_tree(where)
    result = run_on(check, submission, run=run)
    assert result.status is Status.FAILED and result.score < 1, (result.status, result.summary)
    assert says_what_to_do(result), (result.summary, [f.message for f in result.findings])


#: What the advice must name for some cases: the thing measured, not a generic "improve X".
SPECIFIC = {
    ("env.pinned", 0): "pin it to the version you use, e.g. `torch==X.Y.Z` (`pip show torch` shows it)",
    ("env.pinned", 1): "torch has no version bound: pin it to the version you use (`pip show torch` shows it); a fresh "
                       "install takes 2.4.0 today: `torch==2.4.0`",
    ("code.comments", 0): "to the longest functions without any: src/train.py:1 fit() (62 lines)",
    ("code.docstrings", 0): "function fit (62 lines) has no docstring: add one that says what it does",
    ("code.pylint", 1): "fix the most frequent messages first:",
    ("paper.present", 0): "commit the paper as a PDF (e.g. paper/paper.pdf)",
    ("paper.present", 1): "export the paper as a real PDF",
    ("paper.pages", 0): "cut 2 page(s)",
    ("paper.template", 0): "set the paper in `\\documentclass[conference]{IEEEtran}`",
    ("paper.template", 1): "commit the PDF compiled from the paper's source",
    ("run.build", 0): "pin torch to a version that exists",
    ("run.imports", 0): "declare `librosa` in the environment file if it is a package",
    ("run.imports", 1): "fix the error at the line named, or move the code that runs when the module is imported",
    ("run.imports", 3): "fix the environment first",
    ("run.tests", 0): "run `pytest tests/test_model.py::test_shape`",
    ("run.notebooks", 0): "run nb/analysis.ipynb from a fresh kernel (Restart & Run All) and fix cell 3",
}


@pytest.mark.parametrize(("check_id", "index"), sorted(SPECIFIC))
def test_the_advice_names_what_was_measured(check_id: str, index: int, make_tree: MakeTree, tmp_path: Path) -> None:
    where, run = CASES[check_id][index]
    submission = where(tmp_path) if callable(where) else make_tree(where)
    result = run_on(REGISTRY[check_id], submission, run=run)
    said = [result.summary, *(f.message for f in result.findings)]
    assert any(SPECIFIC[check_id, index] in text for text in said), said
