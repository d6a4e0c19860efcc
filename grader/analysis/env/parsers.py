"""Static parsers for each environment-file format; nothing a student wrote is ever executed."""

from __future__ import annotations

import ast
import configparser
import re
from typing import Any

from packaging.utils import canonicalize_name

from grader.analysis.env.model import (
    EnvFile,
    EnvKind,
    EnvProblem,
    Pin,
    Requirement,
    conda_pin,
    pep440_pin,
    poetry_pin,
)
from grader.analysis.env.pip import (
    FREEZE_MIN_PACKAGES,
    NOT_DEPENDENCIES,
    install_command_requirements,
    local_file_problems,
    logical_lines,
    parse_pep508,
    parse_requirements_file,
)
from grader.analysis.structured import load_json, load_toml, load_yaml

#: The parsers `find.py` dispatches to, re-exported with the format-specific ones defined here.
__all__ = [
    "install_command_requirements",
    "parse_conda",
    "parse_dockerfile",
    "parse_lock",
    "parse_pipfile",
    "parse_pipfile_lock",
    "parse_pyproject",
    "parse_requirements_file",
    "parse_setup_cfg",
    "parse_setup_py",
]

# -- pyproject.toml, Pipfile and lock files ---------------------------------------------------------------------


def _load_toml(rel: str, kind: EnvKind, text: str) -> dict[str, Any] | EnvFile:
    parsed = load_toml(text)
    if not parsed.ok:
        return EnvFile(rel, kind, error=parsed.error, error_line=parsed.line)
    data: dict[str, Any] = parsed.data
    return data


def _table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def parse_pyproject(rel: str, text: str) -> EnvFile | None:
    """PEP 621 or Poetry dependencies; None for a pyproject that only configures tools (black, ruff...)."""
    data = _load_toml(rel, EnvKind.PYPROJECT, text)
    if isinstance(data, EnvFile):
        return data
    project = _table(data, "project")
    poetry = _table(data, "tool", "poetry")
    pep621 = project.get("dependencies")
    if isinstance(pep621, list) or "optional-dependencies" in project or "dependency-groups" in data:
        reqs: list[Requirement] = []
        warnings: list[EnvProblem] = []
        lines = text.splitlines()
        for item in pep621 if isinstance(pep621, list) else []:
            req = parse_pep508(str(item), rel, _line_of(lines, str(item))) if isinstance(item, str) else None
            if req is None:
                warnings.append(EnvProblem(rel, _line_of(lines, str(item)), f"not a requirement: {str(item)[:60]!r}"))
            else:
                reqs.append(req)
        return EnvFile(rel, EnvKind.PYPROJECT, requirements=tuple(reqs), warnings=tuple(warnings))
    if "dependencies" in poetry or "group" in poetry:
        return _parse_poetry(rel, text, poetry)
    if not project:
        return None
    dynamic = "dependencies" in (project.get("dynamic") or [])
    problem = "[project] declares no dependencies"
    if dynamic:
        problem = "dependencies are dynamic (read by the build backend, e.g. from requirements.txt)"
    line = _line_of(text.splitlines(), "[project]")
    return EnvFile(rel, EnvKind.PYPROJECT, warnings=(EnvProblem(rel, line, problem),))


def _parse_poetry(rel: str, text: str, poetry: dict[str, Any]) -> EnvFile:
    """Poetry's dependency tables (main and groups); `python` is the interpreter, not a package."""
    lines = text.splitlines()
    tables = [_table(poetry, "dependencies")]
    tables += [_table(g, "dependencies") for g in _table(poetry, "group").values()]
    reqs = []
    for table in tables:
        for name, value in table.items():
            if str(name).lower() == "python":
                continue
            constraint = value if isinstance(value, str) else str(_table({"v": value}, "v").get("version", ""))
            line = _line_of(lines, str(name))
            reqs.append(Requirement(str(name), constraint, None, rel, line, poetry_pin(constraint)))
    return EnvFile(rel, EnvKind.POETRY, requirements=tuple(reqs))


