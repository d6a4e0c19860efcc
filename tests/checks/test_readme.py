"""readme.* checks driven through real README files built in tmp folders, including the corpus's edge cases."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.checks.readme import (
    CHECKS,
    ReadmeCommandsCheck,
    ReadmeCommandsOptions,
    ReadmeLinksCheck,
    ReadmePresentCheck,
    ReadmePresentOptions,
    ReadmeSectionsCheck,
    ReadmeSectionsOptions,
)
from grader.models import Severity, Status
from tests.harness import MakeTree, run_on

GOOD_README = """\
    # Drum Transcription with CRNNs

    We train a convolutional recurrent network that transcribes kick, snare and hi-hat onsets from
    polyphonic music recordings. The model is trained on the ENST-Drums dataset and evaluated with
    onset F-measure; the paper in `paper/` explains the architecture and the results in detail.

    ## Installation

    ```bash
    # create the environment (Python 3.11)
    conda create -n drums python=3.11 -y && conda activate drums
    pip install -r requirements.txt
    ```

    ## Usage

    Train and evaluate the model:

    ```bash
    python train.py --config configs/crnn.yaml \\
        --epochs 50
    python evaluate.py --checkpoint runs/best.pt
    ```

    See [the notebook](notebooks/demo.ipynb) and ![architecture](figures/crnn.png).
    More on the dataset at [ENST](https://example.org/enst) and in the [paper](#results).
"""

GOOD_FILES: dict[str, str | bytes] = {
    "README.md": GOOD_README,
    "requirements.txt": "torch\nlibrosa\n",
    "train.py": "print('train')\n",
    "evaluate.py": "print('evaluate')\n",
    "configs/crnn.yaml": "epochs: 50\n",
    "notebooks/demo.ipynb": "{}",
    "figures/crnn.png": b"\x89PNG\r\n\x1a\n",
}


# -- readme.present -------------------------------------------------------------------------------------------


def test_a_real_readme_is_present_with_its_figures(make_tree: MakeTree) -> None:
    result = run_on(ReadmePresentCheck(), make_tree(GOOD_FILES))
    assert result.status is Status.PASSED and result.score == 1.0
    assert result.measurements["path"] == "README.md"
    assert result.measurements["format"] == "markdown"
    assert result.measurements["headings"] == 3
    assert 40 <= result.measurements["words"] <= 80  # type: ignore[operator]


def test_no_readme_fails_with_a_finding(make_tree: MakeTree) -> None:
    result = run_on(ReadmePresentCheck(), make_tree({"main.py": "print(1)\n", "docs/README.md": "# Docs\n"}))
    assert result.status is Status.FAILED and result.score == 0.0
    assert "no README" in result.findings[0].message


def test_empty_readme_fails(make_tree: MakeTree) -> None:
    result = run_on(ReadmePresentCheck(), make_tree({"README.md": "\n\n  \n"}))
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.summary == "the README is empty"


def test_title_only_readme_fails(make_tree: MakeTree) -> None:
    result = run_on(ReadmePresentCheck(), make_tree({"readme.MD": "# Audio Classification GRU and CNN\n"}))
    assert result.status is Status.FAILED
    assert result.measurements["path"] == "readme.MD"
    assert result.measurements["words"] == 0


def test_a_terse_readme_that_gives_its_commands_passes_the_gate_with_a_warning(make_tree: MakeTree) -> None:
    """A German README of 16 words of prose around three sections of commands is instructions, not a title: it
    failed the required check, and the course's CI gate with it, saying it 'holds little more than a title'."""
    readme = ("# Sprechererkennung mit CNNs\n\nProjekt im Seminar Deep Learning for Audio Data.\n\n"
              "## Installation\n\n```bash\npip install -r requirements.txt\n```\n\n## Daten\n\nDen Datensatz "
              "herunterladen und nach `data/` entpacken.\n\n## Ausführung\n\n```bash\npython train.py\n```\n")
    result = run_on(ReadmePresentCheck(), make_tree({"README.md": readme}))
    assert (result.status, result.score) == (Status.PASSED, 0.75)
    (warning,) = result.findings
    assert warning.severity is Severity.WARNING
    assert warning.message.startswith("the README says little besides its commands (")


def test_min_words_option_is_honoured(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "# Genre\n\nInstrument classification on NSynth with small CNNs and a baseline.\n"})
    assert run_on(ReadmePresentCheck(), root).status is Status.FAILED
    assert run_on(ReadmePresentCheck(ReadmePresentOptions(min_words=5)), root).status is Status.PASSED


