"""The grader's own errors: the few situations in which the grader itself cannot run (exit code 2)."""

from __future__ import annotations


class GraderError(Exception):
    """The grader cannot do what was asked; the message is shown to the user as is, with exit code 2."""

    exit_code = 2


class ConfigError(GraderError):
    """A rubric, roster or option is wrong; the message names the file, the key and the fix."""


class SandboxUnavailable(GraderError):
    """The sandbox is required but no Docker Engine answers (use --static to grade without it)."""
