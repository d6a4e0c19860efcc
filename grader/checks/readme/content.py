"""readme.present, readme.sections and readme.commands: what the README set tells a reader, document by document."""

from __future__ import annotations

from pydantic import Field

from grader.analysis.readme.commands import Command, is_run_command, is_setup_command
from grader.analysis.readme.docset import ReadmeSet
from grader.analysis.readme.sections import SectionKind, find_sections
from grader.analysis.readme.template import TemplateVerdict
from grader.checks.base import CheckContext, finding
from grader.checks.readme.opening import MAX_LISTED, ReadmeCheck, ReadmeOptions, template_figures
from grader.models import CheckResult, Finding, Measurement, Severity, Status

# -- readme.present -------------------------------------------------------------------------------------------


class ReadmePresentOptions(ReadmeOptions):
    """What a README must hold beyond its title."""

    min_words: int = Field(25, ge=0, description="fewest words of prose (headings and code excluded); a README "
                           "with fewer that gives commands passes at 0.75 with a warning")


class ReadmePresentCheck(ReadmeCheck[ReadmePresentOptions]):
    """readme.present: a real README at the root, not empty, title-only or an unchanged template."""

    id = "readme.present"
    title = "README present"
    description = ("A README at the root that is more than a title and not a template: not the course's template "
                   "left unchanged, no generator placeholders, and not a description of files the repository lacks.")

    def judge(self, ctx: CheckContext, docs: ReadmeSet, verdict: TemplateVerdict) -> CheckResult:
        """Judge whether the root README has content of the group's own."""
        root = docs.root
        doc = docs.documents[0].document
        words = doc.words()
        measurements: dict[str, Measurement] = {
            "path": root.path, "format": doc.kind, "bytes": root.size, "lines": len(doc.lines), "words": words,
            "headings": len(doc.headings), **template_figures(verdict),
            "documents": [f"{d.path} ({d.origin})" for d in docs.documents],
        }
        if not "".join(doc.lines).strip():
            return self.result(Status.FAILED, 0.0, "the README is empty", measurements,
                               [finding("the README is empty: say what the project does, how to set it up and how to "
                                        "run it", root.path)])
        notes = [finding(f"template placeholder: {text!r}", root.path, n, Severity.WARNING) for n, text in
                 verdict.markers[:MAX_LISTED]]
        if words < self.options.min_words and root.commands:
            # Commands are instructions: a terse README that gives them is no title-only README, whatever its
            # language; it is told to say what the project is, not failed at the gate.
            return self.result(Status.PASSED, 0.75, f"{root.path}: {words} words besides its {len(root.commands)} "
                               f"command line(s)", measurements,
                               [finding(f"the README says little besides its commands ({words} words, "
                                        f"{self.options.min_words} expected): add a few sentences on what the project "
                                        "does and what the commands produce", root.path, severity=Severity.WARNING),
                                *notes])
        if words < self.options.min_words:
            return self.result(Status.FAILED, 0.25, f"only {words} words besides the title (at least "
                               f"{self.options.min_words} expected)", measurements,
                               [finding("the README holds little more than a title: add what the project does, how "
                                        "to set it up and how to run it", root.path), *notes])
        return self.result(Status.PASSED, 1.0, f"{root.path}: {words} words", measurements, notes)


# -- readme.sections ------------------------------------------------------------------------------------------


class ReadmeSectionsOptions(ReadmeOptions):
    """Which kinds of section the README set must have."""

    required: tuple[SectionKind, ...] = Field(("setup", "usage"), description="section kinds that must be present")


