"""Comment analysis of the group's code: prose comments, docstrings, markdown, and commented-out code told apart."""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
import warnings
from dataclasses import dataclass

from grader.analysis.code.source import SourceUnit, python_sources
from grader.analysis.code.vendored import VendoredCode, vendored_code
from grader.files import SubmissionTree

#: Comments that steer tools, not readers (shebang, encoding, linters, type checkers, formatters).
_PRAGMA = re.compile(
    r"^(!|.*-\*-|\s*noqa\b|\s*(type|pylint|fmt|isort|pragma|mypy|ruff|flake8|pyright|coding)\s*[:=])", re.IGNORECASE
)
#: Block keywords whose line cannot parse alone but is plainly code.
_BLOCK_KEYWORD = re.compile(r"^(else|try|finally)\s*:\s*$|^(elif|except|with|for|while|if|def|class)\b.*:\s*(#.*)?$")
#: Separator lines of a comment banner (`#####`, `# ---- `), neither prose nor code.
_SEPARATOR = re.compile(r"^[\s#=\-*_~+.<>|/]*$")
#: Longest commented-out statement looked for when a single line does not parse on its own.
_MAX_STATEMENT_LINES = 12
#: "Shape (batch, time)": a capitalised word, a space, a parenthesis - prose that happens to parse as a call.
_PROSE_CALL = re.compile(r"^[A-Z][a-z]+ \(")

_CODE_STATEMENTS = (
    ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Return, ast.Raise, ast.Delete, ast.Global,
    ast.Nonlocal, ast.Assert, ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass, ast.Break, ast.Continue, ast.Match,
)


@dataclass(frozen=True)
class CodeBlock:
    """A run of commented-out code (or a code-holding string) in one file, by line range of the unit's code."""

    path: str
    start: int
    end: int
    location: str

    @property
    def lines(self) -> int:
        """Number of lines the block spans."""
        return self.end - self.start + 1


@dataclass(frozen=True)
class BareFunction:
    """A function (or method) whose lines hold no comment and no docstring: where comments would help first."""

    path: str
    name: str
    line: int
    lines: int
    location: str


@dataclass(frozen=True)
class FileComments:
    """Line counts of one source unit: code, prose comments, docstrings, markdown and commented-out code."""

    path: str
    kind: str
    code_lines: int
    comment_lines: int
    docstring_lines: int
    markdown_lines: int
    commented_out_lines: int
    decoration_lines: int
    blocks: tuple[CodeBlock, ...] = ()
    #: Why the unit does not parse (Python 2, not a notebook...); its lines were counted from the text alone.
    error: str | None = None
    error_line: int | None = None
    #: Functions of at least `BARE_MIN_LINES` lines without a comment or docstring, longest first.
    bare_functions: tuple[BareFunction, ...] = ()

    @property
    def documentation_lines(self) -> int:
        """Lines that document the code: prose comments, docstrings and notebook markdown."""
        return self.comment_lines + self.docstring_lines + self.markdown_lines


def comment_analysis(tree: SubmissionTree, vendored: VendoredCode | None = None) -> list[FileComments]:
    """The comment figures of every unit of the group's own code (less `vendored`), computed once per tree and set
    of vendored parts, shared between checks."""
    vendored = vendored or vendored_code(tree)
    return tree.memo(f"comments.files:{vendored.key}",
                     lambda: [analyse_unit(u) for u in python_sources(tree, vendored)])


def analyse_unit(unit: SourceUnit) -> FileComments:
    """Count one unit's lines by what they are; never raises for anything the code contains."""
    comments, code_rows = _scan(unit.code)
    doc_rows: set[int] = set()
    string_blocks: list[tuple[int, int]] = []
    if unit.module is not None:
        doc_rows, prose_string_rows, string_blocks = _strings(unit.module)
        doc_rows |= prose_string_rows
    string_rows = {row for start, end in string_blocks for row in range(start, end + 1)}
    code_rows -= doc_rows | string_rows

    only_comment_rows = sorted(row for row in comments if row not in code_rows)
    comment_lines = sum(1 for row in comments if row in code_rows)  # inline comments after code are prose
    decoration = 0
    ranges = list(string_blocks)
    for block in _consecutive(only_comment_rows):
        kinds = classify_block([comments[row] for row in block])
        comment_lines += kinds.count("prose")
        decoration += kinds.count("decoration")
        ranges += _code_ranges(block, kinds)
    blocks = tuple(CodeBlock(unit.path, s, e, unit.location(s)) for s, e in sorted(ranges))
    markdown = sum(1 for cell in unit.markdown for line in cell.splitlines() if line.strip())
    return FileComments(
        path=unit.path,
        kind=unit.kind,
        code_lines=len(code_rows),
        comment_lines=comment_lines,
        docstring_lines=len(doc_rows & _nonblank_rows(unit.code)),
        markdown_lines=markdown,
        commented_out_lines=sum(b.lines for b in blocks),
        decoration_lines=decoration,
        blocks=blocks,
        error=unit.error,
        error_line=unit.error_line,
        bare_functions=_bare_functions(unit, set(comments) | doc_rows),
    )


#: Functions shorter than this are not named as lacking comments: a short function reads without them.
BARE_MIN_LINES = 10


