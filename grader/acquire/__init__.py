"""Acquisition: turn a roster entry (git URL + ref) or a local folder into a Submission for grading.

The API the batch and `grader check` use:

- ``acquire_git(url, workdir, *, group_id, ref=None, deadline=None, members=(), smoke=(), paper=None,
  policy=None) -> Submission``: fetches (or updates) ``workdir/<group>/repo.git`` and checks the last commit
  at or before the deadline (by committer date) out into ``workdir/<group>/tree``. Never raises for a bad
  submission; ``Submission.acquire_error`` then says why in one line, free of credentials.
- ``local_submission(path, *, deadline=None) -> Submission``: a folder as it is; for a git checkout the HEAD
  commit, its time and the branch are recorded. Raises GraderError (exit 2) for a missing path or a file.
- ``AcquirePolicy``: allowed schemes, time limit, size cap, where credentials come from.
"""

from __future__ import annotations

from grader.acquire.git import acquire_git
from grader.acquire.local import local_submission
from grader.acquire.policy import AcquirePolicy, UrlRefused, check_url, scrub

__all__ = ["AcquirePolicy", "UrlRefused", "acquire_git", "check_url", "local_submission", "scrub"]
