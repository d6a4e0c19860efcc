"""repo.deadline: the graded commit (the last at or before the deadline) and the commits made after it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from grader.acquire.deadline import aware
from grader.acquire.history import HistoryError, commits, is_shallow, resolve
from grader.checks.base import Check, CheckContext, CheckOptions, finding
from grader.models import CheckResult, Measurement, Severity, Status, Submission

#: Said wherever commit times are shown: git has no trustworthy clock, only what the committer's machine said.
DATES_CAVEAT = "commit dates are set by the committer"


#: Why the history checks are not run on a shallow clone, with the fix.
SHALLOW = ("not run: a shallow clone has only the last commits (CI checks out one by default), so authors and late "
           "commits cannot be judged; check out the full history (GitHub: fetch-depth: 0, GitLab: GIT_DEPTH: 0)")


def branch_tip(sub: Submission) -> str:
    """The revision whose history is examined: the graded branch's tip (late commits included), else HEAD."""
    assert sub.git_dir is not None
    for candidate in (f"refs/heads/{sub.ref}", sub.ref) if sub.ref else ():
        if resolve(sub.git_dir, candidate) is not None:
            return candidate
    return sub.commit or "HEAD"


def _when(moment: datetime, deadline: datetime) -> str:
    """A time shown in the deadline's time zone, so late commits read against it at a glance."""
    return moment.astimezone(deadline.tzinfo).isoformat()


class RepoDeadlineOptions(CheckOptions):
    """How many late commits are listed one by one."""

    max_listed: int = Field(20, ge=0, description="late commits listed as findings before the rest are summed up")


class RepoDeadlineCheck(Check[RepoDeadlineOptions]):
    """repo.deadline: the graded commit and the commits made after the deadline."""

    id = "repo.deadline"
    title = "Deadline commit"
    description = (
        "Names the commit graded (the last at or before the deadline) and lists commits after it, with times "
        f"and authors; {DATES_CAVEAT}."
    )

    def run(self, ctx: CheckContext) -> CheckResult:
        """Compare the history of the graded branch with the deadline."""
        options = self.options
        sub = ctx.submission
        if sub.deadline is None:
            return self.skipped("no deadline given")
        if sub.git_dir is None or sub.commit is None:
            return self.not_run("not run: no git history (not a git checkout)")
        if is_shallow(sub.git_dir):
            return self.not_run(SHALLOW)
        deadline = aware(sub.deadline)
        try:
            history = commits(sub.git_dir, branch_tip(sub))
        except HistoryError as exc:
            return self.result(Status.ERROR, 0.0, f"cannot read the history: {exc}")
        late = [c for c in history if c.time > deadline]
        graded_late = sub.commit_time is not None and sub.commit_time > deadline
        measurements: dict[str, Measurement] = {
            "deadline": _when(deadline, deadline),
            "graded_commit": sub.commit,
            "graded_commit_time": _when(sub.commit_time, deadline) if sub.commit_time else None,
            "late_commits": len(late),
            "late_commit_times": [_when(c.time, deadline) for c in late],
            "late_authors": [name for name in sorted({c.author_name for c in late})],
            "graded_commit_is_late": graded_late,
            "dates_set_by_committer": True,
        }
        findings = [
            finding(f"commit {c.sha[:12]} by {c.author_name} at {_when(c.time, deadline)} is after the deadline",
                    severity=Severity.WARNING)
            for c in late[: options.max_listed]
        ]
        if len(late) > options.max_listed:
            findings.append(finding(f"{len(late) - options.max_listed} more commits after the deadline",
                                    severity=Severity.WARNING))
        shown_time = _when(sub.commit_time, deadline) if sub.commit_time else "an unknown time"
        summary = f"graded commit {sub.commit[:12]} of {shown_time}; {len(late)} commit(s) after the deadline"
        if graded_late:
            findings.insert(0, finding(f"the graded commit {sub.commit[:12]} is dated after the deadline "
                                       f"{_when(deadline, deadline)}; if an earlier commit is your hand-in, ask the "
                                       "lecturer to grade it (`git log` lists the dates)"))
            return self.result(Status.FAILED, 0.0, f"{summary} ({DATES_CAVEAT})", measurements, findings)
        return self.result(Status.PASSED, 1.0, f"{summary} ({DATES_CAVEAT})", measurements, findings)
