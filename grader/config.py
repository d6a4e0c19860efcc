"""Loading user configuration (rubrics, rosters) from YAML into pydantic models, with errors that name the
file, the line, the path inside the file and the nearest valid name."""

from __future__ import annotations

import difflib
import math
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError

from grader.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

#: Largest rubric, roster or scores file read: a roster of a thousand groups is a few hundred kilobytes.
MAX_CONFIG_BYTES = 8 * 1024 * 1024
#: Largest YAML document once its aliases are expanded (nodes): a few anchors must not make it billions.
MAX_YAML_NODES = 1_000_000
#: Largest number (in magnitude) any configuration value may be: sums of them stay exact and finite.
MAX_NUMBER = 1e12


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a number; give a number, e.g. 8.5")
    return value


#: A number in a configuration file: `true` is refused (YAML reads it as a bool, which pydantic would take as 1).
Number = Annotated[float, BeforeValidator(_not_bool)]


def _with_time_zone(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give the deadline a time zone, e.g. 2026-03-31T23:59:00+02:00")
    return value


#: A deadline in a rubric or roster: a time with its zone offset (a naive time is ambiguous across zones).
Deadline = Annotated[datetime, AfterValidator(_with_time_zone)]

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """`('criteria', 2, 'checks', 0)` -> `criteria[2].checks[0]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a mistyped name, if any is close enough to suggest."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """` - did you mean 'x'?` or, with nothing close, the list of valid names."""
    options = sorted(candidates)
    guess = nearest(name, options)
    if guess:
        return f" - did you mean {guess!r}?"
    return f" (valid: {', '.join(options)})" if options else ""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key and sequence item."""

    lines: dict[int, tuple[int, dict[Any, int]]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        mapping[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        lines[key] = key_node.start_mark.line + 1
    loader.lines[id(mapping)] = (node.start_mark.line + 1, lines)
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = [loader.construct_object(child, deep=True) for child in node.value]  # type: ignore[no-untyped-call]
    loader.lines[id(items)] = (node.start_mark.line + 1, {i: c.start_mark.line + 1 for i, c in enumerate(node.value)})
    return items


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A YAML date or time; an impossible one (2026-02-30) is an error at its line, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[no-untyped-call]
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None,
            f"{node.value!r} is not a real date or time ({exc}); write one such as 2026-03-31T23:59:00+02:00",
            node.start_mark,
        ) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes of the document with every alias expanded, counted without expanding (each node once)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once; SafeLoader's constructor refuses it anyway
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    total = 1 + sum(_expanded_size(child, sizes) for child in children)
    sizes[id(node)] = min(total, MAX_YAML_NODES + 1)
    return sizes[id(node)]


class YamlDocument:
    """A parsed YAML document plus the line of every key, to point error messages at the right line."""

    def __init__(self, path: Path, data: Any, lines: dict[int, tuple[int, dict[Any, int]]]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line of the deepest element of `loc` that exists in the document."""
        node: Any = self.data
        line: int | None = None
        for part in loc:
            info = self._lines.get(id(node))
            if info is None:
                break
            line = info[1].get(part, info[0])
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        return line

    def where(self, loc: Sequence[str | int]) -> str:
        """`file:line` for a location inside the document (just the file if no line is known)."""
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line else str(self.path)


def read_text_file(path: Path, what: str, max_bytes: int = MAX_CONFIG_BYTES) -> str:
    """The text of a configuration file (UTF-8, a byte-order mark dropped); a missing file, a folder, a device or
    FIFO (reading /dev/zero never ends), a file over `max_bytes` or bad UTF-8 is a ConfigError naming the file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what} file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{path}: is a folder; give the {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: is not a regular file (a device or a pipe); give the {what} file")
    if info.st_size > max_bytes:
        raise ConfigError(f"{path}: the {what} is {info.st_size / 1e6:.0f} MB, over the {max_bytes // 2**20} MB a "
                          f"{what} may have; is it the right file?")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:  # grew while we looked
            raise ConfigError(f"{path}: the {what} is over the {max_bytes // 2**20} MB a {what} may have")
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None


def read_yaml(path: Path, what: str) -> YamlDocument:
    """Parse a YAML file; a missing file or a syntax error is a ConfigError naming the file and line."""
    loader = _LineLoader(read_text_file(path, what))
    loader.lines = {}
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
            raise ConfigError(f"{path}: the {what}'s aliases expand to more than {MAX_YAML_NODES} values; "
                              "write the values out instead of nesting anchors")
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: the {what} is not valid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{path}: the {what} is nested too deeply to read") from None
    finally:
        loader.dispose()
    doc = YamlDocument(path, data, loader.lines)
    bad = _bad_numbers(doc)
    if bad:
        raise ConfigError(f"{path}: invalid {what}\n  " + "\n  ".join(bad))
    return doc


def _bad_numbers(doc: YamlDocument) -> list[str]:
    """`file:line: path: message` for every number that is not finite or too large to add up safely."""
    problems: list[str] = []
    seen: set[int] = set()

    def walk(node: Any, loc: Loc) -> None:
        if isinstance(node, dict | list):
            if id(node) in seen:  # an alias: its values were looked at where the anchor is
                return
            seen.add(id(node))
            for key, value in node.items() if isinstance(node, dict) else enumerate(node):
                walk(value, (*loc, key))
        elif isinstance(node, float | int) and not isinstance(node, bool):
            if isinstance(node, float) and not math.isfinite(node):
                problems.append(f"{doc.where(loc)}: {format_loc(loc)}: {node} is not a finite number")
            elif abs(node) > MAX_NUMBER:
                problems.append(f"{doc.where(loc)}: {format_loc(loc)}: {node:g} is too large (at most {MAX_NUMBER:g})")

    walk(doc.data, ())
    return problems[:20]


def validation_messages(doc: YamlDocument, error: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per pydantic error: `file:line: path: message`, with a suggestion for unknown keys."""
    messages = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        text = err["msg"]
        if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            valid = _fields_at(model, loc[:-1], doc.data)
            text = f"unknown key {loc[-1]!r}{did_you_mean(loc[-1], valid)}"
        elif err["type"] == "missing":
            text = "required key is missing"
        elif text.startswith("Value error, "):
            text = text.removeprefix("Value error, ")
        messages.append(f"{doc.where(loc)}: {format_loc(loc)}: {text}")
    return messages


def _fields_at(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """Field names of the model found by walking `loc` through the model's nested fields."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside an annotation such as `list[Criterion]` or `Sandbox | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def load_model(path: Path, model: type[M], what: str) -> tuple[M, YamlDocument]:
    """Read `path` and validate it completely as `model`; every problem is reported at once in a ConfigError."""
    doc = read_yaml(path, what)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: the {what} must be a YAML mapping at the top level")
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        lines = validation_messages(doc, exc, model)
        raise ConfigError(f"{path}: invalid {what}\n  " + "\n  ".join(lines)) from None


def writable_folder(path: Path, option: str) -> Path:
    """Make sure `path` is a folder grader can write into, creating it (and its parents) if needed; a ConfigError
    names the option, the path and the fix when it is a file, a device, lies under a file, or cannot be written."""
    for parent in (path, *path.parents):
        if os.path.lexists(parent):
            if not parent.is_dir():
                kind = "a file" if parent.is_file() else "not a folder (a device, a pipe or a broken link)"
                where = "is" if parent == path else f"lies under {parent}, which is"
                raise ConfigError(f"{option} {path}: {where} {kind}; give a folder (it is created if missing)")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".grader-write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there ({exc.strerror or exc}); give a folder you can "
                          "write to") from None
    return path
