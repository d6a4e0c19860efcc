"""`grader grade ROSTER` as a user runs it: files written, progress on stderr, exit codes 0 / 1 / 2."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.acquire.builder import RepoBuilder
from tests.cli.test_check import grader
from tests.test_batch import EXTENSION, GOOD, RUBRIC, deadline_facts, extension_setup


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    """A rubric, a good repository, a repository without environment file; returns the folder."""
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    RepoBuilder(tmp_path / "good").commit(GOOD, when="2026-03-30T12:00:00+02:00")
    RepoBuilder(tmp_path / "bare").commit({"README.md": "# none\n"}, when="2026-03-30T12:00:00+02:00")
    return tmp_path


def roster(folder: Path, *groups: str) -> Path:
    path = folder / "roster.yaml"
    body = "".join(f"  - id: {g}\n    repo: {g}\n    members: [{{name: Student {g}, email: {g}@example.org}}]\n"
                   for g in groups)
    path.write_text("deadline: 2026-03-31T23:59:00+02:00\ngroups:\n" + body, encoding="utf-8")
    return path


def test_help_shows_an_example_roster_and_the_options() -> None:
    out = grader("grade", "--help").stdout
    for text in ("ROSTER", "deadline: 2026-03-31T23:59:00+02:00", "members:", "--jobs", "--force", "--deadline",
                 "--workdir", "--static", "grades.csv", "Exit code"):
        assert text in out, text


def test_grade_writes_reports_and_summaries_and_exits_1_when_a_gate_fails(setup: Path) -> None:
    out = setup / "out"
    done = grader("grade", roster(setup, "good", "bare"), "--rubric", setup / "rubric.yaml", "-o", out, "--static",
                  "--jobs", "2", "--format", "json", "--format", "md")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "good: cloning" in done.stderr and "✔ good: 10/15 points (not final), gate passed (graded" in done.stderr
    assert "bare: 0/15 points, gate FAILED" in done.stderr
    assert "grader: 1 group(s) not final, without a grade in grades.csv (--allow-pending writes one): good" \
        in done.stderr
    assert sorted(p.name for p in (out / "good").glob("report.*")) == ["report.json", "report.md"]
    # --static leaves `good`'s run.smoke not run, so it has no grade yet; `bare` has no code at all: a final 0
    assert [(r["Full name"], r["Grade"]) for r in read(out / "grades.csv")] == [("Student good", ""),
                                                                               ("Student bare", "0.00")]
    (pending,) = read(out / "not-graded.csv")
    assert (pending["group"], pending["state"]) == ("good", "provisional")
    assert pending["reason"] == "not final: running not run: the sandbox was off (--static)"

    again = grader("grade", setup / "roster.yaml", "--rubric", setup / "rubric.yaml", "-o", out, "--static")
    assert again.returncode == 1
    assert "(kept," in again.stderr and "2 kept from an earlier run" in again.stderr


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_allow_pending_writes_provisional_grades(setup: Path) -> None:
    out = setup / "out"
    done = grader("grade", roster(setup, "good"), "--rubric", setup / "rubric.yaml", "-o", out, "--static",
                  "--allow-pending")
    assert done.returncode == 0, done.stderr
    assert "1 group(s) not final, graded provisionally: good" in done.stderr
    (row,) = read(out / "grades.csv")
    assert row["Grade"] == "10.00" and row["Feedback comments"].startswith("Provisional - Automatic grading")
    assert read(out / "not-graded.csv") == []


def test_a_failed_clone_has_no_grade_and_the_batch_exits_1(setup: Path) -> None:
    path = roster(setup, "good")
    (setup / "gone").mkdir()  # a folder that is no repository: git's fetch fails
    path.write_text(path.read_text(encoding="utf-8") + "  - id: gone\n    repo: gone\n    members: [{name: Gone}]\n",
                    encoding="utf-8")
    out = setup / "out"
    done = grader("grade", path, "--rubric", setup / "rubric.yaml", "-o", out, "--static", "--allow-pending")
    assert done.returncode == 1, done.stderr
    assert "✘ gone: not graded: ls-remote of" in done.stderr and "grader: NOT GRADED gone: ls-remote of" in done.stderr
    assert [(r["Full name"], r["Grade"], r["Feedback comments"]) for r in read(out / "grades.csv")] == [
        ("Student good", "10.00", read(out / "grades.csv")[0]["Feedback comments"]), ("Gone", "", "")]
    (gone,) = read(out / "not-graded.csv")
    assert (gone["group"], gone["state"]) == ("gone", "not-graded")
    assert "Could not read from remote repository" in gone["reason"]


def test_all_gates_holding_exits_0(setup: Path) -> None:
    done = grader("grade", roster(setup, "good"), "--rubric", setup / "rubric.yaml", "-o", setup / "out", "--static",
                  "-q", "--allow-pending")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (setup / "out" / "summary.md").is_file()


def test_bad_roster_exits_2_naming_the_line_before_cloning_anything(setup: Path) -> None:
    path = setup / "roster.yaml"
    path.write_text("groups:\n  - id: good\n    repo: good\n    brnach: main\n", encoding="utf-8")
    done = grader("grade", path, "--rubric", setup / "rubric.yaml", "-o", setup / "out", "--static")
    assert done.returncode == 2
    assert f"{path}:4: groups[0].brnach: unknown key 'brnach'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (setup / "out").exists()


def test_deadline_without_time_zone_is_a_usage_error(setup: Path) -> None:
    done = grader("grade", roster(setup, "good"), "--rubric", setup / "rubric.yaml", "--static",
                  "--deadline", "2026-03-31 23:59")
    assert done.returncode == 2
    assert "has no time zone" in done.stderr


def test_deadline_option_overrides_the_roster(setup: Path) -> None:
    out = setup / "out"
    done = grader("grade", roster(setup, "good"), "--rubric", setup / "rubric.yaml", "-o", out, "--static",
                  "--deadline", "2026-03-01T00:00:00+01:00")
    assert done.returncode == 1
    assert "no commit at or before the deadline 2026-03-01" in (out / "summary.csv").read_text(encoding="utf-8")


def test_a_groups_extension_beats_the_deadline_option_both_ways(tmp_path: Path) -> None:
    """README: a group's own deadline "beats every other deadline"; --deadline overrides the roster's and the
    rubric's only. So an earlier --deadline does not take a group's extension away, and a later one does not
    extend it further."""
    path, commits = extension_setup(tmp_path)
    (a_early, a_late), (_, b_late) = commits["plain"], commits["extended"]
    RepoBuilder(tmp_path / "repos" / "extended").commit({"main.py": "print('after the extension')\n"},
                                                         when="2026-04-05T09:00:00+02:00", message="too late")
    rubric = tmp_path / "rubric.yaml"

    later = grader("grade", path, "--rubric", rubric, "-o", tmp_path / "later", "--static", "--format", "json",
                   "--allow-pending", "--deadline", "2026-04-10T00:00:00+02:00")
    assert later.returncode == 0, later.stderr
    assert deadline_facts(tmp_path / "later" / "plain" / "report.json") == (
        a_late, "2026-04-10T00:00:00+02:00", a_late, 0)
    assert deadline_facts(tmp_path / "later" / "extended" / "report.json") == (b_late, EXTENSION, b_late, 1)

    earlier = grader("grade", path, "--rubric", rubric, "-o", tmp_path / "earlier", "--static", "--format", "json",
                     "--allow-pending", "--deadline", "2026-03-25T00:00:00+01:00")
    assert earlier.returncode == 1, earlier.stderr  # `plain` has no commit by then: not graded
    assert "NOT GRADED plain: no commit at or before the deadline 2026-03-25" in earlier.stderr
    assert deadline_facts(tmp_path / "earlier" / "extended" / "report.json") == (b_late, EXTENSION, b_late, 1)
    assert a_early not in (tmp_path / "earlier" / "plain" / "report.json").read_text(encoding="utf-8")


def test_without_docker_and_without_static_it_stops_with_exit_2(setup: Path) -> None:
    done = grader("grade", roster(setup, "good"), "--rubric", setup / "rubric.yaml", "-o", setup / "out",
                  env={"DOCKER_HOST": f"unix://{setup / 'no-docker.sock'}"})
    assert done.returncode == 2
    assert "--static" in done.stderr and "Traceback" not in done.stderr
    assert not (setup / "out" / ".clones").exists()


def test_terminal_progress_shows_each_group_and_the_bar() -> None:
    from rich.console import Console

    from grader.batch import GroupOutcome, OutcomeKind
    from grader.cli.grade import _RichProgress
    from grader.roster import Group
    from tests.report.sample import sample_report

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, no_color=True)
    with _RichProgress(2, console) as progress:
        progress.stage("group-7", "cloning")
        progress.stage("group-7", "running: smoke [x]")
        progress.finished(GroupOutcome(Group("group-7", "x"), OutcomeKind.GRADED, sample_report(), seconds=1.5))
    text = buffer.getvalue()
    assert "group-7: running: smoke [x]" in text  # stage text is escaped, not taken as rich markup
    assert "✘ group-7: 12.5/30 points, gate FAILED (graded, 1.5 s)" in text  # no tick on a failed gate
    assert "1/2" in text and "ETA" in text


def test_scores_for_manual_criteria_are_merged_and_a_change_regrades(setup: Path) -> None:
    rubric = setup / "rubric.yaml"
    rubric.write_text(RUBRIC + "  - {id: talk, title: Presentation, points: 5, manual: true}\n", encoding="utf-8")
    scores = setup / "scores.yaml"
    scores.write_text("good: {talk: 4}\n", encoding="utf-8")
    args = ("grade", roster(setup, "good"), "--rubric", rubric, "-o", setup / "out", "--static", "--format", "json",
            "--scores", scores)
    first = grader(*args)
    assert first.returncode == 0, first.stderr
    assert "good: 14/20 points (not final)" in first.stderr
    scores.write_text("good: {talk: 2.5}\n", encoding="utf-8")
    second = grader(*args)
    assert "good: 12.5/20 points" in second.stderr and "(kept," not in second.stderr
    scores.write_text("good: {tlak: 2}\n", encoding="utf-8")
    bad = grader(*args)
    assert bad.returncode == 2 and f"{scores}:1: good.tlak" in bad.stderr and "did you mean 'talk'" in bad.stderr


def test_the_moodle_worksheet_is_filled_in_by_the_batch(setup: Path) -> None:
    path = setup / "roster.yaml"
    path.write_text(
        "groups:\n  - id: good\n    repo: good\n    members:\n"
        "      - {name: Ada Lovelace, email: ada@example.org, identifier: Teilnehmer/in7}\n"
        "      - {name: Alan Turing, email: alan@example.org}\n", encoding="utf-8")
    sheet = setup / "Bewertungen-DL4AD.csv"
    original = ('ID,"Vollständiger Name",E-Mail-Adresse,Status,Bewertung,Bestwertung,"Zuletzt geändert (Bewertung)",'
                '"Feedback als Kommentar"\n'
                'Teilnehmer/in7,"Ada Lovelace",ada@example.org,Abgegeben,,"15,00",-,\n'
                'Teilnehmer/in8,"Alan Turing",ALAN@example.org,Abgegeben,,"15,00","Dienstag, 31. März 2026, 23:58",\n'
                'Teilnehmer/in9,"Eve Example",eve@example.org,Abgegeben,"3,00","15,00",-,"schon da"\n')
    sheet.write_text(original, encoding="utf-8")
    done = grader("grade", path, "--rubric", setup / "rubric.yaml", "-o", setup / "out", "--static",
                  "--allow-pending", "--moodle-worksheet", sheet)
    assert done.returncode == 0, done.stderr
    filled = (setup / "Bewertungen-DL4AD-graded.csv").read_text(encoding="utf-8")
    ada, alan, eve = filled.splitlines()[1:]
    assert ada.startswith('Teilnehmer/in7,"Ada Lovelace",ada@example.org,Abgegeben,"10,00","15,00",-,"Provisional')
    assert alan.startswith('Teilnehmer/in8,"Alan Turing",ALAN@example.org,Abgegeben,"10,00","15,00","Dienstag, 31. '
                           'März 2026, 23:58","Provisional')
    assert eve == original.splitlines()[3], "a student not in the roster keeps the row byte for byte"
    assert sheet.read_text(encoding="utf-8") == original
    summary = (setup / "out" / "summary.md").read_text(encoding="utf-8")
    assert "2 row(s) filled in; copy written to Bewertungen-DL4AD-graded.csv" in summary
    assert "worksheet row not in the roster, left as it was: line 4 (Teilnehmer/in9, Eve Example)" in summary


def test_exit_code_3_when_the_grader_failed_on_a_group_and_1_when_a_clone_failed() -> None:
    from dataclasses import replace

    from grader.batch import BatchResult, GroupOutcome, OutcomeKind
    from grader.cli.grade import exit_code
    from grader.models import GradeState
    from grader.roster import Group
    from tests.report.test_summary import final_report, not_graded_report

    good = GroupOutcome(Group("a", "x"), OutcomeKind.GRADED, replace(final_report(), gate_passed=True))
    clone = GroupOutcome(Group("b", "y"), OutcomeKind.NOT_ACQUIRED, not_graded_report())
    crash = GroupOutcome(Group("c", "z"), OutcomeKind.CRASHED, not_graded_report())
    infra = GroupOutcome(Group("d", "w"), OutcomeKind.GRADED, replace(final_report(), state=GradeState.NOT_GRADED))
    assert exit_code(BatchResult((good,), ())) == 0
    assert exit_code(BatchResult((good, clone), ())) == 1
    assert exit_code(BatchResult((good, clone, crash), ())) == 3
    assert exit_code(BatchResult((good, infra), ())) == 3
