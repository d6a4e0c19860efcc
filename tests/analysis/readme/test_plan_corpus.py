"""run.readme's plan on real student READMEs, read at the corpus's labelled commits from fetched snapshots
(/work/.mirror/OWNER+NAME, as the search tool's `fetch` leaves them); each case is skipped where its snapshot is not
on this machine. What is pinned was checked by reading each README and its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.calibrate_static import unpack
from grader.analysis.readme.home import RepositoryHome
from grader.analysis.readme.plan import RunPlan, readme_run_plan
from grader.files import SubmissionTree

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
MIRRORS = Path("/work/.mirror")


def plan_of(folder: str, tmp_path: Path) -> RunPlan:
    """The plan of a corpus repository at its labelled commit, with its GitHub home."""
    source = CORPUS / folder / "SOURCE.txt"
    git_dir = MIRRORS / folder / "repo"
    git_dir = git_dir / ".git" if (git_dir / ".git").is_dir() else git_dir
    if not source.is_file() or not git_dir.is_dir():
        pytest.skip(f"no corpus entry or fetched snapshot for {folder}")
    commit = re.search(r"\b[0-9a-f]{40}\b", source.read_text(encoding="utf-8"))
    assert commit is not None
    if not unpack(git_dir, commit.group(0), tmp_path):
        pytest.skip(f"the snapshot of {folder} lacks the labelled commit")
    owner, name = folder.split("+", 1)
    return readme_run_plan(SubmissionTree(tmp_path), RepositoryHome("github.com", f"{owner}/{name}"))


def by_text(plan: RunPlan) -> dict[str, tuple[str, str, str, tuple[str, ...]]]:
    return {c.text: (c.kind.value, c.action.value, c.cwd, c.missing) for c in plan.commands}


def test_a_training_run_data_not_committed_and_a_gpu(tmp_path: Path) -> None:
    plan = by_text(plan_of("MarkHershey+AudioDeepFakeDetection", tmp_path))
    assert plan["python train.py --debug_all"][:2] == ("training", "run-briefly")
    real = next(v for t, v in plan.items() if t.startswith("python train.py --real data/real"))
    assert real == ("needs-data", "report", ".", ("data/real", "data/fake"))
    assert plan["CUDA_VISIBLE_DEVICES=0 python train.py"][:2] == ("gpu", "report")
    assert plan["python metrics.py"][:2] == ("run", "run")


def test_folders_named_in_sentences_and_a_flask_backend(tmp_path: Path) -> None:
    plan = by_text(plan_of("nhstaple+ecs-171-music-genre-classifier", tmp_path))
    assert plan["python3 Make_DB.py"][:3] == ("run", "run", "Data_Management")
    assert plan["python3 makePick.py"][2] == "Data_Management"
    assert plan["python3 backend.py"][:3] == ("server", "run-briefly", "Back_End")


def test_a_url_argument_and_data_named_by_configuration_files(tmp_path: Path) -> None:
    plan = plan_of("DungNasSa10+Deep-Learning-Project-2022-1-Vietnamese-Speaker-Verification", tmp_path)
    kinds = by_text(plan)
    crawl = next(v for t, v in kinds.items() if t.startswith("python src/crawl.py -f https://drive.google.com"))
    assert crawl[:2] == ("download", "report")
    train = kinds["python src/learn.py --config src/learning/configs/VGG_M_40_AAM.yaml --train"]
    assert train[:2] == ("needs-data", "report") and "data/musan_augment" in train[3]
    # With the data and checkpoints absent, the Streamlit demo is the one command left to run.
    assert [(c.kind.value, c.action.value) for c in plan.to_run() if c.action.value != "follow"] == [
        ("server", "run-briefly")]


def test_what_runs_inside_another_cloned_repository_is_reported(tmp_path: Path) -> None:
    plan = plan_of("Vardanush+Robust-audio-classification", tmp_path)
    got = [(c.text, c.action.value, c.cwd) for c in plan.commands if c.line in (93, 105)]
    assert got == [("git clone git@github.com:facebookresearch/WavAugment.git", "report", "."),
                   ("cd WavAugment", "report", "."), ("python setup.py develop", "report", "."),
                   ("cd audio_classification", "follow", "audio_classification")]
