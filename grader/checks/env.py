"""Environment-file checks: found and parsable, pinning, imports declared."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from dataclasses import dataclass

from pydantic import Field

from grader.analysis.code.source import SourceUnit, python_sources
from grader.analysis.env.find import (
    declared_requirements,
    environment_files,
    preferred_environment,
    readme_requirements,
)
from grader.analysis.env.importnames import (
    distributions_for,
    import_names,
    is_stdlib,
    needs_no_import,
    platform_provided,
    provides,
)
from grader.analysis.env.model import EnvFile, Pin, Requirement
from grader.analysis.env.pip import install_command_requirements
from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, finding
from grader.files import SubmissionTree
from grader.models import CheckResult, Finding, Measurement, Severity, Skip, Status

#: Most findings of one kind listed before the rest are summed up in one line.
_MAX_FINDINGS = 25


class EnvFileOptions(CheckOptions):
    """Partial credit when the environment is only described elsewhere."""

    readme_only_score: float = Field(0.5, ge=0, le=1, description="score when packages are named only in the README")
    dockerfile_only_score: float = Field(0.75, ge=0, le=1, description="score when only a Dockerfile installs them")
    broken_score: float = Field(0.25, ge=0, le=1, description="score when every environment file is broken")


class EnvFileCheck(Check[EnvFileOptions]):
    """env.file: which environment files exist and whether they parse."""

    id = "env.file"
    title = "Environment file"
    description = "An environment file (requirements, pyproject, conda, setup, Pipfile, lock) exists and parses."

    def run(self, ctx: CheckContext) -> CheckResult:
        """Find and parse every environment file; fall back to the README's install commands."""
        options = self.options
        files = environment_files(ctx.tree)
        findings = [*_problems(files)]
        declaring = [f for f in files if not f.evidence_only]
        parsed = [f for f in declaring if f.error is None]
        measurements: dict[str, Measurement] = {
            "files": [f.path for f in files],
            "kinds": [f.kind.value for f in files],
            "kind": _primary(files),
            "requirements": len(declared_requirements(parsed)),
            "broken": [f.path for f in files if f.error is not None],
        }
        if parsed:
            if len(parsed) < len(declaring):
                return self.result(Status.PASSED, 0.75, f"{len(parsed)} environment file(s) parse, some are broken",
                                   measurements, findings)
            for env in parsed:
                if not env.requirements and not env.installs_project and not env.warnings:
                    findings.append(finding("declares no packages", env.path, severity=Severity.WARNING))
            names = ", ".join(f.path for f in parsed)
            return self.result(Status.PASSED, 1.0, f"environment declared in {names}", measurements, findings)
        if declaring:
            return self.result(Status.FAILED, options.broken_score, "every environment file is broken",
                               measurements, findings)
        dockerfiles = [f for f in files if f.evidence_only and f.error is None]
        if dockerfiles:
            findings.append(finding("only a Dockerfile installs the packages; add a requirements.txt or an "
                                    "environment.yml", dockerfiles[0].path, severity=Severity.WARNING))
            return self.result(Status.PASSED, options.dockerfile_only_score, "environment only in a Dockerfile",
                               measurements, findings)
        readme = readme_requirements(ctx.tree)
        findings += _gitignore_hides_requirements(ctx.tree)
        if readme:
            measurements["kind"] = "readme"
            measurements["requirements"] = len(readme)
            findings.append(finding(f"packages are named only in the README ({', '.join(r.name for r in readme[:8])})"
                                    "; declare them in an environment file", readme[0].path, readme[0].line))
            return self.result(Status.FAILED, options.readme_only_score, "dependencies listed only in the README",
                               measurements, findings)
        findings.append(finding("no environment file (requirements.txt, pyproject.toml, environment.yml...)"))
        return self.result(Status.FAILED, 0.0, "no environment file found", measurements, findings)


def _primary(files: list[EnvFile]) -> str:
    """The kind a sandbox would install from, or `none`."""
    preferred = preferred_environment(files)
    return preferred.kind.value if preferred is not None else "none"


def _problems(files: list[EnvFile]) -> list[Finding]:
    out = []
    for env in files:
        if env.error is not None:
            out.append(finding(env.error, env.path, env.error_line))
        out += [finding(p.message, p.path, p.line, Severity.WARNING) for p in env.warnings[:_MAX_FINDINGS]]
    return out


