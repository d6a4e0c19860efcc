"""Structured student files (YAML, TOML, JSON, notebooks) loaded within bounds: one loader per format.

Every loader takes text a student wrote and returns a `Parsed`: the data, or why there is none (with the line
when the parser knows it). No loader raises for anything in the text, and none can be made to use more than
a bounded amount of memory or time: the text is capped, nesting is capped, and YAML aliases are counted
*expanded* (nine nested lines of `[*a, *a, ...]` in 500 bytes stand for a billion nodes).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

#: Longest text parsed; environment files and notebooks are read with the same cap (grader.files).
MAX_CHARS = 4 * 1024 * 1024
#: Largest notebook read: its size is mostly outputs (plots, audio), and its code cells must still be read.
NOTEBOOK_MAX_CHARS = 64 * 1024 * 1024
#: Deepest nesting of lists and mappings accepted (real environment files and notebooks nest under ten).
MAX_DEPTH = 64
#: Most values a document may expand to, aliases expanded: far above a 2,000-package lock file.
MAX_NODES = 500_000


@dataclass(frozen=True)
class Parsed:
    """A student file's data, or why it could not be loaded (with the line, when the parser knows it)."""

    data: Any = None
    error: str | None = None
    line: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the file loaded."""
        return self.error is None


def _failed(kind: str, message: str, line: int | None = None) -> Parsed:
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return Parsed(None, f"invalid {kind}: {first[:300]}", line)


def _too_big(kind: str, text: str, limit: int = MAX_CHARS) -> Parsed | None:
    if len(text) > limit:
        return Parsed(None, f"invalid {kind}: {len(text)} characters, over the {limit}-character limit")
    return None


# -- shape of loaded data -----------------------------------------------------------------------------------------


def _children(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield from value.keys()
        yield from value.values()
    elif isinstance(value, list | tuple):
        yield from value


def _shape_problem(data: Any) -> str | None:
    """Why loaded data is too deep or too large to hand on, walked without recursion; None when it is fine."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"more than {MAX_NODES} values"
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict | list | tuple):
            stack.extend((child, depth + 1) for child in _children(value))
    return None


# -- YAML ---------------------------------------------------------------------------------------------------------


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with nesting capped while composing and the alias-expanded size checked before
    anything is constructed (the pure-Python composer, so that both can be counted)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, refusing nesting beyond MAX_DEPTH before the recursion goes any deeper."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or time; an impossible one (2023-02-30) is an error at its line, as conda would report it."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"impossible date {node.value!r} ({exc})",
                                                    node.start_mark) from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp)


