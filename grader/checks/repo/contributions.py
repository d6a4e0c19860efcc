"""repo.contributions: commits and changed lines per author, and roster members without commits."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from pydantic import Field

from grader.acquire.history import Commit, HistoryError, commits, is_shallow
from grader.checks.base import Check, CheckContext, CheckOptions, finding
from grader.checks.repo.deadline import SHALLOW, branch_tip
from grader.files import DEFAULT_EXCLUDED_DIRS
from grader.models import CheckResult, Finding, Measurement, Member, Severity, Status, Submission

#: GitHub's private commit e-mail addresses end so; the user name sits after the `123+` in front.
NOREPLY = "@users.noreply.github.com"

#: Files whose changed lines say nothing about who did the work: locks, notebooks (outputs), data and logs.
DEFAULT_UNCOUNTED = (
    "*.lock", "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "conda-lock.yml", "package-lock.json",
    "yarn.lock", "*.ipynb", "*.csv", "*.tsv", "*.log", "*.svg", "*.min.js", "*.map", "*.pyc",
)


class RepoContributionsOptions(CheckOptions):
    """Which files' lines are left out of the per-author counts."""

    uncounted: tuple[str, ...] = Field(DEFAULT_UNCOUNTED, description="glob patterns of files whose lines are "
                                       "not counted (a pattern without '/' matches the file name)")


@dataclass(eq=False)
class _Author:
    name: str
    emails: set[str] = field(default_factory=set)
    commits: int = 0
    added: int = 0
    deleted: int = 0
    #: Every author name merged into this entry (one person committing from several machines or accounts).
    names: set[str] = field(default_factory=set)


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
        if is_shallow(sub.git_dir):
            return self.not_run(SHALLOW)
        try:
            history = commits(sub.git_dir, sub.commit, numstat=True, no_merges=True)
            late = _late_authors(sub, {c.sha for c in history})
        except HistoryError as exc:
            return self.result(Status.ERROR, 0.0, f"cannot read the history: {exc}")
        authors = _people(_per_author(history, options.uncounted), sub.members)
        missing = [m for m in sub.members if not any(_is(m, a) for a in authors)]
        late_people = _people(late, sub.members)
        only_late = {m.name: next(a.commits for a in late_people if _is(m, a))
                     for m in missing if any(_is(m, a) for a in late_people)}
        total_lines = sum(a.added + a.deleted for a in authors) or 1
        ranked = sorted(authors, key=lambda a: (-(a.added + a.deleted), -a.commits, a.name))
        measurements: dict[str, Measurement] = {
            "commits": sum(a.commits for a in authors),
            "authors": [
                {"name": a.name, "git_names": [n for n in sorted(a.names)], "emails": [e for e in sorted(a.emails)],
                 "commits": a.commits, "lines_added": a.added, "lines_deleted": a.deleted,
                 "line_share": round((a.added + a.deleted) / total_lines, 3)}
                for a in ranked
            ],
            "members": len(sub.members),
            "members_without_commits": [m.name for m in missing],
            "members_only_late": [name for name in only_late],
        }
        findings = [_missing_finding(m, only_late.get(m.name)) for m in missing]
        summary = f"{len(authors)} author(s), {measurements['commits']} commit(s)"
        if not sub.members:
            return self.result(Status.PASSED, 1.0, summary, measurements, findings)
        score = (len(sub.members) - len(missing)) / len(sub.members)
        if missing:
            return self.result(Status.FAILED, score, f"{summary}; {len(missing)} member(s) without commits",
                               measurements, findings)
        return self.result(Status.PASSED, score, f"{summary}; every member committed", measurements, findings)


def _missing_finding(member: Member, late_commits: int | None) -> Finding:
    """No commits at all, and commits only after the deadline, are different stories: said apart."""
    if late_commits:
        return finding(f"roster member {member.name} has {late_commits} commit(s), all after the deadline: the graded "
                       "commit holds none of their work; commit work before the deadline (what comes later is not "
                       "graded)",
                       severity=Severity.WARNING)
    return finding(f"roster member {member.name} has no commits at all under their name, e-mail or git user names: "
                   "commit their own work from their own account, or, if they commit under another name or address, "
                   "ask the lecturer to add it to the roster (a .mailmap in the repository maps it too)",
                   severity=Severity.WARNING)


def _late_authors(sub: Submission, graded: set[str]) -> dict[str, _Author]:
    """Authors of the commits on the graded branch after the graded commit (made after the deadline)."""
    assert sub.git_dir is not None
    tip = branch_tip(sub)
    if tip == sub.commit:
        return {}
    return _per_author([c for c in commits(sub.git_dir, tip, no_merges=True) if c.sha not in graded], ())


def _people(authors: dict[str, _Author], members: tuple[Member, ...]) -> list[_Author]:
    """One entry per person: the authors a roster member matches become that member (named as the roster names
    them), and of the rest, authors sharing an e-mail address are one."""
    left = list(authors.values())
    people = []
    for member in members:
        mine = [a for a in left if _is(member, a)]
        if mine:
            left = [a for a in left if a not in mine]
            people.append(_combined(member.name, mine))
    while left:
        cluster = [left.pop(0)]
        grown = True
        while grown:
            joined = [a for a in left if any(a.emails & c.emails for c in cluster)]
            left = [a for a in left if a not in joined]
            cluster += joined
            grown = bool(joined)
        people.append(_combined(cluster[0].name, cluster))
    return people


def _combined(name: str, authors: list[_Author]) -> _Author:
    """Several git identities of one person summed up under `name`."""
    return _Author(name, set().union(*(a.emails for a in authors)), sum(a.commits for a in authors),
                   sum(a.added for a in authors), sum(a.deleted for a in authors),
                   set().union(*(a.names for a in authors)))


def _per_author(history: list[Commit], uncounted: tuple[str, ...]) -> dict[str, _Author]:
    """Commits and counted lines per author, keyed by the name after .mailmap (case-insensitively)."""
    authors: dict[str, _Author] = {}
    for commit in history:
        key = " ".join(commit.author_name.split()).casefold() or commit.author_email.casefold()
        author = authors.setdefault(key, _Author(commit.author_name))
        author.emails.add(commit.author_email.lower())
        author.names.add(commit.author_name)
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
    """Whether a roster member is this author, by any of their identities (case-insensitively): a name against
    the author's name, an e-mail against the author's e-mails, and a git or GitHub user name against the author's
    name and the user part of their e-mails (GitHub's `123+login@users.noreply.github.com` included)."""
    name = " ".join(author.name.split()).casefold()
    logins = {_login(e).casefold() for e in author.emails}
    for identity in member.identities:
        wanted = " ".join(identity.split()).casefold()
        if "@" in wanted:
            if wanted in author.emails or (wanted.endswith(NOREPLY) and _login(wanted) in logins):
                return True
        elif wanted == name or wanted in logins:
            return True
    return False