def _bare_functions(unit: SourceUnit, documented_rows: set[int]) -> tuple[BareFunction, ...]:
    """Functions and methods (not nested ones) of `BARE_MIN_LINES` lines or more with no comment or docstring row."""
    if unit.module is None:
        return ()
    found: list[BareFunction] = []
    pending: list[ast.AST] = list(unit.module.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.ClassDef):
            pending += node.body
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start, end = node.lineno, node.end_lineno or node.lineno
            if end - start + 1 >= BARE_MIN_LINES and not any(start <= r <= end for r in documented_rows):
                found.append(BareFunction(unit.path, node.name, start, end - start + 1, unit.location(start)))
    return tuple(sorted(found, key=lambda f: (-f.lines, f.line)))


def classify_block(texts: list[str]) -> list[str]:
    """Label each line of a comment block (text after `#`) as "code", "prose", "decoration" or "pragma"."""
    kinds = ["pragma" if _PRAGMA.match(t) else "decoration" if _SEPARATOR.match(t) else "" for t in texts]
    body = [i for i, k in enumerate(kinds) if not k]
    if len(body) > 1 and is_code(textwrap.dedent("\n".join(texts[i] for i in body))):
        return [k or "code" for k in kinds]
    k = 0
    while k < len(body):
        # A commented-out statement may span lines (`model = Net(` ... `)`): take the shortest run that parses.
        # Only a line left open (a bracket, a trailing colon, comma or backslash) can start such a run.
        last = min(len(body), k + _MAX_STATEMENT_LINES) if _left_open(texts[body[k]]) else k + 1
        end = next((m for m in range(k, last)
                    if is_code(textwrap.dedent("\n".join(texts[i] for i in body[k:m + 1])))), None)
        for i in body[k:(end + 1 if end is not None else k + 1)]:
            kinds[i] = "code" if end is not None else "prose"
        k = end + 1 if end is not None else k + 1
    return kinds


def _left_open(text: str) -> bool:
    opened = sum(text.count(c) for c in "([{") > sum(text.count(c) for c in ")]}")
    return opened or text.rstrip().endswith((":", ",", "\\", "="))


def is_code(text: str) -> bool:
    """Whether comment or string text is Python code rather than prose (it parses, and does something)."""
    text = text.strip("\n")
    if not text.strip():
        return False
    first = text.strip()
    if "\n" not in first and _BLOCK_KEYWORD.match(first) and not _parses(first + "\n    pass"):
        # `else:` / `except ValueError:` only parse inside their statement; prose rarely ends in a colon like this
        return bool(re.match(r"^(else|try|finally|elif|except)\b", first))
    if "\n" not in first and _PROSE_CALL.match(first):
        return False
    module = _parse(text) or (_parse(text + "\n    pass") if text.rstrip().endswith(":") else None)
    if module is None or not module.body:
        return False
    return all(_does_something(stmt) for stmt in module.body)


def _does_something(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _CODE_STATEMENTS):
        return True
    if isinstance(stmt, ast.AnnAssign):  # `Note: see below` parses as an annotation; `x: int = 3` is code
        return stmt.value is not None or isinstance(stmt.annotation, ast.Subscript | ast.Attribute)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom | ast.Subscript)
    return False


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parses(text: str) -> bool:
    return _parse(text) is not None


def _scan(code: str) -> tuple[dict[int, str], set[int]]:
    """Comments by row (text after `#`) and the rows holding code tokens; a text-only scan if tokenizing fails."""
    comments: dict[int, str] = {}
    code_rows: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = _comment_text(tok.string)
            elif tok.type not in skip:
                code_rows.update(range(tok.start[0], tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, ValueError):
        comments, code_rows = {}, set()
        for row, line in enumerate(code.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("#"):
                comments[row] = _comment_text(stripped)
            elif stripped:
                code_rows.add(row)
    return comments, code_rows


def _comment_text(token: str) -> str:
    text = token.lstrip("#")
    return text[1:] if text.startswith(" ") else text


def _strings(module: ast.Module) -> tuple[set[int], set[int], list[tuple[int, int]]]:
    """Docstring rows, rows of prose strings used as comments, and line ranges of strings that hold code."""
    doc_rows: set[int] = set()
    prose_rows: set[int] = set()
    code_strings: list[tuple[int, int]] = []
    for node in ast.walk(module):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, stmt in enumerate(body):
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                continue
            if not isinstance(stmt.value.value, str):
                continue
            end = stmt.end_lineno or stmt.lineno
            rows = set(range(stmt.lineno, end + 1))
            is_docstring = index == 0 and isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                                     | ast.AsyncFunctionDef)
            if is_docstring:
                doc_rows |= rows
            elif "\n" in stmt.value.value.strip() and is_code(textwrap.dedent(stmt.value.value)):
                code_strings.append((stmt.lineno, end))  # a triple-quoted string used to switch code off
            else:
                prose_rows |= rows
    return doc_rows, prose_rows, code_strings


def _consecutive(rows: list[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for row in rows:
        if groups and groups[-1][-1] == row - 1:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _code_ranges(rows: list[int], kinds: list[str]) -> list[tuple[int, int]]:
    """Line ranges of code inside one comment block; decoration between code lines does not split a range."""
    ranges: list[tuple[int, int]] = []
    for row, kind in zip(rows, kinds, strict=True):
        if kind != "code":
            continue
        if ranges and ranges[-1][1] == row - 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


def _nonblank_rows(code: str) -> set[int]:
    return {row for row, line in enumerate(code.splitlines(), 1) if line.strip()}
