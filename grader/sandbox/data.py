"""Data the code needs: a run step that failed because a file it reads is not in the submission is `needs-data`.

Audio projects rarely commit their data sets. A failure whose error names a missing file inside the working copy
(a relative path, or one under /work) that the submission does not hold, and that is not code (.py, .ipynb), is
the data's absence, not the code's fault. The report lists the paths, why they read as data (.gitignore, a .dvc
file, dvc.yaml) and whether the README says how to get them.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable

from grader.files import SubmissionTree
from grader.outcomes import DataNeed
from grader.sandbox.assets._missing import CODE_SUFFIXES, missing_in

__all__ = ["as_data", "data_failure", "data_mark", "data_need", "missing_in", "readme_help"]

WORK = "/work"
#: A README line that says how to get data: a download command or an instruction to fetch.
_HOW = re.compile(
    r"\bdvc\s+(?:pull|fetch|get|import)\b|\bwget\b|\bcurl\b|\bgdown\b|\bkaggle\s+(?:datasets|competitions)\b"
    r"|huggingface-cli\s+download|\bdownload|\bherunterladen|zenodo\.org|drive\.google|\bunzip\b|\btar\s+-?x",
    re.IGNORECASE,
)


def as_data(path: str, cwd: str, tree: SubmissionTree) -> str | None:
    """The submission path a missing file stands for, when it is data that is not there; None otherwise."""
    path = path.strip()
    if path.startswith("/"):
        if path != WORK and not path.startswith(WORK + "/"):
            return None  # an absolute path outside the working copy: the code only runs on its author's machine
        rel = posixpath.normpath(path[len(WORK) + 1:] or ".")
    else:
        rel = posixpath.normpath(posixpath.join(cwd, path))
    if rel in {".", ""} or rel.startswith("..") or rel.lower().endswith(CODE_SUFFIXES) or tree.exists(rel):
        return None
    return rel


def data_failure(texts: Iterable[str], cwd: str, tree: SubmissionTree, hinted: str | None = None) -> tuple[str, ...]:
    """The missing data paths behind one failure, or () when it is not (only) missing data.

    `hinted` is a path the failing code itself reported (an OSError's filename), tried before the texts.
    """
    paths = [hinted] if hinted else []
    for text in texts:
        paths += missing_in(text)
        if paths:
            break
    found = [as_data(p, cwd, tree) for p in paths]
    if not found or any(f is None for f in found):
        return ()
    return tuple(dict.fromkeys(f for f in found if f is not None))


def data_need(tree: SubmissionTree, missing: Iterable[str], provided: Iterable[str] = ()) -> DataNeed:
    """What the report says about missing data: the paths, why they read as data, where the README helps."""
    paths = tuple(dict.fromkeys(missing))
    marks = tuple(m for m in (data_mark(tree, p) for p in paths) if m)
    return DataNeed(missing=paths, readme_help=readme_help(tree, paths), marks=marks, provided=tuple(provided))


def data_mark(tree: SubmissionTree, rel: str) -> str | None:
    """Why a missing path reads as data: a .dvc file, a dvc.yaml entry, or a .gitignore pattern."""
    parts = rel.split("/")
    chain = ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]
    for item in chain:
        if tree.exists(f"{item}.dvc"):
            return f"{rel}: tracked by DVC ({item}.dvc)"
    dvc = tree.read_text("dvc.yaml") if tree.exists("dvc.yaml") else None
    for number, line in enumerate((dvc or "").splitlines(), 1):
        entry = line.strip().removeprefix("-").strip().strip("'\"").rstrip("/")
        if entry in chain:
            return f"{rel}: a data path of dvc.yaml (line {number})"
    for ignore in tree.glob(".gitignore", "**/.gitignore"):
        base = posixpath.dirname(ignore)
        for number, raw in enumerate((tree.read_text(ignore) or "").splitlines(), 1):
            pattern = raw.strip()
            if pattern and not pattern.startswith(("#", "!")) and _ignores(pattern, chain, base):
                return f"{rel}: ignored by {ignore} (line {number}: {pattern})"
    return None


def _ignores(pattern: str, chain: list[str], base: str) -> bool:
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    for item in chain:
        if base and not item.startswith(base + "/"):
            continue
        local = item[len(base) + 1:] if base else item
        if anchored and fnmatch.fnmatchcase(local, pattern.removeprefix("**/")):
            return True
        if not anchored and any(fnmatch.fnmatchcase(part, pattern) for part in local.split("/")):
            return True
    return False


def readme_help(tree: SubmissionTree, missing: tuple[str, ...]) -> str | None:
    """The README line that best says how to get the data (`README.md:12: ...`), or None when none does."""
    names = {n.lower() for p in missing for n in (p.split("/")[0], posixpath.basename(p)) if n}
    best: tuple[int, str] | None = None
    readmes = sorted(tree.glob("README*", "readme*", "**/README*"), key=lambda r: (r.count("/"), r))
    for readme in readmes[:5]:
        for number, line in enumerate((tree.read_text(readme) or "").splitlines(), 1):
            lowered = line.lower()
            score = (2 if _HOW.search(line) else 0) + (1 if any(n in lowered for n in names) else 0) \
                + (1 if "http" in lowered else 0)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, f"{readme}:{number}: {line.strip()[:160]}")
    return best[1] if best else None
