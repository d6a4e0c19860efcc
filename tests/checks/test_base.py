"""run_check keeps a crash as an error result with its traceback; the test harness drives checks the same way."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from grader.checks.base import Check, CheckContext, CheckOptions
from grader.models import CheckResult, Member, Status
from grader.outcomes import RunOutcome, StepOutcome, StepStatus
from tests.harness import MakeTree, crashed, run_on


class _EchoOptions(CheckOptions):
    word: str = "hello"


class _Echo(Check):
    """Reports what it was given: its option, the submission's facts, the run and the artifacts folder."""

    id = "demo.echo"
    title = "Echo"
    description = "test check"
    Options = _EchoOptions

    def run(self, ctx: CheckContext) -> CheckResult:
        assert isinstance(self.options, _EchoOptions)
        sub = ctx.submission
        return self.result(Status.PASSED, 1.0, self.options.word, {
            "id": sub.id,
            "members": [m.name for m in sub.members],
            "paper": sub.paper,
            "steps": [s.name for s in ctx.run.steps] if ctx.run else None,
            "artifacts": str(ctx.artifacts_dir) if ctx.artifacts_dir else None,
            "files": ctx.tree.files(),
        })


class _Boom(Check):
    id = "demo.boom"
    title = "Boom"
    description = "a check with a bug"

    def run(self, ctx: CheckContext) -> CheckResult:
        raise ValueError("boom")


class _Infra(Check):
    id = "demo.infra"
    title = "Infra"
    description = "a check reporting an infrastructure error"

    def run(self, ctx: CheckContext) -> CheckResult:
        return self.result(Status.ERROR, 0.0, "the engine went away")


def test_a_crash_becomes_an_error_result_with_its_traceback(make_tree: MakeTree) -> None:
    result = run_on(_Boom, make_tree({}), may_crash=True)
    assert (result.id, result.status, result.score) == ("demo.boom", Status.ERROR, 0.0)
    assert result.summary == "the check crashed: ValueError: boom"
    assert result.detail is not None and "Traceback" in result.detail and "raise ValueError" in result.detail
    assert crashed(result)


def test_the_harness_fails_a_test_on_a_crash_but_not_on_an_error_the_check_reports(make_tree: MakeTree) -> None:
    root = make_tree({})
    with pytest.raises(AssertionError, match="ValueError: boom"):
        run_on(_Boom, root)
    infra = run_on(_Infra, root)
    assert infra.status is Status.ERROR and not crashed(infra)


def test_options_come_as_a_dict_a_model_or_a_built_instance(make_tree: MakeTree) -> None:
    root = make_tree({})
    assert run_on(_Echo, root).summary == "hello"
    assert run_on(_Echo, root, {"word": "dict"}).summary == "dict"
    assert run_on(_Echo, root, _EchoOptions(word="model")).summary == "model"
    assert run_on(_Echo(_EchoOptions(word="instance")), root).summary == "instance"
    with pytest.raises(pydantic.ValidationError):
        run_on(_Echo, root, {"wrod": "typo"})
    with pytest.raises(TypeError):
        run_on(_Echo(), root, {"word": "twice"})


def test_submission_facts_run_outcome_and_artifacts_reach_the_check(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.py": "x = 1\n"})
    run = RunOutcome("img", "requirements", (StepOutcome("build", StepStatus.PASSED),))
    result = run_on(_Echo, root, run=run, artifacts=tmp_path / "out", id="g7", members=(Member("Ada"),),
                    paper="p.pdf")
    assert result.measurements == {
        "id": "g7", "members": ["Ada"], "paper": "p.pdf", "steps": ["build"], "artifacts": str(tmp_path / "out"),
        "files": ["a.py"],
    }
