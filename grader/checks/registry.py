"""The one explicit registry of checks: every check id the grader knows, in listing order."""

from __future__ import annotations

from grader.checks import code, env, paper, readme, repo, run
from grader.checks.base import AnyCheck

#: Families in the order they are listed and run; each family module lists its checks in `CHECKS`.
CHECK_FAMILIES = (readme, env, code, paper, repo, run)

REGISTRY: dict[str, type[AnyCheck]] = {check.id: check for family in CHECK_FAMILIES for check in family.CHECKS}


def get_check(check_id: str) -> type[AnyCheck]:
    """The check class registered under `check_id` (KeyError if none)."""
    return REGISTRY[check_id]
