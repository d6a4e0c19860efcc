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


def test_members_may_have_several_identities_and_a_group_its_own_deadline(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        deadline: 2026-03-31T23:59:00+02:00
        groups:
          - id: g1
            repo: a
            deadline: 2026-04-03T12:00:00+02:00
            members:
              - name: Ada Lovelace
                email: [ada@example.org, ada@uni.example]
                git: [ada-l, "Ada L."]
                identifier: Participant 1
              - {name: Alan Turing, email: alan@example.org, identifier: Participant 2}
        """)
    roster = load_roster(path)
    (group,) = roster.groups
    ada, alan = group.members
    assert ada == Member("Ada Lovelace", "ada@example.org", "ada-l", ("ada@uni.example", "Ada L."))
    assert ada.identities == ("Ada Lovelace", "ada@example.org", "ada-l", "ada@uni.example", "Ada L.")
    assert alan == Member("Alan Turing", "alan@example.org")
    assert group.deadline == datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
    assert roster.warnings == ()


def test_csv_identities_split_on_semicolons_and_a_deadline_column(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        id,repo,name,email,git,identifier,deadline
        g1,a,Ada Lovelace,ada@example.org; ada@uni.example,ada-l;Ada L.,Participant 1,2026-04-03T12:00:00+02:00
        g1,,Alan Turing,alan@example.org,,Participant 2,
        """, "roster.csv")
    (group,) = load_roster(path).groups
    assert group.members[0] == Member("Ada Lovelace", "ada@example.org", "ada-l", ("ada@uni.example", "Ada L."))
    assert group.deadline == datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
    bad = write(tmp_path, "id,repo,deadline\ng1,a,2026-04-03T12:00:00\n", "naive.csv")
    assert f"{bad}:2: group g1.deadline: give the deadline a time zone" in error_of(bad)


def test_warnings_name_a_student_in_two_groups_members_without_identifier_and_shared_identities(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, """\
        groups:
          - id: g1
            repo: a
            members:
              - {name: Ada Lovelace, email: ada@example.org, identifier: Participant 1}
              - {name: Bob Builder, git: bob, identifier: Participant 2}
          - id: g2
            repo: b
            members:
              - {name: Ada Lovelace, email: ADA@example.org, identifier: Participant 3}
              - {name: Carol Coder, git: bob}
        """)
    warnings = load_roster(path).warnings
    assert f"{path}: Ada Lovelace is in 2 groups (same name 'ada lovelace'): g1 (line 5), g2 (line 10)" in warnings
    assert not any("by identity" in w for w in warnings), "her e-mail is one of her identities, said once by name"
    assert f"{path}: 'bob' is given for Bob Builder (g1) and Carol Coder (g2): their commits cannot be told apart" \
        in warnings
    assert any("1 member(s) without a Moodle identifier" in w and "Carol Coder (g2, line 11)" in w for w in warnings)


@pytest.mark.parametrize("name", ["summary.md", "grades.csv", "Summary.HTML", "not-graded.csv", "summary.csv"])
def test_a_group_id_that_is_an_output_file_name_is_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f"groups:\n  - {{id: {name}, repo: a}}\n")
    assert f"{path}:2: groups[0].id: group id {name!r} is the name of a file the batch writes" in error_of(path)
    csv_path = write(tmp_path, f"id,repo\n{name},a\n", "roster.csv")
    assert "is the name of a file the batch writes" in error_of(csv_path)


def test_group_ids_differing_only_in_case_are_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "groups:\n  - {id: Group-1, repo: a}\n  - {id: group-1, repo: b}\n")
    assert "duplicate group id 'group-1' (first used on line 2)" in error_of(path)


def test_a_roster_of_100_mb_a_device_and_impossible_dates_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "roster.csv"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    assert "the roster is 105 MB, over the 8 MB a roster may have" in error_of(huge)
    assert "is not a regular file" in error_of(Path("/dev/zero"))
    impossible = write(tmp_path, "deadline: 2026-02-30T23:59:00+02:00\ngroups:\n  - {id: g, repo: a}\n")
    assert f"{impossible}:1: the roster is not valid YAML: '2026-02-30T23:59:00+02:00' is not a real date" \
        in error_of(impossible)
    group_date = write(tmp_path, "groups:\n  - {id: g, repo: a, deadline: 2026-04-31T12:00:00+02:00}\n")
    assert f"{group_date}:2: " in error_of(group_date) and "not a real date" in error_of(group_date)
    in_csv = write(tmp_path, "id,repo,deadline\ng,a,2026-02-30T12:00:00+02:00\n", "dates.csv")
    assert f"{in_csv}:2: group g.deadline: Input should be a valid datetime" in error_of(in_csv)
