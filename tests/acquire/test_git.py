"""acquire_git against real repositories: the deadline cut, updates, and failures recorded as data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from grader.acquire import AcquirePolicy, acquire_git
from tests.acquire.builder import AFTER, DEADLINE, RepoBuilder, run
from tests.gitserver import serve_git

HTTP_OK = AcquirePolicy(allowed_schemes=frozenset({"http", "https", "ssh", "local"}))


def test_grades_last_commit_before_deadline(tmp_path: Path, source: RepoBuilder, served: Path) -> None:
    on_time = run("rev-parse", "HEAD~1", cwd=source.path).strip()
    sub = acquire_git(str(served / "group.git"), tmp_path / "work", group_id="g1", deadline=DEADLINE)
    assert sub.acquire_error is None
    assert sub.commit == on_time
    assert sub.commit_time is not None and sub.commit_time.isoformat() == "2026-03-31T21:58:00+00:00"
    assert sub.ref == "main"
    assert sub.git_dir == tmp_path / "work" / "g1" / "repo.git"
    assert (sub.root / "README.md").read_text() == "# v2 on time\n"
    assert not (sub.root / ".git").exists()


def test_without_deadline_grades_the_tip_of_the_named_ref(tmp_path: Path, source: RepoBuilder, served: Path) -> None:
    sub = acquire_git(str(served / "group.git"), tmp_path / "work", group_id="g1", ref="main")
    assert sub.acquire_error is None
    assert (sub.root / "README.md").read_text() == "# v3 late\n"
    missing = acquire_git(str(served / "group.git"), tmp_path / "work", group_id="g1", ref="nope")
    assert missing.acquire_error == "ref 'nope' not found in the repository"


def test_rerun_fetches_into_the_existing_clone(tmp_path: Path, source: RepoBuilder, served: Path) -> None:
    work = tmp_path / "work"
    first = acquire_git(str(served / "group.git"), work, group_id="g1")
    marker = work / "g1" / "repo.git" / "kept-by-update"
    marker.write_text("x")
    (first.root / "stale.txt").write_text("left from a previous run")
    newest = source.commit({"NEW.md": "new\n"}, when=AFTER)
    run("push", "--quiet", str(served / "group.git"), "main", cwd=source.path)
    second = acquire_git(str(served / "group.git"), work, group_id="g1")
    assert second.acquire_error is None
    assert second.commit == newest
    assert marker.exists()  # the repository was fetched into, not cloned again
    assert (second.root / "NEW.md").exists()
    assert not (second.root / "stale.txt").exists()  # the graded tree is always fresh


def test_only_commits_after_deadline_is_an_acquire_error(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "late")
    repo.commit({"a.py": "x = 1\n"}, when=AFTER)
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="late", deadline=DEADLINE)
    assert sub.acquire_error is not None
    assert sub.acquire_error.startswith("no commit at or before the deadline 2026-03-31T23:59:00+02:00")
    assert sub.commit is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ext::sh -c touch% /tmp/grader-ext-sentinel", "transport::"),
        ("file::/etc", "transport::"),
        ("fd::0", "transport::"),
        ("--upload-pack=touch /tmp/grader-sentinel", "starts with '-'"),
        ("ssh://-oProxyCommand=touch%20x/repo", "option-like"),
        ("http://127.0.0.1:9/repo.git", "scheme 'http' is not allowed"),
        ("ftp://example.org/repo.git", "scheme 'ftp' is not allowed"),
    ],
)
def test_unsafe_urls_are_refused_without_running_git(tmp_path: Path, url: str, reason: str) -> None:
    sub = acquire_git(url, tmp_path / "work", group_id="bad")
    assert sub.acquire_error is not None and sub.acquire_error.startswith("refused repository URL")
    assert reason in sub.acquire_error
    assert not (tmp_path / "work" / "bad" / "repo.git").exists()
    assert not Path("/tmp/grader-ext-sentinel").exists()


def test_http_clone_with_token_from_environment(
    tmp_path: Path, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "tok-3f9a-very-secret"
    monkeypatch.setenv("GRADER_GIT_TOKEN", token)
    with serve_git(served, username="x-access-token", password=token) as server:
        sub = acquire_git(server.url("group.git"), tmp_path / "work", group_id="g", deadline=DEADLINE, policy=HTTP_OK)
        assert f"x-access-token:{token}" in server.seen_auth
    assert sub.acquire_error is None
    assert (sub.root / "README.md").read_text() == "# v2 on time\n"
    assert token not in repr(sub)
    assert token not in (tmp_path / "work" / "g" / "repo.git" / "config").read_text()


def test_http_clone_without_credentials_fails_cleanly(tmp_path: Path, served: Path) -> None:
    with serve_git(served, username="x-access-token", password="secret") as server:
        sub = acquire_git(server.url("group.git"), tmp_path / "work", group_id="g", policy=HTTP_OK)
    assert sub.acquire_error is not None
    assert sub.acquire_error.startswith(f"ls-remote of {server.url('group.git')} failed")
    assert sub.commit is None


def test_password_in_url_never_appears(tmp_path: Path, served: Path) -> None:
    with serve_git(served, username="ada", password="pa55word") as server:
        good = server.url("group.git").replace("://", "://ada:pa55word@")
        wrong = server.url("group.git").replace("://", "://ada:wr0ngpass@")
        ok = acquire_git(good, tmp_path / "work", group_id="ok", policy=HTTP_OK)
        bad = acquire_git(wrong, tmp_path / "work", group_id="bad", policy=HTTP_OK)
    assert ok.acquire_error is None
    assert "pa55word" not in repr(ok) and "ada" not in ok.source
    assert bad.acquire_error is not None
    assert "wr0ngpass" not in repr(bad)
    for path in (tmp_path / "work").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"pa55word" not in data and b"wr0ngpass" not in data, path


def test_timeout_is_an_acquire_error(tmp_path: Path, served: Path) -> None:
    policy = AcquirePolicy(allowed_schemes=HTTP_OK.allowed_schemes, clone_timeout_s=0.0)
    with serve_git(served) as server:
        sub = acquire_git(server.url("group.git"), tmp_path / "work", group_id="g", policy=policy)
    # Whichever git command runs first (fetch, or ls-remote when the default branch is needed) hits the limit.
    url = re.escape(server.url("group.git"))
    assert re.fullmatch(rf"(fetch|ls-remote) of {url} timed out after 0 s", sub.acquire_error or "")


def test_sources_listed_for_submission_are_kept(tmp_path: Path, served: Path) -> None:
    sub = acquire_git(
        str(served / "group.git"), tmp_path / "work", group_id="../escape", smoke=("python a.py",), paper="p.pdf"
    )
    assert sub.id == "../escape"
    assert sub.root == tmp_path / "work" / "_escape" / "tree"
    assert sub.smoke == ("python a.py",) and sub.paper == "p.pdf"
    assert os.path.commonpath([sub.root, tmp_path / "work"]) == str(tmp_path / "work")



def test_empty_repository_and_naive_deadline_are_acquire_errors_not_crashes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.git"
    run("init", "--quiet", "--bare", str(empty), cwd=tmp_path)
    sub = acquire_git(str(empty), tmp_path / "work", group_id="empty")
    assert sub.acquire_error == "the repository has no default branch with commits"
    late = RepoBuilder(tmp_path / "late")
    late.commit({"a.py": "x = 1\n"}, when=AFTER)
    naive = DEADLINE.replace(tzinfo=None)
    assert naive.tzinfo is None
    cut = acquire_git(str(late.path), tmp_path / "work", group_id="late", deadline=naive)
    assert cut.acquire_error is not None and cut.acquire_error.startswith("no commit at or before the deadline")


def test_wrong_token_with_host_tracing_switched_on_leaks_nothing(
    tmp_path: Path, served: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    token = "tok-wrong-7c1d-secret"
    monkeypatch.setenv("GRADER_GIT_TOKEN", token)
    for name in ("GIT_TRACE", "GIT_CURL_VERBOSE", "GIT_TRACE_CURL", "GIT_TRACE_PACKET"):
        monkeypatch.setenv(name, "1")  # the host's tracing settings must not reach git (they print headers)
    with serve_git(served, username="x-access-token", password="the-right-one") as server:
        sub = acquire_git(server.url("group.git"), tmp_path / "work", group_id="g", policy=HTTP_OK)
        assert f"x-access-token:{token}" in server.seen_auth
    assert sub.acquire_error is not None and "failed" in sub.acquire_error
    out, err = capfd.readouterr()
    assert token not in sub.acquire_error + out + err
    assert not any(token.encode() in p.read_bytes() for p in (tmp_path / "work").rglob("*") if p.is_file())


def test_credentials_from_a_git_credential_helper(tmp_path: Path, served: Path) -> None:
    store = tmp_path / "credentials"
    with serve_git(served, username="ada", password="from-helper") as server:
        store.write_text(server.url("").replace("://", "://ada:from-helper@").rstrip("/") + "\n")
        policy = AcquirePolicy(allowed_schemes=HTTP_OK.allowed_schemes, credential_helper=f"store --file={store}")
        with_helper = acquire_git(server.url("group.git"), tmp_path / "work", group_id="a", policy=policy)
        without = acquire_git(server.url("group.git"), tmp_path / "work", group_id="b", policy=HTTP_OK)
        assert "ada:from-helper" in server.seen_auth
    assert with_helper.acquire_error is None
    assert without.acquire_error is not None  # the host's or repository's helpers are never consulted
