"""SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers: one rule per check, one result per problem.

GitHub rejects a whole SARIF file when one result has no file location, so problems of no one file (a member
without commits, a crashed check) are tool execution notifications of the run instead of results.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from grader.models import CheckResult, GradeReport, Severity
from grader.report.common import Problem, RenderOptions, problems
from grader.report.text import clean, one_line

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _description(check: CheckResult) -> str:
    """What the check looks at, from the registry when this grader knows the id (a saved report may be older)."""
    from grader.checks.registry import REGISTRY

    known = REGISTRY.get(check.id)
    return known.description if known is not None else check.title


def _rule(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": _description(check)},
        "help": {"text": f"{_description(check)} Points for it come from the rubric; the grader report has the "
                         "evidence."},
        "defaultConfiguration": {"level": "error" if check.required else "warning"},
        "properties": {"tags": ["grader", check.id.split(".")[0]], "required": check.required},
    }


def _fingerprint(p: Problem) -> str:
    # Without the line: a problem that stays where it is should stay one alert when lines above it move.
    return hashlib.sha256(f"{p.check.id}\0{p.path}\0{p.message}".encode()).hexdigest()[:32]


def _result(p: Problem, index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(clean(p.path or "")), "uriBaseId": "%SRCROOT%"}}
    if p.line:
        physical["region"] = {"startLine": p.line}
    return {
        "ruleId": p.check.id,
        "ruleIndex": index,
        "level": _LEVEL[p.severity],
        "message": {"text": one_line(p.message, 2000)},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"graderProblem/v1": _fingerprint(p)},
    }


def render_sarif(report: GradeReport, options: RenderOptions) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    index = {check.id: i for i, check in enumerate(report.checks)}
    found = problems(report, options.path_prefix)
    notifications = [
        {"level": _LEVEL[p.severity], "message": {"text": one_line(p.message, 2000)},
         "associatedRule": {"id": p.check.id, "index": index[p.check.id]}}
        for p in found if p.path is None
    ]
    run = {
        "tool": {"driver": {
            "name": "grader", "version": report.grader_version, "semanticVersion": report.grader_version,
            "rules": [_rule(check) for check in report.checks],
        }},
        "automationDetails": {"id": f"grader/{report.rubric.id}/"},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": [_result(p, index[p.check.id]) for p in found if p.path is not None],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "submission": report.submission.id, "commit": report.submission.commit, "rubric": report.rubric.id,
            "total": report.total, "max_total": report.max_total, "gate_passed": report.gate_passed,
        },
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
