"""The shape of grader/, read with `ast`: layers without upward imports, no import cycles, and modules and
functions small enough to read (or saying why not)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent / "grader"

#: The layers of the pipeline, lowest first. A module may import its own package and anything on a lower line;
#: packages on one line are siblings and never import each other (analysis and acquire; checks and sandbox).
#: So analysis never imports checks, sandbox never imports report, and nothing but the cli imports the cli.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("grader",),  # the root package: only the version
    ("grader.errors",),
    ("grader.outcomes",),  # what the sandbox's steps brought back
    ("grader.models",),
    ("grader.files",),
    ("grader.config",),
    ("grader.resources",),  # data shipped beside the code (rubrics, sandbox definitions)
    ("grader.analysis", "grader.acquire"),  # measures; acquiring a submission
    ("grader.checks", "grader.sandbox"),  # judging measures; running the code
    ("grader.rubric", "grader.roster"),  # validated inputs (a rubric names checks and sandbox settings)
    ("grader.manual",),  # the lecturer's points, checked against the rubric
    ("grader.scoring",),
    ("grader.engine",),
    ("grader.report",),
    ("grader.batch", "grader.selfcheck"),  # a roster; one student's checkout
    ("grader.cluster",),  # the batch on a Dask cluster: one task per group, each running the batch for its group
    ("grader.cli",),
    ("grader.__main__",),  # `python -m grader`
)


@dataclass(frozen=True)
class Import:
    """One import of a grader module by another, where it is written."""

    source: str
    target: str
    line: int


@cache
def modules() -> dict[str, Path]:
    """Every module of grader/ by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(GRADER.rglob("*.py")):
        parts = list(path.relative_to(GRADER.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The grader modules an import statement loads (`from pkg import mod` loads pkg.mod)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if modules()[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules() else base for a in node.names]


@cache
def imports() -> tuple[Import, ...]:
    """Every import between grader modules, at module level or inside functions alike."""
    found = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [Import(module, target, node.lineno) for target in _targets(module, node)
                          if target.partition(".")[0] == "grader" and target != module]
    return tuple(found)


def component(module: str) -> str | None:
    """The LAYERS entry a module belongs to (the longest one it lies in); None if it is in none."""
    names = [name for layer in LAYERS for name in layer
             if module == name or (name != "grader" and module.startswith(name + "."))]
    return max(names, key=len, default=None)


def level(name: str) -> int:
    """How high a LAYERS entry sits."""
    return next(index for index, layer in enumerate(LAYERS) if name in layer)


def upward(found: Iterable[Import]) -> list[str]:
    """Imports that reach up a layer or across to a sibling, as `module:line -> target` lines."""
    bad = []
    for imp in found:
        source, target = component(imp.source), component(imp.target)
        if source is None or target is None or source == target:
            continue
        if level(target) >= level(source):
            bad.append(f"{imp.source}:{imp.line} -> {imp.target} ({source} may not import {target})")
    return bad


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import cycles of a module graph: its strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [module for module in modules() if component(module) is None]
    assert not unplaced, f"add these to LAYERS in {Path(__file__).name}: {unplaced}"


def test_no_import_reaches_up_a_layer_or_across_to_a_sibling() -> None:
    bad = upward(imports())
    assert not bad, "imports against the layering (see LAYERS):\n" + "\n".join(bad)


def test_no_import_cycle_between_modules() -> None:
    graph: dict[str, set[str]] = {module: set() for module in modules()}
    for imp in imports():
        graph[imp.source].add(imp.target)
    found = cycles(graph)
    assert not found, "modules that import each other, directly or round a loop:\n" + "\n".join(map(str, found))


def test_the_rules_catch_what_they_are_for() -> None:
    assert upward([Import("grader.analysis.env.find", "grader.checks.base", 3)]) == [
        "grader.analysis.env.find:3 -> grader.checks.base (grader.analysis may not import grader.checks)"
    ]
    assert upward([Import("grader.sandbox.runner", "grader.report", 1)])
    assert upward([Import("grader.checks.env", "grader.sandbox.policy", 1)])  # siblings
    assert upward([Import("grader.models", "grader.files", 1)])
    assert not upward([Import("grader.checks.env", "grader.analysis.env.find", 1)])
    assert not upward([Import("grader.analysis.env.find", "grader.analysis.code.source", 1)])
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# -- size ------------------------------------------------------------------------------------------------------------

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: A longer function says why in its docstring, e.g. "Long because it is one state machine over the tokens."
REASON = re.compile(r"\bLong because \w+")

#: Offenders when the rule came in, with their size then. An entry may only go: it fails the test once its
#: module or function is within the limit (delete it then), or when it grows. Never add one; split instead.
LONG_MODULES: dict[str, int] = {}
LONG_FUNCTIONS = {
}


def _functions(tree: ast.AST, prefix: str = "") -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name (`Class.method`, `outer.inner`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, name + ".")
        else:
            yield from _functions(node, prefix)


def _relative(path: Path) -> str:
    return path.relative_to(GRADER.parent).as_posix()


def long_modules() -> dict[str, int]:
    """Modules over the limit, by path, with their line count."""
    counts = {_relative(p): len(p.read_text(encoding="utf-8").splitlines()) for p in modules().values()}
    return {path: n for path, n in counts.items() if n > MAX_MODULE_LINES}


def long_functions() -> dict[str, int]:
    """Functions over the limit whose docstring gives no reason, by `path::qualname`, with their length."""
    found = {}
    for path in modules().values():
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not REASON.search(ast.get_docstring(node) or ""):
                found[f"{_relative(path)}::{name}"] = length
    return found


def _ratchet(found: Mapping[str, int], allowed: Mapping[str, int], limit: int, what: str) -> list[str]:
    """What breaks the rule: new offenders, allowed ones that grew, and allowed ones now within the limit."""
    problems = [f"{key}: {n} lines (limit {limit}){'' if key not in allowed else f', was {allowed[key]}'}"
                for key, n in sorted(found.items()) if n > allowed.get(key, limit)]
    problems += [f"{key}: now within the limit; delete it from the allow-list of long {what}"
                 for key in sorted(set(allowed) - set(found))]
    return problems


def test_no_module_is_over_400_lines() -> None:
    problems = _ratchet(long_modules(), LONG_MODULES, MAX_MODULE_LINES, "modules")
    assert not problems, "split these modules:\n" + "\n".join(problems)


def test_no_function_is_over_60_lines_without_saying_why() -> None:
    problems = _ratchet(long_functions(), LONG_FUNCTIONS, MAX_FUNCTION_LINES, "functions")
    assert not problems, "split these functions, or say 'Long because ...' in the docstring:\n" + "\n".join(problems)


def test_the_size_ratchet_only_lets_the_allow_list_shrink() -> None:
    assert _ratchet({"a.py": 401}, {}, 400, "modules") == ["a.py: 401 lines (limit 400)"]
    assert _ratchet({"a.py": 402}, {"a.py": 401}, 400, "modules") == ["a.py: 402 lines (limit 400), was 401"]
    assert _ratchet({"a.py": 401}, {"a.py": 401}, 400, "modules") == []
    assert _ratchet({}, {"a.py": 401}, 400, "modules") == [
        "a.py: now within the limit; delete it from the allow-list of long modules"
    ]
    source = 'def f():\n    """Long because it is one table."""\n' + "    x = 1\n" * 70
    assert [name for name, node in _functions(ast.parse(source)) if REASON.search(ast.get_docstring(node) or "")] \
        == ["f"]
