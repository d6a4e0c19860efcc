"""Environment-file checks: found and parsable, pinning, imports declared."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from packaging.version import InvalidVersion, Version
from pydantic import Field

from grader.analysis.code.source import all_python_sources
from grader.analysis.env.find import (
    declared_requirements,
    environment_files,
    preferred_environment,
    readme_requirements,
)
from grader.analysis.env.model import EnvFile, EnvKind, Pin, Requirement, exact_pin
from grader.analysis.env.provenance import Declarations, EnvironmentMetadata, ImportDecision, ImportKind
from grader.analysis.env.usage import imports_analysis
from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, finding
from grader.files import SubmissionTree
from grader.models import CheckResult, Finding, Measurement, Severity, Skip, Status
from grader.outcomes import BuildResult, InstalledEnvironment, RunOutcome, StepName, StepStatus

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
        findings.append(finding("no environment file (requirements.txt, pyproject.toml, environment.yml...): add a "
                                "requirements.txt that lists the packages the code imports, with the versions you "
                                "use (`pip freeze` shows them)"))
        return self.result(Status.FAILED, 0.0, "no environment file found", measurements, findings)


def _primary(files: list[EnvFile]) -> str:
    """The kind a sandbox would install from, or `none`."""
    preferred = preferred_environment(files)
    return preferred.kind.value if preferred is not None else "none"


def _problems(files: list[EnvFile]) -> list[Finding]:
    out = []
    for env in files:
        if env.error is not None:
            out.append(finding(f"{env.error}; fix {env.path} so that it parses, then install from it once in a fresh "
                               "environment to check", env.path, env.error_line))
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
    description = ("Share of requirements with an exact (==) or bounded (<, ~=, ==x.*) version; lock files count. "
                   "After the sandbox's install, the advice adds the version a fresh install takes today.")
    # The sandbox only improves the advice: the score and status are the files' alone.
    refined_by_run = True

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
        unpinned = [r for r in reqs if r.pin is Pin.NONE]
        pins = _installed_pins(unpinned, _installed(ctx.run), {f.path: f.kind for f in files})
        findings = [finding(f"{r.name} has no version bound: {_pin_advice(r, pins.get(r.key))}", r.path, r.line,
                            Severity.INFO) for r in unpinned][:_MAX_FINDINGS]
        if locks:
            findings = [finding("lock file pins every package", locks[0].path, severity=Severity.INFO)]
        status = Status.PASSED if ratio >= options.target_ratio else Status.FAILED
        summary = f"{ratio:.0%} of {len(reqs)} requirements pinned" + (f" (locked in {locks[0].path})" if locks else "")
        if status is Status.FAILED:
            summary += f"; {_pins_to_write(unpinned, pins)}"
        return self.result(status, ratio / options.target_ratio, summary, measurements, findings)


def _installed_pins(
    unpinned: list[Requirement], installed: InstalledEnvironment | None, kinds: Mapping[str, EnvKind]
) -> dict[str, tuple[str, str]]:
    """For each unpinned requirement the sandbox installed: the version installed and the pin to write, in the
    syntax of the file that declares it. The pin names the public version: `==2.4.0` matches the installed
    `2.4.0+cpu` (PEP 440) without the index that serves local builds."""
    # Empty under --static or after a failed install; without a conda name that is not the installed distribution's.
    versions = installed.versions if installed is not None else {}
    out = {}
    for req in (r for r in unpinned if r.key in versions):
        try:
            public = Version(versions[req.key]).public
        except InvalidVersion:  # the sandbox keeps PEP 440 versions only; a check never raises on the run's data
            continue
        out[req.key] = (versions[req.key], exact_pin(req, kinds.get(req.path), public))
    return out


def _pin_advice(requirement: Requirement, installed: tuple[str, str] | None) -> str:
    """How to pin one requirement, in the syntax of the file that declares it: to the version the student uses, and,
    when the sandbox ran, the pin a fresh install gets today (which the code may never have been run with)."""
    name, conda = requirement.name, requirement.source == "conda"
    shows = f"`{'conda list' if conda else 'pip show'} {name}` shows it"
    if installed is not None:
        return f"pin it to the version you use ({shows}); a fresh install takes {installed[0]} today: `{installed[1]}`"
    return f"pin it to the version you use, e.g. `{name}{'=X.Y' if conda else '==X.Y.Z'}` ({shows})"


def _pins_to_write(unpinned: list[Requirement], pins: Mapping[str, tuple[str, str]]) -> str:
    """The summary's advice: the versions the student uses, and the pins a fresh install gets today where the sandbox
    installed the package (the newest that installs, not necessarily the one the code was written for)."""
    said = f"pin them to the versions you use (`pip freeze` lists them): {_first_three([r.name for r in unpinned])}"
    known = [pins[r.key][1] for r in unpinned if r.key in pins]
    return said + (f"; a fresh install takes today: {_first_three(known)}" if known else "")


def _first_three(items: list[str]) -> str:
    return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


class EnvImportsDeclaredCheck(Check[CheckOptions]):
    """env.imports-declared: third-party imports in code and notebooks against the declared distributions."""

    id = "env.imports-declared"
    title = "Imports declared"
    description = ("Every third-party package the code imports is declared; standard library and own modules "
                   "excluded. Each import is decided and the evidence recorded: declared, a dependency of a "
                   "declared distribution, installed only by the README or a notebook, a local module never "
                   "committed, a Python 2 module, optional (try/except ImportError), or a notebook platform's. "
                   "After the sandbox's install, the installed environment's own metadata decides.")
    refined_by_run = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Decide every imported top-level module and score the share that a fresh environment provides."""
        if not all_python_sources(ctx.tree):
            return self.by_choice("no Python code or notebooks")
        environment, static_because = installed_environment(ctx.run)
        found = imports_analysis(ctx.tree, environment)
        target = _target(found.declarations)
        findings = [finding(f"{u.error or 'not parsed'}; imports read line by line", u.path, u.error_line,
                            Severity.INFO) for u in found.unparsed[:_MAX_FINDINGS]]
        if static_because is not None:
            findings.append(finding(static_because, severity=Severity.INFO))
        findings += [_advice(d, target) for d in found.decisions if d.kind is not ImportKind.DECLARED]
        findings += [finding(f"mounts Google Drive{_place(path, where)}: the files it reads exist only in your "
                             "Colab; say in the README where the data comes from", path, severity=Severity.INFO)
                     for path, where in found.drive_mounts[:_MAX_FINDINGS]]
        findings += [finding(f"{name} is declared but never imported", severity=Severity.INFO)
                     for name in found.unused[:_MAX_FINDINGS]]
        findings += [finding(f"{r.name} is declared as a package to install, but it is the project's own code; "
                             "installing the environment will look for it on the package index: remove it from "
                             f"{r.path or 'the environment file'}", r.path or None, r.line, Severity.WARNING)
                     for r in found.own_declared[:_MAX_FINDINGS]]
        names = {kind: [d.name for d in found.of_kind(kind)] for kind in ImportKind}
        counted = [d for d in found.decisions if d.kind in _PENALTY]
        lost = sum(_PENALTY[d.kind] for d in counted)
        score = 1.0 - lost / len(counted) if counted else 1.0
        measurements: dict[str, Measurement] = {
            "missing": list[Measurement](names[ImportKind.UNDECLARED]),
            "transitive": list[Measurement](names[ImportKind.TRANSITIVE]),
            "installed_elsewhere": list[Measurement](names[ImportKind.ELSEWHERE]),
            "missing_local": list[Measurement](names[ImportKind.MISSING_LOCAL]),
            "python2": list[Measurement](names[ImportKind.PYTHON2]),
            "optional": list[Measurement](names[ImportKind.OPTIONAL]),
            "platform": list[Measurement](names[ImportKind.PLATFORM]),
            "unused": list[Measurement](found.unused),
            "imports": len(counted),
            "declared": len(found.declarations.declared),
            "unparsed": [u.path for u in found.unparsed],
            "frozen": any(f.frozen for f in found.declarations.files),
            "own_declared": [r.name for r in found.own_declared],
            "decided_with": found.decided_with,
            "decisions": [{"import": d.name, "kind": d.kind.value, "distribution": d.distribution,
                           "decided_by": d.decided_by, "reason": d.reason} for d in found.decisions[:_MAX_LISTED]],
        }
        missing = names[ImportKind.UNDECLARED]
        declared = sum(d.kind in (ImportKind.DECLARED, ImportKind.OPTIONAL) for d in counted)
        summary = (f"{len(missing)} of {len(counted)} third-party imports not declared: {', '.join(missing[:6])}"
                   if missing else f"{declared} of {len(counted)} third-party imports declared")
        checked = ""
        installed = _installed(ctx.run)
        if installed is not None:
            measurements["installed_distributions"] = installed.count
            checked = " (checked against the installed environment)"
        status = Status.FAILED if missing else Status.PASSED
        return self.result(status, score, summary + _nuance(names) + checked, measurements, findings)


