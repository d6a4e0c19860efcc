"""Fetching a group's repository from its URL, hardened for untrusted content, and cutting it at the deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from grader.acquire.credentials import credentials_for
from grader.acquire.deadline import CutError, check_out, last_commit_before
from grader.acquire.gitcmd import GitResult, first_line, folder_size, git_env, run_git
from grader.acquire.history import resolve
from grader.acquire.policy import AcquirePolicy, RemoteUrl, UrlRefused, check_url, scrub
from grader.models import Member, Submission

_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_SYMREF = re.compile(r"^ref: refs/heads/(\S+)\s+HEAD$", re.MULTILINE)


@dataclass(frozen=True)
class GroupLayout:
    """Where one group's files live under the work folder: the bare repository, the graded tree, scratch."""

    repo: Path
    tree: Path
    scratch: Path

    @classmethod
    def under(cls, workdir: Path, group_id: str) -> GroupLayout:
        """The layout for `group_id` below `workdir` (the id is made safe as a folder name)."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", group_id).lstrip(".") or "group"
        base = workdir / name
        return cls(repo=base / "repo.git", tree=base / "tree", scratch=base / "scratch")


class _Failed(Exception):
    """Acquisition stopped with a one-line reason (internal: becomes Submission.acquire_error)."""


def acquire_git(
    url: str,
    workdir: Path,
    *,
    group_id: str,
    ref: str | None = None,
    deadline: datetime | None = None,
    members: tuple[Member, ...] = (),
    smoke: tuple[str, ...] = (),
    paper: str | None = None,
    policy: AcquirePolicy | None = None,
) -> Submission:
    """Fetch (or update) a group's repository into `workdir/<group>/` and check out the commit to grade.

    Never raises for a bad submission: a refused URL, a failed or timed-out fetch, a size cap or no commit
    before the deadline give a Submission with `acquire_error` set and the rest filled in as far as known."""
    policy = policy or AcquirePolicy()
    layout = GroupLayout.under(workdir, group_id)
    # Filled in step by step, so a failure still reports everything learnt before it.
    sub = Submission(id=group_id, root=layout.tree, source=scrub(url), deadline=deadline, members=members,
                     smoke=smoke, paper=paper)
    try:
        remote = check_url(url, policy)
        sub = replace(sub, source=remote.display)
        secrets = _fetch(remote, layout, policy, want_head=ref is None)
        rev, ref_name = _graded_rev(layout, ref, secrets)
        sub = replace(sub, ref=ref_name)
        cut = last_commit_before(layout.repo, rev, deadline)
        sub = replace(sub, commit=cut.sha, commit_time=cut.time, git_dir=layout.repo)
        check_out(layout.repo, cut.sha, layout.tree, layout.scratch, max_bytes=policy.max_bytes,
                  timeout_s=policy.clone_timeout_s)
    except (UrlRefused, _Failed, CutError) as exc:
        return replace(sub, acquire_error=scrub(str(exc)))
    except OSError as exc:  # a full disk or an unwritable work folder is this group's failure, not the batch's
        return replace(sub, acquire_error=scrub(f"cannot prepare {layout.repo.parent}: {exc.strerror or exc}"))
    return sub


def _fetch(remote: RemoteUrl, layout: GroupLayout, policy: AcquirePolicy, *, want_head: bool) -> tuple[str, ...]:
    """Bring the bare repository up to date with the remote's branches and tags (and, with `want_head`, learn
    its default branch); returns the secrets in play."""
    creds = credentials_for(remote, policy, layout.scratch)
    env = git_env(remote.kind, creds.config, creds.env)

    def checked(result: GitResult, what: str) -> GitResult:
        if result.stopped == "timeout":
            raise _Failed(f"{what} of {remote.display} timed out after {policy.clone_timeout_s:g} s")
        if result.stopped == "size-cap":
            raise _Failed(f"{what} of {remote.display} stopped: repository over the cap of {policy.max_bytes} bytes")
        if not result.ok:
            raise _Failed(scrub(f"{what} of {remote.display} failed: {first_line(result.stderr)}", creds.secrets))
        return result

    if not (layout.repo / "HEAD").is_file():
        template = layout.scratch / "empty-template"
        template.mkdir(parents=True, exist_ok=True)
        checked(run_git(["init", "--bare", "--quiet", f"--template={template}", str(layout.repo)], env), "init")
    if want_head:  # only the remote knows which branch is its default; one more round trip, so only if needed
        listing = checked(
            run_git(["ls-remote", "--symref", "--", remote.target, "HEAD"], env, timeout_s=policy.clone_timeout_s),
            "ls-remote",
        )
        head = _SYMREF.search(listing.stdout)
        if head:
            run_git(["-C", str(layout.repo), "symbolic-ref", "HEAD", f"refs/heads/{head.group(1)}"], git_env())
    fetch = ["-C", str(layout.repo), "fetch", "--quiet", "--prune", "--no-recurse-submodules", "--update-head-ok",
             "--", remote.target, *_REFSPECS]
    checked(run_git(fetch, env, timeout_s=policy.clone_timeout_s, watch=layout.repo, max_bytes=policy.max_bytes),
            "fetch")
    if folder_size(layout.repo) > policy.max_bytes:  # a fetch may finish between two looks at its size
        raise _Failed(f"fetch of {remote.display} stopped: repository over the cap of {policy.max_bytes} bytes")
    return creds.secrets


def _graded_rev(layout: GroupLayout, ref: str | None, secrets: tuple[str, ...]) -> tuple[str, str]:
    """The revision to cut (a full ref name or hash) and the ref name to record."""
    if ref is None:
        result = run_git(["-C", str(layout.repo), "symbolic-ref", "--short", "HEAD"], git_env())
        branch = result.stdout.strip()
        if not result.ok or resolve(layout.repo, f"refs/heads/{branch}") is None:
            raise _Failed("the repository has no default branch with commits")
        return f"refs/heads/{branch}", branch
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        if resolve(layout.repo, candidate) is not None:
            return candidate, ref
    raise _Failed(scrub(f"ref {ref!r} not found in the repository", secrets))

