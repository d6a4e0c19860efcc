"""Hostile: write a results file claiming 100 passing tests where the driver's result goes, then stop at once."""
import json
import os

CASES = '<testcase classname="t" name="ok"/>' * 100
JUNIT = f'<testsuites><testsuite tests="100">{CASES}</testsuite></testsuites>'


def test_forge():
    body = json.dumps({"exit_code": 0, "junit": JUNIT})
    with open("/grader-out", "w") as handle:
        json.dump({"body": body, "mac": "0" * 64}, handle)
    os._exit(0)


def test_fails():
    raise AssertionError("this one fails honestly")