#: What a kind of import costs: undeclared fails a fresh install; installed elsewhere needs the instructions
#: followed; transitive works until the declared distribution stops requiring it.
_PENALTY = {ImportKind.DECLARED: 0.0, ImportKind.OPTIONAL: 0.0, ImportKind.UNDECLARED: 1.0,
            ImportKind.ELSEWHERE: 0.5, ImportKind.TRANSITIVE: 0.25}
_MAX_LISTED = 100


def installed_environment(run: RunOutcome | None) -> tuple[EnvironmentMetadata | None, str | None]:
    """The installed environment's metadata from the sandbox's build, or None with why the static tables decide
    (None, None under --static, where that goes without saying)."""
    if run is None:
        return None, None
    installed, build = _installed(run), run.step(StepName.BUILD)
    if installed is not None:
        return EnvironmentMetadata(installed.distributions, installed.requires), None
    if build is None or build.status is not StepStatus.PASSED:
        return None, "decided with the static tables: the environment did not install in the sandbox"
    return None, "decided with the static tables: the installed environment's metadata could not be read"


def _installed(run: RunOutcome | None) -> InstalledEnvironment | None:
    """What the installed environment said of itself in the sandbox's build; None under --static, when the install
    failed or its metadata could not be read."""
    build = run.step(StepName.BUILD) if run is not None else None
    detail = build.detail if build is not None else None
    return detail.installed if isinstance(detail, BuildResult) else None


