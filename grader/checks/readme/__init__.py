"""README checks: present and not a template, sections, runnable commands, links and referenced files; each reads
the README set (the root README and the documents it hands over to)."""

from __future__ import annotations

from grader.checks.base import AnyCheck
from grader.checks.readme.content import (
    ReadmeCommandsCheck,
    ReadmeCommandsOptions,
    ReadmePresentCheck,
    ReadmePresentOptions,
    ReadmeSectionsCheck,
    ReadmeSectionsOptions,
)
from grader.checks.readme.links import ReadmeLinksCheck
from grader.checks.readme.opening import ReadmeOptions

#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (ReadmePresentCheck, ReadmeSectionsCheck, ReadmeCommandsCheck, ReadmeLinksCheck)

__all__ = [
    "CHECKS", "ReadmeCommandsCheck", "ReadmeCommandsOptions", "ReadmeLinksCheck", "ReadmeOptions",
    "ReadmePresentCheck", "ReadmePresentOptions", "ReadmeSectionsCheck", "ReadmeSectionsOptions",
]
