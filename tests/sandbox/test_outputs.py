"""Result collection treats the output folder as hostile: links, FIFOs, huge files, forged or hostile XML."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.sandbox.outputs import RejectedOutput, parse_junit, read_result, read_signed_result
from grader.sandbox.results import failed_test
from tests.harness import MakeTree

KEY = "k" * 64


def signed(payload: object, key: str = KEY) -> str:
    body = json.dumps(payload)
    return json.dumps({"body": body, "mac": hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()})


def test_regular_result_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(signed({"value": 3}))
    assert read_signed_result(tmp_path, "r.json", KEY)["value"] == 3


def test_symlink_to_a_host_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "r.json").symlink_to("/etc/passwd")
    with pytest.raises(RejectedOutput, match="symbolic link"):
        read_result(tmp_path, "r.json")


def test_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "r.json")
    with pytest.raises(RejectedOutput, match="not a regular file"):
        read_result(tmp_path, "r.json")


def test_oversized_result_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_bytes(b"x" * 2000)
    with pytest.raises(RejectedOutput, match="over the 1000-byte limit"):
        read_result(tmp_path, "r.json", max_bytes=1000)


def test_path_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(RejectedOutput):
        read_result(tmp_path, "../etc/passwd")


@pytest.mark.parametrize("text", [
    json.dumps({"value": 3}),  # the old, unsigned form
    signed({"value": 3}, key="guessed" * 9),  # signed with a guessed key
    json.dumps({"body": json.dumps({"value": 3}), "mac": "0" * 64}),
    signed([1, 2]),  # signed, but not an object
    KEY,  # the key itself: the driver never ran
    "not json {",
])
def test_result_not_signed_with_the_step_s_key_is_rejected(tmp_path: Path, text: str) -> None:
    (tmp_path / "r.json").write_text(text)
    with pytest.raises(RejectedOutput) as caught:
        read_signed_result(tmp_path, "r.json", KEY)
    assert KEY not in str(caught.value)


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4">
<testcase classname="tests.test_a" name="test_ok"/>
<testcase classname="tests.test_a" name="test_ok2"/>
<testcase classname="tests.test_a" name="test_bad"><failure message="assert 1 == 2"/></testcase>
<testcase classname="tests.test_a" name="test_skip"><skipped message="later"/></testcase>
</testsuite></testsuites>"""


def test_junit_counts_come_from_the_testcases() -> None:
    counts = parse_junit(JUNIT)
    assert (counts.tests, counts.passed, counts.failed, counts.errors, counts.skipped) == (4, 2, 1, 0, 1)
    assert counts.failing == ("tests.test_a::test_bad",)


def test_junit_collection_errors_count_as_errors() -> None:
    xml = '<testsuites><testsuite name="pytest" errors="2" failures="0" skipped="0" tests="2"></testsuite></testsuites>'
    counts = parse_junit(xml)
    assert (counts.errors, counts.passed) == (2, 0)


def test_entity_expansion_bomb_is_rejected() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<testsuites>&lol2;</testsuites>"
    )
    with pytest.raises(RejectedOutput):
        parse_junit(bomb)


def test_broken_xml_is_rejected() -> None:
    with pytest.raises(RejectedOutput):
        parse_junit("<testsuites><testcase")


@pytest.mark.parametrize(("name", "reason", "expected"), [
    ("pkg.sub.test_m.TestA::test_b", "AssertionError\nE   assert 1 == 2\nE    +  where 1 = f()",
     ("pkg/sub/test_m.py", "pkg/sub/test_m.py::TestA::test_b", "assert 1 == 2")),
    ("test_top::test_x", "boom\n", ("test_top.py", "test_top.py::test_x", "boom")),
    ("gone.test_old::test_y", "", ("", "gone.test_old::test_y", "")),
])
def test_a_junit_id_becomes_the_file_and_node_id_pytest_reruns(
    make_tree: MakeTree, name: str, reason: str, expected: tuple[str, str, str]
) -> None:
    tree = SubmissionTree(make_tree({"pkg/sub/test_m.py": "", "test_top.py": ""}))
    found = failed_test(name, reason, tree)
    assert (found.path, found.node, found.reason) == expected
