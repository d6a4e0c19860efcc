"""Agreement of the static checks with the corpus labels, on the repositories' real code at the labelled commits.

Run as `python bench/calibrate_static.py [CORPUS] [MIRRORS]` (defaults: ../shared/corpus and /work/.mirror).
For every labelled repository whose fetched snapshot (`MIRRORS/OWNER+NAME/repo`, as the search tool's `fetch`
leaves it) holds the labelled commit, that commit is unpacked into a temporary folder (blobs missing from the
snapshot skipped; deleted afterwards) and graded statically. Without a snapshot the corpus copy is used (README
and environment files only), and the code judgements are left out for that repository.

Judgements per repository, each agreeing or not:
  README: setup section, run section, command lines of the root README (exact count);
  environment: files found, pinning;
  imports: the undeclared import names, as a set (labels count transitive-only and README/notebook-only installs
  as undeclared; missing local modules, Colab modules and notebook-only IPython are not counted);
  vendored: the vendored folders or files, as a set (`.` for a repository that is mostly an upstream copy);
  comments: adequate (label 3 or more) versus the mean of code.comments and code.docstrings reaching 0.5.
Nothing is copied into the repository; the snapshots are read in place.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.checks.base import CheckContext, run_check
from grader.checks.code import CodeCommentsCheck, CodeDocstringsCheck
from grader.checks.env import EnvFileCheck, EnvImportsDeclaredCheck, EnvPinnedCheck
from grader.checks.readme import ReadmeCommandsCheck, ReadmeSectionsCheck
from grader.files import SubmissionTree
from grader.models import CheckResult, Status, Submission

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_MIRRORS = Path("/work/.mirror")
JUDGEMENTS = ("setup", "run", "commands", "env files", "pinning", "imports", "vendored", "comments")


def unpack(git_dir: Path, commit: str, dest: Path) -> bool:
    """Write the files of `commit` under `dest` (links and blobs the snapshot lacks are skipped)."""
    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit],
                             capture_output=True, check=False)
    if listing.returncode != 0:
        return False
    entries = []
    for record in listing.stdout.split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            mode, kind, oid = meta.split()
            parts = PurePosixPath(path.decode("utf-8", "replace")).parts
            if kind == b"blob" and mode != b"120000" and ".." not in parts:
                entries.append((oid, parts))
    with subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        for oid, parts in entries:
            batch.stdin.write(oid + b"\n")
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            if header[-1] == b"missing":
                continue
            data = batch.stdout.read(int(header[2]))
            batch.stdout.read(1)
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        batch.stdin.close()
    return True


def _names(value: str) -> set[str]:
    return set() if value.strip() in ("none", "-", "") else {v.strip() for v in value.split(",")}


def _list(result: CheckResult, key: str) -> list[str]:
    value = result.measurements.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


def judge(row: dict[str, str], folder: Path, copy: Path, with_code: bool,
          source: Submission) -> dict[str, tuple[str, str]]:
    """(predicted, labelled) per judgement for one repository; environment files and pinning are judged on the
    corpus copy (`copy`), which holds exactly the kinds of file the labels count (no lock files, no setup.py)."""
    ctx = CheckContext(submission=source, tree=SubmissionTree(folder))
    copied = CheckContext(submission=source, tree=SubmissionTree(copy))

    def check(kind: Callable[[], object], on: CheckContext = ctx) -> CheckResult:
        return run_check(kind(), on)  # type: ignore[arg-type]

    sections, commands = check(ReadmeSectionsCheck), check(ReadmeCommandsCheck)
    found = _list(sections, "found")
    files, kinds = _list(check(EnvFileCheck, copied), "files"), _list(check(EnvFileCheck, copied), "kinds")
    declaring = sorted(p for p, k in zip(files, kinds, strict=True) if k != "dockerfile")
    pinned = check(EnvPinnedCheck, copied)
    root_commands = commands.measurements.get("root_commands", commands.measurements.get("commands", 0))
    out = {
        "setup": ("yes" if "setup" in found else "no", row["readme_has_setup_section"]),
        "run": ("yes" if "usage" in found else "no", row["readme_has_run_section"]),
        "commands": (str(root_commands), row["readme_commands"]),
        "env files": (", ".join(declaring) or "none", ", ".join(sorted(row["env_files"].split(", ")))),
        "pinning": (_pinning(pinned), row["env_pinned"]),
    }
    if not with_code:
        return out
    imports = check(EnvImportsDeclaredCheck)
    undeclared = {*_list(imports, "missing"), *_list(imports, "transitive"), *_list(imports, "installed_elsewhere")}
    out["imports"] = (", ".join(sorted(undeclared, key=str.lower)) or "none" if declaring else "-",
                      ", ".join(sorted(_names(row["imports_undeclared"]), key=str.lower))
                      or row["imports_undeclared"])
    comments, docstrings = check(CodeCommentsCheck), check(CodeDocstringsCheck)
    vendored = comments.measurements.get("vendored") or []
    paths = sorted(str(v["path"]) for v in vendored if isinstance(v, dict)) if isinstance(vendored, list) else []
    out["vendored"] = (", ".join(paths) or "none", ", ".join(sorted(_names(row["vendored"]))) or "none")
    mean = (comments.score + docstrings.score) / 2
    out["comments"] = (f"{'adequate' if mean >= 0.5 else 'poor'} ({mean:.2f})",
                       f"{'adequate' if int(row['comments_1to5']) >= 3 else 'poor'} ({row['comments_1to5']})")
    return out


def _pinning(result: CheckResult) -> str:
    if result.status is Status.SKIPPED:
        return "-"
    if result.measurements.get("locked") or result.measurements.get("exact_ratio") == 1.0:
        return "all"
    return "none" if result.measurements.get("pinned_ratio") == 0.0 else "partial"


def _agrees(name: str, predicted: str, labelled: str) -> bool:
    if name == "comments":
        return predicted.split()[0] == labelled.split()[0]
    if name in ("imports", "vendored", "env files"):
        return {p.strip() for p in predicted.split(",")} == {p.strip() for p in labelled.split(",")}
    return predicted == labelled


def main(argv: list[str]) -> int:
    """Grade each labelled repository statically and print the agreement per judgement and in total."""
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    mirrors = Path(argv[2]) if len(argv) > 2 else DEFAULT_MIRRORS
    if not (corpus / "labels.tsv").is_file():
        print(f"no corpus at {corpus} (labels.tsv missing); nothing to calibrate")
        return 0
    rows = list(csv.DictReader((corpus / "labels.tsv").open(encoding="utf-8"), delimiter="\t"))
    agree = dict.fromkeys(JUDGEMENTS, 0)
    total = dict.fromkeys(JUDGEMENTS, 0)
    for row in rows:
        name = row["repo"].replace("/", "+")
        git_dir = next((p for p in (mirrors / name / "repo" / ".git", mirrors / name / "repo") if
                        (p / "objects").is_dir()), None)
        with tempfile.TemporaryDirectory(prefix="calibrate-") as scratch:
            folder, with_code = corpus / name, False
            if git_dir is not None and unpack(git_dir, row["commit"], Path(scratch)):
                folder, with_code = Path(scratch), True
            stamp = next((line.split(": ", 1)[1] for line in (corpus / name / "SOURCE.txt").read_text(
                encoding="utf-8").splitlines() if line.startswith("commit_date:")), None)
            source = Submission(id=name, root=folder, source=f"https://github.com/{row['repo']}.git",
                                commit_time=datetime.fromisoformat(stamp) if stamp else None)
            results = judge(row, folder, corpus / name, with_code, source)
        print(f"{row['repo'][:60]}{'' if with_code else '  (no snapshot: README and environment only)'}")
        for judgement, (predicted, labelled) in results.items():
            ok = _agrees(judgement, predicted, labelled)
            agree[judgement] += ok
            total[judgement] += 1
            if not ok:
                print(f"    {judgement:10} predicted {predicted[:70]!r}  labelled {labelled[:70]!r}")
    print("\nagreement per judgement:")
    for judgement in JUDGEMENTS:
        if total[judgement]:
            share = agree[judgement] / total[judgement]
            print(f"  {judgement:10} {agree[judgement]:>3}/{total[judgement]:<3} {share:.0%}")
    right, count = sum(agree.values()), sum(total.values())
    print(f"  {'all':10} {right:>3}/{count:<3} {right / count:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