def _gitignore_hides_requirements(tree: SubmissionTree) -> list[Finding]:
    """A warning when a .gitignore pattern would hide requirements.txt (e.g. `*.txt`), so it never got committed."""
    out = []
    for rel in tree.glob(".gitignore", "**/.gitignore"):
        hiding: tuple[str, int] | None = None
        # As in git, the last matching pattern decides; `!requirements.txt` takes the file back.
        for number, raw in enumerate((tree.read_text(rel) or "").splitlines(), 1):
            pattern = raw.strip()
            negated = pattern.startswith("!")
            pattern = pattern.removeprefix("!").lstrip("/").removeprefix("**/")
            if pattern and not pattern.startswith("#") and fnmatch.fnmatch("requirements.txt", pattern):
                hiding = None if negated else (pattern, number)
        if hiding is not None:
            out.append(finding(f".gitignore pattern {hiding[0]!r} hides requirements.txt", rel, hiding[1],
                               Severity.WARNING))
    return out


class EnvPinnedOptions(CheckOptions):
    """How strict pinning is scored; the course's own requirements are unpinned, so the default is mild."""

    target_ratio: float = Field(0.5, gt=0, le=1, description="share of pinned requirements that earns full score")


class EnvPinnedCheck(Check[EnvPinnedOptions]):
    """env.pinned: share of requirements with an exact or bounded version."""

    id = "env.pinned"
    title = "Pinned versions"
    description = "Share of requirements with an exact (==) or bounded (<, ~=, ==x.*) version; lock files count."

    def run(self, ctx: CheckContext) -> CheckResult:
        """Count exact, bounded and unpinned requirements over the declaring files (locks are fully pinned)."""
        options = self.options
        files = [f for f in environment_files(ctx.tree) if f.error is None]
        locks = [f for f in files if f.is_lock]
        reqs = declared_requirements(f for f in files if not f.is_lock)
        if not reqs:
            reqs = declared_requirements(files, include_evidence=True)
        counts = {pin: sum(r.pin is pin for r in reqs) for pin in Pin}
        if locks:
            ratio = 1.0
        elif reqs:
            ratio = (counts[Pin.EXACT] + counts[Pin.BOUNDED]) / len(reqs)
        else:  # requirements declaring nothing make pinning meaningless; no readable file at all is the group's doing
            kind = Skip.NOT_APPLICABLE if files else Skip.BY_CHOICE
            return self.skipped("no declared requirements to pin", {"pinned_ratio": None, "total": 0}, kind=kind)
        measurements: dict[str, Measurement] = {
            "pinned_ratio": round(ratio, 3),
            "exact_ratio": round(1.0 if locks else counts[Pin.EXACT] / len(reqs), 3),
            "exact": counts[Pin.EXACT],
            "bounded": counts[Pin.BOUNDED],
            "unpinned": counts[Pin.NONE],
            "total": len(reqs),
            "locked": bool(locks),
        }
        findings = [finding(f"{r.name} has no version bound", r.path, r.line, Severity.INFO)
                    for r in reqs if r.pin is Pin.NONE][:_MAX_FINDINGS]
        if locks:
            findings = [finding("lock file pins every package", locks[0].path, severity=Severity.INFO)]
        status = Status.PASSED if ratio >= options.target_ratio else Status.FAILED
        summary = f"{ratio:.0%} of {len(reqs)} requirements pinned" + (f" (locked in {locks[0].path})" if locks else "")
        return self.result(status, ratio / options.target_ratio, summary, measurements, findings)


@dataclass(frozen=True)
class ImportSite:
    """Where a top-level module is imported, and whether the code copes with its absence."""

    name: str
    #: The full dotted module (`google.colab`), for platform modules whose top-level name is shared.
    module: str
    path: str
    line: int
    location: str
    optional: bool


