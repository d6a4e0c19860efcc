"""The one explicit registry of checks: every check id the grader knows, in listing order."""

from __future__ import annotations

from grader.checks import code, env, paper, readme, repo, run
from grader.checks.base import Check

#: Families in the order they are listed and run; each family module lists its checks in `CHECKS`.
FAMILIES = (readme, env, code, paper, repo, run)

REGISTRY: dict[str, type[Check]] = {check.id: check for family in FAMILIES for check in family.CHECKS}


def get_check(check_id: str) -> type[Check]:
    """The check class registered under `check_id` (KeyError if none)."""
    return REGISTRY[check_id]
