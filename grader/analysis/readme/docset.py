"""The README as a set of documents: the root README, the documents it links inside the repository (relative
links and absolute URLs into the repository itself, one level deep), and a `docs/` folder.

A top README that says "the walkthrough is in scripts/README.md" hands setup and usage over to that document;
sections and commands may come from any document of the set, and evidence names the file and line.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from urllib.parse import unquote

from grader.analysis.readme.commands import Command, commands_in
from grader.analysis.readme.document import Document, DocumentError, parse_document
from grader.analysis.readme.find import Readme, find_readme
from grader.analysis.readme.home import RepositoryHome, paths_in_home
from grader.files import SubmissionTree, UnsafePathError, decode_text

#: Most documents besides the root README (a docs/ folder of a generated site may hold hundreds).
MAX_DOCUMENTS = 12
#: Largest linked document read, and the most text read from all of them together (a hostile set of documents
#: costs markdown-it a few seconds per 100 KB; real ones are a few kilobytes).
MAX_DOCUMENT_BYTES = 100 * 1024
MAX_SET_BYTES = 200 * 1024
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".rest", ".txt")
_DOCS_FOLDERS = ("docs", "doc", "documentation")
#: A document path named in prose or inline code (`see scripts/README.md`), not only linked.
_NAMED_DOC = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.(?:md|markdown|rst))(?![\w/-])", re.IGNORECASE)


@dataclass(frozen=True)
class ReadmeDocument:
    """One document of the README set, parsed, with its commands and why it belongs to the set."""

    path: str
    document: Document
    commands: tuple[Command, ...]
    #: "root README", "linked from README.md:12", "named in README.md:3" or "docs folder".
    origin: str


@dataclass(frozen=True)
class ReadmeSet:
    """The root README and the documents it hands over to; `documents` starts with the root when it parsed."""

    root: Readme
    documents: tuple[ReadmeDocument, ...] = ()

    @property
    def commands(self) -> tuple[Command, ...]:
        """Every command of every document, document by document, each naming its document in `path`."""
        return tuple(c for d in self.documents for c in d.commands)

    @property
    def others(self) -> tuple[ReadmeDocument, ...]:
        """The documents besides the root README."""
        return tuple(d for d in self.documents if d.path != self.root.path)


def readme_set(tree: SubmissionTree, home: RepositoryHome | None = None) -> ReadmeSet:
    """The README set, once per tree and repository home (which absolute links are the repository's own)."""
    key = "readme.set" if home is None else f"readme.set:{home.host}/{home.path}"
    return tree.memo(key, lambda: _load_set(tree, home))


def _load_set(tree: SubmissionTree, home: RepositoryHome | None) -> ReadmeSet:
    root = find_readme(tree)
    if root.document is None or root.path is None:
        return ReadmeSet(root)
    documents = [ReadmeDocument(root.path, root.document, tuple(replace(c, path=root.path) for c in root.commands),
                                "root README")]
    seen = {root.path}
    budget = MAX_SET_BYTES
    for rel, origin in [*_handed_over(tree, root.path, root.document, home), *_docs_folder(tree)]:
        if rel in seen or len(documents) > MAX_DOCUMENTS:
            continue
        seen.add(rel)
        budget -= _size(tree, rel)
        if budget < 0:
            break
        document = _parse(tree, rel)
        if document is not None:
            commands = tuple(replace(c, path=rel) for c in commands_in(document))
            documents.append(ReadmeDocument(rel, document, commands, origin))
    return ReadmeSet(root, tuple(documents))


def _handed_over(tree: SubmissionTree, path: str, doc: Document, home: RepositoryHome | None) -> list[tuple[str, str]]:
    """Documents the root README links or names, in reading order, as checkout paths."""
    found: list[tuple[str, str]] = []
    for link in doc.links:
        if link.image:
            continue
        for rel in local_targets(link.target, path, home):
            target = _document_at(tree, rel)
            if target is not None:
                found.append((target, f"linked from {path}:{link.line}"))
                break
    for number, text in [*doc.prose, *doc.inline_code]:
        for match in _NAMED_DOC.finditer(text):
            target = _document_at(tree, posixpath.normpath(match.group(1).removeprefix("./")))
            if target is not None:
                found.append((target, f"named in {path}:{number}"))
    return found


def local_targets(target: str, doc_path: str, home: RepositoryHome | None) -> list[str]:
    """The checkout paths a link may mean: a relative link against its document's folder (`../x` when it leaves
    the checkout, for the caller to refuse), an absolute URL into the repository itself; empty for links to
    other places and for anchors."""
    target = target.strip()
    own = paths_in_home(target, home)
    if own is not None:
        return [posixpath.normpath(p) if p else "." for p in own]
    if re.match(r"^[a-z][\w+.-]*:", target, re.IGNORECASE) or target.startswith(("//", "#")):
        return []
    local = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not local:
        return []
    base = "" if local.startswith("/") else posixpath.dirname(doc_path)
    return [posixpath.normpath(posixpath.join(base, local.lstrip("/")))]


def _document_at(tree: SubmissionTree, rel: str) -> str | None:
    """The readable document a path names: the file itself, or a folder's README."""
    if rel in ("", ".") or rel.startswith(".."):
        return None
    if rel.lower().endswith(_DOC_SUFFIXES) and rel in _file_set(tree):
        return rel
    readmes = [f for f in tree.files() if posixpath.dirname(f) == rel and f.rsplit("/", 1)[-1].lower()
               .startswith("readme") and f.lower().endswith(_DOC_SUFFIXES)]
    return min(readmes) if readmes else None


def _file_set(tree: SubmissionTree) -> frozenset[str]:
    return tree.memo("readme.files", lambda: frozenset(tree.files()))


def _docs_folder(tree: SubmissionTree) -> list[tuple[str, str]]:
    found = [f for f in tree.files() if f.split("/", 1)[0].lower() in _DOCS_FOLDERS and f.count("/") <= 2
             and f.lower().endswith(_DOC_SUFFIXES[:4])]
    return [(f, "docs folder") for f in sorted(found, key=lambda f: (f.count("/"), f))]


def _size(tree: SubmissionTree, rel: str) -> int:
    try:
        return tree.size(rel)
    except (OSError, UnsafePathError):
        return 0


def _parse(tree: SubmissionTree, rel: str) -> Document | None:
    try:
        if tree.size(rel) > MAX_DOCUMENT_BYTES:
            return None
        text = decode_text(tree.read_bytes(rel, MAX_DOCUMENT_BYTES))
        return parse_document(text, rel) if text is not None else None
    except (OSError, UnsafePathError, DocumentError):
        return None
