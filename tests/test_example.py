"""The bundled example submission scores high on every static check of issue 2 that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.base import Phase
from grader.checks.registry import REGISTRY
from grader.files import SubmissionTree
from grader.models import CheckResult, Status
from tests.harness import run_on

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "keyword-spotting"
#: The families of issue 2; paper, repo and run checks need a PDF, a git history or the sandbox.
FAMILIES = ("readme.", "env.", "code.")


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    """Every static readme/env/code check run once on the example (pylint is the slow one)."""
    tree = SubmissionTree(EXAMPLE)
    return {cid: run_on(cls, EXAMPLE, tree=tree, id="example") for cid, cls in REGISTRY.items()
            if cid.startswith(FAMILIES) and cls.phase is Phase.STATIC}


def test_every_issue_2_check_passes_with_a_high_score(results: dict[str, CheckResult]) -> None:
    low = {cid: (r.status.value, round(r.score, 2), r.summary) for cid, r in results.items()
           if r.status is not Status.PASSED or r.score < 0.9}
    assert not low


def test_code_checks_measure_what_the_example_is(results: dict[str, CheckResult]) -> None:
    assert set(results) >= {"code.comments", "code.docstrings", "code.pylint"}
    comments = results["code.comments"].measurements
    assert comments["commented_out_lines"] == 0 and comments["markdown_lines"] > 0
    assert isinstance(comments["comment_ratio"], float) and comments["comment_ratio"] >= 0.2
    assert results["code.docstrings"].measurements["coverage"] == 1.0
    score = results["code.pylint"].measurements["score"]
    assert isinstance(score, float) and score >= 9.0


def test_example_declares_its_smoke_command() -> None:
    assert 'smoke = ["python train.py --epochs 1"]' in (EXAMPLE / ".grader.toml").read_text(encoding="utf-8")
