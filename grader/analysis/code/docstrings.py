"""Docstring inventory of the group's code: which modules, classes and functions document themselves."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.analysis.code.source import SourceUnit

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_DefNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Documentable:
    """A module, class or function that should carry a docstring, and whether it does."""

    path: str
    kind: str  # "module", "class" or "function"
    name: str
    line: int
    lines: int
    documented: bool
    location: str


@dataclass(frozen=True)
class MisplacedDocstring:
    """A description string placed just before a def or class instead of inside it."""

    path: str
    name: str
    line: int
    location: str


@dataclass(frozen=True)
class DocstringRules:
    """What counts: private names, trivial short functions and pytest tests can be left out."""

    include_private: bool = False
    min_function_lines: int = 3


@dataclass(frozen=True)
class DocstringInventory:
    """Every documentable item of the units, what was left out (by reason), and misplaced docstrings."""

    items: tuple[Documentable, ...]
    misplaced: tuple[MisplacedDocstring, ...]
    excluded: dict[str, int]


def inventory(units: list[SourceUnit], rules: DocstringRules) -> DocstringInventory:
    """Walk every parsed unit once and list what should be documented."""
    items: list[Documentable] = []
    misplaced: list[MisplacedDocstring] = []
    excluded = {"private": 0, "dunder": 0, "trivial": 0, "test": 0, "nested": 0}
    for unit in units:
        if unit.module is None:
            continue
        module = unit.module
        if unit.kind == "py" and _has_content(module):
            items.append(Documentable(unit.path, "module", unit.path, 1, len(unit.code.splitlines()),
                                      ast.get_docstring(module) is not None, unit.location(1)))
        is_test_file = unit.path.rsplit("/", 1)[-1].startswith("test_") or "/tests/" in f"/{unit.path}"
        _walk(unit, module, False, is_test_file, rules, items, misplaced, excluded)
    return DocstringInventory(tuple(items), tuple(misplaced), excluded)


def _walk(
    unit: SourceUnit, node: ast.AST, in_function: bool, is_test_file: bool, rules: DocstringRules,
    items: list[Documentable], misplaced: list[MisplacedDocstring], excluded: dict[str, int],
) -> None:
    body = getattr(node, "body", [])
    for index, stmt in enumerate(body):
        if isinstance(stmt, _DEFS):
            reason = _exclusion(stmt, in_function, is_test_file, rules)
            documented = ast.get_docstring(stmt) is not None
            if reason:
                excluded[reason] += 1
            else:
                kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
                items.append(Documentable(unit.path, kind, stmt.name, stmt.lineno, _span(stmt), documented,
                                          unit.location(stmt.lineno)))
            before = body[index - 1] if index > 0 else None
            # A string first in a module, class or function body is that container's own docstring (a notebook
            # has no module docstring, so there it belongs to the def that follows).
            owns = index == 1 and (isinstance(node, _DEFS) or (isinstance(node, ast.Module) and unit.kind == "py"))
            if not documented and before is not None and _is_string(before) and not owns:
                misplaced.append(MisplacedDocstring(unit.path, stmt.name, before.lineno, unit.location(before.lineno)))
            _walk(unit, stmt, in_function or not isinstance(stmt, ast.ClassDef), is_test_file, rules, items,
                  misplaced, excluded)
        elif isinstance(stmt, ast.If | ast.For | ast.While | ast.With | ast.Try):
            # Defs under `if __name__ == "__main__":` or a try/except import fallback are still the group's API.
            _walk(unit, stmt, in_function, is_test_file, rules, items, misplaced, excluded)


def _exclusion(stmt: _DefNode, in_function: bool, is_test_file: bool, rules: DocstringRules) -> str:
    """Why a def is not counted ("" when it is)."""
    name = stmt.name
    if in_function:
        return "nested"
    if name.startswith("__") and name.endswith("__"):
        return "dunder"
    if name.startswith("_") and not rules.include_private:
        return "private"
    if isinstance(stmt, ast.ClassDef):
        return ""
    if is_test_file and name.startswith("test"):
        return "test"
    if _span(stmt) < rules.min_function_lines:
        return "trivial"
    return ""


def _span(stmt: ast.stmt) -> int:
    return (stmt.end_lineno or stmt.lineno) - stmt.lineno + 1


def _is_string(stmt: ast.stmt | None) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _has_content(module: ast.Module) -> bool:
    """A module worth a docstring: it defines or runs something (not an empty or import-only __init__.py)."""
    return any(not isinstance(s, ast.Import | ast.ImportFrom) and not _is_string(s) for s in module.body)
