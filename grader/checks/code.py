"""Source-code checks: comments, docstrings, pylint score."""

from __future__ import annotations

from grader.checks.base import Check

#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[Check], ...] = ()
