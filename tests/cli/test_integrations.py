"""The ready-made integrations, each run the way its host runs it: the composite GitHub Action's steps with the
runner's environment variables, the GitLab CI template's script lines with GitLab's, and the pre-commit hook by the
real pre-commit tool on a commit in a temporary repository. grader is installed the way each of them installs it
(into a fresh virtual environment that borrows this machine's packages, so no test downloads the world)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import IN_CI
from tests.report.test_ci_formats import sarif_validator

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "keyword-spotting"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "2026-03-30T12:00:00+02:00", "GIT_COMMITTER_DATE": "2026-03-30T12:00:00+02:00"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def repository(path: Path, files_from: Path, drop: tuple[str, ...] = (), under: str = "") -> Path:
    """A git repository at `path` holding a copy of `files_from` (in `under`), committed."""
    target = path / under if under else path
    shutil.copytree(files_from, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", *drop))
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "hand in")
    return path


def venv(path: Path) -> Path:
    """A fresh virtual environment seeing this machine's packages; its bin folder (put first on PATH)."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(path)], check=True)
    return path / "bin"


def host_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    """The environment a CI host gives a job: this machine's, minus what would leak our own settings."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "GITLAB_", "CI_", "PYTEST_", "VIRTUAL_ENV")) and k not in {"NO_COLOR"}}
    return {**keep, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **extra}


# -- GitHub Actions ----------------------------------------------------------------------------------------------


def expand(text: Any, context: dict[str, Any]) -> str:
    """The runner's `${{ }}` expressions this action uses: inputs.*, steps.*.outputs.*; anything else fails."""
    def value(match: re.Match[str]) -> str:
        found: Any = context
        for part in match.group(1).split("."):
            assert isinstance(found, dict) and part in found, f"expression the test cannot evaluate: {match.group(1)}"
            found = found[part]
        return str(found)

    return EXPRESSION.sub(value, str(text))


