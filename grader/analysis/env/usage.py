"""The imports of one submission against its declarations: a decision per import, and what is declared unused."""

from __future__ import annotations

from dataclasses import dataclass

from grader.analysis.code.source import SourceUnit, all_python_sources
from grader.analysis.env.find import declarations
from grader.analysis.env.importnames import import_names, needs_no_import, provides
from grader.analysis.env.imports import defined_names, drive_mounts, import_sites, local_modules, local_packages
from grader.analysis.env.model import Requirement
from grader.analysis.env.provenance import Declarations, EnvironmentMetadata, ImportDecision, ImportKind, decide
from grader.files import SubmissionTree


@dataclass(frozen=True)
class ImportsAnalysis:
    """How every third-party import of the submission is provided, and what the declarations hold besides."""

    decisions: tuple[ImportDecision, ...]
    declarations: Declarations
    #: Units that do not parse, whose imports were read line by line.
    unparsed: tuple[SourceUnit, ...] = ()
    #: Declared distributions no code imports (freezes, locks and tools left out).
    unused: tuple[str, ...] = ()
    #: Requirements naming the project's own package (the installer would look for it on the index).
    own_declared: tuple[Requirement, ...] = ()
    #: (path, location) of every Google Drive mount: data that exists only in the group's Colab.
    drive_mounts: tuple[tuple[str, str], ...] = ()
    #: "environment metadata" when the sandbox's installed environment decided, else "static tables".
    decided_with: str = "static tables"

    def of_kind(self, *kinds: ImportKind) -> list[ImportDecision]:
        """The decisions of the given kinds, in name order."""
        return [d for d in self.decisions if d.kind in kinds]


def imports_analysis(tree: SubmissionTree, environment: EnvironmentMetadata | None = None) -> ImportsAnalysis:
    """Decide every import of the code (vendored copies included: the group ships them, so they must install).

    `environment` is the group's installed environment as the sandbox reads it; without it (static mode) the
    lock files' graphs and the static tables decide. The static result is computed once per tree.
    """
    if environment is None:
        return tree.memo("env.imports", lambda: _analyse(tree, None))
    return _analyse(tree, environment)


def _analyse(tree: SubmissionTree, environment: EnvironmentMetadata | None) -> ImportsAnalysis:
    units = all_python_sources(tree)
    files = tree.files()
    local = local_modules(files)
    decl = declarations(tree)
    decisions = decide(import_sites(units), local, defined_names(units), decl, environment)
    used = [d.name for d in decisions]
    frozen = any(f.frozen for f in decl.files)
    # A freeze, an export or a lock lists transitive packages: those are never "declared but unused".
    checked = [r for r in decl.declared if not (frozen and any(f.frozen and f.path == r.path for f in decl.files))]
    unused = sorted({r.name for r in checked if not needs_no_import(r.name)
                     and not any(provides(r.name, n) for n in used)
                     and not any(n in local for n in import_names(r.name))})
    packages = local_packages(files)
    own = tuple(r for r in decl.declared
                if not r.specifier.startswith("@") and any(n in packages for n in import_names(r.name)))
    return ImportsAnalysis(
        decisions=tuple(decisions), declarations=decl, unparsed=tuple(u for u in units if u.module is None),
        unused=tuple(unused), own_declared=own, drive_mounts=tuple(drive_mounts(units)),
        decided_with="environment metadata" if environment is not None else "static tables",
    )