def parse_pipfile(rel: str, text: str) -> EnvFile:
    """A Pipfile's [packages] and [dev-packages]; `*` is unpinned."""
    data = _load_toml(rel, EnvKind.PIPFILE, text)
    if isinstance(data, EnvFile):
        return data
    lines = text.splitlines()
    reqs = []
    for section in ("packages", "dev-packages"):
        for name, value in _table(data, section).items():
            spec = value if isinstance(value, str) else str(_table({"v": value}, "v").get("version", "*"))
            spec = "" if spec.strip() == "*" else spec
            reqs.append(Requirement(str(name), spec, None, rel, _line_of(lines, str(name)), pep440_pin(spec)))
    return EnvFile(rel, EnvKind.PIPFILE, requirements=tuple(reqs))


def parse_lock(rel: str, kind: EnvKind, text: str) -> EnvFile:
    """A uv.lock or poetry.lock: every [[package]] with its exact version (the project itself left out)."""
    data = _load_toml(rel, kind, text)
    if isinstance(data, EnvFile):
        return data
    packages = data.get("package")
    reqs = []
    graph = []
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        graph.append((canonicalize_name(package["name"]), _locked_dependencies(package.get("dependencies"))))
        source = package.get("source")
        if isinstance(source, dict) and ("editable" in source or "virtual" in source):
            continue
        version = _scalar(package.get("version", "")) or ""
        reqs.append(Requirement(package["name"], f"=={version}" if version else "", path=rel, pin=Pin.EXACT))
    return EnvFile(rel, kind, requirements=tuple(reqs), frozen=True, graph=tuple(graph))


def _locked_dependencies(value: Any) -> tuple[str, ...]:
    """A lock entry's dependencies: a poetry table `{name = spec}` or uv's list `[{name = ...}]`."""
    if isinstance(value, dict):
        names = [str(key) for key in value]
    elif isinstance(value, list):
        names = [str(item["name"]) for item in value if isinstance(item, dict) and isinstance(item.get("name"), str)]
    else:
        names = []
    return tuple(canonicalize_name(name) for name in names if name.strip())


def parse_pipfile_lock(rel: str, text: str) -> EnvFile:
    """A Pipfile.lock (JSON): every package of `default` and `develop` with its exact version."""
    parsed = load_json(text)
    if not parsed.ok:
        return EnvFile(rel, EnvKind.PIPFILE_LOCK, error=parsed.error, error_line=parsed.line)
    data = parsed.data
    reqs = []
    for section in ("default", "develop"):
        for name, value in _table(data, section).items():
            version = str(value.get("version", "")) if isinstance(value, dict) else ""
            reqs.append(Requirement(str(name), version, path=rel, pin=Pin.EXACT))
    return EnvFile(rel, EnvKind.PIPFILE_LOCK, requirements=tuple(reqs), frozen=True)


def _line_of(lines: list[str], needle: str) -> int | None:
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number
    return None


# -- conda -------------------------------------------------------------------------------------------------------

_CONDA_SPEC = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*(?:([=<>!~].*?|\s+\S+?)(?:=([^=\s]+))?)?$")


def _scalar(value: Any) -> str | None:
    """A YAML scalar as text; None for a list or mapping, which is no package spec.

    Never str() a YAML collection: aliases share nodes, so nine nested `[*a, *a, ...]` lines of a 500-byte file
    print as gigabytes (the "billion laughs").
    """
    return None if isinstance(value, list | dict) else str(value)


def _shown(value: Any) -> str:
    """A YAML value quoted for a warning, collections named rather than printed."""
    text = _scalar(value)
    return repr(text[:60]) if text is not None else f"a {'list' if isinstance(value, list) else 'mapping'}"


