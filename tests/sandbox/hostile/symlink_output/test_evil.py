"""Hostile: replace the driver's result with a link to a host file, then stop before the driver writes."""
import os


def test_swap_result():
    os.symlink("/etc/passwd", "/out/tests.json")
    os._exit(0)
