"""The Python version a group declares, read without running anything, and whether a sandbox Python satisfies it.

Declarations, most exact first: `.python-version` (pyenv), `runtime.txt` (`python-3.8.10`), a conda file's
`python=3.8`, a Pipfile's `python_version`, then the ranges of `requires-python` (PEP 621), Poetry's `python`
and setup.py / setup.cfg's `python_requires`. The first one found decides; the others are not consulted.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from grader.analysis.structured import load_toml
from grader.files import SubmissionTree

#: Minor versions the grader can build a base image of (python:3.X-slim exists for each).
BUILDABLE = ("3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
_MINOR = re.compile(r"(?<![\d.])(3)\.(\d{1,2})(?:\.\d+)?")
_CONDA_PYTHON = re.compile(r"^\s*-\s*python\s*(==|=|>=|<=|>|<|~=)?\s*([\d.*]+)", re.MULTILINE)
_SETUP_REQUIRES = re.compile(r"python_requires\s*[=:]\s*['\"]?([^'\"\n]+)")
_CONDA_NAMES = ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml")


@dataclass(frozen=True)
class DeclaredPython:
    """What a group declares: a PEP 440 specifier, the file saying so, and the words it uses."""

    specifier: str
    source: str
    text: str
    #: A single minor version (3.8) rather than a range (>=3.8).
    exact_minor: str | None = None

    def satisfied_by(self, version: str) -> bool:
        """Whether Python `version` (e.g. 3.11) meets the declaration (an unreadable one is never held against
        the group)."""
        try:
            return SpecifierSet(self.specifier).contains(Version(f"{version}.0"), prereleases=True) or (
                SpecifierSet(self.specifier).contains(Version(f"{version}.99"), prereleases=True))
        except (InvalidSpecifier, ValueError):
            return True

    def best_minor(self) -> str | None:
        """The minor version to build a base image of: the one named, or the newest buildable one in range."""
        if self.exact_minor is not None:
            return self.exact_minor if self.exact_minor in BUILDABLE else None
        fitting = [minor for minor in BUILDABLE if self.satisfied_by(minor)]
        return fitting[-1] if fitting else None

    def wanted(self) -> str:
        """What it asks for, in a sentence: `runtime.txt asks for Python 3.8`."""
        return f"{self.source} asks for Python {self.exact_minor or self.text}"


def _exact(minor: tuple[str, str], source: str, text: str) -> DeclaredPython:
    version = f"{minor[0]}.{int(minor[1])}"
    return DeclaredPython(f"=={version}.*", source, text.strip()[:60], version)


def _poetry_range(text: str) -> str:
    """Poetry's caret and tilde (^3.8, ~3.8) in PEP 440 words; anything else as written."""
    match = re.fullmatch(r"\s*([\^~])\s*(\d+)\.(\d+)(?:\.\d+)?\s*", text)
    if match is None:
        return text
    major, minor = int(match.group(2)), int(match.group(3))
    upper = f"{major + 1}.0" if match.group(1) == "^" else f"{major}.{minor + 1}"
    return f">={major}.{minor},<{upper}"


def _ranged(specifier: str, source: str) -> DeclaredPython | None:
    specifier = specifier.strip().strip("'\"")
    try:
        SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    return DeclaredPython(specifier, source, specifier[:60]) if specifier else None


def _toml(tree: SubmissionTree, rel: str) -> dict[str, Any]:
    text = tree.read_text(rel) if tree.exists(rel) else None
    # Through the bounded loader: a broken file is the environment checks' finding, and this reads it as silent.
    parsed = load_toml(text) if text else None
    return parsed.data if parsed is not None and parsed.ok and isinstance(parsed.data, dict) else {}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _pinned(tree: SubmissionTree, folder: str, conda: tuple[str, ...]) -> DeclaredPython | None:
    """The exact declarations: .python-version, runtime.txt, a conda file's python, a Pipfile's."""
    for name, pattern in ((".python-version", _MINOR), ("runtime.txt", _MINOR)):
        rel = posixpath.join(folder, name)
        text = (tree.read_text(rel, max_bytes=4096) or "") if tree.exists(rel) else ""
        first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
        if match := pattern.search(first):
            return _exact((match.group(1), match.group(2)), rel, first)
    for rel in (*conda, *(posixpath.join(folder, name) for name in _CONDA_NAMES)):
        text = (tree.read_text(rel) or "") if tree.exists(rel) else ""
        if (match := _CONDA_PYTHON.search(text)) and (minor := _MINOR.match(match.group(2))):
            if match.group(1) in {None, "=", "=="}:
                return _exact((minor.group(1), minor.group(2)), rel, f"python={match.group(2)}")
            return _ranged(f"{match.group(1)}{match.group(2)}", rel)
    rel = posixpath.join(folder, "Pipfile")
    pipfile = _get(_toml(tree, rel), "requires")
    for key in ("python_full_version", "python_version"):
        value = _get(pipfile, key)
        if isinstance(value, str) and (minor := _MINOR.match(value.strip())):
            return _exact((minor.group(1), minor.group(2)), rel, value)
    return None


def _ranges(tree: SubmissionTree, folder: str) -> DeclaredPython | None:
    """The ranges: requires-python, Poetry's python, python_requires."""
    rel = posixpath.join(folder, "pyproject.toml")
    data = _toml(tree, rel)
    for value in (_get(data, "project", "requires-python"),
                  _get(data, "tool", "poetry", "dependencies", "python")):
        if isinstance(value, str) and (found := _ranged(_poetry_range(value), rel)):
            return found
    for name in ("setup.cfg", "setup.py"):
        rel = posixpath.join(folder, name)
        text = (tree.read_text(rel) or "") if tree.exists(rel) else ""
        if (match := _SETUP_REQUIRES.search(text)) and (found := _ranged(match.group(1), rel)):
            return found
    return None


def declared_python(
    tree: SubmissionTree, folders: tuple[str, ...] = ("",), conda: tuple[str, ...] = ()
) -> DeclaredPython | None:
    """The Python version the group declares in the first of `folders` (the root, the environment's folder)
    that declares one, `conda` naming conda files of other names (env.yaml); None when none does."""
    for folder in dict.fromkeys(folders):
        found = _pinned(tree, folder, conda) or _ranges(tree, folder)
        if found is not None:
            return found
    return None
