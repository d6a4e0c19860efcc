"""Facts read from a repository's history: commits with their authors and changed lines, and committed files."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.acquire.gitcmd import GitResult, first_line, git_env, run_git
from grader.acquire.objects import ObjectError, ObjectStore, RawCommit, Unsupported, has_config, open_store

#: The history walk stops here: a hostile repository with millions of commits must not hang the grader.
MAX_COMMITS = 100_000
#: Seconds the pure-Python history walk may take (the same limit git gets).
TIME_LIMIT_S = 120.0
#: Entries listed from one tree (recursively) before the listing is refused: a tree can repeat subtrees.
MAX_TREE_ENTRIES = 1_000_000

_FULL_HASH = re.compile(r"[0-9a-f]{40}")

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


def is_shallow(git_dir: Path) -> bool:
    """Whether the history is cut off (a shallow clone, as CI systems check out by default): authors and commit
    counts then describe the last commits only, and late commits cannot be told from the rest."""
    result = git(git_dir, "rev-parse", "--is-shallow-repository")
    return result.ok and result.stdout.strip() == "true"


def _store(git_dir: Path) -> ObjectStore | None:
    """The pure-Python reader of `git_dir`, or None when git must read it (see grader.acquire.objects)."""
    try:
        return open_store(git_dir)
    except (Unsupported, OSError):
        return None


def _pure_resolve(store: ObjectStore, rev: str) -> str | None:
    """The commit `rev` names when it is HEAD, a full ref name or a full hash; None when git must answer."""
    try:
        sha = rev if _FULL_HASH.fullmatch(rev) else store.ref(rev) if rev == "HEAD" or rev.startswith("refs/") else None
        return store.peel_commit(sha) if sha else None
    except (Unsupported, ObjectError, OSError):
        return None


def resolve(git_dir: Path, rev: str) -> str | None:
    """The commit hash `rev` names in `git_dir`, or None."""
    if rev.startswith("-"):
        return None
    store = _store(git_dir)
    found = _pure_resolve(store, rev) if store else None
    if found:
        return found
    # Anything else (abbreviations, `rev~2`, reftable, a ref gitdb cannot read) is git's to decide.
    result = git(git_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    return result.stdout.strip() or None if result.ok else None


def commits(git_dir: Path, rev: str, *, numstat: bool = False, no_merges: bool = False) -> list[Commit]:
    """Every commit reachable from `rev`, newest first, with `.mailmap` (as of `rev`) applied to names."""
    store = None if numstat else _store(git_dir)
    tip = _pure_resolve(store, rev) if store else None
    if store and tip and not _mailmapped(store, git_dir, tip):
        return _walk(store, tip, no_merges=no_merges)
    # Line counts and .mailmap are git's own logic; they stay with git (still hardened and time-limited).
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


def _mailmapped(store: ObjectStore, git_dir: Path, tip: str) -> bool:
    """Whether names may be rewritten: a `.mailmap` in the tip's tree, in the work tree or named in config."""
    try:
        if (os.path.lexists(git_dir / ".mailmap") and store.git_dir != git_dir) or has_config(git_dir, b"mailmap"):
            return True
        return any(e.name == ".mailmap" for e in store.tree(store.commit(tip).tree))
    except (ObjectError, Unsupported, OSError):
        return True  # let git read it, and report a broken tree in its own words


def _walk(store: ObjectStore, tip: str, *, no_merges: bool) -> list[Commit]:
    """The history from `tip` read by gitdb, bounded by MAX_COMMITS and TIME_LIMIT_S."""
    try:
        walked = list(store.walk(tip, max_commits=MAX_COMMITS, deadline=time.monotonic() + TIME_LIMIT_S))
        return [_from_raw(raw) for raw in walked if not (no_merges and len(raw.parents) > 1)]
    except (ObjectError, ValueError, OverflowError, OSError) as exc:
        raise HistoryError(str(exc)[:300]) from exc


def _from_raw(raw: RawCommit) -> Commit:
    return Commit(
        sha=raw.sha, author_name=raw.author_name, author_email=raw.author_email, committer_name=raw.committer_name,
        time=datetime.fromtimestamp(raw.committer_time, tz=UTC), parents=len(raw.parents),
    )


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
    store = _store(git_dir)
    sha = _pure_resolve(store, commit) if store else None
    if store and sha:
        try:
            return _list_tree(store, store.commit(sha).tree)
        except (ObjectError, OSError) as exc:
            raise HistoryError(str(exc)[:300]) from exc
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


def _list_tree(store: ObjectStore, root: str) -> list[CommittedFile]:
    """Entries under tree `root` in `git ls-tree -r` order: depth first, a folder's files where it stands."""
    files: list[CommittedFile] = []
    stack = [iter([("", entry) for entry in store.tree(root)])]
    met = 0
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        prefix, entry = step
        met += 1
        if met > MAX_TREE_ENTRIES:  # a small tree can name one big subtree many times over
            raise ObjectError(f"tree holds more than {MAX_TREE_ENTRIES} entries")
        path = prefix + entry.name
        if entry.mode == "040000":
            stack.append(iter([(path + "/", sub) for sub in store.tree(entry.sha)]))
            continue
        size = 0 if entry.mode == "160000" else store.size(entry.sha)
        files.append(CommittedFile(path=path, size=size, mode=entry.mode))
    return files