def run_action(workspace: Path, tmp_path: Path, with_: dict[str, str]) -> dict[str, Any]:
    """Run action.yml's steps as the runner does; the `uses:` steps are checked, not run (checkout is the
    workspace's own clone; setup-python is this Python; uploads are checked against the files)."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(with_)
    context: dict[str, Any] = {"inputs": inputs, "steps": {}}
    summary = tmp_path / "step_summary.md"
    env = host_env(venv(tmp_path / "venv"), GITHUB_ACTIONS="true", CI="true", GITHUB_WORKSPACE=str(workspace),
                   GITHUB_ACTION_PATH=str(REPO), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp_path),
                   GITHUB_REPOSITORY="course/group-1", GITHUB_SHA=git(workspace, "rev-parse", "HEAD"))
    runs: dict[str, subprocess.CompletedProcess[str]] = {}
    uses: dict[str, dict[str, Any]] = {}
    for index, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            uses[step["uses"].split("@")[0]] = {**step, "with": {k: expand(v, context)
                                                                for k, v in step.get("with", {}).items()}}
            continue
        assert step["shell"] == "bash", "a composite step must name its shell"
        output = tmp_path / f"output-{index}"
        output.touch()
        script = tmp_path / f"step-{index}.sh"
        script.write_text(expand(step["run"], context), encoding="utf-8")
        step_env = {**env, "GITHUB_OUTPUT": str(output),
                    **{k: expand(v, context) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=step_env, capture_output=True, text=True, timeout=900, check=False)
        runs[step.get("id", step["name"])] = done
        if step.get("id"):
            pairs = [line.split("=", 1) for line in output.read_text().splitlines() if "=" in line]
            context["steps"][step["id"]] = {"outputs": dict(pairs)}
        if done.returncode != 0:
            break
    return {"runs": runs, "uses": uses, "context": context, "summary": summary, "inputs": inputs}


def test_github_action_grades_annotates_summarises_uploads_and_gates(tmp_path: Path) -> None:
    # A repository whose submission sits in a folder and has no README: a required check fails.
    workspace = repository(tmp_path / "workspace", EXAMPLE, drop=("README.md",), under="submission")
    done = run_action(workspace, tmp_path, {"path": "submission"})
    runs, uses = done["runs"], done["uses"]

    assert uses["actions/checkout"]["with"]["fetch-depth"] == "0", "the history checks need every commit"
    install = runs["Install grader"]
    assert install.returncode == 0, install.stderr[-3000:]
    grade = runs["check"]
    assert grade.returncode == 0, "the gate is decided in the last step, after the upload"
    assert "::error file=submission/README.md" in grade.stdout or "::error title=readme.present" in grade.stdout
    assert "total " in grade.stdout, "the terminal report is in the log"
    outputs = done["context"]["steps"]["check"]["outputs"]
    assert outputs["exit-code"] == "1" and outputs["gate"] == "failed" and float(outputs["max-total"]) > 0
    assert runs["Gate"].returncode == 1, "the job fails when a required check fails"

    assert done["summary"].read_text(encoding="utf-8").startswith("# grader report: submission")
    upload = uses["actions/upload-artifact"]
    assert upload["if"] == "always()" and (workspace / upload["with"]["path"]).is_dir()
    written = sorted(p.name for p in (workspace / upload["with"]["path"]).iterdir())
    assert written == ["report.html", "report.json", "report.md", "report.sarif", "report.xml"]
    sarif = json.loads((workspace / upload["with"]["path"] / "report.sarif").read_text(encoding="utf-8"))
    assert not list(sarif_validator().iter_errors(sarif))
    assert uses["github/codeql-action/upload-sarif"]["if"] == "always() && inputs.upload-sarif == 'true'"


# -- GitLab CI ---------------------------------------------------------------------------------------------------


def test_gitlab_template_keeps_junit_and_code_quality_reports_when_the_job_fails(tmp_path: Path) -> None:
    template = yaml.safe_load((REPO / "ci" / "grader.gitlab-ci.yml").read_text(encoding="utf-8"))
    job = template["grader"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    project = repository(tmp_path / "project", EXAMPLE, drop=("requirements.txt",))
    variables = {**{k: str(v) for k, v in job["variables"].items()}, "GRADER_PIP_SPEC": str(REPO)}
    env = host_env(venv(tmp_path / "venv"), CI="true", GITLAB_CI="true", CI_PROJECT_DIR=str(project),
                   CI_COMMIT_SHA=git(project, "rev-parse", "HEAD"), CI_JOB_NAME="grader", **variables)
    codes = []
    for line in [*job["before_script"], *job["script"]]:
        done = subprocess.run(["bash", "-c", line], cwd=project, env=env, capture_output=True, text=True,
                              timeout=900, check=False)
        codes.append(done.returncode)
        if done.returncode != 0:
            break
    assert codes[:2] == [0, 0], "pip installs grader"
    assert codes[-1] == 1, "no environment file: the required env.file check fails, and so the job"
    assert "gate FAILED (env.file)" in done.stdout

    junit = ET.parse(project / artifacts["reports"]["junit"]).getroot()
    failed = [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None]
    assert "env.file" in failed
    issues = json.loads((project / artifacts["reports"]["codequality"]).read_text(encoding="utf-8"))
    assert isinstance(issues, list)
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert (project / issue["location"]["path"]).exists(), issue
    assert all((project / p).exists() for p in artifacts["paths"])


def test_gitlab_template_without_a_pip_spec_stops_before_pip_instead_of_taking_a_stranger_from_pypi() -> None:
    job = yaml.safe_load((REPO / "ci" / "grader.gitlab-ci.yml").read_text(encoding="utf-8"))["grader"]
    assert job["variables"]["GRADER_PIP_SPEC"] == ""
    env = {"PATH": os.environ["PATH"], **{k: str(v) for k, v in job["variables"].items()}}
    done = subprocess.run(["bash", "-c", job["before_script"][0]], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and "set the variable GRADER_PIP_SPEC" in done.stdout


# -- pre-commit --------------------------------------------------------------------------------------------------


def pre_commit() -> str:
    found = shutil.which("pre-commit")
    if found is None:
        if IN_CI:
            pytest.fail("pre-commit is not installed (.ci/run installs it)")
        pytest.skip("pre-commit is not installed (python3 -m pip install pre-commit)")
    return found


def hook_repository(path: Path) -> tuple[Path, str]:
    """This grader as a hook repository (its tracked and new files, committed), and the commit to pin."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for rel in listed:
        source = REPO / rel
        if source.is_file() and not rel.startswith(("tests/", "bench/")):
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / rel)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "grader")
    return path, git(path, "rev-parse", "HEAD")


def test_pre_commit_hook_blocks_a_commit_that_breaks_a_required_check(tmp_path: Path) -> None:
    tool = pre_commit()
    hooks, rev = hook_repository(tmp_path / "grader")
    student = repository(tmp_path / "student", EXAMPLE)
    (student / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: grader\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GITHUB_", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    subprocess.run([tool, "install"], cwd=student, env=env, check=True, capture_output=True)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "add", "-A"], cwd=student, check=True)
        return subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", "commit", "-m",
                               message], cwd=student, env=env, capture_output=True, text=True, timeout=900,
                              check=False)

    good = commit("add the hook")
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert "grader check (static)" in good.stdout + good.stderr and "Passed" in good.stdout + good.stderr

    (student / "README.md").unlink()
    bad = commit("drop the README")
    shown = bad.stdout + bad.stderr
    assert bad.returncode != 0, shown[-3000:]
    assert "Failed" in shown and "readme.present" in shown and "gate FAILED" in shown
    assert git(student, "log", "--format=%s", "-1") == "add the hook", "the commit was refused"
