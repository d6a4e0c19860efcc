"""Hostile: from inside the pytest process, hunt for the driver's key and sign a result claiming 50 passes."""
from hunt import forge, hunt

CASES = '<testcase classname="t" name="ok"/>' * 50
forge({"exit_code": 0, "junit": f"<testsuite tests='50'>{CASES}</testsuite>", "timed_out": False}, hunt())
