"""repo.contributions: commits and changed lines per author, and roster members without commits."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from pydantic import Field

from grader.acquire.history import Commit, HistoryError, commits
from grader.checks.base import Check, CheckContext, CheckOptions, finding
from grader.files import DEFAULT_EXCLUDED_DIRS
from grader.models import CheckResult, Measurement, Member, Severity, Status

#: Files whose changed lines say nothing about who did the work: locks, notebooks (outputs), data and logs.
DEFAULT_UNCOUNTED = (
    "*.lock", "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "conda-lock.yml", "package-lock.json",
    "yarn.lock", "*.ipynb", "*.csv", "*.tsv", "*.log", "*.svg", "*.min.js", "*.map", "*.pyc",
)


class RepoContributionsOptions(CheckOptions):
    """Which files' lines are left out of the per-author counts."""

    uncounted: tuple[str, ...] = Field(DEFAULT_UNCOUNTED, description="glob patterns of files whose lines are "
                                       "not counted (a pattern without '/' matches the file name)")


@dataclass
class _Author:
    name: str
    emails: set[str] = field(default_factory=set)
    commits: int = 0
    added: int = 0
    deleted: int = 0


class RepoContributionsCheck(Check[RepoContributionsOptions]):
    """repo.contributions: commits and changed lines per author, and roster members without commits."""

    id = "repo.contributions"
    title = "Contributions per author"
    description = (
        "Counts commits and changed lines per author (.mailmap honoured; merges, lock files, notebooks, data and "
        "generated files left out) and names roster members without commits."
    )

    def run(self, ctx: CheckContext) -> CheckResult:
        """Sum the graded commit's history per author and match the authors against the roster."""
        options = self.options
        sub = ctx.submission
        if sub.git_dir is None or sub.commit is None:
            return self.not_run("not run: no git history (not a git checkout)")
        try:
            history = commits(sub.git_dir, sub.commit, numstat=True, no_merges=True)
        except HistoryError as exc:
            return self.result(Status.ERROR, 0.0, f"cannot read the history: {exc}")
        authors = _per_author(history, options.uncounted)
        missing = [m for m in sub.members if not any(_is(m, a) for a in authors.values())]
        total_lines = sum(a.added + a.deleted for a in authors.values()) or 1
        ranked = sorted(authors.values(), key=lambda a: (-(a.added + a.deleted), -a.commits, a.name))
        measurements: dict[str, Measurement] = {
            "commits": sum(a.commits for a in authors.values()),
            "authors": [
                {"name": a.name, "emails": [e for e in sorted(a.emails)], "commits": a.commits, "lines_added": a.added,
                 "lines_deleted": a.deleted, "line_share": round((a.added + a.deleted) / total_lines, 3)}
                for a in ranked
            ],
            "members": len(sub.members),
            "members_without_commits": [m.name for m in missing],
        }
        findings = [finding(f"roster member {m.name} has no commits under their name, email or git user name",
                            severity=Severity.WARNING) for m in missing]
        summary = f"{len(authors)} author(s), {measurements['commits']} commit(s)"
        if not sub.members:
            return self.result(Status.PASSED, 1.0, summary, measurements, findings)
        score = (len(sub.members) - len(missing)) / len(sub.members)
        if missing:
            return self.result(Status.FAILED, score, f"{summary}; {len(missing)} member(s) without commits",
                               measurements, findings)
        return self.result(Status.PASSED, score, f"{summary}; every member committed", measurements, findings)


def _per_author(history: list[Commit], uncounted: tuple[str, ...]) -> dict[str, _Author]:
    """Commits and counted lines per author, keyed by the name after .mailmap (case-insensitively)."""
    authors: dict[str, _Author] = {}
    for commit in history:
        key = " ".join(commit.author_name.split()).casefold() or commit.author_email.casefold()
        author = authors.setdefault(key, _Author(commit.author_name))
        author.emails.add(commit.author_email.lower())
        author.commits += 1
        for change in commit.changes:
            if change.added is None or change.deleted is None or _uncounted(change.path, uncounted):
                continue
            author.added += change.added
            author.deleted += change.deleted
    return authors


def _uncounted(path: str, patterns: tuple[str, ...]) -> bool:
    parts = path.split("/")
    if any(part in DEFAULT_EXCLUDED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    return any(fnmatch.fnmatchcase(path if "/" in p else parts[-1], p) for p in patterns)


def _login(email: str) -> str:
    """The user-name part of an email, without GitHub's numeric noreply prefix (`123+ada@users.noreply...`)."""
    local = email.split("@", 1)[0]
    return local.split("+", 1)[1] if "+" in local and local.split("+", 1)[0].isdigit() else local


def _is(member: Member, author: _Author) -> bool:
    """Whether a roster member is this author, by name, email or git user name (case-insensitively)."""
    name = " ".join(author.name.split()).casefold()
    if " ".join(member.name.split()).casefold() == name:
        return True
    if member.email and member.email.lower() in author.emails:
        return True
    if member.git:
        login = member.git.casefold()
        return login == name or any(_login(e).casefold() == login for e in author.emails)
    return False