def parse_conda(rel: str, text: str) -> EnvFile | None:
    """A conda environment file (conda packages plus its `pip:` section); None for YAML that is not one."""
    parsed = load_yaml(text)
    if not parsed.ok:
        return EnvFile(rel, EnvKind.CONDA, error=parsed.error, error_line=parsed.line)
    data = parsed.data
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, list):
        return None
    lines = text.splitlines()
    reqs: list[Requirement] = []
    warnings: list[EnvProblem] = []
    pip_reqs: list[Requirement] = []
    for item in deps:
        if isinstance(item, dict):
            pip_items = item.get("pip") or []
            if not isinstance(pip_items, list):
                # `pip: 1` or `pip: numpy`: iterating would crash or read a string letter by letter.
                warnings.append(EnvProblem(rel, None, f"the pip section is not a list: {_shown(pip_items)}"))
                continue
            for pip_item in pip_items:
                spec = _scalar(pip_item)
                req = parse_pep508(spec, rel, _line_of(lines, spec)) if spec is not None else None
                if req is not None and req.key not in NOT_DEPENDENCIES:
                    pip_reqs.append(req)
                elif req is None and not (spec or "").startswith("-"):
                    warnings.append(EnvProblem(rel, None, f"not a pip requirement: {_shown(pip_item)}"))
            continue
        spec = _scalar(item)
        match = _CONDA_SPEC.match(spec.strip()) if spec is not None else None
        if spec is None or match is None:
            warnings.append(EnvProblem(rel, None, f"not a conda package spec: {_shown(item)}"))
            continue
        name, version, build = match.group(1), (match.group(2) or "").strip(), match.group(3) or ""
        if name.lower() in NOT_DEPENDENCIES:
            continue
        reqs.append(Requirement(name, (version + (f"={build}" if build else "")), None, rel,
                                _line_of(lines, spec), conda_pin(version, build), source="conda"))
    reqs += pip_reqs
    warnings += local_file_problems(rel, pip_reqs)
    # `conda env export` writes `prefix:` and build strings for every package: a full environment snapshot.
    exact = sum(r.pin is Pin.EXACT for r in reqs)
    frozen = "prefix" in data or (len(reqs) >= FREEZE_MIN_PACKAGES and exact > len(reqs) * 0.8)
    return EnvFile(rel, EnvKind.CONDA, requirements=tuple(reqs), warnings=tuple(warnings), frozen=frozen)


# -- setup.py / setup.cfg ----------------------------------------------------------------------------------------


def parse_setup_py(rel: str, text: str) -> EnvFile:
    """`install_requires` of a setup() call, read from the syntax tree only: setup.py is never executed."""
    try:
        module = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError, RecursionError) as exc:
        return EnvFile(rel, EnvKind.SETUP_PY, error=f"does not parse: {exc}", error_line=getattr(exc, "lineno", None))
    assigned: dict[str, ast.expr] = {}
    for statement in module.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                assigned[target.id] = statement.value
    warnings: list[EnvProblem] = []
    reqs: list[Requirement] = []
    for call in ast.walk(module):
        if not (isinstance(call, ast.Call) and _call_name(call.func) == "setup"):
            continue
        for keyword in call.keywords:
            if keyword.arg != "install_requires":
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in assigned:
                value = assigned[value.id]
            if not isinstance(value, (ast.List, ast.Tuple)):
                warnings.append(EnvProblem(rel, keyword.value.lineno, "install_requires is computed: not read"))
                continue
            for element in value.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    req = parse_pep508(element.value, rel, element.lineno)
                    if req is not None:
                        reqs.append(req)
    return EnvFile(rel, EnvKind.SETUP_PY, requirements=tuple(reqs), warnings=tuple(warnings))


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def parse_setup_cfg(rel: str, text: str) -> EnvFile | None:
    """`[options] install_requires` of a setup.cfg; None when it has none (only tool settings)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=rel)
    except configparser.Error as exc:
        return EnvFile(rel, EnvKind.SETUP_CFG, error=f"invalid setup.cfg: {exc}".splitlines()[0])
    if not parser.has_option("options", "install_requires"):
        return None
    lines = text.splitlines()
    reqs = []
    for item in parser.get("options", "install_requires").splitlines():
        item = item.strip()
        req = parse_pep508(item, rel, _line_of(lines, item)) if item else None
        if req is not None:
            reqs.append(req)
    return EnvFile(rel, EnvKind.SETUP_CFG, requirements=tuple(reqs))


def parse_dockerfile(rel: str, text: str) -> EnvFile:
    """A Dockerfile as extra evidence: packages its RUN lines install (continuations joined)."""
    reqs: list[Requirement] = []
    installs_project = False
    for number, line in logical_lines(text):
        for command in re.split(r"&&|;", line):
            reqs += install_command_requirements(command, rel, number)
            if re.search(r"\bpip3?\s+install\s+(-e\s+)?\.(\s|$)", command):
                installs_project = True
    return EnvFile(rel, EnvKind.DOCKERFILE, requirements=tuple(reqs), installs_project=installs_project)