def _expanded_size(root: yaml.Node) -> str | None:
    """Why a composed YAML graph is too large or deep once its aliases are expanded (or refers to itself)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = _yaml_children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_NODES:
                return f"expands to more than {MAX_NODES} values through its aliases"
            if depth[key] > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep through its aliases"
            continue
        if key in size:
            continue
        if key in on_path:
            return "an alias refers to the value that contains it"
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in size)
    return None


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(text: str) -> Parsed:
    """One YAML document with the safe loader; several documents, aliases that expand too far, deep nesting,
    impossible dates and any parser error become `Parsed.error`."""
    if (big := _too_big("YAML", text)) is not None:
        return big
    try:
        loader = _BoundedLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before anything is parsed
        return _failed("YAML", str(exc))
    try:
        root = loader.get_single_node()
        if root is None:
            return Parsed(None)
        if (why := _expanded_size(root)) is not None:
            return Parsed(None, f"invalid YAML: {why}", root.start_mark.line + 1)
        return Parsed(loader.construct_document(root))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = min(mark.line + 1, len(text.splitlines()) or 1) if mark is not None else None
        return _failed("YAML", " ".join(p for p in (exc.context, exc.problem) if p) or str(exc), line)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        return _failed("YAML", f"{type(exc).__name__}: {exc}")
    finally:
        loader.dispose()


# -- TOML and JSON ------------------------------------------------------------------------------------------------

def load_toml(text: str) -> Parsed:
    """A TOML document; nesting beyond the cap (tomllib recurses per level) and any parser error become errors."""
    if (big := _too_big("TOML", text)) is not None:
        return big
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            found = re.search(r"line (\d+)", str(exc))
            line = int(found.group(1)) if found else (len(text.splitlines()) or None)
        return _failed("TOML", str(exc), line)
    except RecursionError:
        # tomllib recurses per nested array or inline table: `a = [[[[...` a thousand deep exhausts the stack.
        return Parsed(None, "invalid TOML: nested too deeply")
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        return _failed("TOML", f"{type(exc).__name__}: {exc}")
    return _checked("TOML", data)


def load_json(text: str, max_chars: int = MAX_CHARS) -> Parsed:
    """A JSON document; nesting beyond the cap, numbers too long to convert and any parser error become errors."""
    if (big := _too_big("JSON", text, max_chars)) is not None:
        return big
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _failed("JSON", exc.msg, exc.lineno)
    except RecursionError:
        return Parsed(None, "invalid JSON: nested too deeply")
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        # ValueError also covers integers longer than Python converts (sys.get_int_max_str_digits).
        return _failed("JSON", f"{type(exc).__name__}: {exc}")
    return _checked("JSON", data)


def _checked(kind: str, data: Any) -> Parsed:
    why = _shape_problem(data)
    return Parsed(data) if why is None else Parsed(None, f"invalid {kind}: {why}")


# -- notebooks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookCell:
    """One cell of a notebook: its 0-based index among all cells, its type and its source text."""

    index: int
    kind: str
    source: str


@dataclass(frozen=True)
class Notebook:
    """A notebook's cells as text; `problems` names cells that were not as nbformat says (skipped or mended)."""

    cells: tuple[NotebookCell, ...] = ()
    problems: tuple[str, ...] = ()
    #: Why the file is no notebook at all (not JSON, no cell list); None when it loaded.
    error: str | None = None
    error_line: int | None = None

    def of_kind(self, kind: str) -> tuple[NotebookCell, ...]:
        """The cells of one type ("code", "markdown", "raw")."""
        return tuple(c for c in self.cells if c.kind == kind)


#: Most problems listed for one notebook; a generated notebook may repeat one fault in every cell.
_MAX_PROBLEMS = 10


def load_notebook(text: str) -> Notebook:
    """A notebook's cells; a cell that is no mapping or whose source is not text (`[1, 2]`, `null`) is a problem
    of that cell, never of the whole notebook, and never an exception."""
    parsed = load_json(text, NOTEBOOK_MAX_CHARS)
    if not parsed.ok:
        return Notebook(error=(parsed.error or "").replace("invalid JSON", "not a valid notebook (JSON)"),
                        error_line=parsed.line)
    raw_cells = parsed.data.get("cells") if isinstance(parsed.data, dict) else None
    if not isinstance(raw_cells, list):
        return Notebook(error="not a valid notebook: no list of cells")
    cells: list[NotebookCell] = []
    problems: list[str] = []
    for index, cell in enumerate(raw_cells):
        if not isinstance(cell, dict):
            problems.append(f"cell {index + 1} is not a cell (a {type(cell).__name__}); skipped")
            continue
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        elif not isinstance(source, str):
            problems.append(f"cell {index + 1}: its source is not text ({_kind_of(source)}); read as empty")
            source = ""
        if not isinstance(kind, str):
            problems.append(f"cell {index + 1}: cell_type is not text ({_kind_of(kind)}); skipped")
            continue
        cells.append(NotebookCell(index, kind, source))
    if len(problems) > _MAX_PROBLEMS:
        problems[_MAX_PROBLEMS:] = [f"... and {len(problems) - _MAX_PROBLEMS} more problem(s)"]
    return Notebook(tuple(cells), tuple(problems))


def _kind_of(value: object) -> str:
    if isinstance(value, list):
        held = sorted({type(v).__name__ for v in value})[:3]
        return f"a list holding {', '.join(held)}" if held else "an empty list"
    return "null" if value is None else f"a {type(value).__name__}"
