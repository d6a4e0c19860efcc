"""local_submission: a plain folder, a git checkout as it is, and the errors for a bad PATH."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from grader.acquire import local_submission
from grader.checks.repo import RepoContributionsCheck
from grader.errors import GraderError
from tests.acquire.builder import BEFORE, DEADLINE, RepoBuilder, run
from tests.harness import run_on


def test_missing_path_and_file_are_grader_errors(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match=r"nope: no such folder$"):
        local_submission(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(GraderError, match=r"f.txt: not a folder"):
        local_submission(tmp_path / "f.txt")


def test_plain_folder_has_no_git_facts(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    sub = local_submission(tmp_path / "plain", deadline=DEADLINE)
    assert (sub.id, sub.root, sub.commit, sub.git_dir) == ("plain", tmp_path / "plain", None, None)
    assert sub.deadline == DEADLINE


def test_checkout_records_head_commit_time_and_branch(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "checkout")
    sha = repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    (repo.path / "uncommitted.py").write_text("y = 2\n")
    sub = local_submission(repo.path)
    assert sub.commit == sha
    assert sub.commit_time is not None and sub.commit_time.isoformat() == "2026-03-30T10:00:00+00:00"
    assert sub.ref == "main"
    assert sub.git_dir == repo.path
    assert (sub.root / "uncommitted.py").exists()  # the working tree is graded as the student sees it


def test_detached_head_records_no_branch(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "checkout")
    sha = repo.commit({"code/a.py": "x = 1\n"}, when=BEFORE)
    run("checkout", "--quiet", "--detach", cwd=repo.path)
    sub = local_submission(repo.path)
    assert (sub.commit, sub.ref, sub.git_dir) == (sha, None, repo.path)


def test_folder_inside_a_checkout_is_a_plain_folder(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "checkout")
    repo.commit({"examples/good/a.py": "x = 1\n"}, when=BEFORE)
    sub = local_submission(repo.path / "examples" / "good")
    assert (sub.commit, sub.git_dir, sub.root) == (None, None, repo.path / "examples" / "good")


def test_repository_config_cannot_run_commands(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "checkout")
    repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    sentinel = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {sentinel}\n")
    evil.chmod(stat.S_IRWXU)
    run("config", "core.fsmonitor", str(evil), cwd=repo.path)
    run("config", "core.hooksPath", str(tmp_path), cwd=repo.path)
    (tmp_path / "post-checkout").write_text(evil.read_text())
    run("config", "diff.evil.textconv", str(evil), cwd=repo.path)
    run("config", "diff.external", str(evil), cwd=repo.path)
    repo.commit({".gitattributes": "*.py diff=evil\n", "a.py": "x = 2\n"}, when=BEFORE)
    sentinel.unlink(missing_ok=True)  # the builder's own commits may run the planted hook; the grader must not
    sub = local_submission(repo.path)
    assert sub.commit is not None
    contributions = run_on(RepoContributionsCheck, sub)
    assert contributions.measurements["commits"] == 2
    assert not sentinel.exists()
