"""readme.links: the links, images and file names of every document of the README set resolve in the checkout."""

from __future__ import annotations

import posixpath
import re

from grader.analysis.readme.commands import Command
from grader.analysis.readme.docset import ReadmeDocument, ReadmeSet, local_targets
from grader.analysis.readme.document import Document
from grader.analysis.readme.home import repository_home
from grader.analysis.readme.template import TemplateVerdict
from grader.checks.base import CheckContext, finding
from grader.checks.readme.opening import MAX_LISTED, ReadmeCheck, ReadmeOptions
from grader.files import SubmissionTree, UnsafePathError
from grader.models import CheckResult, Finding, Measurement, Status

#: File names a README mentions that must exist: scripts, notebooks, environment and config files, papers.
_NAMED_FILE = re.compile(
    r"(?<![\w/.:@-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:py|ipynb|sh|ya?ml|toml|cfg|ini|pdf|txt))(?![\w/-])", re.IGNORECASE)
_NOT_A_FILE = re.compile(r"\b[a-z][\w+.-]{0,30}://\S+|\bwww\.\S+|[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"
                         r"|\[[^\[\]\n]{0,500}\]\([^()\n]{0,2000}\)|<[^<>\n]{0,500}>")
#: Options whose value is a file the command reads (so it must exist), unlike `--output` and friends.
_INPUT_FLAGS = frozenset({"-r", "--requirement", "-c", "--constraint", "-f", "--file", "--config", "--cfg",
                          "--config-file", "--env-file", "--config-name", "-e"})
_PLACEHOLDER = re.compile(r"path/to|your[_-]|<|>|\{|\}|\*|\.\.\.|\bexample\b|^\.\w+$", re.IGNORECASE)


class ReadmeLinksCheck(ReadmeCheck[ReadmeOptions]):
    """readme.links: relative links, links into the repository itself, images and named files resolve."""

    id = "readme.links"
    title = "README links and files"
    description = ("Relative links and images resolve, links to the repository's own files by absolute URL (any "
                   "host) resolve like relative ones, and files the README set names (requirements, scripts) exist.")

    def judge(self, ctx: CheckContext, docs: ReadmeSet, verdict: TemplateVerdict) -> CheckResult:
        """Resolve every local reference of every document without following links; other URLs are counted."""
        home = repository_home(ctx.submission, ctx.tree)
        broken: list[Finding] = []
        targets: list[Measurement] = []
        checked = external = 0
        for document in docs.documents:
            seen: set[str] = set()
            for link in document.document.links:
                candidates = local_targets(link.target, document.path, home)
                if not candidates:
                    external += bool(re.match(r"^[a-z][\w+.-]*:|^//", link.target.strip(), re.IGNORECASE))
                    continue
                if (candidates[0], link.line) in {(s, link.line) for s in seen}:
                    continue
                seen.add(candidates[0])
                checked += 1
                reasons = [_resolve(ctx.tree, c) for c in candidates]
                if all(reasons):
                    kind = "image" if link.image else "link"
                    broken.append(finding(f"{kind} {link.target.strip()!r} {reasons[0]}: fix the path or add the "
                                          "file", document.path, link.line))
                    targets.append(f"{_where(document, docs)}{candidates[0]} (line {link.line})")
            for name, line in _named_files(document.document, document.commands):
                if name in seen:
                    continue  # each file is checked once per document, at the first line that names it
                seen.add(name)
                checked += 1
                if not _named_file_exists(ctx.tree, name):
                    broken.append(finding(f"names {name!r}, which is not in the submission: fix the name or commit "
                                          "the file", document.path, line))
                    targets.append(f"{_where(document, docs)}{name} (line {line})")
        measurements: dict[str, Measurement] = {
            "checked": checked, "external": external, "documents": len(docs.documents),
            "broken": targets[:MAX_LISTED], "broken_count": len(broken),
        }
        if not broken:
            return self.result(Status.PASSED, 1.0, f"{checked} local reference(s) resolve", measurements)
        return self.result(Status.FAILED, 1.0 - len(broken) / checked, f"{len(broken)} of {checked} local "
                           "reference(s) broken", measurements, broken[:MAX_LISTED])


def _where(document: ReadmeDocument, docs: ReadmeSet) -> str:
    return "" if document.path == docs.root.path else f"{document.path}: "


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
