"""Where `grader check` sends a report: one format on stdout, files with -o, and GitHub Actions by itself."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from grader.cli.output import Outputs, plan_outputs, repository_prefix
from tests.cli.test_check import grader
from tests.harness import MakeTree

SUBMISSION = {"README.md": "# Demo\n\nSee [the data](data/missing.csv).\n", "main.py": "import numpy\nx = 1\n"}


def test_plan_sends_one_format_to_stdout_and_file_formats_to_the_folder(tmp_path: Path) -> None:
    assert plan_outputs((), None) == Outputs("terminal", ())
    assert plan_outputs((), tmp_path) == Outputs("terminal", ("json", "md", "html", "junit"))
    assert plan_outputs(("md",), None) == Outputs("md", ())
    assert plan_outputs(("sarif", "gitlab"), tmp_path) == Outputs(None, ("sarif", "gitlab"))
    assert plan_outputs(("concise", "json", "json"), tmp_path) == Outputs("concise", ("json",))
    with pytest.raises(click.UsageError, match="give -o DIR"):
        plan_outputs(("md", "terminal"), None)
    with pytest.raises(click.UsageError, match="ask for one of them"):
        plan_outputs(("terminal", "concise"), tmp_path)


def test_two_formats_on_stdout_is_a_usage_error_not_a_mixed_stream(make_tree: MakeTree) -> None:
    done = grader("check", "--static", "--format", "md", "--format", "terminal", make_tree(SUBMISSION))
    assert done.returncode == 2
    assert "--format md and --format terminal would all print on stdout" in done.stderr
    assert done.stdout == ""


def test_with_an_output_folder_each_file_format_is_one_file_and_the_screen_gets_one(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = grader("check", "--static", "--format", "concise", "--format", "sarif", "--format", "gitlab",
                  "--format", "json", "-o", out, make_tree(SUBMISSION))
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["report.codequality.json", "report.json",
                                                                     "report.sarif"]
    assert done.stdout.splitlines()[-1].startswith("grader: ") and "gate FAILED" in done.stdout
    assert "README.md:3: readme.links" in done.stdout or "README.md" in done.stdout


def test_in_github_actions_annotations_and_the_job_summary_come_by_themselves(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    root = make_tree(SUBMISSION)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(root.parent)}
    done = grader("check", "--static", root, env=env)
    assert done.returncode == 1
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert any(line.startswith(f"::error file={root.name}/README.md") for line in annotations), annotations
    assert annotations[-1].startswith("::notice title=grader%3A")
    assert "total" in done.stdout  # the terminal report still follows
    text = summary.read_text()
    assert text.startswith("earlier step\n# grader report:"), "appended, never overwritten"

    # a document on stdout stays parseable: the workflow commands go to stderr, which the runner reads too
    as_json = grader("check", "--static", "--format", "json", root, env=env)
    assert json.loads(as_json.stdout)["gate_passed"] is False
    assert "::error" in as_json.stderr

    off = grader("check", "--static", "--no-github", root, env=env)
    assert "::error" not in off.stdout + off.stderr


def test_repository_prefix_is_the_submission_folder_under_the_workspace(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    assert repository_prefix(tmp_path / "a" / "b") == "a/b"
    assert repository_prefix(tmp_path) == ""
    assert repository_prefix(tmp_path.parent) == ""