def test_unchanged_template_readme_fails(make_tree: MakeTree) -> None:
    readme = """\
        <h3 align="center">project_title</h3>
        <p align="center">An awesome README template to jumpstart your projects!</p>

        ## Getting Started

        1. Clone the repo
           ```sh
           git clone https://github.com/github_username/repo_name.git
           ```
        2. Install packages with pip and enjoy the rest of this long sentence about nothing in particular,
           which makes the README long enough that only its placeholders give it away as a template.

        Your Name - [@your_twitter](https://twitter.com/your_username) - email@example.com
    """
    result = run_on(ReadmePresentCheck(), make_tree({"README.md": readme}))
    assert result.status is Status.FAILED
    assert result.summary == "the README is an unchanged template"
    assert {f.line for f in result.findings} >= {1, 2, 8}


def test_cookiecutter_placeholder_alone_marks_a_template(make_tree: MakeTree) -> None:
    readme = "# {{ cookiecutter.project_name }}\n\n" + "A project generated from the data science template. " * 5
    result = run_on(ReadmePresentCheck(), make_tree({"README.md": readme}))
    # An unchanged template scores like a missing README (issue 12).
    assert result.status is Status.FAILED and result.score == 0.0


def test_course_template_phrases_from_the_rubric(make_tree: MakeTree) -> None:
    readme = """\
        # DL4AD group project

        Describe in two sentences what your model does and which audio data it uses, then fill the sections.

        ## Setup
        Explain which commands create the environment from your environment file and how to verify it.
    """
    options = ReadmePresentOptions(template_phrases=("Describe in two sentences what your model does",
                                               "Explain which commands create the environment"))
    root = make_tree({"README.md": readme})
    assert run_on(ReadmePresentCheck(), root).status is Status.PASSED
    result = run_on(ReadmePresentCheck(options), root)
    assert result.status is Status.FAILED and result.score == 0.0
    assert [f.line for f in result.findings] == [None, 3, 6]
    assert "the README is a template" in result.findings[0].message


