"""`grader sandbox ...`: build and clean up the Docker sandbox (being built; see issue 4)."""

from __future__ import annotations

import click


@click.group("sandbox")
def sandbox_group() -> None:
    """Build the sandbox's base image and remove what it left behind."""
