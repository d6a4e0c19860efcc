"""README checks: present, sections, runnable commands, links and referenced files."""

from __future__ import annotations

import posixpath
import re
from abc import abstractmethod
from urllib.parse import unquote

from pydantic import Field

from grader.analysis.readme.commands import Command, is_run_command, is_setup_command
from grader.analysis.readme.document import Document
from grader.analysis.readme.find import Readme, find_readme
from grader.analysis.readme.sections import SectionKind, find_sections
from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, OptionsT, finding
from grader.files import SubmissionTree, UnsafePathError
from grader.models import CheckResult, Finding, Measurement, Severity, Status

#: Placeholders left in generated or course-template READMEs (cookiecutter, Best-README-Template, GitLab's default).
_TEMPLATE_MARKERS = (
    r"\{\{\s*cookiecutter\.", r"\{\{\s*[\w.]+\s*\}\}", r"github_username", r"repo_name", r"your_username",
    r"project_title", r"an awesome readme template", r"one paragraph of project description",
    r"just edit this readme\.md and make it your own", r"here's a list of recommended next steps",
    r"<\s*(?:your|project|group|team)[ _-]?(?:name|title|members?)\s*>", r"\[(?:your|project|group) (?:name|title)\]",
    r"lorem ipsum", r"describe your project here", r"add (?:a |your )?(?:short )?description here",
    r"replace this (?:text|line|section)", r"insert (?:project|group) (?:name|title)",
)
_MAX_LISTED = 50


class _ReadmeCheck(Check[OptionsT]):
    """Shared opening of every README check: find the README, or fail saying why there is none to inspect."""

    def run(self, ctx: CheckContext) -> CheckResult:
        """Judge the parsed README; a missing, unreadable or linked README fails with the reason."""
        readme = find_readme(ctx.tree)
        if readme.document is None:
            why = readme.problem or "no README"
            return self.result(Status.FAILED, 0.0, why, {"path": readme.path}, [finding(why, readme.path)])
        return self.judge(ctx, readme, readme.document, readme.path or "README")

    @abstractmethod
    def judge(self, ctx: CheckContext, readme: Readme, doc: Document, path: str) -> CheckResult:
        """The verdict on a README that was found and parsed (`path` is its path in the submission)."""


# -- readme.present -------------------------------------------------------------------------------------------


class ReadmePresentOptions(CheckOptions):
    """What a README must hold beyond its title."""

    min_words: int = Field(25, ge=0, description="fewest words of prose (headings and code excluded)")
    template_phrases: tuple[str, ...] = Field(
        (), description="extra phrases (case-insensitive) of the course template that must not stay unchanged")


class ReadmePresentCheck(_ReadmeCheck[ReadmePresentOptions]):
    """readme.present: a real README at the root, not empty, title-only or an unchanged template."""

    id = "readme.present"
    title = "README present"
    description = "A README at the root that is more than a title and not an unchanged template."

    def judge(self, ctx: CheckContext, readme: Readme, doc: Document, path: str) -> CheckResult:
        """Find the README and judge whether it has content of the group's own."""
        options = self.options
        words = doc.words()
        markers = _template_markers(doc, options.template_phrases)
        measurements: dict[str, Measurement] = {
            "path": readme.path, "format": doc.kind, "bytes": readme.size, "lines": len(doc.lines),
            "words": words, "headings": len(doc.headings),
            "template_markers": [f"line {n}: {text}" for n, text in markers[:_MAX_LISTED]],
        }
        if not "".join(doc.lines).strip():
            return self.result(Status.FAILED, 0.0, "the README is empty", measurements,
                               [finding("the README is empty", readme.path)])
        distinct = {text.lower() for _, text in markers}
        if len(distinct) >= 2 or any("cookiecutter" in t for t in distinct):
            found = [finding(f"template placeholder left unchanged: {text!r}", readme.path, n) for n, text in markers]
            return self.result(Status.FAILED, 0.25, "the README is an unchanged template", measurements,
                               found[:_MAX_LISTED])
        if words < options.min_words:
            return self.result(Status.FAILED, 0.25, f"only {words} words besides the title (at least "
                               f"{options.min_words} expected)", measurements,
                               [finding("the README holds little more than a title", readme.path)])
        notes = [finding(f"template placeholder: {text!r}", readme.path, n, Severity.WARNING) for n, text in markers]
        return self.result(Status.PASSED, 1.0, f"{readme.path}: {words} words", measurements, notes)


