"""Is the README a template? Compared with the course's template README when the rubric names one, searched for
the template's phrases and for generators' placeholders, and measured against the repository itself: a README
that describes files, modules and commands the repository does not have, and none that it does, was written
for another project (the course template's instructions, a cookiecutter), not for this one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from grader.analysis.readme.commands import Command
from grader.analysis.readme.document import Document

#: Placeholders left in generated or course-template READMEs (cookiecutter, Best-README-Template, GitLab's default).
TEMPLATE_MARKERS = (
    r"\{\{\s*cookiecutter\.", r"\{\{\s*[\w.]+\s*\}\}", r"github_username", r"repo_name", r"your_username",
    r"project_title", r"an awesome readme template", r"one paragraph of project description",
    r"just edit this readme\.md and make it your own", r"here's a list of recommended next steps",
    r"<\s*(?:your|project|group|team)[ _-]?(?:name|title|members?)\s*>", r"\[(?:your|project|group) (?:name|title)\]",
    r"lorem ipsum", r"describe your project here", r"add (?:a |your )?(?:short )?description here",
    r"replace this (?:text|line|section)", r"insert (?:project|group) (?:name|title)",
)
#: Share of the course template's word triples a README may keep and still count as unchanged.
UNCHANGED_SIMILARITY = 0.85
#: Fewest references before "none of them exists" says anything.
MIN_REFERENCES = 3
_MAX_LISTED = 10
#: File names a README mentions: scripts, notebooks, configuration and environment files, folders with a slash.
_NAMED = re.compile(r"(?<![\w/.:@-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:py|ipynb|sh|ya?ml|toml|cfg|json|txt))(?![\w/-])",
                    re.IGNORECASE)
_MODULE_RUN = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")


@dataclass(frozen=True)
class TemplateVerdict:
    """Whether the README is a template, why, and the overlap with the repository that was measured."""

    is_template: bool
    reason: str = ""
    #: Word-triple similarity to the course's template README (None when the rubric names none).
    similarity: float | None = None
    #: (line, placeholder) for every generator placeholder or template phrase found.
    markers: tuple[tuple[int, str], ...] = ()
    #: Files, modules and scripts the README names, and how many of them the repository has.
    referenced: int = 0
    existing: int = 0
    absent: tuple[str, ...] = ()


def judge_template(
    doc: Document, commands: Iterable[Command], files: list[str], templates: Iterable[str] = (),
    phrases: Iterable[str] = (),
) -> TemplateVerdict:
    """The verdict on one README: unchanged course template, placeholders, or a description of another project
    (judged only where the repository has code of its own to compare the description with)."""
    markers = tuple(_markers(doc, phrases))
    similarity = max((_similarity("\n".join(doc.lines), t) for t in templates), default=None)
    names = _references(doc, commands)
    present = [n for n in names if _exists(n, files)]
    absent = tuple(n for n in names if n not in present)
    measured = TemplateVerdict(False, "", similarity, markers, len(names), len(present), absent[:_MAX_LISTED])
    if similarity is not None and similarity >= UNCHANGED_SIMILARITY:
        return replace(measured, is_template=True,
                       reason=f"the course's template README, unchanged ({similarity:.0%} the same)")
    distinct = {text.lower() for _, text in markers}
    if len(distinct) >= 2 or any("cookiecutter" in t for t in distinct):
        return replace(measured, is_template=True,
                       reason="template placeholders left unchanged: " + ", ".join(sorted(distinct)[:3]))
    has_code = any(f.lower().endswith((".py", ".ipynb")) for f in files)
    if len(names) >= MIN_REFERENCES and not present and has_code:
        return replace(measured, is_template=True,
                       reason=f"it describes {len(names)} files, modules and commands the repository does not have "
                              f"({', '.join(absent[:3])}...) and none that it does")
    return measured


def _markers(doc: Document, phrases: Iterable[str]) -> list[tuple[int, str]]:
    alternatives = [*TEMPLATE_MARKERS, *(re.escape(p.strip()) for p in phrases if p.strip())]
    pattern = re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)
    return [(number, match.group(0)) for number, line in enumerate(doc.lines, 1)
            for match in pattern.finditer(line[:5000])]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())[:200_000]
    return {tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2))}


def _similarity(text: str, template: str) -> float:
    """Share of the template's word triples the README still holds, scaled down when the README adds much more."""
    mine, theirs = _shingles(text), _shingles(template)
    if not theirs or not mine:
        return 0.0
    kept = len(mine & theirs) / len(theirs)
    added = len(mine - theirs) / len(mine)
    return kept * (1.0 - added)


def _references(doc: Document, commands: Iterable[Command]) -> list[str]:
    """Files, modules and scripts the README names, each once, in reading order (URLs and e-mails left out)."""
    found: dict[str, None] = {}
    texts = [t for _, t in doc.prose] + [t for _, t in doc.inline_code] + [c.text for c in commands]
    for text in texts:
        text = re.sub(r"\b[a-z][\w+.-]{0,30}://\S+|\bwww\.\S+|(?<!\S)[^\s@]*@\S*", " ", text)
        for match in _NAMED.finditer(text):
            name = match.group(1).removeprefix("./").rstrip(".")
            if not re.search(r"path/to|your[_-]|<|>|\{|\}|\*|example", name, re.IGNORECASE):
                found.setdefault(name, None)
        for match in _MODULE_RUN.finditer(text):
            if match.group(1).split(".")[0] not in {"pip", "venv", "pytest", "http", "ipykernel", "jupyter",
                                                     "notebook", "streamlit", "torch", "tensorboard", "unittest"}:
                found.setdefault(match.group(1).replace(".", "/") + ".py", None)
    return list(found)


def _exists(name: str, files: list[str]) -> bool:
    """Whether a named file or module is in the repository: at that path, or anywhere by its name."""
    normal = posixpath.normpath(name).lower()
    base = posixpath.basename(normal)
    package = normal.removesuffix(".py") + "/__init__.py"
    return any(f.lower() == normal or f.lower().endswith("/" + normal) or f.lower() == package
               or f.lower().endswith("/" + package) or posixpath.basename(f.lower()) == base for f in files)
