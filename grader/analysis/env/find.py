"""Finding a submission's environment files (requirements, pyproject, conda, setup, locks) and parsing each once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from grader.analysis.code.source import all_python_sources
from grader.analysis.env import parsers
from grader.analysis.env.model import EnvFile, EnvKind, Requirement
from grader.analysis.env.pip import install_command_requirements
from grader.analysis.env.provenance import Declarations
from grader.analysis.readme.docset import readme_set
from grader.files import SubmissionTree


def environment_files(tree: SubmissionTree) -> list[EnvFile]:
    """Every environment file of the submission, parsed once per tree, in a stable order (path)."""
    return tree.memo("env.files", lambda: _find_all(tree))


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
    """Packages named in `pip install` / `conda install` commands of the README set (not `-r` files), once per tree."""
    return tree.memo("env.readme", lambda: _readme_requirements(tree))


def notebook_requirements(tree: SubmissionTree) -> list[Requirement]:
    """Packages that notebooks install with `!pip install`, `%pip install` or a `%%bash` cell, once per tree:
    declared only in a notebook. The sandbox's install phase can install these (the cell then needs no network)."""
    return tree.memo("env.notebooks", lambda: _notebook_requirements(tree))


def _notebook_requirements(tree: SubmissionTree) -> list[Requirement]:
    found: dict[str, Requirement] = {}
    for unit in all_python_sources(tree):
        for shell in unit.shell:
            for req in install_command_requirements(shell.command, unit.path, None):
                found.setdefault(req.key, req)
    return list(found.values())


def declarations(tree: SubmissionTree) -> Declarations:
    """What declares the environment, once per tree: the parsed environment files' requirements (or, with none,
    a Dockerfile's and the README's installs), and the installs outside them (README, notebooks, Dockerfile)."""
    return tree.memo("env.declarations", lambda: _declarations(tree))


def _declarations(tree: SubmissionTree) -> Declarations:
    files = tuple(f for f in environment_files(tree) if f.error is None)
    dockerfile = declared_requirements((f for f in files if f.evidence_only), include_evidence=True)
    readme = readme_requirements(tree)
    # A lock file records what an installer resolved; the file beside it (pyproject, Pipfile) declares. With both,
    # the lock's packages that nothing declares arrive as dependencies: its graph says of which.
    declared = declared_requirements(f for f in files if not f.is_lock) or declared_requirements(files)
    elsewhere: list[tuple[str, tuple[Requirement, ...]]] = [
        ("declared only in a notebook (`!pip install` / `%pip install`)", tuple(notebook_requirements(tree)))]
    if declared:
        elsewhere += [("installed only by the README's install commands", tuple(readme)),
                      ("installed only by the Dockerfile", tuple(dockerfile))]
    else:
        # With no environment file, what the README or a Dockerfile installs is the only declaration there is.
        declared = [*dockerfile, *readme]
    return Declarations(files, tuple(declared), tuple(elsewhere))


def _readme_requirements(tree: SubmissionTree) -> list[Requirement]:
    found: dict[str, Requirement] = {}
    for command in readme_set(tree).commands:
        for req in install_command_requirements(command.text, command.path or "README", command.line):
            found.setdefault(req.key, req)
    return list(found.values())


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
        text = tree.read_text(rel)
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


def _parse(tree: SubmissionTree, rel: str, kind: EnvKind, text: str) -> EnvFile | None:
    """Parse one candidate; None when the file turns out not to declare an environment."""
    match kind:
        case EnvKind.REQUIREMENTS:
            return parsers.parse_requirements_file(tree, rel, text)
        case EnvKind.PYPROJECT:
            return parsers.parse_pyproject(rel, text)
        case EnvKind.CONDA:
            return parsers.parse_conda(rel, text)
        case EnvKind.SETUP_PY:
            return parsers.parse_setup_py(rel, text)
        case EnvKind.SETUP_CFG:
            return parsers.parse_setup_cfg(rel, text)
        case EnvKind.PIPFILE:
            return parsers.parse_pipfile(rel, text)
        case EnvKind.UV_LOCK | EnvKind.POETRY_LOCK:
            return parsers.parse_lock(rel, kind, text)
        case EnvKind.PIPFILE_LOCK:
            return parsers.parse_pipfile_lock(rel, text)
        case EnvKind.DOCKERFILE:
            return parsers.parse_dockerfile(rel, text)
    return None