def _place(path: str, location: str) -> str:
    """` in cell 3` for a notebook's location, ` on line 12` for a file's."""
    where = location.removeprefix(path).strip(" ():")
    return f" in {where}" if where.startswith("cell") else (f" on line {where}" if where else "")


def _nuance(names: dict[ImportKind, list[str]]) -> str:
    parts = [f"{len(names[ImportKind.TRANSITIVE])} only as a dependency of a declared package"
             if names[ImportKind.TRANSITIVE] else "",
             f"{len(names[ImportKind.ELSEWHERE])} installed only by the README or a notebook"
             if names[ImportKind.ELSEWHERE] else "",
             f"{len(names[ImportKind.MISSING_LOCAL])} local module(s) missing" if names[ImportKind.MISSING_LOCAL]
             else ""]
    shown = [p for p in parts if p]
    return f"; {'; '.join(shown)}" if shown else ""


def _target(decl: Declarations) -> str:
    """Where a student should declare a package, in words: their own environment file, or a new one."""
    preferred = preferred_environment([f for f in decl.files if not f.evidence_only])
    if preferred is None:
        return "a requirements.txt (there is no environment file yet)"
    if preferred.kind is EnvKind.CONDA:
        return f"{preferred.path} (under `pip:` if conda does not have it)"
    if preferred.is_lock:
        return "pyproject.toml, then update the lock file"
    return preferred.path


def _advice(decision: ImportDecision, target: str) -> Finding:
    """One finding a student can act on, with the distribution to declare only when one is known."""
    first = next((s for s in decision.sites if not s.optional), decision.sites[0])
    others = len({s.path for s in decision.sites}) - 1
    where = (f" in {first.location.removeprefix(first.path).strip(' ()')}" if first.in_notebook else "") + (
        f" (and in {others} more file(s))" if others else "")
    line = None if first.in_notebook else first.line
    name, dist = decision.name, decision.distribution
    declare = f"add `{dist}` to {target}" if dist else (
        f"no distribution is known to provide `{name}`: find the package that does and add it to {target}")
    text = {
        ImportKind.UNDECLARED: f"imports {name!r}{where}, but no environment file declares it: {declare}",
        ImportKind.TRANSITIVE: f"imports {name!r}{where}, which is not declared; it is {decision.reason}: {declare}"
                               ", since that dependency may change",
        ImportKind.ELSEWHERE: f"imports {name!r}{where}, which is {decision.reason}: {declare}, so a fresh "
                              "environment has it",
        ImportKind.MISSING_LOCAL: f"imports {name!r}{where}, which is neither in the repository nor a known "
                                  f"distribution ({decision.reason}): commit {name}.py if it is your module",
        ImportKind.PYTHON2: f"imports {name!r}{where}, a Python 2 module that Python 3 does not have: "
                            f"{decision.reason.split('; ', 1)[-1]}",
        ImportKind.OPTIONAL: f"imports {name!r}{where} only inside try/except ImportError: optional, not required "
                             "in the environment file",
        ImportKind.PLATFORM: f"{name} comes with the notebook platform, not an environment file; the code "
                             f"needs that platform to run{where}",
    }[decision.kind]
    severity = {ImportKind.UNDECLARED: Severity.ERROR, ImportKind.OPTIONAL: Severity.INFO,
                ImportKind.PLATFORM: Severity.INFO}.get(decision.kind, Severity.WARNING)
    return finding(text, first.path, line, severity)


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (EnvFileCheck, EnvPinnedCheck, EnvImportsDeclaredCheck)
