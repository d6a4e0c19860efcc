"""The student's self-check grades what will be graded: in a git checkout, a clean export of the committed HEAD
(the batch clones the pushed repository and sees nothing else), found from any subfolder; what exists only on the
student's machine - untracked, modified, deleted and unpushed files - is listed, and the files that change the
verdict are named by grading the working tree's files statically as well and comparing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from grader.acquire import local_submission
from grader.acquire.checkout import Checkout, LocalChanges, commit_to_grade, export_commit, find_checkout, local_changes
from grader.acquire.deadline import CutError
from grader.checks.repo.deadline import SHALLOW
from grader.engine import grade
from grader.errors import GraderError
from grader.models import CheckResult, Finding, GradeReport, Severity, Skip, Submission
from grader.rubric import LoadedRubric

#: Local-only files named one by one in the report; the rest are counted.
MAX_LISTED = 15
#: Which checks read a file, by its name: what a local-only file can change.
_READERS = (
    ((".pdf", ".tex", ".bib"), "paper."),
    (("readme",), "readme."),
    (("requirements", "pyproject.toml", "setup.py", "setup.cfg", "environment", "pipfile", ".lock"), "env."),
    ((".py", ".ipynb"), "code."),
    ((".grader.toml", ".py", ".ipynb", "requirements", "pyproject.toml"), "run."),
)


@dataclass(frozen=True)
class Target:
    """What `grader check` grades, and the checkout around it."""

    submission: Submission
    #: The repository the folder lies in (None for a plain folder, or a folder graded inside a checkout).
    checkout: Checkout | None = None
    #: The working tree was graded as it is (--worktree).
    worktree: bool = False
    changes: LocalChanges | None = None
    #: Said whatever the grading finds (a folder inside a checkout, --worktree, no commit yet).
    notes: tuple[Finding, ...] = ()

    @property
    def root(self) -> Path:
        """The folder the student pointed at (the checkout's top for a repository), for paths CI shows."""
        return self.checkout.root if self.checkout is not None else self.submission.root


def find_target(path: Path | None, scratch: Path, *, deadline: datetime | None, cut: bool, worktree: bool,
                output: Path | None = None) -> Target:
    """The submission to grade for `grader check [PATH]`: without PATH the repository around the current folder;
    in a checkout its HEAD (or, with `cut`, the last commit at or before the deadline) exported into `scratch`,
    unless `worktree`. Files under `output` (grader's own reports) are not listed as local changes. Raises
    GraderError (exit 2) for a missing PATH or nothing to grade at the deadline."""
    start = Path.cwd() if path is None else path
    plain = local_submission(start, deadline=deadline)  # checks that the folder exists
    checkout = find_checkout(plain.root)
    if checkout is None:
        return Target(plain)
    if path is not None and plain.root != checkout.root:
        note = Finding(Severity.INFO, f"{path} is a folder inside the git checkout at {checkout.root}: it is graded "
                                      f"as a plain folder, as it is (grade {checkout.root}, or run grader check "
                                      "there without a path, for the repository)")
        return Target(plain, notes=(note,))
    if checkout.head is None:
        note = Finding(Severity.WARNING, "the repository has no commit yet: the lecturer's batch would find nothing "
                                         "to grade; the files are graded as they are")
        return Target(local_submission(checkout.root), checkout, True, notes=(note,))
    changes = _without(local_changes(checkout), checkout.root, output)
    if worktree:
        note = Finding(Severity.WARNING, "graded the working tree as it is (--worktree): uncommitted files count here "
                                         "but not when the lecturer grades the pushed repository")
        sub = replace(local_submission(checkout.root, deadline=deadline), ref=checkout.branch)
        return Target(sub, checkout, True, changes, (note,))
    try:
        graded = commit_to_grade(checkout, deadline if cut else None)
        export_commit(checkout, graded.sha, scratch / "committed")
    except CutError as exc:
        raise GraderError(f"{checkout.root}: {exc}") from None
    sub = Submission(id=checkout.root.name, root=scratch / "committed", source=str(checkout.root), commit=graded.sha,
                     commit_time=graded.time, ref=checkout.branch, git_dir=checkout.root, deadline=deadline)
    return Target(sub, checkout, False, changes)


def _without(changes: LocalChanges, root: Path, output: Path | None) -> LocalChanges:
    """The changes without grader's own output folder (reports of an earlier `grader check -o`)."""
    if output is None:
        return changes
    try:
        prefix = output.resolve().relative_to(root).as_posix().rstrip("/") + "/"
    except ValueError:
        return changes
    return replace(changes, untracked=tuple(p for p in changes.untracked if not p.startswith(prefix)))


def with_local_notes(target: Target, report: GradeReport, loaded: LoadedRubric) -> GradeReport:
    """The report with what the student must know first: the target's notes, a shallow clone, and every file that
    exists only here - those that change the verdict named with the checks they change."""
    notes = list(target.notes)
    changes = target.changes
    if changes is not None and target.checkout is not None:
        if changes.shallow:
            notes.append(Finding(Severity.WARNING, SHALLOW.removeprefix("not run: ")))
        changed: dict[str, tuple[CheckResult, CheckResult]] = {}
        local_files = (*changes.untracked, *changes.modified, *changes.deleted)
        if not target.worktree and local_files:
            # Only the checks that read such files are graded again: a new paper does not rerun pylint.
            families = {"readme.", *(family for f in local_files for family in _readers(f))}
            cut = _only(loaded, families)
            local = grade(local_submission(target.checkout.root, deadline=target.submission.deadline), cut)
            changed = _differences(_static_view(report, target.submission, cut), local)
        notes += _file_notes(changes, changed, target.worktree)
    return replace(report, notes=(*notes, *report.notes))


def _only(loaded: LoadedRubric, families: set[str], ids: Sequence[str] = ()) -> LoadedRubric:
    """The rubric cut down to the checks of the given families (`paper.`, `code.`...) and ids, run without the
    sandbox."""
    criteria = []
    for criterion in loaded.rubric.criteria:
        refs = [ref for ref in criterion.checks
                if (ref.id.split(".")[0] + "." in families or ref.id in ids) and not ref.id.startswith("run.")]
        if refs:
            criteria.append(criterion.model_copy(update={"checks": refs}))
    return LoadedRubric(loaded.rubric.model_copy(update={"criteria": criteria}), loaded.path)


def _static_view(report: GradeReport, submission: Submission, cut: LoadedRubric) -> GradeReport:
    """The committed report with the checks the sandbox refined (env.imports-declared, code.*) graded statically again,
    so that they compare with the working tree's static grading for what the files changed, not the sandbox."""
    if report.run is None:
        return report
    refined = [ref.id for _, ref in cut.rubric.check_refs() if ref.instantiate().refined_by_run]
    if not refined:
        return report
    static = grade(submission, _only(cut, set(), refined))
    return replace(report, checks=tuple(static.check(c.id) or c for c in report.checks))


def _differences(committed: GradeReport, local: GradeReport) -> dict[str, tuple[CheckResult, CheckResult]]:
    """Checks whose verdict differs between the committed files and the working tree (checks not run in either,
    such as the sandbox's, are not compared)."""
    out = {}
    for before in committed.checks:
        after = local.check(before.id)
        if after is None or Skip.NOT_RUN in (before.skip, after.skip):
            continue
        if before.status != after.status or abs(before.score - after.score) > 0.005:
            out[before.id] = (before, after)
    return out


def _readers(path: str) -> set[str]:
    """The check families that read a file of this name."""
    name = path.rsplit("/", 1)[-1].lower()
    return {family for patterns, family in _READERS if any(p in name for p in patterns)}


def _file_notes(changes: LocalChanges, changed: dict[str, tuple[CheckResult, CheckResult]],
                worktree: bool) -> list[Finding]:
    """One note per local-only file (the verdict-changing ones first and as warnings), and one for unpushed work."""
    notes: list[Finding] = []
    if changed:
        shown = ", ".join(f"{cid} {_verdict(b)} → {_verdict(a)}" for cid, (b, a) in list(changed.items())[:4])
        more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        notes.append(Finding(Severity.WARNING, f"your uncommitted files change the verdict ({shown}{more}, from the "
                                               "committed files to yours): commit and push them to have them graded"))
    said = {"untracked": "is not committed: the graded repository will not have it",
            "modified": "has uncommitted changes: the graded repository has the committed version",
            "deleted": "is deleted here but still committed: the graded repository has it"}
    if worktree:
        said = {kind: text.split(":")[0] + ": graded here (--worktree), not in the lecturer's grading"
                for kind, text in said.items()}
    listed: list[Finding] = []
    for kind, paths in (("untracked", changes.untracked), ("modified", changes.modified), ("deleted", changes.deleted)):
        for path in paths:
            ids = [cid for cid, (b, a) in changed.items() if _mentions(path, cid, b, a)]
            changes_said = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            message = said[kind] + (f" (it changes {changes_said})" if ids else "")
            matters = ids or (worktree and _readers(path))
            listed.append(Finding(Severity.WARNING if matters else Severity.INFO, message, path))
    listed.sort(key=lambda f: f.severity is not Severity.WARNING)
    notes += listed[:MAX_LISTED]
    if len(listed) > MAX_LISTED:
        notes.append(Finding(Severity.INFO, f"... and {len(listed) - MAX_LISTED} more files that are not committed"))
    notes += _unpushed_notes(changes)
    return notes


def _verdict(result: CheckResult) -> str:
    """`failed 0.25`: a check's status and score in a few characters."""
    return f"{result.status} {result.score:.2f}"


def _mentions(path: str, check_id: str, before: CheckResult, after: CheckResult) -> bool:
    """Whether a changed check reads this file: named in its findings or measurements, or of its family."""
    named = any(f.path == path for f in (*before.findings, *after.findings))
    measured = any(path in str(value) for value in (*before.measurements.values(), *after.measurements.values()))
    return named or measured or check_id.split(".")[0] + "." in _readers(path)


def _unpushed_notes(changes: LocalChanges) -> Sequence[Finding]:
    """The work the lecturer's clone will not have until it is pushed."""
    if changes.no_remote:
        return [Finding(Severity.WARNING, "the repository has no remote: the lecturer's batch clones the repository "
                                          "from one (git remote add origin URL, then git push -u origin BRANCH)")]
    if not changes.unpushed_commits:
        return []
    files = ", ".join(changes.unpushed_files[:10]) + (" ..." if len(changes.unpushed_files) > 10 else "")
    where = changes.upstream or "any remote branch"
    matters = any(_readers(f) for f in changes.unpushed_files)
    return [Finding(Severity.WARNING if matters else Severity.INFO,
                    f"{changes.unpushed_commits} commit(s) are not pushed to {where}: the lecturer's clone will not "
                    f"have them until you push ({files or 'no file changes'})")]