def test_a_symlinked_readme_is_not_followed(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\n" + "words " * 100, encoding="utf-8")
    root = make_tree({"main.py": "print(1)\n"})
    os.symlink(outside, root / "README.md")
    result = run_on(ReadmePresentCheck(), root)
    assert result.status is Status.FAILED
    assert "symbolic link" in result.summary


def test_undecodable_latin1_readme_is_read_with_replacement(make_tree: MakeTree) -> None:
    text = "# Geräuschklassifikation\n\n## Einrichtung\n\nZuerst die Umgebung anlegen, dann ausführen:\n\n" \
           "```bash\npip install -r requirements.txt\npython train.py\n```\n" + "Größere Modelle später. " * 10
    root = make_tree({"README.md": text.encode("latin-1"), "requirements.txt": "torch\n", "train.py": ""})
    present = run_on(ReadmePresentCheck(), root)
    assert present.status is Status.PASSED
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.measurements["commands"] == 2
    assert run_on(ReadmeSectionsCheck(), root).measurements["found"] == ["setup", "usage"]


def test_huge_readme_is_parsed_and_an_oversized_one_reported(make_tree: MakeTree) -> None:
    chapter = "## Training run {n}\n\nSome prose about this run, with `python train.py --seed {n}`.\n\n" \
              "```bash\npip install -r requirements.txt\n```\n\n"
    body = "# Big\n\n" + "".join(chapter.format(n=n) for n in range(12_000))
    assert 1_000_000 < len(body) < 2 * 1024 * 1024
    root = make_tree({"README.md": body, "train.py": "", "requirements.txt": ""})
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.measurements["commands"] == 24_000
    assert len(commands.measurements["list"]) == 50  # type: ignore[arg-type]
    assert run_on(ReadmeLinksCheck(), root).status is Status.PASSED
    oversized = make_tree({"README.md": "# x\n" + "y" * (3 * 1024 * 1024)})
    result = run_on(ReadmePresentCheck(), oversized)
    assert result.status is Status.FAILED and "over the" in result.summary


def test_readme_md_is_preferred_over_txt(make_tree: MakeTree) -> None:
    root = make_tree({"README.txt": "old notes\n", "README.md": GOOD_README})
    assert run_on(ReadmePresentCheck(), root).measurements["path"] == "README.md"


def test_utf16_readme_from_a_windows_editor_is_read(make_tree: MakeTree) -> None:
    text = "# Keyword spotting\n\nA small CNN that spots ten keywords in one-second clips of speech, " \
           "trained on Speech Commands. It runs on a laptop CPU and needs about two hours per training run." \
           "\n\n```powershell\nPS C:\\kws> pip install -r requirements.txt\n" \
           "PS C:\\kws> python train.py\n```\n"
    root = make_tree({"README.md": text.encode("utf-16"), "requirements.txt": "", "train.py": ""})
    assert run_on(ReadmePresentCheck(), root).status is Status.PASSED
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.measurements["list"] == ["line 6: pip install -r requirements.txt", "line 7: python train.py"]


def test_binary_readme_fails_without_a_traceback(make_tree: MakeTree) -> None:
    result = run_on(ReadmePresentCheck(), make_tree({"README": b"\x00\x01\x02binary"}))
    assert result.status is Status.FAILED and "binary" in result.summary


# -- readme.sections ------------------------------------------------------------------------------------------


def test_setup_and_usage_sections_found(make_tree: MakeTree) -> None:
    result = run_on(ReadmeSectionsCheck(), make_tree(GOOD_FILES))
    assert result.status is Status.PASSED
    assert result.measurements["found"] == ["setup", "usage"]
    assert result.measurements["missing"] == []


def test_german_headings_count(make_tree: MakeTree) -> None:
    readme = """\
        # Sprechererkennung

        Ein kleines Projekt zur Erkennung von Sprechern mit x-Vektoren.

        ## Einrichtung

        Die Umgebung wird mit Conda aus der Datei `environment.yml` erstellt.

        ## Ausführung

        Das Notebook `notebooks/training.ipynb` öffnen und alle Zellen ausführen, um zu trainieren.
    """
    result = run_on(ReadmeSectionsCheck(), make_tree({"README.md": readme}))
    assert result.status is Status.PASSED
    assert result.measurements["evidence"]["setup"] == "line 5: Einrichtung"  # type: ignore[index,call-overload]
    assert result.measurements["evidence"]["usage"] == "line 9: Ausführung"  # type: ignore[index,call-overload]


def test_usage_section_holding_only_setup_is_not_usage(make_tree: MakeTree) -> None:
    readme = """\
        # Speech denoising
        A second attempt at denoising speech for the audio processing course.

        ## Usage

        Runs with Python 3.12. Make a conda environment:
        ```bash
        conda create --name denoise python=3.12
        conda activate denoise
        pip install -r requirements.txt
        ```
    """
    result = run_on(ReadmeSectionsCheck(), make_tree({"README.md": readme, "requirements.txt": "torch\n"}))
    assert result.status is Status.FAILED and result.score == 0.5
    assert result.measurements["found"] == ["setup"]
    assert result.measurements["missing"] == ["usage"]
    warning = next(f for f in result.findings if f.severity is Severity.WARNING)
    assert warning.line == 4 and "only holds setup" in warning.message


def test_setup_under_how_to_use_counts_as_setup(make_tree: MakeTree) -> None:
    readme = """\
        # Genre recognition
        Three CNNs for genre recognition on the FMA dataset, built with PyTorch Lightning.

        ## How to use
        First install our helper package: go into the `pkg` folder and run `pip install .` there.
        Each folder holds the network's script and a tuning script for the hyper-parameters.
    """
    result = run_on(ReadmeSectionsCheck(), make_tree({"README.md": readme}))
    assert result.measurements["found"] == ["setup"]
    assert result.measurements["missing"] == ["usage"]


def test_command_written_as_heading_is_usage(make_tree: MakeTree) -> None:
    readme = """\
        # Melody generation
        LSTM and VAE models that continue a folk melody from a short seed.

        # Getting Started
        You need Python 3 and Streamlit. Then go to the app folder.

        # Run the app locally:
        # streamlit run app.py
        It needs no network access once the models are downloaded.
    """
    root = make_tree({"README.md": readme, "app.py": ""})
    sections = run_on(ReadmeSectionsCheck(), root)
    assert sections.status is Status.PASSED
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.measurements["commands"] == 1
    assert commands.measurements["sources"] == {"heading": 1}
    assert commands.measurements["list"] == ["line 8: streamlit run app.py"]


def test_pointer_to_notebooks_in_a_usage_section_is_usage(make_tree: MakeTree) -> None:
    readme = """\
        # Robust audio classification
        Classifiers for urban sounds with data augmentation and adversarial robustness evaluation.

        ## Usage
        - `train_net.ipynb`: train the models from a YAML configuration.
        - `test_net.ipynb`: evaluate a pre-trained model on the test split.
    """
    result = run_on(ReadmeSectionsCheck(), make_tree({"README.md": readme}))
    assert "usage" in result.measurements["found"]  # type: ignore[operator]
    assert result.measurements["missing"] == ["setup"]


def test_file_list_outside_a_usage_section_is_not_usage(make_tree: MakeTree) -> None:
    readme = """\
        # Urban sound classification
        CNNs on log-mel spectrograms of UrbanSound8K, including a multilabel variant with overlaid events.

        ## Organization of the repository
        - single.py: main file to run for single label classification
        - multi.py: main file to run for multilabel classification
    """
    result = run_on(ReadmeSectionsCheck(), make_tree({"README.md": readme}))
    assert result.measurements["found"] == []
    assert result.score == 0.0


def test_required_sections_option(make_tree: MakeTree) -> None:
    root = make_tree(GOOD_FILES)
    result = run_on(ReadmeSectionsCheck(ReadmeSectionsOptions(required=("setup", "usage", "data"))), root)
    assert result.status is Status.FAILED
    assert result.measurements["missing"] == ["data"]
    assert result.score == pytest.approx(2 / 3)


def test_rst_readme_sections_commands_and_links(make_tree: MakeTree) -> None:
    readme = """\
        Bird song detector
        ==================

        A detector for bird song in field recordings, trained on a public dataset of annotated clips.

        Installation
        ------------

        .. code-block:: bash

           python -m venv .venv
           pip install -r requirements.txt

        Running
        -------

        Train with::

            python train.py --epochs 10

        .. image:: docs/missing.png

        See `the config <configs/base.yaml>`_ and ``python evaluate.py`` afterwards.
    """
    root = make_tree({"README.rst": readme, "requirements.txt": "", "train.py": "", "evaluate.py": "",
                      "configs/base.yaml": ""})
    present = run_on(ReadmePresentCheck(), root)
    assert present.measurements["format"] == "rst" and present.measurements["headings"] == 3
    assert run_on(ReadmeSectionsCheck(), root).status is Status.PASSED
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.measurements["commands"] == 4
    links = run_on(ReadmeLinksCheck(), root)
    assert links.measurements["broken"] == ["docs/missing.png (line 21)"]
    assert links.findings[0].line == 21



def test_rst_readme_with_a_skipped_title_level_still_has_its_sections(make_tree: MakeTree) -> None:
    readme = """\
        Genre classifier
        ================

        A convolutional network that tells the genre of a music clip, trained on GTZAN excerpts.

        Results
        -------

        Accuracy 0.81 on the held-out test split.

        Getting started
        ===============

        Installation
        ~~~~~~~~~~~~

        .. code-block:: bash

           pip install -r requirements.txt

        Usage
        ~~~~~

        .. code-block:: bash

           python train.py
    """
    root = make_tree({"README.rst": readme, "requirements.txt": "", "train.py": ""})
    result = run_on(ReadmeSectionsCheck(), root)
    assert result.status is Status.PASSED, result.summary


def test_advice_on_missing_commands_speaks_the_readmes_markup(make_tree: MakeTree) -> None:
    root = make_tree({"README.rst": "Genre classifier\n================\n\nIt classifies music clips by genre.\n"})
    result = run_on(ReadmeCommandsCheck(), root)
    assert result.status is Status.FAILED
    assert "`.. code-block:: bash` blocks" in result.findings[0].message and "```" not in result.findings[0].message


# -- readme.commands ------------------------------------------------------------------------------------------


def test_command_forms_counted_once_each(make_tree: MakeTree) -> None:
    readme = """\
        # Deepfake detection

        ## Setup
        ```bash
        # virtual environment
        python3 -m venv venv && source venv/bin/activate
        pip install -U pip wheel
        ```

        ```
        $ sudo apt update
        Reading package lists... Done
        $ sudo apt install ffmpeg
        ```

        1. Create the environment using `conda env create -f env.yaml`
        2. Activate it with `source activate sea`; the `data` folder must exist and `python` be 3.8.
        * Keras ('pip3 install keras')
        * Then run "python3 make_db.py" in the data folder

        Or indented:

            cd data
            bash download.sh

        ## Training
        ```
        usage: train.py [-h] [--epochs EPOCHS]

        optional arguments:
          -h, --help  show this help message and exit
        ```

        ```
        data
        ├── real
        └── fake
        ```

        ```python
        import torch
        print(torch.__version__)
        ```

        ```bash
        CUDA_VISIBLE_DEVICES=0 python train.py \\
            --epochs 20
        ```
    """
    result = run_on(ReadmeCommandsCheck(), make_tree({"README.md": readme}))
    listed = result.measurements["list"]
    assert result.measurements["commands"] == 11, listed
    assert result.measurements["sources"] == {"fenced": 3, "indented": 2, "inline": 2, "prompt": 2, "quoted": 2}
    assert "line 6: python3 -m venv venv && source venv/bin/activate" in listed  # type: ignore[operator]
    assert "line 46: CUDA_VISIBLE_DEVICES=0 python train.py --epochs 20" in listed  # type: ignore[operator]
    assert result.status is Status.PASSED


def test_too_few_commands_fail_with_partial_score(make_tree: MakeTree) -> None:
    readme = "# Tiny\n\nInstall with `pip install -r requirements.txt` and read the paper for the rest of it.\n"
    root = make_tree({"README.md": readme})
    result = run_on(ReadmeCommandsCheck(), root)
    assert result.status is Status.FAILED
    assert result.measurements["commands"] == 1
    assert result.score == pytest.approx(1 / 3)
    assert run_on(ReadmeCommandsCheck(ReadmeCommandsOptions(min_commands=1)), root).status is Status.PASSED


def test_prose_and_inline_names_are_not_commands(make_tree: MakeTree) -> None:
    readme = """\
        # Python version notes
        We use `python` 3.11 and `git` for versioning; 'make sure' the data is there.
        ## Make it work
        The `pip` tool is needed; see "source code" in `src/`.
    """
    result = run_on(ReadmeCommandsCheck(), make_tree({"README.md": readme}))
    assert result.measurements["commands"] == 0


def test_unterminated_fence_does_not_crash(make_tree: MakeTree) -> None:
    result = run_on(ReadmeCommandsCheck(), make_tree({"README.md": "# X\n\n```bash\npip install torch\n"}))
    assert result.measurements["commands"] == 1


def test_code_indented_inside_a_numbered_list(make_tree: MakeTree) -> None:
    readme = """\
        # Setup
        1. Create the environment:

               conda env create -f environment.yml

        2. Train; this paragraph is indented like the item's text, so it is prose:
           python is used throughout the project for all of the steps
    """
    result = run_on(ReadmeCommandsCheck(), make_tree({"README.md": readme}))
    assert result.measurements["list"] == ["line 4: conda env create -f environment.yml"]
    assert result.measurements["sources"] == {"indented": 1}


# -- readme.links ---------------------------------------------------------------------------------------------


def test_all_local_references_resolve(make_tree: MakeTree) -> None:
    result = run_on(ReadmeLinksCheck(), make_tree(GOOD_FILES))
    assert result.status is Status.PASSED
    assert result.measurements["external"] == 1
    assert result.measurements["broken"] == []
    # notebook, image, requirements.txt, train.py, configs/crnn.yaml, evaluate.py
    assert result.measurements["checked"] == 6


def test_missing_requirements_and_broken_link_fail_with_line_numbers(make_tree: MakeTree) -> None:
    files = dict(GOOD_FILES)
    del files["requirements.txt"]
    del files["notebooks/demo.ipynb"]
    result = run_on(ReadmeLinksCheck(), make_tree(files))
    assert result.status is Status.FAILED
    by_line = {f.line: f for f in result.findings}
    assert set(by_line) == {12, 25}
    assert "requirements.txt" in by_line[12].message and by_line[12].path == "README.md"
    assert "notebooks/demo.ipynb" in by_line[25].message
    assert result.measurements["broken"] == ["notebooks/demo.ipynb (line 25)", "requirements.txt (line 12)"]
    assert result.score == pytest.approx(1 - 2 / 6)


def test_links_out_of_the_checkout_and_symlinks_are_not_followed(make_tree: MakeTree, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret\n", encoding="utf-8")
    readme = """\
        # Escape attempts
        A README whose links try to leave the checkout, which the grader must never follow anywhere.

        - [passwd](../../etc/passwd)
        - [absolute](/etc/passwd)
        - [linked file](data/link.txt)
        - [linked folder](shortcut/file.txt)
        - [fine](data/real.txt)
    """
    root = make_tree({"README.md": readme, "data/real.txt": "ok\n"})
    os.symlink(secret, root / "data" / "link.txt")
    os.symlink(tmp_path, root / "shortcut")
    result = run_on(ReadmeLinksCheck(), root)
    messages = {f.line: f.message for f in result.findings}
    assert "outside the submission" in messages[4]
    assert "does not exist" in messages[5]  # a leading slash means the checkout's root, not the host's
    assert "symbolic link" in messages[6]
    assert "symbolic link" in messages[7]
    assert 8 not in messages
    assert result.measurements["checked"] == 5


def test_named_files_found_anywhere_when_bare(make_tree: MakeTree) -> None:
    readme = """\
        # Genre CNNs
        Each folder holds `cnn1d.py`; run `python src/train.py --config conf/base.yaml` from the root.
        The report is in report.pdf; `path/to/your_model.pt` and `*.yaml` are placeholders.
    """
    root = make_tree({"README.md": readme, "models/cnn1d.py": "", "src/train.py": "", "conf/base.yaml": ""})
    result = run_on(ReadmeLinksCheck(), root)
    assert result.measurements["broken"] == ["report.pdf (line 3)"]


def test_links_to_the_groups_own_github_repository_are_checked(make_tree: MakeTree) -> None:
    readme = """\
        # Music generation
        Style-specific music generation with a modified DeepJ model, for the deep learning course.

        - [Report](https://github.com/Group7/DL-Project/blob/main/Report.pdf)
        - [Notebook](https://github.com/group7/dl-project/blob/base/main.ipynb)
        - [Upstream](https://github.com/calclavia/DeepJ/blob/master/README.md)
    """
    root = make_tree({"README.md": readme, "main.ipynb": "{}"})
    result = run_on(ReadmeLinksCheck, root, id="g7", source="https://github.com/group7/DL-Project.git")
    assert result.measurements["broken"] == ["Report.pdf (line 4)"]
    assert result.measurements["external"] == 1
    assert result.measurements["checked"] == 2


def test_outputs_and_cloned_repositories_are_not_expected_to_exist(make_tree: MakeTree) -> None:
    readme = """\
        # Speaker verification
        ```bash
        git clone https://github.com/facebookresearch/WavAugment.git && cd WavAugment && python setup.py develop
        python train.py --config configs/base.yaml --output results/metrics.yaml > log.txt
        python missing.py --config configs/absent.yaml
        ```
        Results end up in metrics.txt next to the model checkpoints.
    """
    root = make_tree({"README.md": readme, "train.py": "", "configs/base.yaml": ""})
    result = run_on(ReadmeLinksCheck(), root)
    assert result.measurements["broken"] == ["missing.py (line 5)", "configs/absent.yaml (line 5)"]


def test_hostile_markup_is_reported_not_crashed_on(make_tree: MakeTree) -> None:
    lines = ["<h1>" * 2000, "[" * 8000, "# " + "`" * 8000, "'pip " * 1500, "A=" * 4000, "\x1b[31m$ rm -rf /\x1b[0m"]
    readme = "# Hostile\n\n" + "\n".join(lines * 20) + "\n"
    root = make_tree({"README.md": readme})
    results = [run_on(check(), root) for check in CHECKS]
    assert all(r.status in (Status.PASSED, Status.FAILED) for r in results)


def test_a_link_to_a_name_with_a_nul_is_broken_not_a_crash(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "# Demo\n\nSee [the model](model%00.py) for the network.\n", "model.py": ""})
    result = run_on(ReadmeLinksCheck, root)
    assert result.status is Status.FAILED
    assert result.measurements["broken"] == ["model\x00.py (line 3)"]


# -- registry -------------------------------------------------------------------------------------------------



# -- the README set and templates (issue 12) --------------------------------------------------------------------

HANDED_OVER = """\
    # Speech enhancement

    A U-Net that removes noise from speech recordings, trained on VoiceBank-DEMAND, for the DL4AD seminar.
    A walkthrough of the pipeline is in scripts/README.md; the paper is in paper/.

    ```
    scripts/    training and evaluation
    paper/      the paper
    ```
"""
WALKTHROUGH = """\
    # Pipeline

    ## Installation
    ```bash
    conda env create -f environment.yml && conda activate enhance
    ```

    ## Training
    ```bash
    python scripts/train.py --epochs 50
    python scripts/evaluate.py --checkpoint runs/best.pt
    ```

    See [the config](../configs/unet.yaml) and [the missing one](../configs/gone.yaml).
"""


def test_a_readme_that_hands_over_to_another_document_gets_its_sections_and_commands(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": HANDED_OVER, "scripts/README.md": WALKTHROUGH, "scripts/train.py": "",
                      "scripts/evaluate.py": "", "environment.yml": "dependencies: [numpy]\n",
                      "configs/unet.yaml": "", "paper/main.tex": ""})
    sections = run_on(ReadmeSectionsCheck(), root)
    assert sections.status is Status.PASSED, sections.findings
    evidence = sections.measurements["evidence"]
    assert evidence["setup"].startswith("scripts/README.md line 5")  # type: ignore[index,union-attr]
    assert evidence["usage"].startswith("scripts/README.md line 10")  # type: ignore[index,union-attr]
    commands = run_on(ReadmeCommandsCheck(), root)
    assert commands.status is Status.PASSED
    assert commands.measurements["root_commands"] == 0 and commands.measurements["commands"] == 3
    assert commands.measurements["by_document"] == {"scripts/README.md": 3}
    links = run_on(ReadmeLinksCheck(), root)
    assert links.measurements["broken"] == ["scripts/README.md: configs/gone.yaml (line 14)"]
    assert [(f.path, f.line) for f in links.findings] == [("scripts/README.md", 14)]


