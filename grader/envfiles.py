"""Finding and statically parsing a submission's environment files (requirements, pyproject, conda, setup, locks)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from grader.files import SubmissionTree, UnsafePathError


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

    @property
    def is_lock(self) -> bool:
        """Whether this is a lock file, fully pinned by construction."""
        return self.kind in LOCK_KINDS

    @property
    def evidence_only(self) -> bool:
        """Whether the file only hints at the environment (a Dockerfile) rather than declaring it."""
        return self.kind is EnvKind.DOCKERFILE


def environment_files(tree: SubmissionTree) -> list[EnvFile]:
    """Every environment file of the submission, parsed once per tree, in a stable order (path)."""
    return tree.memo("envfiles.files", lambda: _find_all(tree))


def declared_requirements(files: Iterable[EnvFile], *, include_evidence: bool = False) -> list[Requirement]:
    """Requirements across files, one per distribution (first declaration wins)."""
    seen: dict[str, Requirement] = {}
    for env in files:
        if env.evidence_only and not include_evidence:
            continue
        for req in env.requirements:
            seen.setdefault(req.key, req)
    return list(seen.values())


def preferred_environment(files: Iterable[EnvFile]) -> EnvFile | None:
    """The file an installer should use: parsed, declaring packages, of the preferred kind (EnvKind order), shallow."""
    order = list(EnvKind)

    def rank(env: EnvFile) -> tuple[bool, int, int, str]:
        # A file that declares nothing (a bare [project] table) is a poor choice whatever its kind.
        return (not env.requirements, order.index(env.kind), env.path.count("/"), env.path)

    usable = sorted((f for f in files if f.error is None), key=rank)
    return usable[0] if usable else None


def readme_requirements(tree: SubmissionTree) -> list[Requirement]:
    """Packages named in `pip install` / `conda install` commands of the root README (not `-r` files), once per tree."""
    return tree.memo("envfiles.readme", lambda: _readme_requirements(tree))


def _readme_requirements(tree: SubmissionTree) -> list[Requirement]:
    found: dict[str, Requirement] = {}
    for rel in tree.files():
        if "/" in rel or not rel.lower().startswith("readme"):
            continue
        text = tree.read_text(rel) or ""
        for number, command in _readme_commands(text):
            for req in install_command_requirements(command, rel, number):
                found.setdefault(req.key, req)
    return list(found.values())


_COMMAND_START = re.compile(r"^\s*(?:[$>%!]\s*|(?:sudo\s+)?(?:pip3?|conda|mamba|uv|python3?\s+-m\s+pip)\s)")


def _readme_commands(text: str) -> list[tuple[int, str]]:
    """Lines that are commands: inside fenced or indented code, after a prompt, or in `inline code`.

    Prose such as "pip install the missing packages" is left out, so its words never pass for package names.
    """
    commands: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or line.startswith(("    ", "\t")) or _COMMAND_START.match(line):
            commands.append((number, line))
        else:
            commands += [(number, span) for span in re.findall(r"`([^`]+)`", line)]
    return commands


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


# -- discovery ---------------------------------------------------------------------------------------------------

_REQ_TXT = re.compile(r"(^|[-_.])req(uirement)?s?([-_.].*)?\.(txt|in|pip)$", re.IGNORECASE)
_CONDA_NAME = re.compile(r"(env|conda|req)[^/]*\.ya?ml$", re.IGNORECASE)
_DOCKERFILE = re.compile(r"^(dockerfile([-_.].*)?|.*\.dockerfile|containerfile)$", re.IGNORECASE)


def _classify(rel: str) -> EnvKind | None:
    name = rel.rsplit("/", 1)[-1]
    lower = name.lower()
    folder = rel.rsplit("/", 1)[0].lower() if "/" in rel else ""
    simple = {
        "uv.lock": EnvKind.UV_LOCK,
        "poetry.lock": EnvKind.POETRY_LOCK,
        "pyproject.toml": EnvKind.PYPROJECT,
        "pipfile": EnvKind.PIPFILE,
        "pipfile.lock": EnvKind.PIPFILE_LOCK,
        "setup.py": EnvKind.SETUP_PY,
        "setup.cfg": EnvKind.SETUP_CFG,
    }
    if lower in simple:
        return simple[lower]
    if _REQ_TXT.search(lower) or (folder.endswith("requirements") and lower.endswith(".txt")):
        return EnvKind.REQUIREMENTS
    if lower.endswith((".yml", ".yaml")) and not folder.startswith(".github") and folder.count("/") < 2:
        # Any shallow YAML may be a conda file under another name (dl4ad.yml); its content decides.
        return EnvKind.CONDA
    if _DOCKERFILE.match(lower):
        return EnvKind.DOCKERFILE
    return None


def _find_all(tree: SubmissionTree) -> list[EnvFile]:
    found: list[EnvFile] = []
    for rel in tree.files():
        kind = _classify(rel)
        if kind is None:
            continue
        text = read_env_text(tree, rel)
        if text is None:
            found.append(EnvFile(rel, kind, error="unreadable (a link, binary or too large)"))
            continue
        sniffed = kind is EnvKind.CONDA and not _CONDA_NAME.search(rel.rsplit("/", 1)[-1])
        if sniffed and not re.search(r"^dependencies\s*:", text, re.MULTILINE):
            continue  # cheap test first: configs and data files may be large YAML
        env = _parse(tree, rel, kind, text)
        if sniffed:
            # A YAML not named like an environment counts only when it parses and lists dependencies.
            env = env if env is not None and env.error is None else None
        if env is not None:
            found.append(env)
    return found


def read_env_text(tree: SubmissionTree, rel: str) -> str | None:
    """An environment file's text; UTF-16 with a BOM (PowerShell's `pip freeze > requirements.txt`) is decoded too."""
    try:
        data = tree.read_bytes(rel)
    except (OSError, UnsafePathError):
        return tree.read_text(rel)  # None, and the tree records why for the report
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return tree.read_text(rel)


def _parse(tree: SubmissionTree, rel: str, kind: EnvKind, text: str) -> EnvFile | None:
    """Parse one candidate; None when the file turns out not to declare an environment."""
    # Imported here because the parsers build this module's dataclasses (a module-level import would be circular).
    from grader import envparsers

    match kind:
        case EnvKind.REQUIREMENTS:
            return envparsers.parse_requirements_file(tree, rel, text)
        case EnvKind.PYPROJECT:
            return envparsers.parse_pyproject(rel, text)
        case EnvKind.CONDA:
            return envparsers.parse_conda(rel, text)
        case EnvKind.SETUP_PY:
            return envparsers.parse_setup_py(rel, text)
        case EnvKind.SETUP_CFG:
            return envparsers.parse_setup_cfg(rel, text)
        case EnvKind.PIPFILE:
            return envparsers.parse_pipfile(rel, text)
        case EnvKind.UV_LOCK | EnvKind.POETRY_LOCK:
            return envparsers.parse_lock(rel, kind, text)
        case EnvKind.PIPFILE_LOCK:
            return envparsers.parse_pipfile_lock(rel, text)
        case EnvKind.DOCKERFILE:
            return envparsers.parse_dockerfile(rel, text)
    return None


def install_command_requirements(line: str, path: str, number: int) -> list[Requirement]:
    """Packages named by a `pip install ...` / `conda install ...` command on one line (options and files skipped)."""
    from grader import envparsers

    return envparsers.install_command_requirements(line, path, number)