class ReadmeSectionsCheck(ReadmeCheck[ReadmeSectionsOptions]):
    """readme.sections: setup and usage sections, judged by heading (English or German) and by content."""

    id = "readme.sections"
    title = "README sections"
    description = ("The README explains how to set up the environment and how to run the code (any heading wording); "
                   "the documents it links inside the repository and a docs/ folder count too.")

    def judge(self, ctx: CheckContext, docs: ReadmeSet, verdict: TemplateVerdict) -> CheckResult:
        """Find which required kinds of section the README set covers, and where."""
        evidence: dict[str, str] = {}
        findings: list[Finding] = []
        for document in docs.documents:
            found, notes = find_sections(document.document, document.path, document.commands)
            findings += notes
            prefix = "" if document.path == docs.root.path else f"{document.path} "
            for kind, label in found.items():
                evidence.setdefault(kind, prefix + label)
        found_kinds = [kind for kind in ("setup", "usage", "data") if kind in evidence]
        missing = [kind for kind in self.options.required if kind not in evidence]
        root_doc = docs.documents[0].document
        measurements: dict[str, Measurement] = {
            "found": list[Measurement](found_kinds), "missing": list[Measurement](missing),
            "evidence": dict[str, Measurement](evidence),
            "headings": list[Measurement](h.text for h in root_doc.headings[:MAX_LISTED]),
            "documents": [d.path for d in docs.documents],
        }
        findings = findings[:MAX_LISTED] + [finding(_MISSING_ADVICE[kind], docs.root.path) for kind in missing]
        required = self.options.required
        score = 1.0 - len(missing) / len(required) if required else 1.0
        summary = (f"missing: {', '.join(missing)}" if missing
                   else f"found: {', '.join(found_kinds) or 'nothing required'}")
        return self.result(Status.FAILED if missing else Status.PASSED, score, summary, measurements, findings)


_MISSING_ADVICE = {
    "setup": "no setup section: say how to create the environment (e.g. `pip install -r requirements.txt`)",
    "usage": "no usage section: give the commands (or the notebooks) that train, evaluate or run the project",
    "data": "no data section: say where the data comes from and where to put it",
}


# -- readme.commands ------------------------------------------------------------------------------------------


class ReadmeCommandsOptions(ReadmeOptions):
    """How many runnable command lines a README set needs."""

    min_commands: int = Field(3, ge=0, description="fewest command lines (e.g. create env, install, run)")


class ReadmeCommandsCheck(ReadmeCheck[ReadmeCommandsOptions]):
    """readme.commands: step-by-step shell commands a reader can copy and run."""

    id = "readme.commands"
    title = "README commands"
    description = ("The README set gives runnable shell commands (code blocks, $-prompts, inline or quoted "
                   "commands), in the root README or the documents it links.")

    def judge(self, ctx: CheckContext, docs: ReadmeSet, verdict: TemplateVerdict) -> CheckResult:
        """Count command lines, each chained line once; usage output, trees and comments do not count."""
        commands = docs.commands
        sources: dict[str, int] = {}
        by_document: dict[str, int] = {}
        for command in commands:
            sources[command.source] = sources.get(command.source, 0) + 1
            by_document[command.path] = by_document.get(command.path, 0) + 1
        measurements: dict[str, Measurement] = {
            "commands": len(commands),
            "root_commands": by_document.get(docs.root.path or "", 0),
            "list": [_listed(c, docs.root.path) for c in commands[:MAX_LISTED]],
            "sources": dict(sorted(sources.items())),
            "by_document": dict[str, Measurement](by_document),
            "setup_commands": sum(1 for c in commands if is_setup_command(c.text)),
            "run_commands": sum(1 for c in commands if is_run_command(c.text)),
        }
        count, needed = len(commands), self.options.min_commands
        if count >= needed:
            return self.result(Status.PASSED, 1.0, f"{count} command line(s)", measurements)
        return self.result(Status.FAILED, count / needed if needed else 1.0,
                           f"{count} command line(s), at least {needed} expected", measurements,
                           [finding("give the commands that set up the environment and run the project, in "
                                    + _SHELL_BLOCK.get(docs.root.document.kind if docs.root.document else "",
                                                       "```bash blocks"), docs.root.path)])


#: How a shell block is written in the README's own markup (the finding's advice).
_SHELL_BLOCK = {"rst": "`.. code-block:: bash` blocks", "text": "lines indented by four spaces"}


def _listed(command: Command, root: str | None) -> str:
    where = "" if command.path == root else f"{command.path} "
    return f"{where}line {command.line}: {command.text[:200]}"
