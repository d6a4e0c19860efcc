"""The grader's own inputs that cannot be right - rubric, roster, scores, worksheet, output folder - stop the command
line with exit code 2 and a message naming the file, the line and the fix; never exit 3, never a number that is not
finite, and nothing cloned or written first."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.acquire.builder import RepoBuilder
from tests.cli.test_check import grader
from tests.test_batch import GOOD, RUBRIC


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    RepoBuilder(tmp_path / "good").commit(GOOD, when="2026-03-30T12:00:00+02:00")
    (tmp_path / "roster.yaml").write_text("groups:\n  - id: good\n    repo: good\n", encoding="utf-8")
    return tmp_path


def refused(done_args: tuple[str | Path, ...], *expected: str) -> str:
    done = grader(*done_args)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    for text in expected:
        assert re.search(text, done.stderr), (text, done.stderr)
    return done.stderr


@pytest.mark.parametrize(("change", "expected"), [
    (("points: 10", "points: .inf"), r"rubric.yaml:6: criteria\[0\].points: inf is not a finite number"),
    (("points: 10", "points: 1.0e+308"), r"rubric.yaml:6: criteria\[0\].points: 1e\+308 is too large"),
    (("points: 10", "points: 1e308"), r"rubric.yaml:6: criteria\[0\].points: Input should be less than or equal"),
    (("points: 10", "points: true"), r"rubric.yaml:6: criteria\[0\].points: true is not a number"),
    (("id: mini", "id: mini\ndeadline: 2026-02-30T12:00:00+01:00"), r"rubric.yaml:2: .* is not a real date"),
])
def test_a_rubric_that_cannot_be_right_exits_2_with_the_line(
    setup: Path, change: tuple[str, str], expected: str
) -> None:
    rubric = setup / "rubric.yaml"
    rubric.write_text(RUBRIC.replace(*change, 1), encoding="utf-8")
    refused(("grade", setup / "roster.yaml", "--rubric", rubric, "-o", setup / "out", "--static"), expected)
    refused(("check", "--static", "--rubric", rubric, setup / "good"), expected)
    assert not (setup / "out").exists()


@pytest.mark.parametrize(("roster", "expected"), [
    ("groups:\n  - {id: summary.md, repo: good}\n", r"roster.yaml:2: groups\[0\].id: group id 'summary.md' is the"),
    ("groups:\n  - {id: GRADES.csv, repo: good}\n", r"rename the group"),
    ("groups:\n  - {id: g, repo: good, deadline: 2026-06-31T12:00:00+02:00}\n", r"roster.yaml:2: .*not a real date"),
    ("deadline: 2026-02-29\ngroups:\n  - {id: g, repo: good}\n", r"roster.yaml:1: .*day is out of range"),
])
def test_a_roster_that_cannot_be_right_exits_2_with_the_line(setup: Path, roster: str, expected: str) -> None:
    path = setup / "roster.yaml"
    path.write_text(roster, encoding="utf-8")
    refused(("grade", path, "--rubric", setup / "rubric.yaml", "-o", setup / "out", "--static"), expected)
    assert not (setup / "out").exists()


def test_a_roster_of_100_mb_or_a_device_exits_2_at_once(setup: Path) -> None:
    huge = setup / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    refused(("grade", huge, "--rubric", setup / "rubric.yaml", "--static", "-o", setup / "out"),
            r"huge.yaml: the roster is 105 MB, over the 8 MB")
    refused(("grade", "/dev/zero", "--rubric", setup / "rubric.yaml", "--static", "-o", setup / "out"),
            r"/dev/zero: is not a regular file")


@pytest.mark.parametrize(("scores", "expected"), [
    ("good: {talk: true}\n", r"scores.yaml:1: good.talk: true is not a number"),
    ("good: {talk: .inf}\n", r"scores.yaml:1: good.talk: inf is not a finite number"),
    ("good: {talk: .nan}\n", r"scores.yaml:1: good.talk: nan is not a finite number"),
    ("good: {talk: 1.0e+300}\n", r"scores.yaml:1: good.talk: 1e\+300 is too large"),
    ("when: 2026-02-30\ngood: {talk: 1}\n", r"scores.yaml:1: .*not a real date"),
])
def test_a_scores_file_that_cannot_be_right_exits_2_with_the_line(setup: Path, scores: str, expected: str) -> None:
    rubric = setup / "rubric.yaml"
    rubric.write_text(RUBRIC + "  - {id: talk, title: Talk, points: 5, manual: true}\n", encoding="utf-8")
    path = setup / "scores.yaml"
    path.write_text(scores, encoding="utf-8")
    refused(("grade", setup / "roster.yaml", "--rubric", rubric, "--scores", path, "-o", setup / "out", "--static"),
            expected)


@pytest.mark.parametrize("where", ["file", "under-file", "device"])
def test_an_output_folder_that_cannot_be_one_exits_2(setup: Path, where: str) -> None:
    (setup / "a-file").write_text("x", encoding="utf-8")
    target = {"file": setup / "a-file", "under-file": setup / "a-file" / "out", "device": Path(os.devnull)}[where]
    expected = r"(-o/--output .*(lies under .*a-file, which is a file|not a folder)|'--output': Directory .* is a file)"
    refused(("grade", setup / "roster.yaml", "--rubric", setup / "rubric.yaml", "--static", "-o", target), expected)
    if where != "file":  # click itself refuses an existing file for a folder option
        refused(("check", "--static", "--rubric", setup / "rubric.yaml", setup / "good", "-o", target), expected)
    assert (setup / "a-file").read_text(encoding="utf-8") == "x"


def test_a_worksheet_that_is_not_one_exits_2_before_anything_is_cloned(setup: Path) -> None:
    sheet = setup / "sheet.csv"
    sheet.write_text("Name,Points\nAda,3\n", encoding="utf-8")
    refused(("grade", setup / "roster.yaml", "--rubric", setup / "rubric.yaml", "--static", "-o", setup / "out",
             "--moodle-worksheet", sheet), r"sheet.csv:1: not a Moodle grading worksheet: no column for identifier "
                                           r"\(Identifier, ID\); grade \(Grade, Bewertung\); last modified")
    assert not (setup / "out" / ".clones").exists()
