"""run.readme's plan: the README set's commands in order, classified, with the folder each runs in."""

from __future__ import annotations

from hypothesis import given

from grader.analysis.readme.home import RepositoryHome
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


def plan_of(make_tree: MakeTree, files: dict[str, str | bytes], home: RepositoryHome | None = None
            ) -> list[tuple[str, str, str, str]]:
    plan = readme_run_plan(SubmissionTree(make_tree(files)), home)
    return [(c.text, c.kind.value, c.action.value, c.cwd) for c in plan.commands]


def test_a_url_argument_training_flags_and_sub_commands(make_tree: MakeTree) -> None:
    readme = ("# P\n\n```bash\npython src/crawl.py -f https://drive.google.com/file/d/x/view -d data/train\n"
              "python src/learn.py --config configs/a.yaml --train\npython main.py fit --config configs/a.yaml\n"
              "python src/serve.py --host http://localhost:8000\n```\n")
    files = {"README.md": readme, "src/crawl.py": "", "src/learn.py": "", "main.py": "", "src/serve.py": "",
             "configs/a.yaml": ""}
    assert [(k, a) for _, k, a, _ in plan_of(make_tree, files)] == [
        ("download", "report"), ("training", "run-briefly"), ("training", "run-briefly"), ("run", "run")]


def test_paths_given_to_options_are_data_unless_written_or_code(make_tree: MakeTree) -> None:
    readme = ("# P\n\n```bash\npython train.py --real data/real --fake data/fake --epochs 1\n"
              "python eval.py --out_dir results/run1 --save-path models/best --config configs/missing.yaml\n"
              "python eval.py --model saved/model.pt\n```\n")
    files = {"README.md": readme, "train.py": "", "eval.py": "", "data/.gitkeep": "", "saved/model.pt": ""}
    plan = readme_run_plan(SubmissionTree(make_tree(files)))
    assert [(c.kind.value, c.missing) for c in plan.commands] == [
        ("needs-data", ("data/real", "data/fake")), ("run", ()), ("run", ())]


def test_a_script_that_starts_a_web_server_is_run_briefly(make_tree: MakeTree) -> None:
    files = {"README.md": "# P\n\n    python app.py\n    python tool.py\n",
             "app.py": "from flask import Flask\napp = Flask(__name__)\n\nif __name__ == '__main__':\n"
                       "    app.run(port=8080)\n",
             "tool.py": "print(1)\n"}
    assert [(k, a) for _, k, a, _ in plan_of(make_tree, files)] == [("server", "run-briefly"), ("run", "run")]


def test_a_sentence_naming_the_folder_a_script_runs_in_is_followed(make_tree: MakeTree) -> None:
    readme = ("# Music\n\n* Step 3: Navigate to the Data_Management folder and run 'python3 Make_DB.py' and "
              "'python3 makePick.py' in terminal\n* Step 4: run 'python3 backend.py' while you are in the Back_End "
              "folder\n* Step 5: run 'python3 nowhere.py' in the Back_End folder\n")
    files = {"README.md": readme, "Data_Management/Make_DB.py": "", "Data_Management/makePick.py": "",
             "Back_End/backend.py": "", "Back_End/other.py": ""}
    assert [(t, c) for t, _, _, c in plan_of(make_tree, files)] == [
        ("python3 Make_DB.py", "Data_Management"), ("python3 makePick.py", "Data_Management"),
        ("python3 backend.py", "Back_End"),
        # A script that is nowhere stays where the reader is: running it shows the reader's error.
        ("python3 nowhere.py", ".")]


def test_another_repository_the_readme_clones_is_left_out_until_a_later_block(make_tree: MakeTree) -> None:
    readme = ("# P\n\nDependencies:\n\n```sh\ngit clone git@github.com:other/WavAugment.git && cd WavAugment && "
              "python setup.py develop && python demo.py\n```\n\nThen:\n\n```sh\ngit clone https://github.com/g/kws.git"
              "\ncd kws\ncd audio\npython run.py\n```\n")
    files = {"README.md": readme, "audio/run.py": ""}
    got = plan_of(make_tree, files, RepositoryHome("github.com", "g/kws"))
    assert got == [
        ("git clone git@github.com:other/WavAugment.git", "download", "report", "."),
        ("cd WavAugment", "navigate", "report", "."),
        ("python setup.py develop", "environment", "report", "."),
        ("python demo.py", "run", "report", "."),
        ("git clone https://github.com/g/kws.git", "download", "report", "."),
        ("cd kws", "navigate", "follow", "."),
        ("cd audio", "navigate", "follow", "audio"),
        ("python run.py", "run", "run", "audio"),
    ]


def test_data_named_by_the_configuration_a_command_is_given(make_tree: MakeTree) -> None:
    readme = ("# P\n\n```bash\npython src/learn.py --config configs/a.yaml --train\n"
              "python src/learn.py --config=configs/b.json\npython src/learn.py --config configs/c.toml\n```\n")
    files = {"README.md": readme, "src/learn.py": "", "lists/train.txt": "",
             "configs/a.yaml": "model: VGG\ntrain_list: lists/train.txt\nmusan_path: data/musan\n"
                               "save_path: output/vgg\naugment:\n  rir_path: data/rirs\n",
             "configs/b.json": '{"train_list": "lists/train.txt", "log_dir": "runs/b"}',
             "configs/c.toml": "[data]\nroot = 'corpus'\n[model]\nname = 'x'\n"}
    plan = readme_run_plan(SubmissionTree(make_tree(files)))
    assert [(c.kind.value, c.action.value, c.missing) for c in plan.commands] == [
        ("needs-data", "report", ("data/musan", "data/rirs")), ("run", "run", ()),
        ("needs-data", "report", ("corpus",))]
    assert plan.commands[0].reason.startswith("its configuration configs/a.yaml names data/musan, data/rirs, which")


def test_each_document_is_followed_from_the_root_and_runs_its_scripts_in_its_folder(make_tree: MakeTree) -> None:
    readme = "# P\n\n```bash\ncd src\npython run.py\n```\n\nThe pipeline: [walkthrough](scripts/README.md).\n"
    files = {"README.md": readme, "src/run.py": "", "scripts/train.py": "", "eval.py": "",
             "scripts/README.md": "# Pipeline\n\n```bash\npython train.py\npython eval.py\n```\n"}
    plan = readme_run_plan(SubmissionTree(make_tree(files)))
    assert [(c.path, c.text, c.cwd) for c in plan.commands] == [
        ("README.md", "cd src", "src"), ("README.md", "python run.py", "src"),
        ("scripts/README.md", "python train.py", "scripts"), ("scripts/README.md", "python eval.py", ".")]
    assert plan.commands[2].reason.endswith("(in scripts/, the folder of scripts/README.md)")
