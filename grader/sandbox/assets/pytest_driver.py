"""Sandbox driver: run the group's pytest suite as a child process and hand its exit status and JUnit XML back.

pytest runs in the group's interpreter the way `python -m pytest` runs from the root (the root first on sys.path,
the group's own configuration and conftest.py honoured); this parent holds the result's key and observes pytest's
real exit status itself, so code inside the test process (a conftest.py) can neither sign a result nor choose
the exit status the grader compares the JUnit counts with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ASSETS, WORK, Driver, group_python, kill_child, preflight, start_child

#: Seconds kept back from the driver's budget to end pytest and sign the result.
MARGIN_S = 1
MAX_XML = 8 * 1024 * 1024


def main() -> None:
    """Run pytest with the XML written to a fresh folder, then return the XML with the observed exit status."""
    driver = Driver()
    chosen = preflight("pytest")
    xml_path = os.path.join(tempfile.mkdtemp(prefix="grader-junit-"), "junit.xml")
    argv = [group_python(), os.path.join(ASSETS, "boot.py"), "pytest", chosen["order"],
            "-q", "-p", "no:cacheprovider", f"--junitxml={xml_path}",
            # A test file that does not import is one error; the other files' tests still run and count.
            "--continue-on-collection-errors"]
    child = start_child(argv, cwd=WORK)
    code: int | None
    try:
        code = child.wait(max(1.0, driver.remaining() - MARGIN_S))
    except subprocess.TimeoutExpired:
        kill_child(child)
        code = None
    try:
        with open(xml_path, encoding="utf-8", errors="replace") as handle:
            xml = handle.read(MAX_XML)
    except OSError:
        xml = ""
    driver.finish({"exit_code": code, "junit": xml, "timed_out": code is None, "pytest": chosen})


if __name__ == "__main__":
    main()
