"""The group's Python code, from .py files and notebooks' code cells, parsed once per submission for all checks."""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass

from grader.files import SubmissionTree

#: Largest notebook read (outputs included); a larger one is passed over with a note on the report.
NOTEBOOK_MAX_BYTES = 64 * 1024 * 1024
#: Notebook lines that are IPython syntax, not Python (magics, shell escapes, help queries).
_IPYTHON_LINE = re.compile(r"^\s*([%!]|\w[\w.]*\?\??\s*$)")


@dataclass(frozen=True)
class SourceUnit:
    """One Python file or one notebook's code, with its parse tree (None when it does not parse)."""

    path: str
    kind: str  # "py" or "ipynb"
    #: Python code; for a notebook its code cells joined, IPython-only lines blanked, so lines stay aligned.
    code: str
    #: For notebooks: the markdown cells' text (documentation that counts for comment coverage).
    markdown: tuple[str, ...] = ()
    #: For notebooks: the cell index (0-based, among all cells) of every line of `code`, by 1-based line.
    cell_of_line: tuple[int, ...] = ()
    module: ast.Module | None = None
    #: Why the code could not be read or parsed (Python 2 syntax, a notebook that is not JSON...).
    error: str | None = None
    error_line: int | None = None

    def location(self, line: int) -> str:
        """Human location of a line: `path:line`, or `path (cell N)` for a notebook."""
        if self.kind == "ipynb" and 0 < line <= len(self.cell_of_line):
            return f"{self.path} (cell {self.cell_of_line[line - 1] + 1})"
        return f"{self.path}:{line}"


def python_sources(tree: SubmissionTree) -> list[SourceUnit]:
    """Every .py file and notebook of the group's work, parsed once per tree."""
    return tree.memo("code.source.units", lambda: _load_all(tree))


def _load_all(tree: SubmissionTree) -> list[SourceUnit]:
    units = []
    for rel in tree.with_suffix(".py", ".ipynb"):
        notebook = rel.lower().endswith(".ipynb")
        # A notebook's size is mostly its outputs (plots, audio): only its cells' source is kept, so it is read
        # under a cap of its own instead of being passed over like any other text file above MAX_TEXT_BYTES.
        text = tree.read_text(rel, NOTEBOOK_MAX_BYTES) if notebook else tree.read_text(rel)
        if text is None:
            continue
        units.append(load_notebook(rel, text) if notebook else load_python(rel, text))
    return units


def load_python(path: str, text: str) -> SourceUnit:
    """Parse one Python file; a syntax error (for example Python 2 code) is recorded, never raised."""
    module, error, line = _parse(text, path)
    return SourceUnit(path=path, kind="py", code=text, module=module, error=error, error_line=line)


def load_notebook(path: str, text: str) -> SourceUnit:
    """Parse one notebook's code cells as a single module; a notebook that is not valid JSON is recorded."""
    try:
        data = json.loads(text)
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no 'cells' list")
    except (ValueError, AttributeError) as exc:
        return SourceUnit(path=path, kind="ipynb", code="", error=f"not a valid notebook: {exc}")
    except RecursionError:
        return SourceUnit(path=path, kind="ipynb", code="", error="not a valid notebook: JSON nested too deeply")
    code_lines: list[str] = []
    cell_of_line: list[int] = []
    markdown: list[str] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        # nbformat wants strings; a hand-edited `[null]` or `[1, 2]` must not stop the whole notebook.
        text_of_cell = "".join(p for p in source if isinstance(p, str)) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown":
            markdown.append(text_of_cell)
        elif cell.get("cell_type") == "code":
            for raw in text_of_cell.splitlines():
                code_lines.append("" if _IPYTHON_LINE.match(raw) else raw)
                cell_of_line.append(index)
    code = "\n".join(code_lines) + ("\n" if code_lines else "")
    module, error, line = _parse(code, path)
    return SourceUnit(
        path=path,
        kind="ipynb",
        code=code,
        markdown=tuple(markdown),
        cell_of_line=tuple(cell_of_line),
        module=module,
        error=error,
        error_line=line,
    )


def _parse(code: str, path: str) -> tuple[ast.Module | None, str | None, int | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. in student code
            return ast.parse(code, filename=path), None, None
    except SyntaxError as exc:
        hint = " (Python 2 code?)" if _looks_like_python2(code) else ""
        return None, f"does not parse as Python 3: {exc.msg}{hint}", exc.lineno
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"does not parse: {type(exc).__name__}", None


def _looks_like_python2(code: str) -> bool:
    return bool(re.search(r"^\s*print\s+[\"'\w]", code, re.MULTILINE) or re.search(r"except \w+, \w+:", code))
