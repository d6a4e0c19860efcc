"""Calibrate readme.sections and readme.commands against the labelled corpus (../shared/corpus), when present.

Run as `python bench/calibrate_readme.py [CORPUS]`. Prints, per repository, predicted vs labelled setup section,
run section and command count, then the agreement: sections accuracy and commands mean absolute error.
Then readme.links on a skeleton of each repository (empty files at the paths TREE.txt lists, in a temporary
folder deleted afterwards) so the broken references can be compared with the labels' notes by eye.
The corpus is read in place and never copied into the repository.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path, PurePosixPath

from grader.checks.base import CheckContext
from grader.checks.readme import ReadmeCommandsCheck, ReadmeLinksCheck, ReadmeSectionsCheck
from grader.files import SubmissionTree
from grader.models import Submission

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main(argv: list[str]) -> int:
    """Print per-repository predictions next to the labels, then the agreement figures."""
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    labels = corpus / "labels.tsv"
    if not labels.is_file():
        print(f"no corpus at {corpus} (labels.tsv missing); nothing to calibrate")
        return 0
    with labels.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    sections_right = sections_total = 0
    errors: list[int] = []
    print(f"{'repository':58} setup(p/l) run(p/l) commands(p/l)")
    for row in rows:
        folder = corpus / row["repo"].replace("/", "+")
        tree = SubmissionTree(folder)
        ctx = CheckContext(submission=Submission(id=row["repo"], root=folder, source=str(folder)), tree=tree)
        sections = ReadmeSectionsCheck().run(ctx).measurements
        commands = ReadmeCommandsCheck().run(ctx).measurements
        found = sections.get("found") or []
        assert isinstance(found, list)
        setup = "yes" if "setup" in found else "no"
        usage = "yes" if "usage" in found else "no"
        count = commands.get("commands", 0)
        assert isinstance(count, int)
        labelled = int(row["readme_commands"])
        sections_right += (setup == row["readme_has_setup_section"]) + (usage == row["readme_has_run_section"])
        sections_total += 2
        errors.append(abs(count - labelled))
        flag = "" if setup == row["readme_has_setup_section"] and usage == row["readme_has_run_section"] \
            and count == labelled else "  <-"
        print(f"{row['repo'][:58]:58} {setup:>3}/{row['readme_has_setup_section']:<3}     "
              f"{usage:>3}/{row['readme_has_run_section']:<3}    {count:>3}/{labelled:<3}{flag}")
    accuracy = sections_right / sections_total if sections_total else 0.0
    mae = sum(errors) / len(errors) if errors else 0.0
    exact = sum(1 for e in errors if e == 0)
    print(f"\nsections accuracy: {sections_right}/{sections_total} = {accuracy:.1%}")
    print(f"commands mean abs error: {mae:.2f} (exact count on {exact}/{len(errors)} repositories)")
    print("\nreadme.links on TREE.txt skeletons (compare with the notes column):")
    for row in rows:
        print(f"  {row['repo']}: {', '.join(_broken_links(corpus / row['repo'].replace('/', '+'), row['repo']))}")
    return 0


def _broken_links(folder: Path, repo: str) -> list[str]:
    """readme.links' broken references on an empty-file skeleton of the repository's full tree."""
    readme = next((p for p in folder.iterdir() if p.name.lower().startswith("readme")), None)
    tree_listing = folder / "TREE.txt"
    if readme is None or not tree_listing.is_file():
        return ["(no README or TREE.txt)"]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for line in tree_listing.read_text(encoding="utf-8", errors="replace").splitlines():
            meta, _, rel = line.partition("\t")
            parts = PurePosixPath(rel).parts
            if not parts or ".." in parts or rel.startswith("/"):
                continue
            target = root.joinpath(*parts)
            if meta.split()[1:2] == ["blob"]:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
            else:
                target.mkdir(parents=True, exist_ok=True)
        (root / readme.name).write_bytes(readme.read_bytes())
        submission = Submission(id=repo, root=root, source=f"https://github.com/{repo}.git")
        result = ReadmeLinksCheck().run(CheckContext(submission=submission, tree=SubmissionTree(root)))
    broken = result.measurements.get("broken") or []
    assert isinstance(broken, list)
    return [str(b) for b in broken] or ["-"]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
