"""A submission from a folder on disk (`grader check PATH`): a plain folder or a git checkout, graded as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from grader.acquire.history import git, resolve
from grader.errors import GraderError
from grader.models import Submission


def local_submission(path: Path, *, deadline: datetime | None = None) -> Submission:
    """The working tree at `path` as a Submission; for a git checkout its HEAD commit, time and branch are
    recorded (uncommitted changes are graded too, as the student sees them). Raises GraderError for a
    missing path or a file."""
    if not path.exists():
        raise GraderError(f"{path}: no such folder")
    if not path.is_dir():
        raise GraderError(f"{path}: not a folder (give the folder of the checkout)")
    root = path.resolve()
    # Only the top of a checkout counts: a folder inside some other repository (an example kept in the
    # grader's own repository, say) must not be credited with that repository's commit.
    top = git(root, "rev-parse", "--show-toplevel") if (root / ".git").exists() else None
    if top is None or not top.ok or Path(top.stdout.strip()).resolve() != root:
        return Submission(id=root.name, root=root, source=str(root), deadline=deadline)
    work_tree = root
    commit = resolve(work_tree, "HEAD")
    if commit is None:  # a repository without commits yet is graded like a plain folder
        return Submission(id=root.name, root=root, source=str(root), deadline=deadline, git_dir=work_tree)
    shown = git(work_tree, "show", "-s", "--format=%ct", commit)
    branch = git(work_tree, "symbolic-ref", "--quiet", "--short", "HEAD")
    stamp = shown.stdout.strip()
    commit_time = datetime.fromtimestamp(int(stamp), tz=UTC) if stamp.isdigit() else None
    return Submission(
        id=root.name, root=root, source=str(root), commit=commit, commit_time=commit_time,
        ref=branch.stdout.strip() if branch.ok else None, git_dir=work_tree, deadline=deadline,
    )
