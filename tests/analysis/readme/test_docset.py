"""The README as a set of documents, the repository's home on its host, and template READMEs."""

from __future__ import annotations

import pytest

from grader.analysis.readme.docset import readme_set
from grader.analysis.readme.document import parse_document
from grader.analysis.readme.home import RepositoryHome, parse_remote, paths_in_home
from grader.analysis.readme.template import judge_template
from grader.files import SubmissionTree
from tests.harness import MakeTree

HANDOVER = """\
    # Drum transcription

    A CRNN that transcribes drums. The repository is laid out as follows:

    ```
    scripts/   the pipeline
    docs/      notes
    ```

    A walkthrough of the pipeline is in [scripts/README.md](https://gitlab.example.org/dl4ad/group-3/-/blob/main/scripts/README.md),
    the data preparation in [its own notes](data/PREPARE.md), and the design in `notes/design.md`.
"""
WALKTHROUGH = """\
    # Walkthrough

    ## Setup
    ```bash
    pip install -r ../requirements.txt
    ```

    ## Usage
    ```bash
    python train.py --epochs 3
    ```
"""


def test_the_readme_set_follows_links_absolute_urls_named_documents_and_docs(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": HANDOVER, "scripts/README.md": WALKTHROUGH, "scripts/train.py": "",
                      "data/PREPARE.md": "# Data\n\nDownload it.\n", "notes/design.md": "# Design\n",
                      "docs/index.md": "# Docs\n", "docs/api/deep/x.md": "# too deep\n",
                      "requirements.txt": "torch\n"})
    home = RepositoryHome("gitlab.example.org", "dl4ad/group-3")
    docs = readme_set(SubmissionTree(root), home)
    assert [(d.path, d.origin) for d in docs.documents] == [
        ("README.md", "root README"), ("scripts/README.md", "linked from README.md:10"),
        ("data/PREPARE.md", "linked from README.md:11"), ("notes/design.md", "named in README.md:11"),
        ("docs/index.md", "docs folder")]
    assert [(c.path, c.line, c.text) for c in docs.commands] == [
        ("scripts/README.md", 5, "pip install -r ../requirements.txt"),
        ("scripts/README.md", 10, "python train.py --epochs 3")]
    # Without the repository's home the URL is just another site's; the link text still names the document.
    without_home = {d.path: d.origin for d in readme_set(SubmissionTree(root)).documents}
    assert without_home["scripts/README.md"] == "named in README.md:10"


def test_the_readme_set_is_bounded(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"README.md": "# Hub\n\n" + "\n".join(f"- [d{i}](d{i}.md)" for i in range(40))}
    files.update({f"d{i}.md": f"# Doc {i}\n" for i in range(40)})
    docs = readme_set(SubmissionTree(make_tree(files)))
    assert len(docs.documents) == 13  # the root README and twelve more


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/Group7/DL-Project.git", RepositoryHome("github.com", "Group7/DL-Project")),
        ("git@github.com:group7/dl-project.git", RepositoryHome("github.com", "group7/dl-project")),
        ("ssh://git@gitlab.lrz.de:2222/ml-lab/ws20/project-1.git", RepositoryHome("gitlab.lrz.de",
                                                                                   "ml-lab/ws20/project-1")),
        ("https://www.git.example.org/a/b/", RepositoryHome("git.example.org", "a/b")),
        ("/home/student/project", None),
        ("https://github.com/only-owner", None),
    ],
)
def test_remotes_of_any_host(remote: str, expected: RepositoryHome | None) -> None:
    assert parse_remote(remote) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/group7/dl-project/blob/main/scripts/README.md", ["scripts/README.md", "README.md"]),
        ("https://raw.githubusercontent.com/group7/DL-Project/main/fig.png", ["fig.png"]),
        ("https://github.com/group7/DL-Project", [""]),
        ("https://github.com/group7/DL-Project/tree/main", [""]),
        ("https://github.com/group7/DL-Project/issues/3", None),
        ("https://github.com/calclavia/DeepJ/blob/master/README.md", None),
        ("https://github.com/group7/DL-Project-2/blob/main/x.py", None),
        ("https://gitlab.com/group7/DL-Project/-/blob/main/x.py", None),
    ],
)
def test_links_into_the_repository_itself(url: str, expected: list[str] | None) -> None:
    assert paths_in_home(url, RepositoryHome("github.com", "group7/DL-Project")) == expected


def test_gitlab_file_links() -> None:
    home = RepositoryHome("gitlab.lrz.de", "ml-lab/project-1")
    assert paths_in_home("https://gitlab.lrz.de/ml-lab/project-1/-/blob/feature/x/src/a.py", home) == [
        "x/src/a.py", "src/a.py", "a.py"]


COURSE_TEMPLATE = """\
# DL4AD project template

Replace this README with a description of your project. Your repository must contain:

- `src/model.py` with your network and `src/train.py` to train it;
- `environment.yml` with every package you use;
- a `paper/` folder with the 4-page paper in the IEEE conference template.

## How to run
```bash
conda env create -f environment.yml
python -m src.train --config configs/default.yaml
```
"""


def test_an_unchanged_course_template_and_an_edited_one() -> None:
    files = ["src/net.py", "environment.yml"]
    doc = parse_document(COURSE_TEMPLATE, "README.md")
    verdict = judge_template(doc, (), files, [COURSE_TEMPLATE])
    assert verdict.is_template and verdict.similarity == 1.0 and "unchanged" in verdict.reason
    own = COURSE_TEMPLATE.replace("# DL4AD project template", "# Drum transcription") + (
        "\nWe transcribe drums from polyphonic music with a convolutional recurrent network trained on ENST. " * 6)
    edited = judge_template(parse_document(own, "README.md"), (), files, [COURSE_TEMPLATE])
    assert not edited.is_template and edited.similarity is not None and edited.similarity < 0.85


def test_a_readme_describing_another_projects_files_is_a_template() -> None:
    doc = parse_document(COURSE_TEMPLATE, "README.md")
    verdict = judge_template(doc, (), ["mycode/net.py", "mycode/run.py", "requirements.txt"])
    assert verdict.is_template and verdict.existing == 0 and verdict.referenced >= 3
    assert "src/model.py" in verdict.absent
    ours = judge_template(doc, (), ["src/model.py", "notes.txt", "a.py"])
    assert not ours.is_template and ours.existing == 1
    no_code = judge_template(doc, (), ["README.md"])
    assert not no_code.is_template  # nothing of the group's own to compare the description with
