"""The paper's LaTeX source, where the repository holds it: document class and options as evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.files import SubmissionTree

TITLE = re.compile(r"^[^%\n]*?\\title\s*(?:\[[^\]]*\])?\s*\{", re.MULTILINE)
WORD = re.compile(r"[^\W\d_]{3,}")
DOCUMENTCLASS = re.compile(r"^[^%\n]*?\\documentclass\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}", re.MULTILINE)
#: .tex files read at most (a repository may vendor a whole template collection).
MAX_TEX_FILES = 200


@dataclass(frozen=True)
class LatexSource:
    """A main .tex file: where it is, its class and options, and the line of the \\documentclass."""

    path: str
    line: int
    latex_class: str
    options: tuple[str, ...]
    #: Words of the \\title{...}, lower-cased, commands dropped; empty when the source has no title.
    title_words: frozenset[str] = frozenset()


def find_sources(tree: SubmissionTree) -> list[LatexSource]:
    """Every .tex file with a \\documentclass, with its class and options."""
    found: list[LatexSource] = []
    for rel in tree.with_suffix(".tex")[:MAX_TEX_FILES]:
        text = tree.read_text(rel)
        if text is None:
            continue
        match = DOCUMENTCLASS.search(text)
        if match is None:
            continue
        options = tuple(o.strip() for o in (match.group(1) or "").split(",") if o.strip())
        line = text.count("\n", 0, match.start()) + 1
        found.append(LatexSource(rel, line, match.group(2).strip(), options, _title_words(text)))
    return found


def _title_words(text: str) -> frozenset[str]:
    """Words of the first \\title{...} argument (balanced braces, LaTeX commands removed)."""
    match = TITLE.search(text)
    if match is None:
        return frozenset()
    depth, end = 1, match.end()
    while end < len(text) and depth and end - match.end() < 2000:
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
    body = re.sub(r"\\[a-zA-Z]+\*?", " ", text[match.end() : end - 1])
    return frozenset(w.lower() for w in WORD.findall(body))


def source_for(sources: list[LatexSource], pdf_path: str) -> LatexSource | None:
    """The source that most likely produced `pdf_path`: same stem, else same folder, else the only one."""
    stem = pdf_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    folder = pdf_path.rsplit("/", 1)[0] if "/" in pdf_path else ""
    for source in sources:
        if source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] == stem:
            return source
    same_folder = [s for s in sources if (s.path.rsplit("/", 1)[0] if "/" in s.path else "") == folder]
    if len(same_folder) == 1:
        return same_folder[0]
    return sources[0] if len(sources) == 1 else None


def expected_family(source: LatexSource) -> str | None:
    """The family a source should compile to, where its class says so."""
    cls = source.latex_class.lower()
    if cls == "ieeetran":
        if "journal" in source.options or "transmag" in source.options:
            return "ieeetran-journal"
        return "ieeetran-conference" if "conference" in source.options else None
    if cls == "article":
        return "other-two-column" if "twocolumn" in source.options else "one-column"
    return None


def disagreement(source: LatexSource, family: str, page_size: str, pdf_title: str = "") -> str | None:
    """Why the PDF does not look like what its source would produce, or None when they agree."""
    pdf_words = {w.lower() for w in WORD.findall(pdf_title)}
    shared = len(source.title_words & pdf_words)
    if len(source.title_words) >= 2 and pdf_words and shared < 0.5 * len(source.title_words):
        return (f"{source.path} has a different title than the PDF ({pdf_title[:80]!r}): is the PDF stale or "
                "from another source?")
    expected = expected_family(source)
    if expected is not None and family not in (expected, "no-text") and not (
        expected == "other-two-column" and family == "ieee-spconf"
    ):
        return (f"{source.path} uses \\documentclass[{','.join(source.options)}]{{{source.latex_class}}} "
                f"but the PDF looks like {family}: is the PDF stale or from another source?")
    if source.latex_class.lower() == "ieeetran" and page_size in ("letter", "a4"):
        wants_a4 = "a4paper" in source.options
        if wants_a4 != (page_size == "a4"):
            return f"{source.path} asks for {'A4' if wants_a4 else 'US letter'} paper but the PDF is {page_size}"
    return None