def test_absolute_links_into_the_own_repository_on_any_host_are_followed_and_checked(make_tree: MakeTree) -> None:
    readme = HANDED_OVER.replace(
        "scripts/README.md;", "[the walkthrough](https://git.uni.example/dl4ad/ws25/group-3/-/blob/main/scripts/"
        "README.md); [figure](https://git.uni.example/dl4ad/ws25/group-3/-/raw/main/fig/arch.png);")
    root = make_tree({"README.md": readme, "scripts/README.md": WALKTHROUGH, "configs/unet.yaml": "",
                      "scripts/train.py": ""})
    source = "https://git.uni.example/dl4ad/ws25/group-3.git"
    sections = run_on(ReadmeSectionsCheck(), root, source=source)
    assert sections.status is Status.PASSED
    links = run_on(ReadmeLinksCheck(), root, source=source)
    broken = links.measurements["broken"]
    assert "fig/arch.png (line 4)" in broken  # type: ignore[operator]
    assert run_on(ReadmeSectionsCheck(), root).status is Status.FAILED  # a plain folder: that URL is elsewhere


def test_a_local_checkout_finds_its_home_in_the_git_remote(make_tree: MakeTree) -> None:
    readme = HANDED_OVER.replace("scripts/README.md;", "[walkthrough](https://github.com/g3/enh/blob/main/scripts/"
                                                       "README.md);")
    root = make_tree({"README.md": readme, "scripts/README.md": WALKTHROUGH, "scripts/train.py": "",
                      ".git/config": '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:g3/enh.git\n'})
    assert run_on(ReadmeSectionsCheck(), root, git_dir=root).status is Status.PASSED


