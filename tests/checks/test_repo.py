"""repo.* checks on real git repositories: late commits, contributions per author, hygiene and secrets."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from grader.acquire import acquire_git, local_submission
from grader.checks.repo import RepoContributionsCheck, RepoDeadlineCheck, RepoHygieneCheck
from grader.checks.repo.contributions import RepoContributionsOptions
from grader.models import CheckResult, Member, Severity, Status
from tests.acquire.builder import AFTER, BEFORE, DEADLINE, JUST_BEFORE, RepoBuilder, around_deadline, run
from tests.harness import run_on

GITHUB_TOKEN = "ghp_" + "Zq7Rk2Lm9Xv4" * 3
OPENAI_KEY = "sk-proj-" + "Tn5Wc8Hy3Bd6Qf1J" * 3


@pytest.fixture
def source(tmp_path: Path) -> RepoBuilder:
    """Commits before and after the deadline."""
    return around_deadline(tmp_path / "source")


def _dump(result: CheckResult) -> str:
    return json.dumps(asdict(result), default=str)


def test_deadline_lists_late_commits_and_names_the_graded_one(tmp_path: Path, source: RepoBuilder) -> None:
    on_time = run("rev-parse", "HEAD~1", cwd=source.path).strip()
    sub = acquire_git(str(source.path), tmp_path / "work", group_id="g", deadline=DEADLINE)
    result = run_on(RepoDeadlineCheck, sub)
    assert result.status is Status.PASSED
    m = result.measurements
    assert m["graded_commit"] == on_time
    assert m["graded_commit_time"] == "2026-03-31T23:58:00+02:00"  # shown in the deadline's zone
    assert (m["late_commits"], m["late_authors"]) == (1, ["Ada Lovelace"])
    assert m["late_commit_times"] == ["2026-04-01T09:00:00+02:00"]
    assert "commit dates are set by the committer" in result.summary
    assert [f.severity for f in result.findings] == [Severity.WARNING]
    assert "after the deadline" in result.findings[0].message


def test_deadline_fails_a_checkout_whose_head_is_late(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "checkout")
    repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    repo.commit({"a.py": "x = 2\n"}, when=AFTER, author="Bob Builder", email="bob@example.org")
    result = run_on(RepoDeadlineCheck, local_submission(repo.path, deadline=DEADLINE))
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.measurements["graded_commit_is_late"] is True
    assert result.measurements["late_authors"] == ["Bob Builder"]


def test_deadline_skipped_without_deadline_or_history(tmp_path: Path, source: RepoBuilder) -> None:
    no_deadline = run_on(RepoDeadlineCheck, local_submission(source.path))
    assert (no_deadline.status, no_deadline.summary) == (Status.SKIPPED, "no deadline given")
    (tmp_path / "plain").mkdir()
    plain = run_on(RepoDeadlineCheck, local_submission(tmp_path / "plain", deadline=DEADLINE))
    assert (plain.status, str(plain.skip)) == (Status.SKIPPED, "not-run")
    assert str(no_deadline.skip) == "not-applicable"


def _team_repo(path: Path) -> RepoBuilder:
    repo = RepoBuilder(path)
    repo.commit({"model.py": "a\nb\nc\n", "poetry.lock": "x\n" * 500}, when=BEFORE)
    repo.commit({"model.py": "a\nb\nc\nd\n"}, when=BEFORE, author="ada-laptop", email="ada@laptop.local")
    repo.commit({"train.py": "1\n2\n", "nb.ipynb": '{"cells": []}\n' * 300}, when=JUST_BEFORE,
                author="Bob Builder", email="4242+bobb@users.noreply.github.com")
    repo.commit({".mailmap": "Ada Lovelace <ada@example.org> ada-laptop <ada@laptop.local>\n"}, when=JUST_BEFORE)
    return repo


def test_contributions_per_author_with_mailmap_and_uncounted_files(tmp_path: Path) -> None:
    repo = _team_repo(tmp_path / "team")
    members = (
        Member(name="Ada Lovelace", email="ada@example.org"),
        Member(name="Robert B.", git="bobb"),
        Member(name="Carol Coder", email="carol@example.org", git="carol"),
    )
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="team", members=members)
    result = run_on(RepoContributionsCheck, sub)
    authors = {a["name"]: a for a in result.measurements["authors"]}  # type: ignore[index, union-attr]
    assert set(authors) == {"Ada Lovelace", "Robert B."}, "an author a member matches is named as the roster does"
    ada, bob = authors["Ada Lovelace"], authors["Robert B."]
    assert bob["git_names"] == ["Bob Builder"]
    assert (ada["commits"], ada["lines_added"], ada["lines_deleted"]) == (3, 5, 0)  # 3 + 1 model lines, 1 mailmap
    assert ada["emails"] == ["ada@example.org"]
    assert (bob["commits"], bob["lines_added"]) == (1, 2)  # the notebook and the lock file are not counted
    assert result.measurements["members_without_commits"] == ["Carol Coder"]
    assert result.status is Status.FAILED
    assert result.score == 2 / 3
    assert any("Carol Coder" in f.message for f in result.findings)


def test_contributions_without_roster_pass_and_patterns_are_options(tmp_path: Path) -> None:
    repo = _team_repo(tmp_path / "team")
    sub = local_submission(repo.path)
    counted_all = run_on(RepoContributionsCheck, sub, RepoContributionsOptions(uncounted=()))
    authors = {a["name"]: a for a in counted_all.measurements["authors"]}  # type: ignore[index, union-attr]
    assert authors["Bob Builder"]["lines_added"] == 302
    assert counted_all.status is Status.PASSED and counted_all.score == 1.0


def test_a_member_with_several_identities_and_a_noreply_address_is_one_author(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "team")
    repo.commit({"a.py": "1\n"}, when=BEFORE, author="Ada L.", email="ada@laptop.local")
    noreply = "123456+ada-lovelace@users.noreply.github.com"
    repo.commit({"b.py": "2\n"}, when=BEFORE, author="ada-lovelace", email=noreply)
    repo.commit({"c.py": "3\n"}, when=BEFORE, author="Alan Turing", email="alan@uni.example")
    repo.commit({"d.py": "4\n"}, when=BEFORE, author="Grace", email="ghopper@users.noreply.github.com")
    members = (
        Member("Ada Lovelace", "ada@example.org", "ada-lovelace", ("ada@laptop.local",)),
        Member("Alan Turing", "a.turing@example.org"),  # by name
        Member("Grace Hopper", git="ghopper"),  # the old noreply form, by login
    )
    result = run_on(RepoContributionsCheck, acquire_git(str(repo.path), tmp_path / "w", group_id="t", members=members))
    assert result.measurements["members_without_commits"] == []
    assert (result.status, result.score) == (Status.PASSED, 1.0)
    people = {a["name"]: a for a in result.measurements["authors"]}  # type: ignore[index, union-attr]
    assert set(people) == {"Ada Lovelace", "Alan Turing", "Grace Hopper"}, "one entry per member, not per identity"
    assert people["Ada Lovelace"]["commits"] == 2
    assert people["Ada Lovelace"]["git_names"] == ["Ada L", "ada-lovelace"]  # git drops the trailing dot
    unnamed = run_on(RepoContributionsCheck, acquire_git(str(repo.path), tmp_path / "w3", group_id="t"))
    assert len(unnamed.measurements["authors"]) == 4  # type: ignore[arg-type]
    wrong = run_on(RepoContributionsCheck, acquire_git(str(repo.path), tmp_path / "w2", group_id="t",
                                                       members=(Member("Ada Lovelace", "ada@example.org"),)))
    assert wrong.measurements["members_without_commits"] == ["Ada Lovelace"], "another e-mail is not Ada"


def test_members_with_no_commits_and_with_only_late_commits_are_said_apart(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "team")
    repo.commit({"a.py": "1\n"}, when=BEFORE)
    for n in range(3):
        repo.commit({f"late{n}.py": "x\n"}, when=AFTER, author="Bob Builder", email="bob@example.org")
    members = (Member("Ada Lovelace", "ada@example.org"), Member("Bob Builder", "bob@example.org"),
               Member("Carol Coder", "carol@example.org"))
    sub = acquire_git(str(repo.path), tmp_path / "w", group_id="t", deadline=DEADLINE, members=members)
    result = run_on(RepoContributionsCheck, sub)
    assert result.measurements["members_without_commits"] == ["Bob Builder", "Carol Coder"]
    assert result.measurements["members_only_late"] == ["Bob Builder"]
    bob, carol = (f.message for f in result.findings)
    assert bob.startswith("roster member Bob Builder has 3 commit(s), all after the deadline: the graded commit holds "
                          "none of their work; commit")
    assert carol.startswith("roster member Carol Coder has no commits at all under their name, e-mail or git user "
                            "names: commit their own work")


def test_a_shallow_clone_is_not_judged_and_the_fix_is_named(tmp_path: Path, source: RepoBuilder) -> None:
    shallow = tmp_path / "ci-checkout"
    run("clone", "--quiet", "--depth", "1", f"file://{source.path}", str(shallow))
    sub = local_submission(shallow, deadline=DEADLINE)
    for check in (RepoContributionsCheck, RepoDeadlineCheck):
        result = run_on(check, sub)
        assert (result.status, str(result.skip)) == (Status.SKIPPED, "not-run")
        assert "shallow clone" in result.summary and "fetch-depth: 0" in result.summary
    full = tmp_path / "full"
    run("clone", "--quiet", f"file://{source.path}", str(full))
    assert run_on(RepoContributionsCheck, local_submission(full)).status is not Status.SKIPPED


def _messy_repo(path: Path) -> RepoBuilder:
    repo = RepoBuilder(path)
    files: dict[str, str | bytes] = {
        "venv/pyvenv.cfg": "home = /usr/bin\n",
        "venv/lib/python3.11/site-packages/pkg/__init__.py": "x = 1\n",
        "src/__pycache__/model.cpython-311.pyc": b"\x00\x01",
        ".DS_Store": b"\x00",
        "paper/main.tex": "\\documentclass{IEEEtran}\n",
        "paper/main.aux": "\\relax\n",
        "paper/main.log": "This is pdfTeX\n",
        "train.log": "epoch 1 loss 0.3\n",
        "model.pt": bytes(6 * 1024 * 1024),
        "runs/exp1/events.out.tfevents.1711900000.host": b"\x00" * 10,
        "wandb/run-1/files/output.log": "step 1\n",
        "src/config.py": f'DEBUG = True\nGITHUB = "{GITHUB_TOKEN}"\n',
        ".env": f"OPENAI_API_KEY={OPENAI_KEY}\n",
        "docs/aws.md": "use AKIAIOSFODNN7EXAMPLE as in the AWS docs\n",
    }
    files.update({f"data/clip{i:02d}.wav": b"RIFF" for i in range(25)})
    repo.commit(files, when=BEFORE)
    return repo


def test_hygiene_finds_everything_and_never_shows_a_secret(tmp_path: Path) -> None:
    sub = local_submission(_messy_repo(tmp_path / "messy").path)
    result = run_on(RepoHygieneCheck, sub)
    m = result.measurements
    assert result.status is Status.FAILED
    assert m["listing"] == "git"
    assert m["virtual_environments"] == ["venv"]
    assert m["checkpoints"] == ["model.pt"]
    assert (m["audio_files"], m["tensorboard_event_files"]) == (25, 1)
    assert m["latex_build_files"] == ["paper/main.aux", "paper/main.log"]
    assert m["cache_kinds"] == [".DS_Store", "__pycache__", "wandb"]
    assert m["gitignore"] is False
    assert (m["secrets"], m["secret_kinds"]) == (2, ["GitHub token", "OpenAI/Anthropic API key"])
    secret_findings = {(f.path, f.line) for f in result.findings if "redacted" in f.message}
    assert secret_findings == {("src/config.py", 2), (".env", 1)}
    dumped = _dump(result)
    assert GITHUB_TOKEN not in dumped and OPENAI_KEY not in dumped
    assert GITHUB_TOKEN[4:12] not in dumped and OPENAI_KEY[8:16] not in dumped
    assert result.score == 0.0


def test_hygiene_of_a_clean_repository(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "clean")
    repo.commit({".gitignore": "venv/\n__pycache__/\n", "train.py": "print('hi')\n", "train.log": "ok\n"}, when=BEFORE)
    result = run_on(RepoHygieneCheck, local_submission(repo.path))
    assert (result.status, result.score, result.summary) == (Status.PASSED, 1.0, "clean")
    assert result.findings == ()


def test_hygiene_on_a_plain_folder_lists_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / ".venv").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "a.py").write_text("KEY = 'AIza" + "Sy0123456789abcdefghijKLMNOPQRSTUVW" + "'\n")
    result = run_on(RepoHygieneCheck, local_submission(root))
    assert result.measurements["listing"] == "folder"
    assert result.measurements["virtual_environments"] == [".venv"]
    assert [(f.path, f.line) for f in result.findings if "Google API key" in f.message] == [("a.py", 1)]
