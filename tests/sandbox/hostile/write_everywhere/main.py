"""Hostile: write to the image's root and rewrite the submission it was given; exits 0 when / is protected."""
import pathlib
import sys

root_written = False
for target in ("/evil.txt", "/etc/evil.txt", "/usr/lib/evil.txt", "/opt/venv/evil.txt", "/grader/evil.txt"):
    try:
        pathlib.Path(target).write_text("pwned")
        root_written = True
        print("wrote", target)
    except OSError as exc:
        print("refused", target, type(exc).__name__)
pathlib.Path("main.py").write_text("print('rewritten by the group')\n")
pathlib.Path("checkpoint.pt").write_bytes(b"model weights")
sys.exit(1 if root_written else 0)
