"""Finding the root README and reading it once per tree: its path, parsed document and command lines."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from grader.analysis.readme.commands import Command, commands_in
from grader.analysis.readme.document import Document, DocumentError, parse_document
from grader.files import SubmissionTree, UnsafePathError, decode_text

#: README names in order of preference when a root holds several (README.md beats README.txt).
_README_SUFFIXES = (".md", ".markdown", ".rst", ".txt", "")
#: Largest README read; a bigger one is reported, not parsed.
_MAX_README_BYTES = 2 * 1024 * 1024

@dataclass(frozen=True)
class Readme:
    """The root README as found: its path, parsed document, and why it could not be read (if so)."""

    path: str | None
    document: Document | None
    size: int = 0
    problem: str | None = None
    #: The README's command lines, found once for every check that needs them.
    commands: tuple[Command, ...] = ()


def find_readme(tree: SubmissionTree) -> Readme:
    """The root README, read and parsed once per tree; links are never followed."""
    return tree.memo("readme.readme", lambda: _load_readme(tree))


def _is_readme_name(name: str) -> bool:
    lowered = name.lower()
    return lowered == "readme" or any(lowered == "readme" + s for s in _README_SUFFIXES if s)


def _load_readme(tree: SubmissionTree) -> Readme:
    candidates = [f for f in tree.files() if "/" not in f and _is_readme_name(f)]
    if not candidates:
        linked = [n.path for n in tree.notes if "/" not in n.path and _is_readme_name(n.path)]
        if linked:
            return Readme(linked[0], None, problem="the README is a symbolic link; it is not followed")
        return Readme(None, None, problem="no README at the root of the submission")
    path = min(candidates, key=lambda f: _README_SUFFIXES.index(posixpath.splitext(f.lower())[1])
               if posixpath.splitext(f.lower())[1] in _README_SUFFIXES else len(_README_SUFFIXES))
    size = tree.size(path)
    if size > _MAX_README_BYTES:
        return Readme(path, None, size, f"{size} bytes, over the {_MAX_README_BYTES}-byte limit for a README")
    try:
        text = decode_text(tree.read_bytes(path, _MAX_README_BYTES))
    except (OSError, UnsafePathError) as exc:
        return Readme(path, None, size, f"the README cannot be read: {exc}")
    if text is None:
        return Readme(path, None, size, "the README is a binary file")
    try:
        document = parse_document(text, path)
    except DocumentError as exc:
        return Readme(path, None, size, f"the README could not be parsed: {exc}")
    return Readme(path, document, size, commands=tuple(commands_in(document)))


