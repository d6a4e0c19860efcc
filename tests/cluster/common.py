"""Helpers shared by the cluster tests: sample rosters and folder comparison."""

from __future__ import annotations

import re
from pathlib import Path

from grader.roster import Roster, load_roster
from grader.rubric import LoadedRubric, load_rubric
from tests.acquire.builder import RepoBuilder
from tests.test_batch import GOOD, RUBRIC

#: ISO times (generated_at, JUnit timestamps): the only thing two gradings of the same commit may differ in.
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (clones aside) with its content, times masked."""
    return {p.relative_to(folder).as_posix(): STAMP.sub("<time>", p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(folder.rglob("*")) if p.is_file() and ".clones" not in p.parts}


def sample_batch(folder: Path, groups: int = 2) -> tuple[Roster, LoadedRubric]:
    """A rubric and a roster of `groups` good repositories, one without environment file and one refused URL."""
    lines = ["deadline: 2026-03-31T23:59:00+02:00", "groups:"]
    for n in range(groups):
        RepoBuilder(folder / "repos" / f"good-{n}").commit({**GOOD, "main.py": f"import numpy\nN = {n}\n"},
                                                           when="2026-03-30T12:00:00+02:00")
        lines += [f"  - id: good-{n}", f"    repo: repos/good-{n}", f"    members: [{{name: Student {n}}}]"]
    RepoBuilder(folder / "repos" / "bare").commit({"README.md": "# no env\n"}, when="2026-03-29T12:00:00+02:00")
    lines += ["  - id: bare", "    repo: repos/bare", "    members: [{name: Bob}, {name: Cy}]",
              "  - id: hostile", "    repo: 'ext::sh -c touch% sentinel'", "    members: [{name: Eve}]"]
    (folder / "roster.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    return load_roster(folder / "roster.yaml"), load_rubric(folder / "rubric.yaml")