def _template_markers(doc: Document, extra: tuple[str, ...]) -> list[tuple[int, str]]:
    """Lines holding a template placeholder, with the placeholder as written."""
    alternatives = [*_TEMPLATE_MARKERS, *(re.escape(p) for p in extra if p.strip())]
    pattern = re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)
    found: list[tuple[int, str]] = []
    for number, line in enumerate(doc.lines, 1):
        found.extend((number, match.group(0)) for match in pattern.finditer(line[:5000]))
    return found


# -- readme.sections ------------------------------------------------------------------------------------------


class ReadmeSectionsOptions(CheckOptions):
    """Which kinds of section the README must have."""

    required: tuple[SectionKind, ...] = Field(("setup", "usage"), description="section kinds that must be present")


class ReadmeSectionsCheck(_ReadmeCheck[ReadmeSectionsOptions]):
    """readme.sections: setup and usage sections, judged by heading (English or German) and by content."""

    id = "readme.sections"
    title = "README sections"
    description = "The README explains how to set up the environment and how to run the code (any heading wording)."

    def judge(self, ctx: CheckContext, readme: Readme, doc: Document, path: str) -> CheckResult:
        """Find which required kinds of section the README covers."""
        options = self.options
        evidence, findings = find_sections(doc, path, readme.commands)
        findings = findings[:_MAX_LISTED]
        found = [kind for kind in ("setup", "usage", "data") if kind in evidence]
        missing = [kind for kind in options.required if kind not in evidence]
        measurements: dict[str, Measurement] = {
            "found": list[Measurement](found), "missing": list[Measurement](missing),
            "evidence": dict[str, Measurement](evidence),
            "headings": list[Measurement](h.text for h in doc.headings[:_MAX_LISTED]),
        }
        for kind in missing:
            findings.append(finding(_MISSING_ADVICE[kind], readme.path))
        score = 1.0 - len(missing) / len(options.required) if options.required else 1.0
        status = Status.FAILED if missing else Status.PASSED
        summary = f"missing: {', '.join(missing)}" if missing else f"found: {', '.join(found) or 'nothing required'}"
        return self.result(status, score, summary, measurements, findings)


_MISSING_ADVICE = {
    "setup": "no setup section: say how to create the environment (e.g. `pip install -r requirements.txt`)",
    "usage": "no usage section: give the commands (or the notebooks) that train, evaluate or run the project",
    "data": "no data section: say where the data comes from and where to put it",
}


# -- readme.commands ------------------------------------------------------------------------------------------


class ReadmeCommandsOptions(CheckOptions):
    """How many runnable command lines a README needs."""

    min_commands: int = Field(3, ge=0, description="fewest command lines (e.g. create env, install, run)")


