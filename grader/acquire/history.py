"""Facts read from a repository's history: commits with their authors and changed lines, and committed files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.acquire.gitcmd import GitResult, first_line, git_env, run_git

_RECORD = "\x1e"
_FIELD = "\x1f"


class HistoryError(RuntimeError):
    """git could not read the history (no such commit, a corrupt repository); the message is one line."""


@dataclass(frozen=True)
class FileChange:
    """Lines added and deleted in one file by one commit (None for binary files)."""

    path: str
    added: int | None
    deleted: int | None


@dataclass(frozen=True)
class Commit:
    """One commit as the history checks need it; names and emails after `.mailmap`."""

    sha: str
    author_name: str
    author_email: str
    committer_name: str
    #: Committer date (set by whoever made the commit, so it can be forged).
    time: datetime
    parents: int
    changes: tuple[FileChange, ...] = ()


@dataclass(frozen=True)
class CommittedFile:
    """A file in a commit's tree, with its size and git mode (120000 = symbolic link, 160000 = submodule)."""

    path: str
    size: int
    mode: str


def git(git_dir: Path, *args: str, timeout_s: float = 120.0) -> GitResult:
    """Run a read-only git command against `git_dir` (a bare repository or a work tree) with the hardened env."""
    return run_git(["-C", str(git_dir), *args], git_env(), timeout_s=timeout_s)


def resolve(git_dir: Path, rev: str) -> str | None:
    """The commit hash `rev` names in `git_dir`, or None."""
    if rev.startswith("-"):
        return None
    result = git(git_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    return result.stdout.strip() or None if result.ok else None


def commits(git_dir: Path, rev: str, *, numstat: bool = False, no_merges: bool = False) -> list[Commit]:
    """Every commit reachable from `rev`, newest first, with `.mailmap` (as of `rev`) applied to names."""
    fmt = _FIELD.join(("%H", "%aN", "%aE", "%cN", "%ct", "%P"))
    args = ["-c", f"mailmap.blob={rev}:.mailmap", "log", "--use-mailmap", f"--format={_RECORD}{fmt}"]
    if numstat:
        # A checkout's own config may name textconv or external diff programs; counting lines must run none.
        args += ["--numstat", "--no-renames", "--no-textconv", "--no-ext-diff"]
    if no_merges:
        args.append("--no-merges")
    result = git(git_dir, *args, "--end-of-options", rev, "--")
    if not result.ok:
        raise HistoryError(first_line(result.stderr) if result.stopped is None else f"git log {result.stopped}")
    return [_parse_commit(record) for record in result.stdout.split(_RECORD) if record.strip()]


def _parse_commit(record: str) -> Commit:
    head, _, body = record.partition("\n")
    sha, name, email, committer, stamp, parents = head.split(_FIELD)
    changes = []
    for line in body.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        added, deleted, path = parts
        changes.append(FileChange(_unquote(path), _count(added), _count(deleted)))
    return Commit(
        sha=sha, author_name=name, author_email=email, committer_name=committer,
        time=datetime.fromtimestamp(int(stamp), tz=UTC), parents=len(parents.split()), changes=tuple(changes),
    )


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _unquote(path: str) -> str:
    # git quotes names holding tabs, newlines or quotes; the quotes are enough to keep them apart here.
    if len(path) >= 2 and path[0] == path[-1] == '"':
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape", "replace")
    return path


def committed_files(git_dir: Path, commit: str) -> list[CommittedFile]:
    """Every entry of `commit`'s tree (all folders, including ones a checkout would hide), with sizes."""
    result = git(git_dir, "ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", commit)
    if not result.ok:
        raise HistoryError(first_line(result.stderr) if result.stopped is None else f"git ls-tree {result.stopped}")
    files = []
    for entry in result.stdout.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, _kind, _sha, size = meta.split()
        files.append(CommittedFile(path=path, size=int(size) if size.isdigit() else 0, mode=mode))
    return files
