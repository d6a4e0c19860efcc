"""What every README check shares: the README set found once, a template README scored like a missing one, and
the options that name the course's template README."""

from __future__ import annotations

from abc import abstractmethod
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from pydantic import Field, field_validator

from grader.analysis.readme.docset import ReadmeSet, readme_set
from grader.analysis.readme.home import repository_home
from grader.analysis.readme.template import TemplateVerdict, judge_template
from grader.checks.base import Check, CheckContext, CheckOptions, finding
from grader.models import CheckResult, Measurement, Status

#: Largest template README read from the grader's machine.
_MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_LISTED = 50


class ReadmeOptions(CheckOptions):
    """The course's template README, so that a README left as it was scores like no README in every README check."""

    template_files: tuple[str, ...] = Field(
        (), description="the course's template README(s): local file paths, absolute or relative to the folder "
                        "grader runs in (a URL is not fetched: download it and give the file)")
    template_phrases: tuple[str, ...] = Field(
        (), description="phrases (case-insensitive) of the course template that must not stay unchanged")

    @field_validator("template_files")
    @classmethod
    def _readable_files(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if "://" in name:
                raise ValueError(f"{name!r} is a URL; grader does not fetch it: download the template README and "
                                 "give its file path")
            path = Path(name).expanduser()
            if not path.is_file():
                raise ValueError(f"{name!r}: no such file (give the course template README's path)")
            if path.stat().st_size > _MAX_TEMPLATE_BYTES:
                raise ValueError(f"{name!r}: over {_MAX_TEMPLATE_BYTES} bytes; not a README")
        return value


ReadmeOptionsT = TypeVar("ReadmeOptionsT", bound=ReadmeOptions)


class ReadmeCheck(Check[ReadmeOptionsT]):
    """Shared opening of every README check: find the README set, or fail saying why there is nothing to inspect;
    a template README fails like a missing one, with the reason."""

    @cached_property
    def _templates(self) -> tuple[str, ...]:
        return tuple(Path(name).expanduser().read_text(encoding="utf-8", errors="replace")
                     for name in self.options.template_files)

    def run(self, ctx: CheckContext) -> CheckResult:
        """Judge the README set; a missing, unreadable, linked or template README fails with the reason."""
        docs = readme_set(ctx.tree, repository_home(ctx.submission, ctx.tree))
        root = docs.root
        if root.document is None or root.path is None:
            why = root.problem or "no README"
            return self.result(Status.FAILED, 0.0, why, {"path": root.path},
                               [finding(f"{why}: {_readme_advice(root.path, why)}", root.path)])
        verdict = judge_template(root.document, root.commands, ctx.tree.files(), self._templates,
                                 self.options.template_phrases)
        if verdict.is_template:
            findings = [finding(f"the README is a template, not a description of this project: {verdict.reason}; "
                                "replace it with what the project does, how to set it up and how to run it",
                                root.path)]
            findings += [finding(f"template placeholder left unchanged: {text!r}", root.path, number)
                         for number, text in verdict.markers[:MAX_LISTED]]
            return self.result(Status.FAILED, 0.0, "the README is an unchanged template", template_figures(verdict),
                               findings)
        return self.judge(ctx, docs, verdict)

    @abstractmethod
    def judge(self, ctx: CheckContext, docs: ReadmeSet, verdict: TemplateVerdict) -> CheckResult:
        """The verdict on a README set whose root README was found, parsed and is not a template."""


def _readme_advice(path: str | None, why: str) -> str:
    """What to do about a README that cannot be read, by what was wrong with it."""
    if path is None:
        return ("add a README.md at the root that says what the project does, how to set up its environment and "
                "how to run it")
    if "symbolic link" in why:
        return f"commit the README itself at the root instead of a link to it ({path})"
    if "binary" in why:
        return f"save {path} as plain text (UTF-8 Markdown)"
    if "limit" in why:
        return f"shorten {path} and move long material (logs, tables) into files it links"
    return f"commit {path} again as a readable UTF-8 text file"


def template_figures(verdict: TemplateVerdict) -> dict[str, Measurement]:
    """The template measurements: similarity to the course template, placeholders, overlap with the repository."""
    return {
        "template": verdict.is_template,
        "template_similarity": None if verdict.similarity is None else round(verdict.similarity, 3),
        "template_markers": [f"line {n}: {text}" for n, text in verdict.markers[:MAX_LISTED]],
        "referenced": verdict.referenced, "referenced_existing": verdict.existing,
        "referenced_absent": list(verdict.absent),
    }
