"""A student's own checkout, as `grader check` grades it: the repository around a folder, a clean export of the
commit the lecturer's batch will see, and what exists only on the student's machine (untracked, modified and
unpushed files).

Every git command runs with the hardened environment (no hooks, no fsmonitor); `git status` additionally gets
every filter driver of the repository's own configuration replaced by `cat`, so a `.gitattributes` naming a clean
filter runs nothing (checking a pull request's checkout in CI is checking untrusted content).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from grader.acquire.deadline import CutError, GradedCommit, check_out, last_commit_before
from grader.acquire.history import git, is_shallow, resolve
from grader.acquire.policy import AcquirePolicy

#: Environment variables CI systems set: their checkout is what was pushed, so nothing there is "unpushed".
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI")


@dataclass(frozen=True)
class Checkout:
    """The git work tree a folder lies in."""

    #: The top of the work tree.
    root: Path
    #: Its git directory (`.git`, or elsewhere for a linked worktree).
    git_dir: Path
    #: The HEAD commit; None in a repository without commits yet.
    head: str | None
    #: The checked-out branch; None on a detached HEAD.
    branch: str | None


@dataclass(frozen=True)
class LocalChanges:
    """What exists only here, relative to the committed HEAD and to the remote."""

    untracked: tuple[str, ...] = ()
    #: Changed or staged but not committed (including files added to the index only).
    modified: tuple[str, ...] = ()
    #: Deleted here but still committed.
    deleted: tuple[str, ...] = ()
    #: Commits on HEAD that no remote branch has, and the files they change.
    unpushed_commits: int = 0
    unpushed_files: tuple[str, ...] = ()
    #: Where HEAD would be pushed (`origin/main`), '' when the branch has no upstream.
    upstream: str = ""
    #: True when the repository has no remote at all (the lecturer clones from one).
    no_remote: bool = False
    shallow: bool = False

    @property
    def any(self) -> bool:
        """Whether anything differs from what will be graded."""
        return bool(self.untracked or self.modified or self.deleted or self.unpushed_commits or self.no_remote)


def find_checkout(path: Path) -> Checkout | None:
    """The git work tree `path` lies in (at its top or in a subfolder), or None for a plain folder."""
    top = git(path, "rev-parse", "--show-toplevel")
    git_dir = git(path, "rev-parse", "--absolute-git-dir")
    if not (top.ok and git_dir.ok and top.stdout.strip()):
        return None
    root = Path(top.stdout.strip()).resolve()
    branch = git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    return Checkout(root, Path(git_dir.stdout.strip()), resolve(root, "HEAD"),
                    branch.stdout.strip() if branch.ok else None)


def commit_to_grade(checkout: Checkout, deadline: datetime | None) -> GradedCommit:
    """HEAD, or with a deadline the last commit of HEAD's history at or before it (as the batch cuts); raises
    CutError when there is none."""
    if checkout.head is None:
        raise CutError("the repository has no commit yet: nothing would be graded")
    if deadline is not None:
        return last_commit_before(checkout.root, checkout.head, deadline)
    shown = git(checkout.root, "show", "-s", "--format=%ct", checkout.head).stdout.strip()
    when = datetime.fromtimestamp(int(shown), tz=UTC) if shown.isdigit() else datetime.fromtimestamp(0, tz=UTC)
    return GradedCommit(checkout.head, when)


def export_commit(checkout: Checkout, commit: str, dest: Path, policy: AcquirePolicy | None = None) -> None:
    """Write `commit`'s files into `dest` the way the batch checks a commit out (no filters, no hooks, links kept
    as links, within the size cap); raises CutError."""
    policy = policy or AcquirePolicy()
    check_out(checkout.git_dir, commit, dest, dest.parent / f".{dest.name}-scratch", max_bytes=policy.max_bytes,
              timeout_s=policy.clone_timeout_s)


def local_changes(checkout: Checkout) -> LocalChanges:
    """Untracked (not ignored), modified and deleted files against HEAD, and commits no remote has."""
    status = git(checkout.root, *_neutral_filters(checkout.root), "status", "--porcelain=v1", "-z",
                 "--untracked-files=all", "--ignore-submodules=all", "--no-renames")
    untracked, modified, deleted = [], [], []
    for entry in status.stdout.split("\0") if status.ok else []:
        code, path = entry[:2], entry[3:]
        if not path:
            continue
        if code == "??":
            untracked.append(path)
        elif "D" in code:
            deleted.append(path)
        else:
            modified.append(path)
    shallow = is_shallow(checkout.root)
    changes = LocalChanges(tuple(untracked), tuple(modified), tuple(deleted), shallow=shallow)
    if checkout.head is None or any(os.environ.get(name, "").lower() in ("1", "true") for name in CI_VARIABLES):
        return changes
    return _unpushed(checkout, changes)


def _unpushed(checkout: Checkout, changes: LocalChanges) -> LocalChanges:
    """The commits on HEAD no remote branch has, with the files they change."""
    if not git(checkout.root, "remote").stdout.strip():
        return replace(changes, no_remote=True)
    upstream = git(checkout.root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    name = upstream.stdout.strip() if upstream.ok else ""
    span = [f"{name}..HEAD"] if name else ["HEAD", "--not", "--remotes"]
    counted = git(checkout.root, "rev-list", "--count", *span)
    count = int(counted.stdout.strip()) if counted.ok and counted.stdout.strip().isdigit() else 0
    files: list[str] = []
    if count:
        log = git(checkout.root, "log", "--format=", "--name-only", "--no-renames", "--no-ext-diff", "--no-textconv",
                  *span, "--")
        files = list(dict.fromkeys(line for line in log.stdout.splitlines() if line.strip())) if log.ok else []
    return replace(changes, unpushed_commits=count, unpushed_files=tuple(files), upstream=name)


def _neutral_filters(root: Path) -> list[str]:
    """`-c filter.X.clean=cat -c filter.X.process=` for every filter driver the repository's config defines."""
    listed = git(root, "config", "--local", "--name-only", "--get-regexp", r"^filter\..*\.(clean|process|smudge)$")
    drivers = {line.rsplit(".", 1)[0] for line in listed.stdout.splitlines() if line.startswith("filter.")}
    options = []
    for driver in sorted(drivers):
        options += ["-c", f"{driver}.clean=cat", "-c", f"{driver}.smudge=cat", "-c", f"{driver}.process="]
    return options
