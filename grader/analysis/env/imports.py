"""Where the group's code imports what: every absolute import with its place, and what the repository defines."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from grader.analysis.code.source import SourceUnit


@dataclass(frozen=True)
class ImportSite:
    """Where a top-level module is imported, and whether the code copes with its absence."""

    name: str
    #: The full dotted module (`google.colab`), for platform modules whose top-level name is shared.
    module: str
    path: str
    line: int
    location: str
    #: Inside `try:` with a handler for ImportError: the code runs without it.
    optional: bool
    #: The names taken from the module (`from m import a, b`); `*` for a star import; empty for `import m`.
    names: tuple[str, ...] = ()

    @property
    def in_notebook(self) -> bool:
        """Whether the import is in a notebook (its line is a code line, not a line of the file)."""
        return self.path.endswith(".ipynb")


def import_sites(units: list[SourceUnit]) -> list[ImportSite]:
    """Every absolute import of every unit; from the syntax tree, or line by line when it does not parse."""
    sites: list[ImportSite] = []
    for unit in units:
        found: list[tuple[str, int, bool, tuple[str, ...]]] = []
        if unit.module is not None:
            _statement_imports(unit.module.body, False, found)
        else:
            for match in _IMPORT_LINE.finditer(unit.code):
                line = unit.code.count("\n", 0, match.start()) + 1
                modules = match.group(1).split(",") if match.group(1) else [match.group(2)]
                found += [(m.strip(), line, False, ()) for m in modules if not m.strip().startswith(".")]
        sites += [ImportSite(module.split(".")[0], module, unit.path, line, unit.location(line), optional, names)
                  for module, line, optional, names in found if module]
    return sites


_IMPORT_LINE = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)", re.MULTILINE)


def _statement_imports(body: list[ast.stmt], optional: bool, out: list[tuple[str, int, bool, tuple[str, ...]]]) -> None:
    """Absolute imports among statements, descending only into statement blocks (imports are never expressions).

    An import inside `try:` whose handlers catch ImportError is optional: the code copes without the package.
    """
    for node in body:
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno, optional, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                out.append((node.module, node.lineno, optional, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Try | ast.TryStar):
            _statement_imports(node.body, optional or any(_catches_import_error(h) for h in node.handlers), out)
            for handler in node.handlers:
                _statement_imports(handler.body, optional, out)
            _statement_imports(node.orelse, optional, out)
            _statement_imports(node.finalbody, optional, out)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                _statement_imports(case.body, optional, out)
        else:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if isinstance(block, list):
                    _statement_imports(block, optional, out)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = [handler.type] if not isinstance(handler.type, ast.Tuple) else list(handler.type.elts)
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception") for n in names)


def local_modules(files: list[str]) -> set[str]:
    """Names the project itself provides: every .py file's stem and every folder holding Python code."""
    names: set[str] = set()
    for rel in files:
        if rel.endswith(".py"):
            parts = rel.split("/")
            names.add(parts[-1][:-3])
            names.update(parts[:-1])
    return names


def local_packages(files: list[str]) -> set[str]:
    """Folders that are the project's own packages (they hold an __init__.py), wherever they sit."""
    return {rel.split("/")[-2] for rel in files if rel.endswith("/__init__.py")}


def defined_names(units: list[SourceUnit]) -> set[str]:
    """Top-level functions, classes and assigned names of the group's modules (what a lost module may have held)."""
    names: set[str] = set()
    for unit in units:
        if unit.module is None or unit.kind != "py":
            continue
        for node in unit.module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def drive_mounts(units: list[SourceUnit]) -> list[tuple[str, str]]:
    """Notebooks and scripts that mount Google Drive (Colab only), with where: (path, location)."""
    found = []
    for unit in units:
        match = re.search(r"\bdrive\.mount\s*\(", unit.code)
        if match:
            found.append((unit.path, unit.location(unit.code.count("\n", 0, match.start()) + 1)))
    return found