class EnvImportsDeclaredCheck(Check[CheckOptions]):
    """env.imports-declared: third-party imports in code and notebooks against the declared distributions."""

    id = "env.imports-declared"
    title = "Imports declared"
    description = "Every third-party package the code imports is declared; standard library and own modules excluded."

    def run(self, ctx: CheckContext) -> CheckResult:
        """Compare the imported top-level modules with what the environment files (or the README) declare."""
        units = python_sources(ctx.tree)
        if not units:
            return self.by_choice("no Python code or notebooks")
        files = [f for f in environment_files(ctx.tree) if f.error is None]
        declared = declared_requirements(files, include_evidence=True)
        readme = readme_requirements(ctx.tree)
        from_readme = not declared
        # Installs outside the environment files reach the code on the author's machine, not a fresh environment.
        elsewhere = [("the README", [] if from_readme else readme),
                     ("a notebook's `!pip install`", _notebook_installs(ctx.tree, units))]
        if from_readme:
            declared = readme
        findings: list[Finding] = []
        sites, unparsed, platform = _import_sites(units, findings)
        local = _local_modules(ctx.tree)
        third_party = [s for s in sites if not is_stdlib(s.name) and s.name not in local
                       and not platform_provided(s.module, s.path.endswith(".ipynb"))]
        used = sorted({s.name for s in third_party})
        missing: list[str] = []
        installed_elsewhere: list[str] = []
        optional: list[str] = []
        for name in used:
            if _covered(name, declared):
                continue
            name_sites = [s for s in third_party if s.name == name]
            first = next((s for s in name_sites if not s.optional), None)
            if first is None:
                optional.append(name)
                continue
            where = next((label for label, reqs in elsewhere if _covered(name, reqs)), None)
            if where is not None:
                installed_elsewhere.append(name)
                findings.append(finding(f"{name!r} is installed only by {where}, not declared in an environment file",
                                        first.path, _line(first), Severity.WARNING))
                continue
            missing.append(name)
            others = len({s.path for s in name_sites}) - 1
            more = f" (and in {others} more file(s))" if others else ""
            findings.append(finding(f"imports {name!r}{_cell(first)}{more}, but no environment file declares it "
                                    f"(add {distributions_for(name)[0]})", first.path, _line(first)))
        # A freeze, an export or a lock lists transitive packages: those are never "declared but unused".
        checked_for_use = declared if from_readme else declared_requirements(f for f in files if not f.frozen)
        unused = sorted({r.name for r in checked_for_use if not needs_no_import(r.name)
                         and not any(provides(r.name, n) for n in used)
                         and not any(n in local for n in import_names(r.name))})
        findings += [finding(f"{name} is declared but never imported", severity=Severity.INFO)
                     for name in unused[:_MAX_FINDINGS]]
        # `mgr==0.1.1` in an export, where mgr is the group's own package: the installer looks for it on the index.
        packages = _local_packages(ctx.tree)
        own = [r for r in declared
               if not r.specifier.startswith("@") and any(n in packages for n in import_names(r.name))]
        findings += [finding(f"{r.name} is declared as a package to install, but it is the project's own code; "
                             "installing the environment will look for it on the package index", r.path or None,
                             r.line, Severity.WARNING) for r in own[:_MAX_FINDINGS]]
        measurements: dict[str, Measurement] = {
            "missing": list(missing),
            "unused": list(unused),
            "imports": len(used),
            "declared": len(declared),
            "optional": list(optional),
            "installed_elsewhere": list(installed_elsewhere),
            "unparsed": list(unparsed),
            "platform": list(platform),
            "frozen": any(f.frozen for f in files),
            "own_declared": [r.name for r in own],
        }
        # Installed elsewhere still reaches the code when the instructions are followed: half credit.
        score = 1.0 - (len(missing) + 0.5 * len(installed_elsewhere)) / len(used) if used else 1.0
        note = f"; {len(installed_elsewhere)} installed only by the README or a notebook" if installed_elsewhere else ""
        if missing:
            summary = f"{len(missing)} of {len(used)} third-party imports not declared: {', '.join(missing[:6])}"
            return self.result(Status.FAILED, score, summary + note, measurements, findings)
        summary = f"{len(used) - len(installed_elsewhere)} of {len(used)} third-party imports declared{note}"
        return self.result(Status.PASSED, score, summary, measurements, findings)


def _covered(import_name: str, reqs: list[Requirement]) -> bool:
    return any(provides(r.name, import_name) for r in reqs)


def _line(site: ImportSite) -> int | None:
    """The line for a finding: notebooks have none worth showing (their JSON lines mean nothing to a reader)."""
    return None if site.path.endswith(".ipynb") else site.line


