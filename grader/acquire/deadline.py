"""The deadline cut: the last commit at or before the deadline, checked out into a clean tree for grading."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.acquire.gitcmd import first_line, git_env, run_git
from grader.acquire.history import Commit, HistoryError, commits, committed_files


class CutError(RuntimeError):
    """No tree can be graded (no commit before the deadline, tree over the size cap...); one-line message."""


@dataclass(frozen=True)
class GradedCommit:
    """The commit chosen for grading and when it was committed."""

    sha: str
    time: datetime


def aware(moment: datetime) -> datetime:
    """`moment` with a time zone; a naive deadline is read as the grader's local time."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def last_commit_before(git_dir: Path, rev: str, deadline: datetime | None) -> GradedCommit:
    """The newest commit reachable from `rev` whose committer date is at or before `deadline` (the tip if None).

    Committer dates are set by whoever made the commit, so this is the best git alone can tell; push times
    are known only to the hosting service."""
    try:
        history = commits(git_dir, rev)
    except HistoryError as exc:
        raise CutError(f"cannot read the history of {rev!r}: {exc}") from exc
    if not history:
        raise CutError(f"{rev!r} has no commits")
    if deadline is None:
        return GradedCommit(history[0].sha, history[0].time)
    deadline = aware(deadline)
    on_time: list[Commit] = [c for c in history if c.time <= deadline]
    if not on_time:
        first = min(c.time for c in history)
        raise CutError(
            f"no commit at or before the deadline {deadline.isoformat()} on {rev!r} "
            f"(the first of {len(history)} commits is dated {first.isoformat()})"
        )
    best = max(on_time, key=lambda c: c.time)
    return GradedCommit(best.sha, best.time)


def check_out(git_dir: Path, commit: str, tree: Path, scratch: Path, *, max_bytes: int, timeout_s: float) -> None:
    """Write `commit`'s files into a fresh `tree` (no hooks, no filters, no submodules, links kept as links)."""
    try:
        listing = committed_files(git_dir, commit)
    except HistoryError as exc:
        raise CutError(f"cannot list commit {commit[:12]}: {exc}") from exc
    total = sum(f.size for f in listing)
    if total > max_bytes:
        biggest = max(listing, key=lambda f: f.size)
        raise CutError(
            f"the tree of commit {commit[:12]} holds {total} bytes, over the cap of {max_bytes} bytes "
            f"(largest file: {biggest.path}, {biggest.size} bytes)"
        )
    if tree.is_symlink() or tree.is_file():
        tree.unlink()
    elif tree.exists():
        shutil.rmtree(tree)  # rmtree removes links without following them
    tree.mkdir(parents=True)
    scratch.mkdir(parents=True, exist_ok=True)
    # A private index: plumbing writes the files, so no porcelain hook or checkout logic gets a say.
    env = git_env(extra_env={"GIT_INDEX_FILE": str(scratch / "index")})
    base = ["--git-dir", str(git_dir), "--work-tree", str(tree)]
    for args in (["read-tree", "--end-of-options", commit], ["checkout-index", "--all", "--force"]):
        result = run_git([*base, *args], env, timeout_s=timeout_s, watch=tree, max_bytes=max_bytes)
        if not result.ok:
            reason = first_line(result.stderr) if result.stopped is None else result.stopped
            raise CutError(f"cannot check out commit {commit[:12]}: {reason}")
