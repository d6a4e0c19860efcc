"""Report formats: each renders the canonical GradeReport to text; one function writes the files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from grader.models import GradeReport
from grader.report.common import RenderOptions
from grader.report.html import render_html
from grader.report.jsonio import dump_report
from grader.report.junit import render_junit
from grader.report.markdown import render_markdown
from grader.report.terminal import render_terminal

Renderer = Callable[[GradeReport, RenderOptions], str]


def _render_json(report: GradeReport, options: RenderOptions) -> str:
    return dump_report(report)


#: Every output format: name -> (renderer, file extension). The one registry of formats.
FORMATS: dict[str, tuple[Renderer, str]] = {
    "terminal": (render_terminal, "txt"),
    "json": (_render_json, "json"),
    "md": (render_markdown, "md"),
    "html": (render_html, "html"),
    "junit": (render_junit, "xml"),
}


#: The formats written as files when an output folder is given and no --format is.
FILE_FORMATS: tuple[str, ...] = ("json", "md", "html", "junit")
#: The format shown on the screen.
SCREEN_FORMAT = "terminal"


def render(report: GradeReport, fmt: str, options: RenderOptions | None = None) -> str:
    """The report rendered in format `fmt` (a key of FORMATS)."""
    renderer, _ = FORMATS[fmt]
    return renderer(report, options or RenderOptions())


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(
    report: GradeReport, formats: Sequence[str], out_dir: Path, basename: str = "report"
) -> list[Path]:
    """Write `out_dir/<basename>.<ext>` for every file format asked (terminal is for the screen, not a file)."""
    written = []
    for fmt in formats:
        if fmt == "terminal":
            continue
        _, ext = FORMATS[fmt]
        path = out_dir / f"{basename}.{ext}"
        write_atomic(path, render(report, fmt))
        written.append(path)
    return written
