"""Hostile: write a results file claiming 100 passing tests, then stop before the driver writes its own."""
import json
import os

CASES = '<testcase classname="t" name="ok"/>' * 100
JUNIT = f'<testsuites><testsuite tests="100">{CASES}</testsuite></testsuites>'


def test_forge():
    with open("/out/tests.json", "w") as handle:
        json.dump({"exit_code": 0, "junit": JUNIT, "nonce": "guessed"}, handle)
    os._exit(0)


def test_fails():
    raise AssertionError("this one fails honestly")
