"""JUnit XML report: one test case per check, so CI systems show failed checks like failed tests."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC

from grader.models import GradeReport, Status
from grader.report.common import RenderOptions, location, points

_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _XML_INVALID.sub("", text)


def render_junit(report: GradeReport, options: RenderOptions) -> str:
    """The report as a JUnit XML document (escaping done by the XML library, invalid characters removed)."""
    counts = {s: sum(1 for c in report.checks if c.status is s) for s in Status}
    suite = ET.Element(
        "testsuite",
        name=_x(f"grader:{report.submission.id}"),
        tests=str(len(report.checks)),
        failures=str(counts[Status.FAILED]),
        errors=str(counts[Status.ERROR]),
        skipped=str(counts[Status.SKIPPED]),
        # The common JUnit schema's timestamp has no zone offset: UTC, written without one.
        timestamp=report.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        time=f"{sum(s.duration_s for s in report.run.steps) if report.run else 0.0:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("total", points(report.total)), ("max_total", points(report.max_total)),
        ("gate_passed", "true" if report.gate_passed else "false"),
        ("rubric", report.rubric.id), ("commit", report.submission.commit or ""),
    ):
        ET.SubElement(props, "property", name=name, value=_x(value))
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", classname=_x(check.id.split(".")[0]), name=_x(check.id))
        body = "\n".join(
            f"{f.severity.value}: {location(f) + ' ' if location(f) else ''}{f.message}" for f in check.findings
        )
        if check.status is Status.FAILED:
            kind = "required" if check.required else "check"
            el = ET.SubElement(case, "failure", message=_x(check.summary), type=kind)
            el.text = _x(body)
        elif check.status is Status.ERROR:
            el = ET.SubElement(case, "error", message=_x(check.summary))
            el.text = _x(check.detail or body)
        elif check.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=_x(check.summary))
        out = ET.SubElement(case, "system-out")
        out.text = _x(f"score {check.score:.2f}: {check.summary}" + (f"\n{body}" if body else ""))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
