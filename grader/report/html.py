"""HTML report: one self-contained page, every string autoescaped, page images of the paper shown."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.models import GradeReport
from grader.report.common import (
    STATUS_SYMBOL,
    RenderOptions,
    criterion_note,
    criterion_points,
    gate_text,
    more_text,
    points,
    score_text,
    status_text,
    total_points,
)
from grader.report.text import clean


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.finalize = lambda value: clean(value) if isinstance(value, str) else value
    return env


def _images(report: GradeReport) -> dict[str, list[str]]:
    """Per check, relative image files it listed in the `page_images` measurement (safe relative paths only)."""
    out: dict[str, list[str]] = {}
    for check in report.checks:
        listed = check.measurements.get("page_images")
        if isinstance(listed, list):
            out[check.id] = [
                p for p in listed
                if isinstance(p, str) and not p.startswith(("/", "\\")) and ".." not in p.split("/") and ":" not in p
            ]
        else:
            out[check.id] = []
    return out


def render_html(report: GradeReport, options: RenderOptions) -> str:
    """The report as a standalone HTML page (images referenced relative to the report's folder)."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        r=report,
        checks={c.id: c for c in report.checks},
        symbol=STATUS_SYMBOL,
        status_text=lambda k: status_text(report, k),
        score_text=lambda k: score_text(report, k),
        gate=gate_text(report),
        fmt=points,
        max_findings=options.max_findings * 5,
        images=_images(report),
        crit_points=criterion_points,
        crit_note=criterion_note,
        total=total_points(report, ' points'),
        more=lambda hidden: more_text(hidden, options),
    )
