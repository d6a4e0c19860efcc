"""Runtime checks that read the sandbox's outcome: build, imports, smoke, tests, notebooks."""

from __future__ import annotations

from grader.checks.base import Check

#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[Check], ...] = ()
