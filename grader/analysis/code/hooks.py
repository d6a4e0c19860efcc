"""Test hooks that rewrite results: a conftest.py that changes what pytest reports about the group's own tests.

The group's tests run in pytest's process with the group's conftest.py loaded, so a hook can turn a failure into a
pass before the JUnit file is written; the grader's driver cannot tell such a result from an honest one (its key
and the exit status cross-check guard the result file, not pytest's own verdicts). What it can do is read the
hooks: assigning a report's `outcome`, forcing a hook wrapper's result, or rewriting the session's exit status
are the ways, and they are rare in honest suites, so each is shown to the lecturer with its line.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass

from grader.files import SubmissionTree

#: Attributes whose assignment rewrites a verdict: a test report's outcome (or its failure text), the session's.
_VERDICT_ATTRIBUTES = frozenset({"outcome", "longrepr", "wasxfail", "exitstatus", "testsfailed"})
#: Calls that replace what a hook wrapper's inner hooks produced (pluggy's Result API).
_FORCING_CALLS = frozenset({"force_result", "force_exception"})
#: conftest files read at most (a suite has a handful).
_MAX_FILES = 50


@dataclass(frozen=True)
class Rewrite:
    """One place a conftest.py rewrites a verdict: the file, the line, and what it does."""

    path: str
    line: int
    what: str


def outcome_rewrites(tree: SubmissionTree) -> list[Rewrite]:
    """Every statement in the submission's conftest.py files that rewrites a test verdict, in file order."""
    found: list[Rewrite] = []
    for rel in [f for f in tree.with_suffix(".py") if posixpath.basename(f) == "conftest.py"][:_MAX_FILES]:
        text = tree.read_text(rel)
        if not text:
            continue
        try:
            module = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # code.* and run.imports report a file that does not parse
        found += [Rewrite(rel, line, what) for line, what in _rewrites(module)]
    return found


def _rewrites(module: ast.Module) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(module):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FORCING_CALLS:
            found.append((node.lineno, f"replaces a hook's result ({node.func.attr})"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and node.args[1].value in _VERDICT_ATTRIBUTES):
            found.append((node.lineno, f"sets a test verdict's {node.args[1].value} with setattr"))
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in _VERDICT_ATTRIBUTES:
                found.append((target.lineno, f"assigns {target.attr}"))
    return sorted(found)
