"""The environment files' data model: kinds, requirements, pins and problems, shared by finder and parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name


class EnvKind(StrEnum):
    """What sort of environment file a path is; the order is the order of preference for installing."""

    UV_LOCK = "uv.lock"
    POETRY_LOCK = "poetry.lock"
    PIPFILE_LOCK = "Pipfile.lock"
    PYPROJECT = "pyproject"
    POETRY = "poetry"
    PIPFILE = "pipfile"
    CONDA = "conda"
    REQUIREMENTS = "requirements"
    SETUP_PY = "setup.py"
    SETUP_CFG = "setup.cfg"
    DOCKERFILE = "dockerfile"


#: Kinds that pin every package by construction.
LOCK_KINDS = frozenset({EnvKind.UV_LOCK, EnvKind.POETRY_LOCK, EnvKind.PIPFILE_LOCK})


class Pin(StrEnum):
    """How tightly a requirement fixes its version."""

    EXACT = "exact"
    BOUNDED = "bounded"
    NONE = "none"


@dataclass(frozen=True)
class Requirement:
    """One declared dependency, as written, with where it was declared."""

    name: str
    specifier: str = ""
    marker: str | None = None
    path: str = ""
    line: int | None = None
    pin: Pin = Pin.NONE
    #: "pip" for PyPI names, "conda" for conda packages (whose names may differ from PyPI's).
    source: str = "pip"

    @property
    def key(self) -> str:
        """The normalised distribution name (PEP 503) used to compare requirements."""
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class EnvProblem:
    """Something wrong in an environment file that does not stop it being read (a bad line, an include cycle)."""

    path: str
    line: int | None
    message: str


@dataclass(frozen=True)
class EnvFile:
    """One environment file found in the submission, parsed without executing anything."""

    path: str
    kind: EnvKind
    requirements: tuple[Requirement, ...] = ()
    #: Why the file could not be read or parsed; None when it parsed.
    error: str | None = None
    error_line: int | None = None
    #: Files pulled in with `-r` / `-c`, relative to the root.
    includes: tuple[str, ...] = ()
    #: Problems that do not stop parsing (include cycles, includes leaving the checkout, unparsable lines).
    warnings: tuple[EnvProblem, ...] = ()
    #: A full export of an environment (pip freeze, conda export, lock file): lists transitive packages too.
    frozen: bool = False
    #: The project installs itself (`-e .`, `pip install .`): its own modules are part of the environment.
    installs_project: bool = False
    #: For lock files: each locked distribution with the distributions it requires (PEP 503 names).
    graph: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_lock(self) -> bool:
        """Whether this is a lock file, fully pinned by construction."""
        return self.kind in LOCK_KINDS

    @property
    def evidence_only(self) -> bool:
        """Whether the file only hints at the environment (a Dockerfile) rather than declaring it."""
        return self.kind is EnvKind.DOCKERFILE


# -- version pins ------------------------------------------------------------------------------------------------


def pep440_pin(specifier: str) -> Pin:
    """Pin of a PEP 440 specifier: exact (==, ===), bounded (<, <=, ~=, ==x.*) or none."""
    try:
        specs = SpecifierSet(specifier)
    except InvalidSpecifier:
        return Pin.NONE
    pin = Pin.NONE
    for spec in specs:
        if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
            return Pin.EXACT
        if spec.operator in ("<", "<=", "~=") or (spec.operator == "==" and spec.version.endswith(".*")):
            pin = Pin.BOUNDED
    return pin


def poetry_pin(constraint: str) -> Pin:
    """Pin of a Poetry constraint: `1.2.3` exact, `^1.2` / `~1.2` / `1.2.*` / ranges with an upper bound bounded."""
    text = constraint.strip()
    if not text or text == "*":
        return Pin.NONE
    if "||" in text:
        # Alternatives: the constraint is only as tight as its loosest branch.
        pins = [poetry_pin(part) for part in text.split("||")]
        return min(pins, key=[Pin.NONE, Pin.BOUNDED, Pin.EXACT].index)
    if re.fullmatch(r"=?=?\s*\d+(\.\d+)*([a-z]+\d*)?", text):
        return Pin.EXACT
    if text[0] in "^~" or text.endswith(".*"):
        return Pin.BOUNDED
    # Poetry writes `>=1,<2` and `>=1 <2` alike.
    return pep440_pin(text.replace(" <", ",<"))


def conda_pin(version: str, build: str) -> Pin:
    """Pin of a conda match spec: `=1.2.3=build` and `==1.2` exact, `=1.2` (a prefix) bounded, ranges by bound."""
    if build or version.startswith("=="):
        return Pin.EXACT
    if not version:
        return Pin.NONE
    if version.startswith("="):
        return Pin.BOUNDED
    if re.fullmatch(r"\d[\w.]*", version):
        # `numpy 1.21` (space form) is a prefix match in conda, like `=1.21`.
        return Pin.BOUNDED
    return pep440_pin(version.replace(" ", ""))


def exact_pin(requirement: Requirement, kind: EnvKind | None, version: str) -> str:
    """The line (or entry) that pins `requirement` to `version`, as the file of `kind` declaring it writes one:
    `torch=2.4.0` in a conda list, `torch = "2.4.0"` for Poetry, `torch = "==2.4.0"` in a Pipfile, else PEP 508."""
    name = requirement.name
    if requirement.source == "conda":
        return f"{name}={version}"
    if kind is EnvKind.POETRY:
        return f'{name} = "{version}"'
    if kind is EnvKind.PIPFILE:
        return f'{name} = "=={version}"'
    return f"{name}=={version}"
