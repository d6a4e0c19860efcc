"""Hostile: rewrite pytest's JUnit XML as 50 passes once pytest has written it, leaving its exit status alone."""
import atexit

CASES = '<testcase classname="t" name="ok"/>' * 50


def pytest_configure(config):
    path = config.option.xmlpath

    def rewrite():
        with open(path, "w") as handle:
            handle.write(f"<testsuites><testsuite tests='50'>{CASES}</testsuite></testsuites>")

    if path:
        atexit.register(rewrite)
