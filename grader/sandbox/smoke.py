"""Where a submission's smoke commands come from, and what is wrong with a declaration that cannot be used.

The roster's commands win, then the rubric's, then `.grader.toml`, then `[tool.grader]` of pyproject.toml. A
declaration the group wrote but that does not parse, has the wrong types or a misspelt key is a finding with the
file and line: the group meant to declare a command, and "no smoke command declared" would hide why it did not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.analysis.structured import load_toml
from grader.config import did_you_mean
from grader.files import SubmissionTree
from grader.models import Submission
from grader.sandbox.policy import SandboxPolicy

_KEYS = ("smoke",)


@dataclass(frozen=True)
class SmokeDeclaration:
    """The smoke commands to run and where they were declared; or why the group's declaration cannot be used."""

    commands: tuple[str, ...] = ()
    declared_in: str | None = None
    problem: str | None = None
    line: int | None = None


def smoke_declaration(submission: Submission, tree: SubmissionTree, policy: SandboxPolicy) -> SmokeDeclaration:
    """The smoke commands for this submission, by precedence, or the problem with the group's own declaration."""
    if submission.smoke:
        return SmokeDeclaration(tuple(submission.smoke), "the roster")
    if policy.smoke:
        return SmokeDeclaration(tuple(policy.smoke), "the rubric")
    for rel, section in ((".grader.toml", None), ("pyproject.toml", "tool.grader")):
        if not tree.exists(rel):
            continue
        found = _declared(tree, rel, section)
        if found is not None:
            return found
    return SmokeDeclaration()


def smoke_commands(
    submission: Submission, tree: SubmissionTree, policy: SandboxPolicy
) -> tuple[str, ...]:
    """The smoke commands to run (none when the declaration is missing or unusable)."""
    return smoke_declaration(submission, tree, policy).commands


def _declared(tree: SubmissionTree, rel: str, section: str | None) -> SmokeDeclaration | None:
    """The declaration in one file; None when the file declares nothing for the grader (a pyproject.toml
    without [tool.grader], or one that does not parse: that is the environment checks' finding)."""
    text = tree.read_text(rel)
    if text is None:
        return SmokeDeclaration(declared_in=rel, problem="cannot be read (too large, binary or not UTF-8)") \
            if section is None else None
    parsed = load_toml(text)
    if not parsed.ok:
        if section is not None:
            return None
        reason = (parsed.error or "").removeprefix("invalid TOML: ").split(" (at")[0]
        return SmokeDeclaration(declared_in=rel, problem=f"is not valid TOML: {reason}", line=parsed.line)
    table: Any = parsed.data
    header = 0
    if section is not None:
        for key in section.split("."):
            table = table.get(key) if isinstance(table, dict) else None
        if table is None:
            return None
        header = _line_of(text, r"\[\s*tool\s*\.\s*grader\s*\]", 0) or 0
        if not isinstance(table, dict):
            return SmokeDeclaration(declared_in=rel, problem="[tool.grader] must be a table", line=header or None)
    for key in table:
        if key not in _KEYS:
            return SmokeDeclaration(declared_in=rel, problem=f"unknown key {key!r}{did_you_mean(key, _KEYS)}",
                                    line=_line_of(text, rf"[\"']?{re.escape(key)}[\"']?\s*=", header))
    line = _line_of(text, r"(?:[\"']?smoke[\"']?\s*=|\[\s*smoke\s*\])", header)
    smoke = table.get("smoke")
    if smoke is None:
        return SmokeDeclaration(declared_in=rel, problem="declares no `smoke` command", line=header or None)
    commands = [smoke] if isinstance(smoke, str) else smoke
    if not isinstance(commands, list) or not all(isinstance(c, str) and c.strip() for c in commands):
        return SmokeDeclaration(declared_in=rel, line=line, problem="`smoke` must be a command or a list of "
                                f"commands (non-empty strings), not {_shown(smoke)}")
    if not commands:
        return SmokeDeclaration(declared_in=rel, problem="`smoke` is an empty list", line=line)
    return SmokeDeclaration(tuple(commands), rel)


def _line_of(text: str, pattern: str, after: int) -> int | None:
    """The first line (1-based, after line `after`) that starts with the pattern."""
    for number, line in enumerate(text.splitlines(), 1):
        if number > after and re.match(rf"\s*{pattern}", line):
            return number
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
