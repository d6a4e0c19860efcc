"""The installed environment's own metadata, read from the group's image once the install worked: which distribution
provides each name the code imports, and the requirements that brought it in; the version installed of each declared
distribution; which of the notebooks' packages the install could add; and which of the submission's .py files are
copies of an installed distribution's.

It is read by a driver in a short container from the committed image, under the run steps' policy (no network,
read-only root, the grader's tools apart), and kept small: the imported names only, and of the dependency graph
only the paths from a declared distribution to one that provides an import; the versions of the declared
distributions only; of the installed files, only those identical to one of the submission's (compared by the sha256
their RECORD lists, sent as digests, never as files).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from packaging.version import InvalidVersion, Version

from grader.analysis.code.vendored import MAX_COMPARED_FILES, record_digests
from grader.analysis.env.find import declarations
from grader.analysis.env.model import Pin
from grader.analysis.env.provenance import ImportKind
from grader.analysis.env.stacks import canonical
from grader.analysis.env.usage import imports_analysis
from grader.files import SubmissionTree
from grader.outcomes import BuildResult, InstalledCopy, InstalledEnvironment, StepOutcome, StepStatus
from grader.sandbox.steps import StepRunner

#: Seconds the metadata read may take (it reads files; a healthy environment answers in about one).
METADATA_TIMEOUT_S = 60
#: Most names and distributions accepted from the driver (a real environment has a few hundred).
_MAX_ENTRIES = 20000
#: Matched whole (fullmatch): `$` would let a trailing newline through ("six\n").
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")
#: A file as an installed distribution's RECORD lists it, kept only when it is a plain .py path.
_RECORD_PATH = re.compile(r"[\w.+@/ -]{1,297}\.py")
#: A version as a distribution's metadata states it (PEP 440's characters; the local label kept: `2.4.0+cpu`).
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]{0,63}")
#: Where a requirement line's distribution name ends.
_REQUIREMENT_NAME = re.compile(r"[\s;=<>!~\[@(]")


def describe_installed(runner: StepRunner, tree: SubmissionTree, build: StepOutcome) -> StepOutcome:
    """The build step with what the installed environment says of itself, and notes on the notebooks' packages;
    the step as it was when the install failed or there is nothing to decide."""
    detail = build.detail
    if build.status is not StepStatus.PASSED or not isinstance(detail, BuildResult):
        return build
    try:
        names = imported_names(tree)
        found = declarations(tree)
        declared = {r.key for r in found.declared}
        # An unpinned requirement is worth the read on its own: env.pinned's advice names the version installed.
        unpinned = any(r.pin is Pin.NONE for r in found.declared)
        # What the environment files declare, and what notebooks or the README install: an import may come with
        # either.
        roots = [*declared, *(r.key for _, reqs in found.elsewhere for r in reqs)]
    except Exception:  # the static analysis failing is reported by env.imports-declared itself
        names, declared, unpinned, roots = set(), set(), False, []
    digests, compared = _digests(tree)
    if not names and not unpinned and not detail.for_notebooks and not digests:
        return build
    try:
        run = runner.run_driver("metadata", "metadata_driver.py", {"digests": sorted(digests)}, copy=False,
                                timeout=METADATA_TIMEOUT_S)
        data = run.data
        why = run.rejected or (str(data.get("error"))[:300] if data else run.container.error) or "no answer"
    except Exception as exc:  # the metadata only refines env.imports-declared and code.*: never a failure of the run
        data, why = None, f"{type(exc).__name__}: {exc}"[:300]
    if data is None or "error" in data:
        note = (f"the installed environment's metadata could not be read ({why}): imports are decided statically, "
                "and no file of the code was compared with the installed distributions'")
        return replace(build, detail=notebook_notes(replace(detail, notes=(*detail.notes, note)), None))
    distributions, requires = name_lists(data.get("distributions")), name_lists(data.get("requires"))
    targets = {canonical(d) for name in names for d in distributions.get(name, ())}
    installed = InstalledEnvironment(
        distributions={name: distributions[name] for name in sorted(names) if name in distributions},
        requires=relevant_graph(requires, roots, targets), count=len(requires),
        versions=installed_versions(data.get("versions"), declared),
    )
    detail = replace(detail, installed=installed, installed_copies=installed_copies(data.get("copies"), digests),
                     notes=(*detail.notes, *compared))
    if isinstance(data.get("path_note"), str):
        detail = replace(detail, notes=(*detail.notes, str(data["path_note"])[:300]))
    return replace(build, detail=notebook_notes(detail, set(requires)))


def imported_names(tree: SubmissionTree) -> set[str]:
    """The top-level names the code imports from outside the repository and the standard library."""
    return {d.name for d in imports_analysis(tree).decisions if d.kind is not ImportKind.PLATFORM}


def relevant_graph(
    requires: Mapping[str, tuple[str, ...]], roots: Iterable[str], targets: set[str]
) -> dict[str, tuple[str, ...]]:
    """The edges of `requires` that lie on a path from a root to a target: enough to say which declared
    distribution brings each import in, and nothing else."""
    graph = {canonical(k): tuple(canonical(d) for d in v) for k, v in requires.items()}
    forward = _reach({canonical(r) for r in roots}, graph)
    backward_graph: dict[str, list[str]] = {}
    for dist, needed in graph.items():
        for dependency in needed:
            backward_graph.setdefault(dependency, []).append(dist)
    backward = _reach(targets, {k: tuple(v) for k, v in backward_graph.items()})
    kept = forward & backward
    return {dist: tuple(d for d in graph[dist] if d in kept) for dist in sorted(kept)
            if dist in graph and any(d in kept for d in graph[dist])}


def _reach(start: set[str], graph: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Every node reachable from `start` (itself included)."""
    seen = set(start)
    stack = list(start)
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def name_lists(value: Any) -> dict[str, tuple[str, ...]]:
    """A driver's `{name: [names]}`, keeping only well-formed names (the image is the group's: its metadata is
    untrusted text)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for key, names in list(value.items())[:_MAX_ENTRIES]:
        if isinstance(key, str) and _NAME.fullmatch(key) and isinstance(names, list):
            out[key] = tuple(n for n in names[:_MAX_ENTRIES] if isinstance(n, str) and _NAME.fullmatch(n))
    return out


def installed_versions(value: Any, declared: set[str]) -> dict[str, str]:
    """The driver's `{distribution: version}` for the declared distributions only (PEP 503 names), keeping only
    versions that are PEP 440 (the metadata is the group's image's: untrusted text). A real environment holds
    hundreds of distributions; the report keeps what a student declared, the ones whose pins the advice is about."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for name, version in list(value.items())[:_MAX_ENTRIES]:
        if not (isinstance(name, str) and _NAME.fullmatch(name) and isinstance(version, str)):
            continue
        key = canonical(name)
        if key in declared and key not in out and _VERSION.fullmatch(version) and _pep440(version):
            out[key] = version
    return dict(sorted(out.items()))


