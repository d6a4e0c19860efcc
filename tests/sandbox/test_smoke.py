"""Smoke declarations: precedence, and a declaration that cannot be used as a finding with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.run import RunSmokeCheck
from grader.files import SubmissionTree
from grader.models import Status, Submission
from grader.outcomes import RunOutcome, SmokeResult, StepOutcome, StepStatus
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.smoke import smoke_declaration
from tests.harness import MakeTree, run_on


def declared(root: Path) -> tuple[tuple[str, ...], str | None, str | None, int | None]:
    found = smoke_declaration(Submission(id="g", root=root, source=str(root)), SubmissionTree(root), SandboxPolicy())
    return found.commands, found.declared_in, found.problem, found.line


@pytest.mark.parametrize(("files", "problem", "line"), [
    ({".grader.toml": "# smoke test\nsmoke = [\"python a.py\"\n"}, "is not valid TOML", 2),
    ({".grader.toml": "smoke = 5\n"}, "`smoke` must be a command or a list of commands", 1),
    ({".grader.toml": "\nsmoke = [\"python a.py\", 3]\n"}, "not ['python a.py', 3]", 2),
    ({".grader.toml": "smoke = []\n"}, "`smoke` is an empty list", 1),
    ({".grader.toml": "smoke = ['']\n"}, "non-empty strings", 1),
    ({".grader.toml": "# ours\nsmok = ['python a.py']\n"}, "unknown key 'smok' - did you mean 'smoke'?", 2),
    ({".grader.toml": "[smoke]\ncommand = 'x'\n"}, "must be a command or a list", 1),
    ({".grader.toml": b"smoke = \"\x00\"\n"}, "cannot be read", None),
    ({"pyproject.toml": "[project]\nname = 'x'\n\n[tool.grader]\nsmoke = {cmd = 'x'}\n"}, "must be a command", 5),
    ({"pyproject.toml": "[tool]\ngrader = 3\n"}, "[tool.grader] must be a table", None),
    # Hostile files go through the bounded TOML loader: an integer past Python's digit limit, nesting that would
    # exhaust tomllib's recursion, and a file over the size cap are problems, never a crash of the run step.
    ({".grader.toml": "smoke = 'python a.py'\nx = " + "9" * 5000 + "\n"}, "is not valid TOML", None),
    ({".grader.toml": "x = " + "[" * 5000 + "\n"}, "nested too deeply", None),
    ({".grader.toml": "# " + "x" * 3_000_000 + "\n"}, "cannot be read", None),
])
def test_a_declaration_that_cannot_be_used_is_a_problem_with_its_line(
    make_tree: MakeTree, files: dict[str, str | bytes], problem: str, line: int | None
) -> None:
    commands, where, found, at = declared(make_tree(files))
    assert commands == ()
    assert where == next(iter(files))
    assert found is not None and problem in found
    assert at == line


def test_declarations_that_work_and_files_that_declare_nothing(make_tree: MakeTree) -> None:
    assert declared(make_tree({".grader.toml": "smoke = 'python a.py'\n"}))[:2] == (("python a.py",), ".grader.toml")
    assert declared(make_tree({"pyproject.toml": "[tool.grader]\nsmoke = ['a', 'b']\n"}))[:2] == (
        ("a", "b"), "pyproject.toml")
    # A pyproject.toml without [tool.grader], or one that does not parse (the env checks say so), declares nothing.
    assert declared(make_tree({"pyproject.toml": "[project]\nname = 'x'\n"})) == ((), None, None, None)
    assert declared(make_tree({"pyproject.toml": "[project\n"})) == ((), None, None, None)


def test_the_smoke_check_fails_an_unusable_declaration_at_its_line(make_tree: MakeTree) -> None:
    detail = SmokeResult(declared_in=".grader.toml", problem="is not valid TOML: Expected ']'", problem_line=2)
    run = RunOutcome("img", "plain", (StepOutcome("smoke", StepStatus.SKIPPED, reason="x", detail=detail),))
    result = run_on(RunSmokeCheck, make_tree({}), run=run)
    assert result.status is Status.FAILED and result.score == 0.0
    (finding,) = result.findings
    assert (finding.path, finding.line) == (".grader.toml", 2)
    assert "no smoke command ran" in finding.message