class ReadmeCommandsCheck(_ReadmeCheck[ReadmeCommandsOptions]):
    """readme.commands: step-by-step shell commands a reader can copy and run."""

    id = "readme.commands"
    title = "README commands"
    description = "The README gives runnable shell commands (code blocks, $-prompts, inline or quoted commands)."

    def judge(self, ctx: CheckContext, readme: Readme, doc: Document, path: str) -> CheckResult:
        """Count command lines, each chained line once; usage output, trees and comments do not count."""
        options = self.options
        commands = readme.commands
        sources: dict[str, int] = {}
        for command in commands:
            sources[command.source] = sources.get(command.source, 0) + 1
        measurements: dict[str, Measurement] = {
            "commands": len(commands),
            "list": [f"line {c.line}: {c.text[:200]}" for c in commands[:_MAX_LISTED]],
            "sources": dict(sorted(sources.items())),
            "setup_commands": sum(1 for c in commands if is_setup_command(c.text)),
            "run_commands": sum(1 for c in commands if is_run_command(c.text)),
        }
        count = len(commands)
        if count >= options.min_commands:
            return self.result(Status.PASSED, 1.0, f"{count} command line(s)", measurements)
        score = count / options.min_commands if options.min_commands else 1.0
        return self.result(Status.FAILED, score, f"{count} command line(s), at least {options.min_commands} expected",
                           measurements, [finding("give the commands that set up the environment and run the "
                                                  "project, in ```bash blocks", readme.path)])


# -- readme.links ---------------------------------------------------------------------------------------------

#: File names a README mentions that must exist: scripts, notebooks, environment and config files, papers.
_NAMED_FILE = re.compile(
    r"(?<![\w/.:@-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:py|ipynb|sh|ya?ml|toml|cfg|ini|pdf|txt))(?![\w/-])", re.IGNORECASE)
_NOT_A_FILE = re.compile(r"\b[a-z][\w+.-]{0,30}://\S+|\bwww\.\S+|[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"
                         r"|\[[^\[\]\n]{0,500}\]\([^()\n]{0,2000}\)|<[^<>\n]{0,500}>")
#: Options whose value is a file the command reads (so it must exist), unlike `--output` and friends.
_INPUT_FLAGS = frozenset({"-r", "--requirement", "-c", "--constraint", "-f", "--file", "--config", "--cfg",
                          "--config-file", "--env-file", "--config-name", "-e"})
_PLACEHOLDER = re.compile(r"path/to|your[_-]|<|>|\{|\}|\*|\.\.\.|\bexample\b|^\.\w+$", re.IGNORECASE)


class ReadmeLinksCheck(_ReadmeCheck[CheckOptions]):
    """readme.links: relative links, images and named files resolve inside the checkout."""

    id = "readme.links"
    title = "README links and files"
    description = "Relative links and images resolve, and files the README names (requirements, scripts) exist."

    def judge(self, ctx: CheckContext, readme: Readme, doc: Document, path: str) -> CheckResult:
        """Resolve every local reference without following links; external URLs are only counted."""
        tree = ctx.tree
        broken: list[Finding] = []
        targets: list[Measurement] = []
        checked = external = 0
        seen: set[tuple[str, int]] = set()
        own_repo = _github_repo(ctx.submission.source)
        for link in doc.links:
            target = link.target.strip()
            own = _own_repo_path(target, own_repo)
            if own is None and (re.match(r"^[a-z][\w+.-]*:", target, re.IGNORECASE) or target.startswith("//")):
                external += 1
                continue
            local = own if own is not None else unquote(target.split("#", 1)[0].split("?", 1)[0])
            if not local or (local, link.line) in seen:
                continue
            seen.add((local, link.line))
            checked += 1
            reason = _resolve(tree, local)
            if reason:
                kind = "image" if link.image else "link"
                broken.append(finding(f"{kind} {target!r} {reason}", path, link.line))
                targets.append(f"{local} (line {link.line})")
        named = {local for local, _ in seen}
        for name, line in _named_files(doc, readme.commands):
            if name in named:
                continue  # each file is checked once, at the first line that names it
            named.add(name)
            checked += 1
            if not _named_file_exists(tree, name):
                broken.append(finding(f"names {name!r}, which is not in the submission", path, line))
                targets.append(f"{name} (line {line})")
        measurements: dict[str, Measurement] = {
            "checked": checked, "external": external,
            "broken": targets[:_MAX_LISTED], "broken_count": len(broken),
        }
        if not broken:
            return self.result(Status.PASSED, 1.0, f"{checked} local reference(s) resolve", measurements)
        score = 1.0 - len(broken) / checked
        return self.result(Status.FAILED, score, f"{len(broken)} of {checked} local reference(s) broken",
                           measurements, broken[:_MAX_LISTED])


