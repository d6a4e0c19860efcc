"""`grader grade ROSTER`: the lecturer's batch (being built; see issue 5)."""

from __future__ import annotations

import click

from grader.errors import GraderError


@click.command("grade")
@click.argument("roster", type=click.Path(path_type=str))
def grade_command(roster: str) -> None:
    """Grade every group in a ROSTER (YAML or CSV)."""
    raise GraderError("grader grade is not available yet")
