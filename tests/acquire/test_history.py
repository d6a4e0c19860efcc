"""History reading through gitdb: the same commits and files as git shows, no git process, broken objects as
HistoryError."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from grader.acquire import history
from grader.acquire.history import HistoryError, commits, committed_files, resolve
from tests.acquire.builder import AFTER, BEFORE, RepoBuilder, around_deadline, run

Row = tuple[str, str, str, str, int, int]


def _refuse_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, starting any process (git included) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args[:1]}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def _branchy(path: Path) -> RepoBuilder:
    """A repository with a merged side branch dated out of order, a link, nested folders and a binary file."""
    repo = around_deadline(path)
    run("checkout", "--quiet", "-b", "side", "HEAD~2", cwd=repo.path)
    repo.commit({"src/deep/model.py": "x = 1\n" * 50, "data.bin": bytes(range(256)) * 9}, when=AFTER,
                author="Zoë Ünicode", email="zoe@example.org")
    os.symlink("../README.md", repo.path / "src" / "readme-link")
    repo.commit({"src/a b.py": "y = 2\n"}, when=BEFORE, author="Bob Builder", email="bob@example.org")
    run("checkout", "--quiet", "main", cwd=repo.path)
    run("-c", "user.name=Merger", "-c", "user.email=m@example.org", "merge", "--quiet", "--no-ff", "-m", "merge",
        "side", cwd=repo.path)
    run("-c", "user.name=T", "-c", "user.email=t@example.org", "tag", "-a", "-m", "release", "v1", "HEAD~1",
        cwd=repo.path)
    return repo


def _git_log(repo: Path, *extra: str) -> list[Row]:
    out = run("log", "--format=%H%x1f%aN%x1f%aE%x1f%cN%x1f%ct%x1f%P", *extra, "HEAD", cwd=repo)
    rows = []
    for line in out.splitlines():
        sha, name, email, committer, stamp, parents = line.split("\x1f")
        rows.append((sha, name, email, committer, int(stamp), len(parents.split())))
    return rows


def _rows(repo: Path, rev: str, **options: bool) -> list[Row]:
    return [(c.sha, c.author_name, c.author_email, c.committer_name, int(c.time.timestamp()), c.parents)
            for c in commits(repo, rev, **options)]


def test_commits_match_git_log_and_start_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _branchy(tmp_path / "r")
    bare = repo.bare(tmp_path / "r.git")
    expected, no_merges = _git_log(repo.path), _git_log(repo.path, "--no-merges")
    head = expected[0][0]
    assert len(expected) == 6 and expected[0][5] == 2
    _refuse_processes(monkeypatch)
    for where, rev in ((repo.path, "HEAD"), (repo.path, "refs/heads/main"), (repo.path, head), (bare, "HEAD")):
        assert _rows(where, rev) == expected
    assert _rows(repo.path, "HEAD", no_merges=True) == no_merges
    times = [c.time for c in commits(repo.path, "HEAD")]
    assert all(t.tzinfo is UTC for t in times)
    assert times[-1] == datetime.fromisoformat(BEFORE)


def test_resolve_reads_refs_and_peels_tags_without_a_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _branchy(tmp_path / "r")
    run("pack-refs", "--all", cwd=repo.path)  # packed refs, then one loose ref that must win over its packed copy
    run("update-ref", "refs/heads/side", "HEAD~1", cwd=repo.path)
    want = {rev: run("rev-parse", f"{rev}^{{commit}}", cwd=repo.path).strip()
            for rev in ("HEAD", "refs/heads/main", "refs/heads/side", "refs/tags/v1")}
    _refuse_processes(monkeypatch)
    assert {rev: resolve(repo.path, rev) for rev in want} == want
    assert resolve(repo.path, "-h") is None


def test_names_git_must_decide_still_resolve_through_git(tmp_path: Path) -> None:
    repo = _branchy(tmp_path / "r")
    assert resolve(repo.path, "v1") == run("rev-parse", "v1^{commit}", cwd=repo.path).strip()
    assert resolve(repo.path, "refs/heads/nope") is None
    assert resolve(repo.path, "refs/heads/../../HEAD") is None


def test_committed_files_match_ls_tree_and_keep_links_as_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _branchy(tmp_path / "r")
    listing = run("ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD", cwd=repo.path)
    expected = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, _kind, _sha, size = meta.split()
        expected.append((path, int(size), mode))
    _refuse_processes(monkeypatch)
    got = [(f.path, f.size, f.mode) for f in committed_files(repo.path, "HEAD")]
    assert got == expected
    assert ("src/readme-link", len("../README.md"), "120000") in got
    assert ("data.bin", 256 * 9, "100644") in got


def test_mailmap_and_line_counts_stay_with_git(tmp_path: Path) -> None:
    repo = around_deadline(tmp_path / "r")
    repo.commit({".mailmap": "Bob Builder <bob@example.org> <old@example.org>\n"}, when=AFTER,
                author="Bobby", email="old@example.org")
    assert commits(repo.path, "HEAD")[0].author_name == "Bob Builder"
    counted = commits(repo.path, "HEAD", numstat=True)
    assert counted[-1].changes and {c.path for c in counted[-1].changes} == {"README.md", ".gitignore"}


def test_shallow_clone_ends_where_git_log_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = around_deadline(tmp_path / "src")
    run("clone", "--quiet", "--depth", "2", f"file://{source.path}", str(tmp_path / "shallow"), cwd=tmp_path)
    expected = _git_log(tmp_path / "shallow")
    _refuse_processes(monkeypatch)
    assert _rows(tmp_path / "shallow", "HEAD") == expected
    assert len(expected) == 2 and expected[-1][5] == 0


def _object_file(repo: Path, sha: str) -> Path:
    return repo / ".git" / "objects" / sha[:2] / sha[2:]


def test_missing_parent_is_history_error(tmp_path: Path) -> None:
    repo = around_deadline(tmp_path / "r")
    first = _git_log(repo.path)[-1][0]
    _object_file(repo.path, first).unlink()
    with pytest.raises(HistoryError, match=first):
        commits(repo.path, "HEAD")


def test_corrupt_tree_is_history_error(tmp_path: Path) -> None:
    repo = around_deadline(tmp_path / "r")
    tree = run("rev-parse", "HEAD^{tree}", cwd=repo.path).strip()
    path = _object_file(repo.path, tree)
    path.chmod(0o644)
    path.write_bytes(b"\x78\x9c not zlib at all")
    with pytest.raises(HistoryError, match=tree):
        committed_files(repo.path, "HEAD")


def test_history_walk_stops_at_the_commit_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = around_deadline(tmp_path / "r")
    monkeypatch.setattr(history, "MAX_COMMITS", 2)
    with pytest.raises(HistoryError, match="longer than 2 commits"):
        commits(repo.path, "HEAD")
    monkeypatch.setattr(history, "MAX_COMMITS", 3)
    assert len(commits(repo.path, "HEAD")) == 3


def test_unrepresentable_commit_date_is_history_error(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    tree = subprocess.run(["git", "mktree"], cwd=repo.path, input="", capture_output=True, text=True,
                          check=True).stdout.strip()
    body = f"tree {tree}\nauthor Eve <eve@x> ²\ncommitter Mallory <m@x> 99999999999999999999 +0000\n\nhostile\n"
    done = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=repo.path,
                          input=body, capture_output=True, text=True, check=True)
    run("update-ref", "refs/heads/main", done.stdout.strip(), cwd=repo.path)
    with pytest.raises(HistoryError, match="out of range"):
        commits(repo.path, "HEAD")
