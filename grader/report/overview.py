"""The batch overview page, OUT/summary.html: groups x criteria in colour, the distribution of totals and of each
criterion, late commits, and each member's share of the work - one self-contained file (inline SVG, one style
block allowed by its hash, no script, no external asset), every group linked to its own report."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.models import CriterionResult, GradeReport, GradeState
from grader.report.common import NOT_GRADED, not_graded, points
from grader.report.text import clean, one_line

#: Buckets of the colour scale, by the share of a criterion's points earned.
SHADES = 5
#: Bins of the histogram of totals.
TOTAL_BINS = 10
#: The page's only style, allowed by its hash in the Content-Security-Policy (so no injected style could apply).
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h2 { margin-top: 1.6em; }
.lead { font-size: 110%; }
.muted { color: #777; font-size: 90%; }
.good { color: #137333; } .bad { color: #c5221f; }
.scroll { overflow-x: auto; }
table.grid { border-collapse: collapse; }
table.grid th, table.grid td { border: 1px solid #e3e3e3; padding: .3em .55em; vertical-align: top; }
table.grid th { background: #f6f8fa; font-weight: 600; font-size: 90%; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.total { font-weight: 600; }
td.group { white-space: nowrap; }
code { font: 12px ui-monospace, monospace; color: #555; }
.q0 { background: #f8d0cc; } .q1 { background: #fbe3c2; } .q2 { background: #fdf3bf; }
.q3 { background: #dff0c8; } .q4 { background: #c3e6c5; } .na { background: #f1f1f1; color: #888; }
.swatch { display: inline-block; padding: 0 .5em; margin-right: .2em; border-radius: 3px; font-size: 85%; }
svg.chart { width: 100%; max-width: 640px; height: auto; display: block; }
.small-multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 1em; }
figure { margin: 0; } figcaption { font-size: 90%; margin-bottom: .2em; }
rect.bar { fill: #4a78b5; } rect.late { fill: #d9822b; }
line.base { stroke: #999; stroke-width: 1; }
text { font: 11px system-ui, sans-serif; fill: #333; }
text.count, text.axis { text-anchor: middle; } text.axis { fill: #666; font-size: 10px; }
text.label { text-anchor: end; }
table.members td { padding: .25em .6em; vertical-align: middle; }
svg.stack { width: 100%; max-width: 480px; height: 18px; display: block; }
.m0 { fill: #4a78b5; background: #4a78b5; } .m1 { fill: #d9822b; background: #d9822b; }
.m2 { fill: #5aa469; background: #5aa469; } .m3 { fill: #b5578f; background: #b5578f; }
.m4 { fill: #8c7b4a; background: #8c7b4a; } .m5 { fill: #6b6bb5; background: #6b6bb5; }
.key { display: inline-block; width: .8em; height: .8em; margin: 0 .25em 0 .1em; border-radius: 2px; }
div.who { font-size: 90%; margin: .15em 0 .5em; }
table.members { width: 100%; max-width: 760px; }
.legend { font-size: 90%; }
"""


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value, and its share of the chart's scale (0..1)."""

    label: str
    value: float
    share: float
    text: str = ""


@dataclass(frozen=True)
class Cell:
    """One group's points on one criterion, and the shade that shows them."""

    text: str
    shade: str
    title: str


@dataclass(frozen=True)
class Member:
    """One author's share of a group's changed lines."""

    name: str
    commits: int
    share: float
    offset: float


@dataclass(frozen=True)
class Row:
    """One group in the table."""

    id: str
    link: str | None
    commit: str
    cells: tuple[Cell, ...]
    total: str
    total_shade: str
    gate_passed: bool
    error: str
    #: Why the total is not final (pending, not run): the group has no grade in grades.csv yet.
    open: str
    late: int | None
    members: tuple[Member, ...]
    missing: tuple[str, ...]


def _shade(earned: float, maximum: float) -> str:
    if maximum <= 0:
        return "na"
    return f"q{min(SHADES - 1, int(earned / maximum * SHADES))}"


def _cell(crit: CriterionResult) -> Cell:
    if not_graded(crit):
        return Cell(NOT_GRADED, "na", f"{one_line(crit.title)}: not graded")
    shown = f"{points(crit.points)}/{points(crit.max_points)}"
    return Cell(points(crit.points), _shade(crit.points, crit.max_points), f"{one_line(crit.title)}: {shown}")