_GITHUB_SOURCE = re.compile(r"github\.com[:/]+([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", re.IGNORECASE)
_GITHUB_FILE = re.compile(
    r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)/(?:blob|tree|raw)/[^/]+/([^?#]+)"
    r"|^https?://raw\.githubusercontent\.com/([\w.-]+)/([\w.-]+)/[^/]+/([^?#]+)", re.IGNORECASE)


def _github_repo(source: str) -> tuple[str, str] | None:
    """The (owner, name) of a GitHub source URL, lower-cased; None for anything else."""
    match = _GITHUB_SOURCE.search(source.strip())
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def _own_repo_path(target: str, repo: tuple[str, str] | None) -> str | None:
    """The checkout path a link to a file of the group's own GitHub repository points at (any branch)."""
    match = _GITHUB_FILE.match(target) if repo else None
    if not match:
        return None
    owner, name, rel = (match.group(1), match.group(2), match.group(3)) if match.group(1) \
        else (match.group(4), match.group(5), match.group(6))
    return unquote(rel) if (owner.lower(), name.lower()) == repo else None


def _resolve(tree: SubmissionTree, target: str) -> str | None:
    """Why a README-relative target does not resolve inside the tree, or None when it does."""
    normal = posixpath.normpath(target.lstrip("/") if target.startswith("/") else target)
    if normal == ".":
        return None
    if normal.startswith("../") or normal == ".." or posixpath.isabs(normal):
        return "points outside the submission"
    try:
        tree.abspath(normal)
    except UnsafePathError:
        return "goes through a symbolic link (not followed)"
    except OSError:
        return "does not exist"
    return None


def _named_files(doc: Document, commands: tuple[Command, ...]) -> list[tuple[str, int]]:
    """Files named in prose, inline code and commands, with the line that names them."""
    found: list[tuple[str, int]] = []
    for number, text in doc.prose:
        cleaned = _NOT_A_FILE.sub(" ", text)
        found.extend((name, number) for name in _file_names(cleaned))
    for command in commands:
        if "git clone" in command.text:
            continue  # files named after a clone belong to the other repository
        tokens = _NOT_A_FILE.sub(" ", command.text).replace("&&", " ").split()
        for index, token in enumerate(tokens[1:], 1):
            before = tokens[index - 1]
            if before.startswith(("-", ">", "<", "|")) and before.split("=")[0] not in _INPUT_FLAGS:
                continue  # an output path or an option's value the command may create
            found.extend((name, command.line) for name in _file_names(token.split("=")[-1]))
    return found


def _file_names(text: str) -> list[str]:
    names = []
    for match in _NAMED_FILE.finditer(text):
        name = match.group(1).rstrip(".")
        base = posixpath.basename(name).lower()
        if base.endswith(".txt") and not base.startswith(("requirements", "constraints")):
            continue  # other .txt names are mostly data files or outputs, not files a reader needs
        if not _PLACEHOLDER.search(name) and "." in base:
            names.append(name)
    return names


def _named_file_exists(tree: SubmissionTree, name: str) -> bool:
    """Whether a mentioned file exists at that path, or anywhere when it is named bare or after a `cd`."""
    normal = posixpath.normpath(name.removeprefix("./"))
    if normal.startswith(".."):
        return True  # paths relative to some other folder the reader cd'ed into: nothing to check safely
    if tree.exists(normal):
        return True
    suffix = "/" + normal.lower()
    return any(f.lower().endswith(suffix) or f.lower() == normal.lower() for f in tree.files())


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (ReadmePresentCheck, ReadmeSectionsCheck, ReadmeCommandsCheck, ReadmeLinksCheck)

__all__ = ["CHECKS"]