def test_an_unchanged_course_template_scores_like_a_missing_readme_in_every_readme_check(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    template = tmp_path / "template-README.md"
    template.write_text(textwrap.dedent(GOOD_README), encoding="utf-8")
    root = make_tree(GOOD_FILES)
    options = {"template_files": [str(template)]}
    for check in CHECKS:
        result = run_on(check, root, options)
        assert result.status is Status.FAILED and result.score == 0.0, check.id
        assert "the course's template README, unchanged" in result.findings[0].message
        assert result.measurements["template_similarity"] == 1.0
    assert run_on(ReadmeSectionsCheck, root).status is Status.PASSED  # without the template it is a fine README


def test_template_options_refuse_urls_and_missing_files() -> None:
    with pytest.raises(ValueError, match="does not fetch"):
        ReadmePresentOptions(template_files=("https://git.example.org/course/template/README.md",))
    with pytest.raises(ValueError, match="no such file"):
        ReadmePresentOptions(template_files=("/nonexistent/README.md",))


def test_a_readme_about_files_the_repository_does_not_have_is_a_template(make_tree: MakeTree) -> None:
    readme = """\
        # Project template

        Put your model in `src/model.py`, your training loop in `src/train.py` and list every package in
        `environment.yml`. Then describe here how to run `python -m src.evaluate` on the test split, in at
        least three sentences, so that the lecturer can reproduce your numbers from a fresh checkout.
    """
    root = make_tree({"README.md": readme, "kws/net.py": "", "kws/fit.py": "", "requirements.txt": "torch\n"})
    result = run_on(ReadmePresentCheck(), root)
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.measurements["referenced_existing"] == 0 and result.measurements["referenced"] == 4
    assert "none that it does" in result.findings[0].message