def _members(report: GradeReport) -> tuple[tuple[Member, ...], tuple[str, ...]]:
    """Authors by share of changed lines (from repo.contributions), and roster members without commits."""
    check = report.check("repo.contributions")
    if check is None:
        return (), ()
    authors = check.measurements.get("authors")
    members: list[Member] = []
    offset = 0.0
    for author in authors if isinstance(authors, list) else []:
        if not isinstance(author, dict):
            continue
        share = author.get("line_share")
        commits = author.get("commits")
        share = float(share) if isinstance(share, int | float) else 0.0
        members.append(Member(one_line(str(author.get("name", "?")), 60), commits if isinstance(commits, int) else 0,
                              share, offset))
        offset += share
    missing = check.measurements.get("members_without_commits")
    return tuple(members), tuple(one_line(str(m), 60) for m in missing) if isinstance(missing, list) else ()


def _late(report: GradeReport) -> int | None:
    check = report.check("repo.deadline")
    late = check.measurements.get("late_commits") if check is not None else None
    return late if isinstance(late, int) and not isinstance(late, bool) else None


def _error(report: GradeReport) -> str:
    """Why the group could not be graded ('' when it was)."""
    if report.state is GradeState.NOT_GRADED and report.state_reasons:
        return one_line("; ".join(report.state_reasons), 200)
    why = next((n.message for n in report.notes if n.severity == "error"), "")
    return one_line(why.removeprefix("not graded: "), 200)


def _open(report: GradeReport) -> str:
    """Why the group's total is not final yet ('' when it is)."""
    return one_line("; ".join(report.state_reasons), 200) if report.state is GradeState.PROVISIONAL else ""


def _row(group_id: str, report: GradeReport, link: str | None, criteria: Sequence[str]) -> Row:
    by_id = {c.id: c for c in report.criteria}
    cells = tuple(_cell(by_id[cid]) if cid in by_id else Cell("", "na", "") for cid in criteria)
    members, missing = _members(report)
    return Row(
        id=clean(group_id), link=f"./{quote(link)}" if link else None,
        commit=(report.submission.commit or "")[:10], cells=cells,
        total=NOT_GRADED if _error(report) else points(report.total),
        total_shade="na" if _error(report) else _shade(report.total, report.max_total),
        gate_passed=report.gate_passed, error=_error(report), open=_open(report),
        late=_late(report), members=members, missing=missing,
    )


def histogram(values: Sequence[float], maximum: float, bins: int) -> list[Bar]:
    """Counts of `values` in `bins` equal bins over [0, maximum] (the maximum falls in the last bin)."""
    counts = [0] * bins
    for value in values:
        index = 0 if maximum <= 0 else min(bins - 1, max(0, int(value / maximum * bins)))
        counts[index] += 1
    top = max(counts, default=0) or 1
    width = maximum / bins if maximum > 0 else 0
    return [Bar(f"{points(i * width)}–{points((i + 1) * width)}", n, n / top, str(n)) for i, n in enumerate(counts)]


def render_overview(rows: Sequence[tuple[str, GradeReport]], links: Mapping[str, str],
                    title: str = "grader batch overview") -> str:
    """summary.html for the batch: `rows` are (group id, report) in roster order, `links` each group's report file
    relative to the page."""
    reports = [r for _, r in rows]
    criteria: dict[str, CriterionResult] = {}
    for report in reports:
        for crit in report.criteria:
            criteria.setdefault(crit.id, crit)
    table = [_row(gid, report, links.get(gid), list(criteria)) for gid, report in rows]
    graded = [r for r in reports if not _error(r)]
    maximum = max((r.max_total for r in reports), default=0.0)
    per_criterion = [
        (crit, histogram([c.points for r in graded for c in r.criteria if c.id == cid and not not_graded(c)],
                         crit.max_points, SHADES))
        for cid, crit in criteria.items()
    ]
    late_top = max((row.late or 0 for row in table), default=0) or 1
    late = [Bar(one_line(row.id, 24), row.late or 0, (row.late or 0) / late_top, str(row.late)) for row in table
            if row.late is not None]
    style = STYLE
    return _environment().get_template("summary.html.j2").render(
        title=title, style=style, style_hash=_csp_hash(style), rows=table, criteria=list(criteria.values()),
        passed=sum(1 for r in reports if r.gate_passed), not_graded=len(reports) - len(graded),
        totals=histogram([r.total for r in graded], maximum, TOTAL_BINS), maximum=points(maximum),
        per_criterion=per_criterion, late=late, fmt=points, shades=SHADES,
        generated=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def _csp_hash(style: str) -> str:
    """The CSP source that allows exactly this style block and nothing else."""
    return "sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.finalize = lambda value: clean(value) if isinstance(value, str) else value
    return env
