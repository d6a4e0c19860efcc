"""Schema v1's additions (check `skip`; criterion `state`, `reasons`, `excluded`; report `state`, `state_reasons`;
the build step's installed `versions`) are optional: a report written before them loads, reads as final, and
renders as it did."""

from __future__ import annotations

import json
from dataclasses import replace

from grader.models import CriterionState, GradeState, Skip
from grader.outcomes import BuildResult, InstalledEnvironment
from grader.report import render
from grader.report.jsonio import dump_report, parse_report
from tests.report.sample import sample_report

ADDED_TO_CHECKS = ("skip",)
ADDED_TO_CRITERIA = ("state", "reasons", "excluded")
ADDED_TO_REPORT = ("state", "state_reasons")


def test_a_report_without_the_additions_loads_as_final() -> None:
    document = json.loads(dump_report(sample_report()))
    for key in ADDED_TO_REPORT:
        document.pop(key)
    for criterion in document["criteria"]:
        for key in ADDED_TO_CRITERIA:
            criterion.pop(key)
    for check in document["checks"]:
        for key in ADDED_TO_CHECKS:
            check.pop(key)
    old = parse_report(json.dumps(document))
    assert old.state is GradeState.FINAL and old.state_reasons == ()
    assert {c.state for c in old.criteria} == {CriterionState.FINAL}
    assert all(c.skip is None for c in old.checks)
    assert render(old, "md") == render(sample_report(), "md")


def test_the_additions_round_trip() -> None:
    report = sample_report()
    changed = replace(report, checks=(*report.checks[:-1], replace(report.checks[-1], skip=Skip.BY_CHOICE)),
                      criteria=(replace(report.criteria[0], state=CriterionState.NOT_RUN, reasons=("x",),
                                        excluded=("readme.links",)), *report.criteria[1:]),
                      state=GradeState.PROVISIONAL, state_reasons=("execution not run: the sandbox was off",))
    assert parse_report(dump_report(changed)) == changed


def test_the_installed_versions_round_trip_and_a_report_without_them_loads() -> None:
    report = sample_report()
    assert report.run is not None
    installed = InstalledEnvironment({"torch": ("torch",)}, {}, 40, {"torch": "2.4.0+cpu", "librosa": "0.10.1"})
    build = replace(report.run.steps[0], detail=BuildResult(environment="requirements", installed=installed))
    changed = replace(report, run=replace(report.run, steps=(build, *report.run.steps[1:])))
    assert parse_report(dump_report(changed)) == changed
    document = json.loads(dump_report(changed))
    document["run"]["steps"][0]["detail"]["installed"].pop("versions")
    old = parse_report(json.dumps(document))
    assert old.run is not None and isinstance(old.run.steps[0].detail, BuildResult)
    assert old.run.steps[0].detail.installed == replace(installed, versions={})
