"""Roster loading: the issue's YAML form as written, the CSV form, and errors that name the line."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.models import Member
from grader.roster import load_roster

ISSUE_EXAMPLE = """\
deadline: 2026-03-31T23:59:00+02:00
groups:
  - id: group-1
    repo: https://git.example.org/dl4ad/group-1.git
    ref: main
    members:
      - {name: Ada Lovelace, email: ada@example.org, git: ada}
    smoke: ["python train.py --epochs 1"]
"""


def write(tmp_path: Path, text: str, name: str = "roster.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_roster(path)
    return str(info.value)


def test_issue_example_is_accepted_as_written(tmp_path: Path) -> None:
    roster = load_roster(write(tmp_path, ISSUE_EXAMPLE))
    assert roster.deadline == datetime(2026, 3, 31, 21, 59, tzinfo=UTC)
    (group,) = roster.groups
    assert group.id == "group-1"
    assert group.repo == "https://git.example.org/dl4ad/group-1.git"
    assert group.ref == "main"
    assert group.members == (Member("Ada Lovelace", "ada@example.org", "ada"),)
    assert group.smoke == ("python train.py --epochs 1",)


def test_local_paths_are_relative_to_the_roster_and_urls_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        groups:
          - {id: a, repo: repos/a}
          - {id: b, repo: "git@git.example.org:dl4ad/b.git"}
          - {id: c, repo: "ext::sh -c touch% /tmp/x"}
        """)
    a, b, c = load_roster(path).groups
    assert a.repo == str(tmp_path / "repos" / "a")
    assert b.repo == "git@git.example.org:dl4ad/b.git"
    assert c.repo == "ext::sh -c touch% /tmp/x"  # refused later by acquisition, for that group only


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        groups:
          - id: group-1
            repo: a
          - id: group-2
            repo: b
          - id: group-1
            repo: c
        """)
    message = error_of(path)
    assert f"{path}:6: groups[2].id: duplicate group id 'group-1'" in message
    assert "first used on line 2" in message


def test_missing_repo_names_the_group_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        groups:
          - id: group-1
            repo: a
          - id: group-2
            ref: main
        """)
    assert f"{path}:4: groups[1].repo: required key is missing" in error_of(path)


def test_unknown_key_names_the_line_and_the_nearest_key(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        groups:
          - id: group-1
            repo: a
            memebrs: []
        """)
    assert f"{path}:4: groups[0].memebrs: unknown key 'memebrs' - did you mean 'members'?" in error_of(path)


def test_unknown_member_key_is_reported_inside_the_member(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        groups:
          - id: group-1
            repo: a
            members:
              - name: Ada
                mail: ada@example.org
        """)
    assert f"{path}:6: groups[0].members[0].mail: unknown key 'mail' - did you mean 'email'?" in error_of(path)


@pytest.mark.parametrize("bad_id", ["../escape", ".hidden", "a/b", ""])
def test_group_ids_that_cannot_be_a_folder_name_are_refused(tmp_path: Path, bad_id: str) -> None:
    path = write(tmp_path, f'groups:\n  - id: "{bad_id}"\n    repo: a\n')
    assert f"{path}:2: groups[0].id:" in error_of(path)


def test_deadline_needs_a_time_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "deadline: 2026-03-31T23:59:00\ngroups:\n  - {id: a, repo: a}\n")
    assert f"{path}:1: deadline: give the deadline a time zone" in error_of(path)


def test_a_roster_without_groups_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "groups: []\n")
    assert "groups" in error_of(path)


def test_csv_rows_per_student_form_groups(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        id,repo,ref,name,email,git,identifier,smoke,paper
        g1,https://git.example.org/g1.git,main,Ada Lovelace,ada@example.org,ada,Participant 11,python a.py,paper.pdf
        g1,,,Alan Turing,alan@example.org,alan,Participant 12,python b.py,
        g2,repos/g2,,Grace Hopper,grace@example.org,,,,
        """, "roster.csv")
    roster = load_roster(path)
    g1, g2 = roster.groups
    assert roster.deadline is None
    assert g1.repo == "https://git.example.org/g1.git" and g1.ref == "main" and g1.paper == "paper.pdf"
    assert [s.member.name for s in g1.students] == ["Ada Lovelace", "Alan Turing"]
    assert [s.identifier for s in g1.students] == ["Participant 11", "Participant 12"]
    assert g1.smoke == ("python a.py", "python b.py")
    assert g2.repo == str(tmp_path / "repos" / "g2")
    assert g2.members == (Member("Grace Hopper", "grace@example.org", None),)


def test_csv_with_a_byte_order_mark_and_only_the_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffid,repo\ng1,https://git.example.org/g1.git\n".encode())
    (group,) = load_roster(path).groups
    assert group.id == "g1" and group.students == ()


def test_csv_unknown_column_names_line_1_and_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "id,repo,emial\ng1,a,x@example.org\n", "roster.csv")
    assert f"{path}:1: unknown column 'emial' - did you mean 'email'?" in error_of(path)


def test_csv_contradicting_repo_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "id,repo,name\ng1,a,Ada\ng2,b,Bob\ng1,c,Alan\n", "roster.csv")
    assert f"{path}:4: repo: 'c' contradicts 'a' given for group 'g1' on line 2" in error_of(path)


def test_csv_group_without_repo_names_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id,repo,name\ng1,a,Ada\ng2,,Bob\n", "roster.csv")
    assert f"{path}:3: group g2.repo: required column is empty for this group" in error_of(path)


def test_csv_missing_id_column_and_empty_id(tmp_path: Path) -> None:
    assert "required column 'id' is missing" in error_of(write(tmp_path, "repo,name\na,Ada\n", "r1.csv"))
    path = write(tmp_path, "id,repo\ng1,a\n,b\n", "r2.csv")
    assert f"{path}:3: id: the group id is empty" in error_of(path)


def test_missing_roster_file_is_a_config_error(tmp_path: Path) -> None:
    assert "no such roster file" in error_of(tmp_path / "nope.yaml")
    assert "no such roster file" in error_of(tmp_path / "nope.csv")


def test_a_group_s_data_folders_are_resolved_against_the_roster(tmp_path: Path) -> None:
    (tmp_path / "data" / "g1").mkdir(parents=True)
    path = tmp_path / "roster.yaml"
    path.write_text("groups:\n  - id: g1\n    repo: https://example.org/g1.git\n    data: {dataset/: data/g1}\n")
    (group,) = load_roster(path).groups
    assert group.data == (("dataset", str((tmp_path / "data" / "g1").resolve())),)
    path.write_text("groups:\n  - id: g1\n    repo: https://example.org/g1.git\n    data:\n      dataset: nowhere\n")
    with pytest.raises(ConfigError, match=r"roster.yaml:4: groups\[0\]\.data: data folder 'nowhere' does not exist"):
        load_roster(path)
    path.write_text("groups:\n  - id: g1\n    repo: https://example.org/g1.git\n    data: {../up: data/g1}\n")
    with pytest.raises(ConfigError, match="must be a folder inside the working copy"):
        load_roster(path)