def _cell(site: ImportSite) -> str:
    return f" in {site.location.removeprefix(site.path).strip(' ()')}" if site.path.endswith(".ipynb") else ""


def _import_sites(units: list[SourceUnit], findings: list[Finding]) -> tuple[list[ImportSite], list[str], list[str]]:
    """Every import of every unit, the units that did not parse, and the platform modules (google.colab...)."""
    sites: list[ImportSite] = []
    unparsed: list[str] = []
    for unit in units:
        if unit.module is None:
            unparsed.append(unit.path)
            findings.append(finding(f"{unit.error or 'not parsed'}; imports read line by line", unit.path,
                                    unit.error_line, Severity.INFO))
        sites += _imports(unit)
    platform = sorted({s.module for s in sites if platform_provided(s.module, s.path.endswith(".ipynb"))})
    for module in platform:
        first = next(s for s in sites if s.module == module)
        findings.append(finding(f"{module} comes with the notebook platform, not an environment file; the code "
                                f"needs that platform to run{_cell(first)}", first.path, _line(first), Severity.INFO))
    return sites, unparsed, platform


def _local_modules(tree: SubmissionTree) -> set[str]:
    """Names the project itself provides: every .py file's stem and every folder holding Python code."""
    names: set[str] = set()
    for rel in tree.with_suffix(".py"):
        parts = rel.split("/")
        names.add(parts[-1][:-3])
        names.update(parts[:-1])
    return names


def _local_packages(tree: SubmissionTree) -> set[str]:
    """Folders that are the project's own packages (they hold an __init__.py), wherever they sit."""
    return {rel.split("/")[-2] for rel in tree.glob("**/__init__.py") if "/" in rel}


def _statement_imports(body: list[ast.stmt], optional: bool, out: list[tuple[str, int, bool]]) -> None:
    """Absolute imports among statements, descending only into statement blocks (imports are never expressions).

    An import inside `try:` whose handlers catch ImportError is optional: the code copes without the package.
    """
    for node in body:
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno, optional) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                out.append((node.module, node.lineno, optional))
        elif isinstance(node, (ast.Try, ast.TryStar)):
            _statement_imports(node.body, optional or any(_catches_import_error(h) for h in node.handlers), out)
            for handler in node.handlers:
                _statement_imports(handler.body, optional, out)
            _statement_imports(node.orelse, optional, out)
            _statement_imports(node.finalbody, optional, out)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                _statement_imports(case.body, optional, out)
        else:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if isinstance(block, list):
                    _statement_imports(block, optional, out)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = [handler.type] if not isinstance(handler.type, ast.Tuple) else list(handler.type.elts)
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception") for n in names)


_IMPORT_LINE = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)", re.MULTILINE)


def _imports(unit: SourceUnit) -> list[ImportSite]:
    """Absolute imports of one unit; from the syntax tree, or line by line when it does not parse (Python 2)."""
    found: list[tuple[str, int, bool]] = []
    if unit.module is not None:
        _statement_imports(unit.module.body, False, found)
    else:
        for match in _IMPORT_LINE.finditer(unit.code):
            line = unit.code.count("\n", 0, match.start()) + 1
            modules = match.group(1).split(",") if match.group(1) else [match.group(2)]
            found += [(m.strip(), line, False) for m in modules if not m.strip().startswith(".")]
    return [ImportSite(module.split(".")[0], module, unit.path, line, unit.location(line), opt)
            for module, line, opt in found if module]


def _notebook_installs(tree: SubmissionTree, units: list[SourceUnit]) -> list[Requirement]:
    """Packages installed by `!pip install` / `%pip install` lines in notebooks' code cells."""
    reqs: list[Requirement] = []
    for unit in units:
        if unit.kind != "ipynb":
            continue
        text = tree.read_text(unit.path) or ""
        if "install" not in text:
            continue  # most notebooks install nothing: skip parsing their JSON (outputs make it large) again
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            continue
        for cell in cells if isinstance(cells, list) else []:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            code = "".join(source) if isinstance(source, list) else str(source)
            for raw in code.splitlines():
                if raw.lstrip().startswith(("!", "%")):
                    reqs += install_command_requirements(raw, unit.path, 0)
    return reqs


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (EnvFileCheck, EnvPinnedCheck, EnvImportsDeclaredCheck)
