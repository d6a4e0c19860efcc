"""How each third-party import reaches the group's code: declared, brought in by a declared distribution, installed
only by the README or a notebook, or not at all (an undeclared distribution, a local module that was never
committed, a Python 2 module); and which evidence decided it.

The decision uses the installed environment's own metadata when the sandbox provides it (`EnvironmentMetadata`:
`importlib.metadata.packages_distributions()` and each distribution's requirements inside the group's image),
else lock files' dependency graphs, else the static tables of `importnames` and `stacks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from grader.analysis.env.importnames import DIST_TO_IMPORTS, import_names, is_stdlib, platform_provided, provides
from grader.analysis.env.imports import ImportSite
from grader.analysis.env.model import EnvFile, Requirement
from grader.analysis.env.stacks import AMBIGUOUS, KNOWN_REQUIRES, PREFERRED, PYTHON2_MODULES, canonical, closure

#: Modules that left the standard library in recent Pythons but were there for the code's authors.
_FORMER_STDLIB = frozenset({"distutils", "imp", "asynchat", "asyncore", "smtpd"})


class ImportKind(StrEnum):
    """What an import of a third-party-looking module turned out to be."""

    DECLARED = "declared"
    TRANSITIVE = "transitive"
    ELSEWHERE = "elsewhere"
    UNDECLARED = "undeclared"
    MISSING_LOCAL = "missing-local"
    PYTHON2 = "python2"
    OPTIONAL = "optional"
    PLATFORM = "platform"


@dataclass(frozen=True)
class EnvironmentMetadata:
    """What an installed environment says about itself (the sandbox reads it inside the group's image).

    `distributions` maps a top-level import name to the distributions providing it (as
    `importlib.metadata.packages_distributions()` does); `requires` maps a distribution (PEP 503 name) to the
    distributions it requires (from each distribution's `Requires-Dist`, extras left out).
    """

    distributions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Declarations:
    """Everything that declares or installs packages: environment files, and the places outside them."""

    files: tuple[EnvFile, ...]
    declared: tuple[Requirement, ...]
    #: Installs outside the environment files: (how, in words, requirements) for notebooks, the README, a
    #: Dockerfile ("declared only in a notebook (`!pip install`)").
    elsewhere: tuple[tuple[str, tuple[Requirement, ...]], ...] = ()


@dataclass(frozen=True)
class ImportDecision:
    """The verdict on one top-level import name, the distribution concerned, and how it was decided."""

    name: str
    kind: ImportKind
    sites: tuple[ImportSite, ...]
    #: The distribution that provides it, or should (None when none is known).
    distribution: str | None = None
    #: The evidence in words: "declared as librosa (requirements.txt:3)", "a dependency of librosa"...
    reason: str = ""
    #: Which source of knowledge decided: metadata, lock file, known stack, name table, layout, python2 table.
    decided_by: str = ""


def decide(
    sites: list[ImportSite], local: set[str], defined: set[str], decl: Declarations,
    environment: EnvironmentMetadata | None = None,
) -> list[ImportDecision]:
    """One decision per third-party top-level name the code imports, sorted by name; standard library and the
    repository's own modules are left out."""
    by_name: dict[str, list[ImportSite]] = {}
    platform: dict[str, list[ImportSite]] = {}
    for site in sites:
        if platform_provided(site.module, site.in_notebook):
            platform.setdefault(_platform_module(site.module), []).append(site)
        elif site.name not in local and not is_stdlib(site.name) and site.name not in _FORMER_STDLIB:
            by_name.setdefault(site.name, []).append(site)
    graph, graph_source = _graph(decl.files, environment)
    reached = _Reached(graph_source, closure((r.name for r in decl.declared), graph),
                       tuple((how, closure((r.name for r in reqs), graph)) for how, reqs in decl.elsewhere))
    decisions = [_decide(name, tuple(named), defined, decl, reached, environment)
                 for name, named in sorted(by_name.items())]
    decisions += [ImportDecision(module, ImportKind.PLATFORM, tuple(named), None, "comes with the notebook platform",
                                 "platform") for module, named in sorted(platform.items())]
    return decisions


def _platform_module(module: str) -> str:
    """The platform module a dotted import belongs to: `google.colab` for `google.colab.drive`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "google" else module


def _graph(files: tuple[EnvFile, ...], environment: EnvironmentMetadata | None) -> tuple[dict[str, tuple[str, ...]],
                                                                                           str]:
    if environment is not None and environment.requires:
        return {canonical(k): v for k, v in environment.requires.items()}, "environment metadata"
    locked = {name: deps for env in files for name, deps in env.graph}
    if locked:
        return {**KNOWN_REQUIRES, **locked}, "lock file"
    return dict(KNOWN_REQUIRES), "known stack"


@dataclass(frozen=True)
class _Reached:
    """What the declarations bring in through the dependency graph, each with the distribution that does."""

    #: Which graph: environment metadata, lock file or known stack.
    source: str
    declared: dict[str, str]
    #: The same for each way of installing outside the environment files (a notebook's pip, the README...).
    elsewhere: tuple[tuple[str, dict[str, str]], ...]


def _decide(
    name: str, sites: tuple[ImportSite, ...], defined: set[str], decl: Declarations, reached: _Reached,
    environment: EnvironmentMetadata | None,
) -> ImportDecision:
    """The decision ladder, in order: declared, optional, transitive, installed elsewhere (or as a dependency of
    what is), Python 2, missing local module, undeclared."""
    installed = tuple(canonical(d) for d in environment.distributions.get(name, ())) if environment else ()
    direct = next((r for r in decl.declared if _gives(r.name, name, installed)), None)
    if direct is not None:
        where = f" ({direct.path}:{direct.line})" if direct.line else (f" ({direct.path})" if direct.path else "")
        how = "environment metadata" if canonical(direct.name) in installed else "name table"
        return ImportDecision(name, ImportKind.DECLARED, sites, direct.name, f"declared as {direct.name}{where}", how)
    if all(s.optional for s in sites):
        return ImportDecision(name, ImportKind.OPTIONAL, sites, advised(name, installed),
                              "imported only inside try/except ImportError", "syntax")
    via = next(((dist, root) for dist, root in reached.declared.items() if _gives(dist, name, installed)), None)
    if via is not None:
        return ImportDecision(name, ImportKind.TRANSITIVE, sites, via[0], f"installed as a dependency of {via[1]}",
                              reached.source)
    for how, reqs in decl.elsewhere:
        found = next((r for r in reqs if _gives(r.name, name, installed)), None)
        if found is not None:
            return ImportDecision(name, ImportKind.ELSEWHERE, sites, found.name, how,
                                  "environment metadata" if canonical(found.name) in installed else "name table")
    for how, brought in reached.elsewhere:
        via = next(((dist, root) for dist, root in brought.items() if _gives(dist, name, installed)), None)
        if via is not None:
            return ImportDecision(name, ImportKind.ELSEWHERE, sites, via[0], f"a dependency of {via[1]}, which is "
                                  f"{how}", reached.source)
    if name in PYTHON2_MODULES:
        return ImportDecision(name, ImportKind.PYTHON2, sites, None, f"Python 2; in Python 3 use "
                              f"{PYTHON2_MODULES[name]}", "python2 table")
    distribution = advised(name, installed)
    if distribution is None and (why := _looks_local(name, sites, defined)) is not None:
        return ImportDecision(name, ImportKind.MISSING_LOCAL, sites, None, why, "layout")
    how = "environment metadata" if installed else ("name table" if distribution else "unknown")
    reason = "no environment file declares it"
    if installed:  # there all the same: the course layer's, the base image's, or another package's optional one
        reason += f"; the sandbox's environment has it only as {installed[0]}, which nothing declared brings in"
    elif environment is not None:
        reason += "; the installed environment does not have it"
    return ImportDecision(name, ImportKind.UNDECLARED, sites, distribution, reason, how)


def _gives(distribution: str, name: str, installed: tuple[str, ...]) -> bool:
    return canonical(distribution) in installed or provides(distribution, name)


#: Every import name some known distribution provides.
_KNOWN_IMPORTS = frozenset(n for names in DIST_TO_IMPORTS.values() for n in names) | frozenset(PREFERRED)


def advised(name: str, installed: tuple[str, ...] = ()) -> str | None:
    """The distribution to declare for an import name, or None when no mapping is known (never a guess)."""
    if installed:
        return installed[0]
    if name in AMBIGUOUS:
        return None
    if name in PREFERRED:
        return PREFERRED[name]
    known = [dist for dist, names in DIST_TO_IMPORTS.items() if name in names]
    exact = [dist for dist in known if canonical(dist) == canonical(name)]
    if exact or known:
        return (exact or known)[0]
    stacked = [dist for dist in KNOWN_REQUIRES if name in import_names(dist)]
    return stacked[0] if stacked else None


def _looks_local(name: str, sites: tuple[ImportSite, ...], defined: set[str]) -> str | None:
    """Why an unknown module reads like one of the group's own files that was never committed; None if not."""
    if name in _KNOWN_IMPORTS:
        return None
    taken = {n for s in sites for n in s.names if n != "*"}
    if taken & defined:
        shown = ", ".join(sorted(taken & defined)[:3])
        return f"the names it gives ({shown}) are defined in the repository's own modules"
    if name != name.lower() and not name.isupper():
        return "a mixed-case name, as students name their own modules; no distribution is known by it"
    if any("*" in s.names for s in sites):
        return "star-imported, as the group's own helper modules are; no distribution is known by it"
    return None
