"""The command line contract: `grader check`, `checks`, `rubric validate`, `render`, and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import MakeTree

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = next((p for p in sorted((REPO / "examples").iterdir()) if (p / "README.md").exists()), None)


def grader(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, as a user would (this checkout's grader, whatever the folder)."""
    full_env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}} | (env or {})
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), full_env.get("PYTHONPATH"))))
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True, env=full_env,
        cwd=cwd, timeout=600, check=False,
    )


def test_help_names_every_verb_and_the_exit_codes() -> None:
    out = grader("--help").stdout
    for verb in ("check", "grade", "render", "checks", "rubric", "sandbox"):
        assert verb in out
    assert "Exit codes" in out
    assert "--static" in grader("check", "--help").stdout


def test_missing_path_and_file_path_are_usage_errors(tmp_path: Path) -> None:
    missing = grader("check", "--static", tmp_path / "nope")
    assert missing.returncode == 2
    assert "nope" in missing.stderr and "Traceback" not in missing.stderr
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    as_file = grader("check", "--static", afile)
    assert as_file.returncode == 2 and "Traceback" not in as_file.stderr


def test_invalid_rubric_is_exit_2_naming_file_and_key(tmp_path: Path, make_tree: MakeTree) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text("id: r\ntitle: R\ncriteria:\n  - {id: a, title: A, points: 5, checks: [{id: readme.section}]}\n")
    result = grader("check", "--static", "--rubric", rubric, make_tree({"README.md": "# x\n"}))
    assert result.returncode == 2
    assert f"{rubric}:4" in result.stderr and "did you mean 'readme.sections'" in result.stderr
    assert grader("rubric", "validate", rubric).returncode == 2


def test_bundled_rubric_validates_and_checks_lists_ids() -> None:
    valid = grader("rubric", "validate", REPO / "rubrics" / "dl4ad.yaml")
    assert valid.returncode == 0, valid.stderr
    assert "ok" in valid.stdout
    listing = grader("checks").stdout
    for check_id in ("readme.present", "env.file", "code.comments"):
        assert check_id in listing


@pytest.mark.skipif(EXAMPLE is None, reason="no example submission yet")
def test_static_check_of_the_example_writes_every_format(tmp_path: Path) -> None:
    assert EXAMPLE is not None
    out = tmp_path / "out"
    result = grader("check", "--static", EXAMPLE, "-o", out, "--format", "json", "--format", "md",
                    "--format", "html", "--format", "junit")
    assert result.returncode in (0, 1), result.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["report.html", "report.json", "report.md",
                                                                     "report.xml"]
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 1
    assert report["total"] > 0.5 * sum(c["max_points"] for c in report["criteria"] if not c["skipped"])
    assert all(c["status"] == "skipped" for c in report["checks"] if c["id"].startswith("run."))
    # re-rendering the saved JSON needs no regrading and gives the same Markdown
    rendered = grader("render", out / "report.json", "--format", "md")
    assert rendered.returncode == 0
    assert rendered.stdout == (out / "report.md").read_text()


def test_gate_failure_is_exit_1_and_fail_under(make_tree: MakeTree) -> None:
    empty = make_tree({"main.py": "x = 1\n"})
    result = grader("check", "--static", "--format", "json", empty)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["gate_passed"] is False
    assert report["checks"][0]["id"] == "readme.present" and report["checks"][0]["status"] == "failed"


def test_no_color_when_not_a_terminal(make_tree: MakeTree) -> None:
    result = grader("check", "--static", make_tree({"README.md": "# T\n"}))
    assert "\x1b[" not in result.stdout
    assert "total" in result.stdout
