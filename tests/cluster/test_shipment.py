"""A group's folder across the wire: the worker's batch, run in a folder planted from the lecturer's, changes the
lecturer's folder exactly as the local batch would have."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.batch import STATE_FILE, TRACEBACK_FILE, BatchOptions, OutcomeKind, grade_roster
from grader.cluster import shipment
from grader.cluster.shipment import GroupSeed, GroupShipment
from grader.roster import Roster, load_roster
from grader.rubric import LoadedRubric, load_rubric
from tests.acquire.builder import RepoBuilder
from tests.cluster.common import tree
from tests.test_batch import GOOD, RUBRIC


@pytest.fixture
def batch(tmp_path: Path) -> tuple[Roster, LoadedRubric]:
    RepoBuilder(tmp_path / "repos" / "good").commit(GOOD, when="2026-03-30T12:00:00+02:00")
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "roster.yaml").write_text(
        "deadline: 2026-03-31T23:59:00+02:00\ngroups:\n  - id: good\n    repo: repos/good\n", encoding="utf-8")
    return load_roster(tmp_path / "roster.yaml"), load_rubric(tmp_path / "rubric.yaml")


def on_a_worker(roster: Roster, rubric: LoadedRubric, out: Path, scratch: Path, **options: object) -> GroupShipment:
    """What a worker does for the group: plant the seed of OUT/good, run the batch there, collect."""
    seed = GroupSeed.read(out / "good")
    seed.plant(scratch / "good")
    result = grade_roster(roster, rubric, BatchOptions(out_dir=scratch, workdir=scratch / ".clones", **options))
    return GroupShipment.collect(scratch / "good", seed, result.outcomes[0], "w1")


def test_unpacking_a_regrade_gives_the_local_batchs_folder(tmp_path: Path, batch: tuple[Roster, LoadedRubric]) -> None:
    roster, rubric = batch
    out = tmp_path / "out"
    grade_roster(roster, rubric, BatchOptions(out_dir=out, formats=("json", "md")))
    (out / "good" / TRACEBACK_FILE).write_text("from an earlier crash\n", encoding="utf-8")
    local = tmp_path / "local"
    shutil.copytree(out, local)

    grade_roster(roster, rubric, BatchOptions(out_dir=local, force=True, formats=("json", "md", "html")))
    sent = on_a_worker(roster, rubric, out, tmp_path / "scratch", force=True, formats=("json", "md", "html"))
    files = sent.outcome(roster.groups[0], out / "good").files

    assert sent.kind is OutcomeKind.GRADED and TRACEBACK_FILE in sent.removed
    assert {p.name for p in files} == {"report.json", "report.md", "report.html"}
    assert tree(out / "good") == tree(local / "good")


def test_a_kept_group_sends_only_the_format_newly_asked_for(tmp_path: Path, batch: tuple[Roster, LoadedRubric]) -> None:
    roster, rubric = batch
    out = tmp_path / "out"
    grade_roster(roster, rubric, BatchOptions(out_dir=out, formats=("json", "md")))
    before = (out / "good" / "report.md").stat().st_mtime_ns
    sent = on_a_worker(roster, rubric, out, tmp_path / "scratch", formats=("json", "md", "junit"))
    assert sent.kind is OutcomeKind.KEPT
    assert set(sent.files) == {"report.xml"} and sent.removed == ()  # the report.md stand-in was not rewritten
    sent.unpack(out / "good")
    assert (out / "good" / "report.md").stat().st_mtime_ns == before
    assert (out / "good" / "report.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_the_seed_lends_the_resume_files_and_names_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    (folder / "paper").mkdir(parents=True)
    for name, text in {STATE_FILE: "{}", "report.json": "{}", "report.md": "# big", "report.html": "<p>"}.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "paper" / "page-1.png").write_bytes(b"\x89PNG")
    seed = GroupSeed.read(folder)
    assert set(seed.files) == {STATE_FILE, "report.json"} and seed.present == ("report.html", "report.md")
    seed.plant(tmp_path / "planted")
    assert sorted(p.name for p in (tmp_path / "planted").iterdir()) == sorted([STATE_FILE, "report.json",
                                                                                "report.html", "report.md"])
    assert (tmp_path / "planted" / "report.md").read_bytes() == b""
    assert GroupSeed.read(tmp_path / "never-graded") == GroupSeed()


def test_the_cache_key_comes_from_the_saved_reports_build(tmp_path: Path) -> None:
    report = {"checks": [{"id": "run.build", "measurements": {"cache_key": "04315fe962f583b7"}}]}
    assert GroupSeed({"report.json": json.dumps(report).encode()}).cache_key() == "04315fe962f583b7"
    assert GroupSeed({"report.json": b'{"checks": []}'}).cache_key() is None
    assert GroupSeed({"report.json": b"{broken"}).cache_key() is None
    assert GroupSeed().cache_key() is None


def test_the_state_file_is_removed_first_and_written_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.report.sample import sample_report

    order: list[str] = []
    monkeypatch.setattr(shipment, "_write_atomic", lambda path, data: order.append(path.name))
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / STATE_FILE).write_text("{}", encoding="utf-8")
    sent = GroupShipment("g", OutcomeKind.GRADED, sample_report(), 1.0, "w1",
                         files={STATE_FILE: b"{}", "report.json": b"{}", "paper/page-1.png": b"png"},
                         removed=(TRACEBACK_FILE, STATE_FILE), written=("report.json",))
    assert sent.unpack(folder) == (folder / "report.json",)
    assert order[-1] == STATE_FILE and len(order) == 3
    assert not (folder / STATE_FILE).exists()  # removed before anything was written (the write is faked here)


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "", "a/../../b"])
def test_a_file_outside_the_group_folder_is_refused(tmp_path: Path, name: str) -> None:
    from tests.report.sample import sample_report

    sent = GroupShipment("g", OutcomeKind.GRADED, sample_report(), 1.0, "w1", {name: b"x"}, (), ())
    with pytest.raises(ValueError, match="outside the group's folder"):
        sent.unpack(tmp_path / "g")
    assert not (tmp_path / "escape").exists()
