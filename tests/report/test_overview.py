"""The batch overview page, OUT/summary.html: self-contained, strict CSP, hostile names inert - checked in the page
source and in headless Chromium, which also takes the screenshots a person looks at."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from grader.models import Finding, GradeReport, GradeState, Severity, Status
from grader.report.overview import histogram
from grader.report.summary import GroupRow, write_summaries
from grader.roster import Group
from tests.conftest import IN_CI
from tests.report.sample import course_report

#: Markup a student controls (git author names, the roster's group ids are validated but the page must not rely on it).
EVIL_NAME = '<img src=x onerror="document.title=\'pwned\'">Mallory'
EVIL_GROUP = '"><script>document.title="pwned"</script>'


def group_report(gid: str, scale: float, authors: list[tuple[str, int, float]], late: int,
                 missing: tuple[str, ...] = ()) -> GradeReport:
    """The course report scaled to another group's points, with its own authors and late commits."""
    base = course_report()
    criteria = tuple(c if c.manual else replace(c, points=round(c.max_points * min(1.0, scale * (0.6 + 0.1 * i)), 2))
                     for i, c in enumerate(base.criteria))
    measurements = {"commits": sum(a[1] for a in authors), "members_without_commits": list(missing),
                    "authors": [{"name": n, "commits": c, "line_share": s} for n, c, s in authors]}
    checks = tuple(
        replace(c, measurements=measurements) if c.id == "repo.contributions"
        else replace(c, measurements={"late_commits": late}) if c.id == "repo.deadline" else c
        for c in base.checks
    )
    total = round(sum(c.points for c in criteria), 2)
    return replace(base, submission=replace(base.submission, id=gid), criteria=criteria, checks=checks, total=total,
                   gate_passed=scale > 0.9)


def batch(out: Path) -> list[GroupRow]:
    rows = []
    specs = [
        ("group-1", 1.2, [("Ada Lovelace", 40, 0.55), ("Alan Turing", 22, 0.3), ("Grace Hopper", 9, 0.15)], 0, ()),
        ("group-2", 0.8, [("Dana Doe", 3, 0.9), (EVIL_NAME, 1, 0.1)], 4, ("Eve Example",)),
        ("group-3", 1.0, [("Ken Thompson", 12, 0.5), ("Dennis Ritchie", 12, 0.5)], 1, ()),
        ("group-4", 0.5, [("Solo Student", 30, 1.0)], 12, ("Bob", "Carol")),
        (EVIL_GROUP, 0.9, [("Linus", 5, 1.0)], 0, ()),
    ]
    for gid, scale, authors, late, missing in specs:
        rows.append(GroupRow(Group(gid, "https://git.example.org/x.git"), group_report(gid, scale, authors, late,
                                                                                         missing)))
    failed = replace(course_report(), submission=replace(course_report().submission, id="group-9", commit=None),
                     total=0.0, gate_passed=False,
                     criteria=tuple(replace(c, points=0.0, skipped=True) for c in course_report().criteria),
                     checks=tuple(replace(c, status=Status.ERROR, measurements={}) for c in course_report().checks),
                     notes=(Finding(Severity.ERROR, "not graded: clone refused: repository not found"),))
    rows.append(GroupRow(Group("group-9", "https://git.example.org/gone.git"), failed))
    for row in rows[:3]:
        (out / row.group.id).mkdir(parents=True)
        (out / row.group.id / "report.html").write_text("<p>report</p>")
    return rows


def test_page_is_self_contained_with_a_strict_csp_and_hostile_text_escaped(tmp_path: Path) -> None:
    write_summaries(batch(tmp_path), tmp_path)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "onerror=\"" not in page
    assert "&lt;img src=x onerror=" in page and "&#34;&gt;&lt;script&gt;" in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1) and "unsafe-inline" not in csp.group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp.group(1), "the style block is the one the policy allows"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external asset"
    assert 'href="./group-1/report.html"' in page and "group-4/report" not in page  # a link only where one exists
    assert 'style="' not in page, "inline style attributes would need 'unsafe-inline'"
    assert "not graded" in page and "clone refused" in page
    assert "no commits: Eve Example" in page and "no commits: Bob, Carol" in page


def test_page_lists_the_groups_without_a_grade_and_why(tmp_path: Path) -> None:
    rows = batch(tmp_path)
    rows[-1] = replace(rows[-1], report=replace(rows[-1].report, state=GradeState.NOT_GRADED,
                                                state_reasons=("clone refused: repository not found",)))
    write_summaries(rows, tmp_path)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    listed = page[page.index('<h2 id="without-grade">'):page.index('<h2 id="totals">')]
    assert '<li><b>group-9</b>: <span class="bad">not graded</span>: clone refused: repository not found</li>' in listed
    assert "<li><b>group-1</b>: not final: presentation pending: no score for it in the scores file yet</li>" \
        in listed


def test_histogram_bins_cover_zero_to_the_maximum() -> None:
    bars = histogram([0, 12, 55, 110, 110], 110, 10)
    assert [b.value for b in bars] == [1, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bars[-1].share == 1.0 and bars[0].label == "0–11"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if IN_CI:
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.slow
def test_page_in_headless_chromium_runs_no_script_and_keeps_its_style(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_summaries(batch(out), out)
    url = (out / "summary.html").as_uri()
    dom = run_chromium(["--dump-dom", url], tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<title>grader batch overview</title>" in dom.stdout, "no injected script changed the title"
    assert "pwned" not in re.sub(r"&[^;]+;", "", dom.stdout.split("<body>", 1)[0])
    assert "<img" not in dom.stdout and "<script" not in dom.stdout
    assert "Refused to apply" not in dom.stderr and "Refused to load" not in dom.stderr, dom.stderr[-2000:]
    assert dom.stdout.count('<rect class="bar"') >= 10 and '<rect class="m1"' in dom.stdout

    shots = Path(os.environ.get("GRADER_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    for name, size in (("summary-1280.png", "1280,2200"), ("summary-800.png", "800,2600")):
        shot = run_chromium([f"--screenshot={shots / name}", f"--window-size={size}", "--hide-scrollbars", url],
                            tmp_path / "profile")
        assert shot.returncode == 0, shot.stderr[-2000:]
        png = (shots / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000, "a page with content, not a blank screenshot"
        print(f"screenshot: {shots / name}")