def _pep440(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def installed_copies(value: Any, digests: Mapping[str, tuple[str, ...]]) -> tuple[InstalledCopy, ...]:
    """The driver's `{digest: [distribution, file]}` as the submission's files identical to an installed one:
    only digests that were asked about, with a well-formed name and .py path (the RECORD files are the group's
    image's: untrusted text)."""
    if not isinstance(value, dict):
        return ()
    found: list[InstalledCopy] = []
    for digest, paths in digests.items():
        where = value.get(digest)
        if isinstance(where, list) and len(where) == 2 and all(isinstance(w, str) for w in where):
            name, file = where
            if _NAME.fullmatch(name) and _RECORD_PATH.fullmatch(file):
                found.extend(InstalledCopy(path, name, file) for path in paths)
    return tuple(sorted(found, key=lambda c: c.path))


def _digests(tree: SubmissionTree) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The digests of the submission's .py files to look for among the installed files, and a note when there
    were too many to look for them all."""
    try:
        digests = record_digests(tree)
        count = len(tree.with_suffix(".py"))
    except Exception:  # comparing with installed files only refines code.*: never a failure of the run
        return {}, ()
    if count <= MAX_COMPARED_FILES:
        return digests, ()
    return digests, (f"only the first {MAX_COMPARED_FILES} of the {count} .py files were compared with the installed "
                     "distributions' files (vendored copies among the others are not found)",)


def notebook_notes(detail: BuildResult, installed: set[str] | None) -> BuildResult:
    """The run.build notes on the notebooks' packages: which were installed for them, and which pip could not
    install (`installed` None: unknown, the metadata could not be read)."""
    if not detail.for_notebooks:
        return detail
    wanted = {line: canonical(_REQUIREMENT_NAME.split(line, maxsplit=1)[0]) for line in detail.for_notebooks}
    failed = tuple(line for line, key in wanted.items() if installed is not None and key not in installed)
    done = [line for line in detail.for_notebooks if line not in failed]
    notes = list(detail.notes)
    if done:
        notes.append(f"installed for the notebooks: {', '.join(done)} (declared only in a notebook's `!pip install` "
                     "or `%pip install`, in no environment file), so those cells need no network")
    if failed:
        notes.append(f"not installed for the notebooks (pip could not install them; the build log says why): "
                     f"{', '.join(failed)}; their `pip install` cells will fail without a network")
    return replace(detail, notes=tuple(notes), notebooks_failed=failed)
