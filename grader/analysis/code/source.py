"""The group's Python code, from .py files and notebooks' code cells, parsed once per submission for all checks."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from grader.analysis.code.ipython import ShellLine, ipython_lines
from grader.analysis.code.vendored import VendoredCode, vendored_code
from grader.analysis.structured import NOTEBOOK_MAX_CHARS
from grader.analysis.structured import load_notebook as load_notebook_cells
from grader.files import SubmissionTree


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
    #: For notebooks: shell commands of `!` lines, `%pip`-style magics and `%%bash` cells, where they stand.
    shell: tuple[ShellLine, ...] = ()
    #: For notebooks: cells that were not as nbformat says (a source of numbers...), skipped or read as empty.
    problems: tuple[str, ...] = ()

    def location(self, line: int) -> str:
        """Human location of a line: `path:line`, or `path (cell N)` for a notebook."""
        if self.kind == "ipynb" and 0 < line <= len(self.cell_of_line):
            return f"{self.path} (cell {self.cell_of_line[line - 1] + 1})"
        return f"{self.path}:{line}"


def all_python_sources(tree: SubmissionTree) -> list[SourceUnit]:
    """Every .py file and notebook of the submission, vendored copies included, parsed once per tree."""
    return tree.memo("code.source.units", lambda: _load_all(tree))


def python_sources(tree: SubmissionTree, vendored: VendoredCode | None = None) -> list[SourceUnit]:
    """The group's own .py files and notebooks: every source less the vendored copies of other projects (those of
    `vendored`, else of the tree's first vendored_code)."""
    vendored = vendored or vendored_code(tree)
    return tree.memo(f"code.source.own:{vendored.key}",
                     lambda: [u for u in all_python_sources(tree) if not vendored.excluded(u.path)])


def _load_all(tree: SubmissionTree) -> list[SourceUnit]:
    units = []
    for rel in tree.with_suffix(".py", ".ipynb"):
        notebook = rel.lower().endswith(".ipynb")
        # A notebook's size is mostly its outputs (plots, audio): only its cells' source is kept, so it is read
        # under a cap of its own instead of being passed over like any other text file above MAX_TEXT_BYTES.
        text = tree.read_text(rel, NOTEBOOK_MAX_CHARS) if notebook else tree.read_text(rel)
        if text is None:
            continue
        units.append(load_notebook(rel, text) if notebook else load_python(rel, text))
    return units


def load_python(path: str, text: str) -> SourceUnit:
    """Parse one Python file; a syntax error (for example Python 2 code) is recorded, never raised."""
    module, error, line = _parse(text, path)
    if line is not None:  # Python blames the line after the last for an unfinished block ("def f():\r\n")
        line = min(line, max(1, len(text.splitlines())))
    return SourceUnit(path=path, kind="py", code=text, module=module, error=error, error_line=line)


def load_notebook(path: str, text: str) -> SourceUnit:
    """Parse one notebook's code cells as a single module; a notebook that is not valid JSON is recorded."""
    notebook = load_notebook_cells(text)
    if notebook.error is not None:
        return SourceUnit(path=path, kind="ipynb", code="", error=notebook.error, problems=notebook.problems)
    code_lines: list[str] = []
    cell_of_line: list[int] = []
    markdown: list[str] = []
    shell: list[ShellLine] = []
    for cell in notebook.cells:
        if cell.kind == "markdown":
            markdown.append(cell.source)
        elif cell.kind == "code":
            for python, command in ipython_lines(cell.source):
                code_lines.append(python)
                cell_of_line.append(cell.index)
                if command is not None:
                    shell.append(ShellLine(len(code_lines), cell.index, command))
    module, error, line, left_out = _parse_cells(code_lines, cell_of_line, path)
    code = "\n".join(code_lines) + ("\n" if code_lines else "")
    return SourceUnit(
        path=path,
        kind="ipynb",
        code=code,
        markdown=tuple(markdown),
        cell_of_line=tuple(cell_of_line),
        module=module,
        error=error,
        error_line=line,
        shell=tuple(shell),
        problems=notebook.problems + left_out,
    )


#: Most cells left out of a notebook before the whole notebook counts as not parsing.
_MAX_BAD_CELLS = 5


def _parse_cells(
    lines: list[str], cell_of_line: list[int], path: str
) -> tuple[ast.Module | None, str | None, int | None, tuple[str, ...]]:
    """Parse a notebook's code; a cell that does not parse (a bare shell line, Python 2) is blanked in `lines`
    and named, so the other cells are still analysed, as Jupyter would still run them."""
    left_out: list[str] = []
    while True:
        module, error, line = _parse("\n".join(lines) + ("\n" if lines else ""), path)
        if module is not None or line is None or not 0 < line <= len(lines) or len(left_out) >= _MAX_BAD_CELLS:
            return module, error, line, tuple(left_out)
        cell = cell_of_line[line - 1]
        left_out.append(f"cell {cell + 1} {error}; left out of the analysis")
        for index, owner in enumerate(cell_of_line):
            if owner == cell:
                lines[index] = ""


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
