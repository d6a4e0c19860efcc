"""GitLab Code Quality report (the CodeClimate subset GitLab reads): one issue per problem in a file.

GitLab needs a file and a line for every issue, so problems of no one file (a member without commits, a check
that crashed) are left to the JUnit report, which GitLab shows as test results beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from grader.models import GradeReport, Severity
from grader.report.common import RenderOptions, problems
from grader.report.text import clean, one_line


def render_codequality(report: GradeReport, options: RenderOptions) -> str:
    """The problems as a Code Quality JSON array: description, check_name, fingerprint, severity, location."""
    issues = []
    seen: Counter[str] = Counter()
    for p in problems(report, options.path_prefix):
        if p.path is None:
            continue
        # critical: a required check fails (the CI gate), major: points lost, minor: a warning
        severity = ("critical" if p.check.required else "major") if p.severity is Severity.ERROR else "minor"
        # Stable across pushes while the problem stays (no line: an edit above it must not make it "new"); the
        # occurrence count keeps two identical messages in one file apart, as GitLab wants fingerprints unique.
        basis = f"{p.check.id}\0{p.path}\0{p.message}"
        seen[basis] += 1
        fingerprint = hashlib.sha256(f"{basis}\0{seen[basis]}".encode()).hexdigest()[:32]
        issues.append({
            "type": "issue",
            "description": one_line(f"{p.check.title}: {p.message}", 1000),
            "check_name": p.check.id,
            "fingerprint": fingerprint,
            "severity": severity,
            "location": {"path": clean(p.path), "lines": {"begin": p.line or 1}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
