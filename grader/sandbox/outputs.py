"""Safe collection of what a run step left in its output folder: regular files only, size-capped, parsed as data.

Everything here treats the folder as hostile: a result may be a symlink to a host file, a FIFO, huge, or
forged by the group's code. Files are opened with O_NOFOLLOW after an lstat, read under a cap, and parsed as
JSON or JUnit XML (defusedxml: no entities, no external references); nothing is unpickled or executed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET

#: Largest result file accepted from a container.
MAX_RESULT_BYTES = 8 * 1024 * 1024
#: Failing test names kept in a step's data.
MAX_LISTED = 50


class RejectedOutput(ValueError):
    """A result file that is missing, not a regular file, too large, unparsable or not the grader's own."""


@dataclass(frozen=True)
class JUnitCounts:
    """Counts of a pytest run as its JUnit XML reports them, with the names of failing tests."""

    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    failing: tuple[str, ...] = ()
    #: For each failing test, the failure's message and text (shortened): what it raised.
    reasons: tuple[str, ...] = ()


def read_result(out_dir: Path, name: str, max_bytes: int = MAX_RESULT_BYTES) -> bytes:
    """Bytes of `out_dir/name` if it is a regular file (not a link) under the cap; RejectedOutput otherwise."""
    if "/" in name or name in {"", ".", ".."}:
        raise RejectedOutput(f"{name}: not a plain file name")
    path = out_dir / name
    try:
        st = os.lstat(path)
    except FileNotFoundError as exc:
        raise RejectedOutput(f"{name}: no such result file") from exc
    if stat.S_ISLNK(st.st_mode):
        raise RejectedOutput(f"{name}: is a symbolic link (to {_readlink(path)!r}), not accepted")
    if not stat.S_ISREG(st.st_mode):
        raise RejectedOutput(f"{name}: not a regular file")
    if st.st_size > max_bytes:
        raise RejectedOutput(f"{name}: {st.st_size} bytes, over the {max_bytes}-byte limit")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise RejectedOutput(f"{name}: cannot be opened safely ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as handle:
        # Re-check on the open descriptor: the file could have been swapped between lstat and open.
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise RejectedOutput(f"{name}: not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RejectedOutput(f"{name}: over the {max_bytes}-byte limit")
    return data


def read_signed_result(out_dir: Path, name: str, key: str) -> dict[str, Any]:
    """A driver's result, accepted only when signed with the key the grader gave that driver alone.

    The driver wrote `{"body": JSON text, "mac": HMAC-SHA256(key, body)}`; anything else in the file (the key
    itself when the driver never ran, a document the group's code wrote) is rejected.
    """
    try:
        outer = json.loads(read_result(out_dir, name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RejectedOutput(f"{name}: no result from the grader's driver (it did not run to the end)") from None
    if not isinstance(outer, dict) or not isinstance(outer.get("body"), str) or not isinstance(outer.get("mac"), str):
        raise RejectedOutput(f"{name}: not a result of the grader's driver")
    expected = hmac.new(key.encode("ascii"), outer["body"].encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, outer["mac"]):
        raise RejectedOutput(f"{name}: not signed by the grader's driver (signature mismatch): a forged result")
    try:
        value = json.loads(outer["body"])
    except json.JSONDecodeError as exc:
        raise RejectedOutput(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise RejectedOutput(f"{name}: not a JSON object")
    return value


def parse_junit(xml_text: str) -> JUnitCounts:
    """Counts from JUnit XML (pytest's `--junitxml`), computed from the testcases themselves."""
    try:
        root = SafeET.fromstring(xml_text)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise RejectedOutput(f"JUnit XML rejected: {type(exc).__name__}: {exc}") from exc
    failed = errors = skipped = tests = 0
    failing: list[str] = []
    reasons: list[str] = []
    for case in root.iter("testcase"):
        tests += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        problems = [child for child in case if child.tag in {"failure", "error"}]
        if any(child.tag == "failure" for child in problems):
            failed += 1
        elif problems:
            errors += 1
        elif any(child.tag == "skipped" for child in case):
            skipped += 1
            continue
        else:
            continue
        if len(failing) < MAX_LISTED:
            failing.append(name)
            reasons.append(f"{problems[0].get('message', '')}\n{(problems[0].text or '')[-2000:]}")
    # Collection errors have no testcase in some pytest versions; the suite attribute still counts them.
    suite_errors = sum(int(s.get("errors", "0") or 0) for s in root.iter("testsuite") if s.get("errors", "0").isdigit())
    if suite_errors > errors:
        tests += suite_errors - errors
        errors = suite_errors
    passed = tests - failed - errors - skipped
    return JUnitCounts(tests, max(passed, 0), failed, errors, skipped, tuple(failing), tuple(reasons))


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
