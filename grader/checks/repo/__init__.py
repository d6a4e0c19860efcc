"""Repository checks: the deadline commit and late commits, contributions per author, repository hygiene."""

from __future__ import annotations

from grader.checks.base import AnyCheck
from grader.checks.repo.contributions import RepoContributionsCheck
from grader.checks.repo.deadline import RepoDeadlineCheck
from grader.checks.repo.hygiene import RepoHygieneCheck

#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (RepoDeadlineCheck, RepoContributionsCheck, RepoHygieneCheck)

__all__ = ["CHECKS", "RepoContributionsCheck", "RepoDeadlineCheck", "RepoHygieneCheck"]
