"""run.readme's plan: the README set's commands in order, classified, with the folder each runs in."""

from __future__ import annotations

from hypothesis import given

from grader.analysis.readme.plan import Action, CommandKind, readme_run_plan
from grader.files import SubmissionTree
from tests.analysis.strategies import readme_text
from tests.harness import MakeTree

README = """\
    # Keyword spotting

    ## Setup
    ```bash
    git clone https://github.com/g/kws.git && cd kws
    conda env create -f environment.yml
    conda activate kws
    source .venv/bin/activate
    pip install -r requirements.txt
    sudo apt-get install ffmpeg
    export PYTHONHASHSEED=0
    export WANDB_API_KEY=<your key>
    wandb login
    ```

    ## Data
    ```bash
    wget https://example.org/speech_commands.tar.gz
    kaggle datasets download -d x/y
    python prepare.py --data_dir data/speech_commands
    ```

    ## Usage
        cd src
        python train.py --epochs 50
        CUDA_VISIBLE_DEVICES=0 python train.py
        python evaluate.py --checkpoint ../runs/best.pt
        python evaluate.py --config ../configs/small.yaml
        streamlit run app.py
        cd ../nowhere
"""


def test_a_readme_with_every_kind_of_command(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": README, "environment.yml": "", "requirements.txt": "", "prepare.py": "",
                      "src/train.py": "", "src/evaluate.py": "", "src/app.py": "", "configs/small.yaml": ""})
    plan = readme_run_plan(SubmissionTree(root))
    got = [(c.text, c.kind.value, c.action.value, c.cwd) for c in plan.commands]
    assert got == [
        ("git clone https://github.com/g/kws.git", "download", "report", "."),
        ("cd kws", "navigate", "follow", "."),
        ("conda env create -f environment.yml", "environment", "skip", "."),
        ("conda activate kws", "activate", "follow", "."),
        ("source .venv/bin/activate", "activate", "follow", "."),
        ("pip install -r requirements.txt", "environment", "skip", "."),
        ("sudo apt-get install ffmpeg", "environment", "skip", "."),
        ("export PYTHONHASHSEED=0", "variable", "follow", "."),
        ("export WANDB_API_KEY=<your key>", "credentials", "report", "."),
        ("wandb login", "credentials", "report", "."),
        ("wget https://example.org/speech_commands.tar.gz", "download", "report", "."),
        ("kaggle datasets download -d x/y", "download", "report", "."),
        ("python prepare.py --data_dir data/speech_commands", "needs-data", "report", "."),
        ("cd src", "navigate", "follow", "src"),
        ("python train.py --epochs 50", "training", "run-briefly", "src"),
        ("CUDA_VISIBLE_DEVICES=0 python train.py", "gpu", "report", "src"),
        ("python evaluate.py --checkpoint ../runs/best.pt", "needs-data", "report", "src"),
        ("python evaluate.py --config ../configs/small.yaml", "run", "run", "src"),
        ("streamlit run app.py", "server", "run-briefly", "src"),
        ("cd ../nowhere", "navigate", "report", "src"),
    ]
    needs = [c for c in plan.commands if c.kind is CommandKind.NEEDS_DATA]
    assert [c.missing for c in needs] == [("data/speech_commands",), ("../runs/best.pt",)]
    assert all(c.path == "README.md" and c.reason for c in plan.commands)
    assert [c.text for c in plan.to_run()][:2] == ["cd kws", "conda activate kws"]
    assert all(c.action is Action.REPORT for c in plan.reported())


def test_commands_of_a_linked_document_follow_the_root_readmes(make_tree: MakeTree) -> None:
    readme = "# P\n\n```bash\npip install -r requirements.txt\n```\n\nSee [usage](docs/usage.md).\n"
    root = make_tree({"README.md": readme,
                      "docs/usage.md": "# Usage\n\n```bash\npython run.py\n```\n", "run.py": ""})
    plan = readme_run_plan(SubmissionTree(root))
    assert [(c.path, c.line, c.action.value) for c in plan.commands] == [("README.md", 4, "skip"),
                                                                          ("docs/usage.md", 4, "run")]


def test_no_readme_is_an_empty_plan(make_tree: MakeTree) -> None:
    assert readme_run_plan(SubmissionTree(make_tree({"a.py": ""}))).commands == ()


@given(readme_text)
def test_any_readme_gives_a_plan_of_known_kinds(text: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "README.md").write_text(text, encoding="utf-8", errors="replace")
        plan = readme_run_plan(SubmissionTree(Path(tmp)))
    for command in plan.commands:
        assert command.text.strip() and command.reason and command.line >= 1
        assert isinstance(command.kind, CommandKind) and isinstance(command.action, Action)
