"""Hostile: replace the driver's result with a link to a host file, then stop before the driver writes."""
import os


def test_swap_result():
    for attempt in (lambda: os.unlink("/grader-out"), lambda: os.rename("/grader-out", "/tmp/x"),
                    lambda: os.symlink("/etc/passwd", "/grader-in/result")):
        try:
            attempt()
        except OSError as exc:
            print("refused:", type(exc).__name__)
    os._exit(0)
