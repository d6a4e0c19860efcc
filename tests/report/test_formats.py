"""Report formats: golden files pin every format; every format escapes student text; JSON round-trips."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.models import GradeReport
from grader.report import FORMATS, render, write_reports
from grader.report.common import RenderOptions
from grader.report.jsonio import load_report, parse_report
from tests.report.sample import HOSTILE, course_report, sample_report

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"


#: Golden file -> (report, format, terminal width). The sample report in every format; the course-sized one
#: where a long rubric changes the layout. The terminal is pinned without colour at 80 and 120 columns.
GOLDENS: dict[str, tuple[Callable[[], GradeReport], str, int]] = {
    "report.json": (sample_report, "json", 100),
    "report.md": (sample_report, "md", 100),
    "report.html": (sample_report, "html", 100),
    "report.xml": (sample_report, "junit", 100),
    "report.80.txt": (sample_report, "terminal", 80),
    "report.120.txt": (sample_report, "terminal", 120),
    "course.md": (course_report, "md", 100),
    "course.html": (course_report, "html", 100),
    "course.80.txt": (course_report, "terminal", 80),
    "course.120.txt": (course_report, "terminal", 120),
    "course.github.txt": (course_report, "github", 100),
    "course.concise.txt": (course_report, "concise", 100),
    "course.sarif": (course_report, "sarif", 100),
    "course.codequality.json": (course_report, "gitlab", 100),
}


@pytest.mark.parametrize("name", list(GOLDENS))
def test_golden(name: str) -> None:
    report, fmt, width = GOLDENS[name]
    text = render(report(), fmt, RenderOptions(color=False, width=width))
    golden = GOLDEN / name
    if UPDATE:
        golden.write_bytes(text.encode("utf-8"))
    # Bytes, not text: the terminal goldens keep the renderer's trailing spaces, and an editor may not.
    expected = golden.read_bytes().decode("utf-8")
    assert text == expected, f"{name} changed; rerun with UPDATE_GOLDENS=1 if intended, and read the diff"


def test_json_round_trips_to_the_same_report(tmp_path: Path) -> None:
    report = sample_report(HOSTILE)
    (path,) = write_reports(report, ["json"], tmp_path)
    assert load_report(path) == report
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert next(iter(data)) == "schema_version"
    assert {"rubric", "submission", "total", "max_total", "gate_passed", "criteria", "checks", "run"} <= set(data)


def test_not_a_report_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="not a grader report"):
        load_report(bad)
    with pytest.raises(ConfigError, match="no such report"):
        load_report(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="schema_version 9"):
        parse_report(render(sample_report(), "json").replace('"schema_version": 1', '"schema_version": 9'))


def test_markdown_escapes_student_text() -> None:
    text = render(sample_report(HOSTILE), "md")
    outside_code = re.sub(r"(?ms)^(`{3,})text$.*?^\1$", "", text)
    assert "<script>" not in outside_code
    assert "<script>" in text, "logs are kept verbatim inside fenced code blocks, where Markdown shows them as text"
    assert "&lt;script&gt;" in text
    assert "\x1b" not in text
    assert "\\*\\*bold\\*\\*" in text
    # a pipe inside a table cell must not open a new column
    row = next(line for line in text.splitlines() if line.startswith("| `readme.links`"))
    assert row.count(" | ") == 3


def test_html_autoescapes_and_strips_control_characters() -> None:
    text = render(sample_report(HOSTILE), "html")
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\x1b" not in text


def test_html_shows_only_safe_relative_page_images() -> None:
    from dataclasses import replace

    report = sample_report()
    check = replace(report.checks[0], measurements={"page_images": ["paper/page-1.png", "/etc/passwd", "../x.png"]})
    text = render(replace(report, checks=(check, *report.checks[1:])), "html")
    assert 'src="paper/page-1.png"' in text
    assert 'src="/etc/passwd"' not in text and "../x.png" not in text


def test_junit_is_valid_xml_with_one_case_per_check() -> None:
    root = ET.fromstring(render(sample_report(HOSTILE), "junit").split("\n", 1)[1])
    assert root.tag == "testsuite"
    assert root.get("tests") == "3" and root.get("failures") == "1" and root.get("errors") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"readme.present", "readme.links", "run.tests"}
    failure = cases["readme.links"].find("failure")
    assert failure is not None and "README.md:12" in (failure.text or "")
    assert failure.get("type") == "required"
    assert cases["run.tests"].find("error") is not None
    # what the common JUnit schema accepts: a timestamp without a zone offset, booleans as XML spells them
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", root.get("timestamp") or "")
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["gate_passed"] == "false" and props["total"] == "12.5" and props["max_total"] == "30"


def test_terminal_has_no_ansi_without_colour_and_keeps_student_markup_literal() -> None:
    text = render(sample_report("[bold]not markup[/bold]"), "terminal", RenderOptions(color=False, width=100))
    assert "\x1b" not in text
    assert "[bold]not markup[/bold]" in text
    assert "12.5 / 30" in text and "gate FAILED (readme.links)" in text


def test_terminal_colours_when_asked() -> None:
    assert "\x1b[" in render(sample_report(), "terminal", RenderOptions(color=True))


def test_write_reports_writes_each_file_format(tmp_path: Path) -> None:
    written = write_reports(sample_report(), list(FORMATS), tmp_path)
    assert sorted(p.name for p in written) == ["report.codequality.json", "report.html", "report.json", "report.md",
                                               "report.sarif", "report.xml"]
    assert not list(tmp_path.glob(".report*")), "temporary files left behind"


def test_a_format_showing_some_findings_names_the_file_with_all_only_when_there_is_one(tmp_path: Path) -> None:
    from tests.report.sample import course_report

    write_reports(course_report(), ["md"], tmp_path / "md-only")
    assert "see report.json" not in (tmp_path / "md-only" / "report.md").read_text()
    assert "-o DIR writes every finding to report.json" in (tmp_path / "md-only" / "report.md").read_text()
    write_reports(course_report(), ["json", "md"], tmp_path / "both")
    assert "… and 2 more (see report.json)" in (tmp_path / "both" / "report.md").read_text()


def test_markdown_lists_the_papers_pages_and_verdict() -> None:
    from dataclasses import replace

    from grader.models import CheckResult, Status

    report = sample_report()
    pages = CheckResult("paper.pages", "Page limit", Status.FAILED, 0.0, "5 pages, limit 4",
                        {"path": "paper/final.pdf", "pages": 5, "content_pages": 4,
                         "references_only_last_page": True, "limit": 4, "page_images": ["paper/page-1.png"]})
    template = CheckResult("paper.template", "Template", Status.PASSED, 1.0, "IEEEtran conference",
                           {"family": "ieeetran-conference"})
    text = render(replace(report, checks=(*report.checks, pages, template)), "md")
    section = text.split("## Paper", 1)[1].split("## Checks", 1)[0]
    assert "`paper/final.pdf`" in section
    assert "Pages: 5 (the last holds only references); content pages 4; limit 4" in section
    assert "Template: ieeetran-conference (passed)" in section
    assert "Verdict: ✘ 5 pages, limit 4" in section


@pytest.mark.parametrize("width", [80, 91, 100, 120, 140])
def test_terminal_lines_fit_end_clean_and_keep_each_mark_with_its_check(width: int) -> None:
    from tests.report.sample import course_report

    report = course_report()
    text = render(report, "terminal", RenderOptions(color=False, width=width))
    ids = {c.id for c in report.checks}
    for line in text.splitlines():
        assert len(line) <= width, line
        assert line == line.rstrip(), f"trailing space: {line!r}"
        # in the criteria block, a mark is always followed by its check's id on the same line
        if line.startswith(" " * 10) and line.strip()[:1] in "✔✘–!":
            units = re.findall(r"([✔✘–!]) (\S+)", line)
            assert units and all(unit in ids for _, unit in units), line
    assert "✔ tests" not in text and "– tests      skipped" in text  # no tick on a skipped step


def test_terminal_degrades_to_one_check_per_line_when_narrow() -> None:
    from tests.report.sample import course_report

    text = render(course_report(), "terminal", RenderOptions(color=False, width=30))
    block = text.split("\n\n")[1].splitlines()
    packed = [line for line in block if line.startswith(" " * 10) and line.strip()[:1] in "✔✘–!"]
    assert packed and all(len(re.findall(r"[✔✘–!] \S+", line)) == 1 for line in packed), packed


def test_a_skipped_check_says_how_it_counted_in_every_readable_format() -> None:
    """A check left out of its criterion and one counted as 0 both read "skipped"; each format says which, and a
    left-out check shows no 0.00 that would read like a verdict."""
    from dataclasses import replace

    report = course_report()
    criteria = tuple(
        replace(c, reasons=("run.tests: left out (when_skipped: exclude): no tests found",
                            "run.notebooks: no notebooks (counted as 0)")) if c.id == "execution" else c
        for c in report.criteria)
    report = replace(report, criteria=criteria)
    md = render(report, "md")
    assert "| `run.tests` | – skipped, left out | – | no tests found |" in md
    assert "| `run.notebooks` | – skipped, counted as 0 | 0.00 | no notebooks |" in md
    text = render(report, "terminal", RenderOptions(width=120))
    assert "– run.tests  –  no tests found (left out)" in text
    assert "– run.notebooks  0.00  no notebooks (counted as 0)" in text
    html = render(report, "html")
    assert "– skipped, left out</td>" in html and "– skipped, counted as 0</td>" in html


def test_a_failed_install_is_said_to_have_no_image_instead_of_an_empty_name() -> None:
    from dataclasses import replace

    report = course_report()
    assert report.run is not None
    report = replace(report, run=replace(report.run, image=""))
    assert "No image (the environment did not install), environment requirements.txt." in render(report, "md")
    assert "Image ``" not in render(report, "md")
    assert "No image (the environment did not install)" in render(report, "html")
    assert "sandbox: no image (requirements.txt)" in render(report, "terminal", RenderOptions(width=120))
