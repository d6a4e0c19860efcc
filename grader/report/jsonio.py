"""The canonical JSON form of a report (schema v1): dump, and load back for `grader render`."""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from grader.errors import ConfigError
from grader.models import SCHEMA_VERSION, GradeReport

_ADAPTER: TypeAdapter[GradeReport] = TypeAdapter(GradeReport)


def dump_report(report: GradeReport) -> str:
    """The report as an indented JSON document ending in a newline."""
    return _ADAPTER.dump_json(report, indent=2).decode("utf-8") + "\n"


def parse_report(text: str, source: str = "report") -> GradeReport:
    """A report from its JSON text; a ConfigError names the source and the first problem."""
    try:
        report = _ADAPTER.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{source}: not a grader report (schema v{SCHEMA_VERSION}): {loc}: {first['msg']}") from None
    if report.schema_version != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: schema_version {report.schema_version} is not supported (expected {SCHEMA_VERSION})"
        )
    return report


def load_report(path: Path) -> GradeReport:
    """Read a saved report.json."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the report: {exc}") from None
    return parse_report(text, str(path))
