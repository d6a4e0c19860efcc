"""How libraries say that a file is not there: the paths named by the last error line of an output.

Shared by the grader (grader/sandbox/data.py, which decides whether a missing path is the submission's data) and the
README driver inside the sandbox (which must know, while it runs, whether a failure was only missing data and the
commands after it may still run). Standard library only: the driver imports it with `python -I`.
"""

from __future__ import annotations

import re

MISSING = (
    re.compile(r"No such file or directory: (['\"])(?P<path>.{1,400}?)\1"),
    re.compile(r"Error opening (['\"])(?P<path>.{1,400}?)\1: System error"),  # soundfile / libsndfile
    re.compile(r"unable to open file: name = (['\"])(?P<path>.{1,400}?)\1, errno = 2"),  # h5py
    re.compile(r"[Ff]ailed to open the input \"(?P<path>.{1,400}?)\" \(No such file or directory\)"),  # torchaudio
    re.compile(r"File (b?['\"])(?P<path>.{1,400}?)['\"] does not exist"),  # older pandas
    re.compile(r"^FileNotFoundError: (?:\[Errno 2\] )?(?:[^'\"]*\s)?(['\"])(?P<path>.{1,400}?)\1"),
)
ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Warning)?: ")
#: Missing files that are code, not data: a script or notebook that is not there is the submission's fault.
CODE_SUFFIXES = (".py", ".ipynb")


def missing_in(text: str) -> list[str]:
    """Paths an error text says are missing; for a traceback, only its last error line counts."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if ERROR_LINE.match(line)]
    last = errors[-1] if errors else (lines[-1] if lines else "")
    found: list[str] = []
    for pattern in MISSING:
        found += [m.group("path") for m in pattern.finditer(last[:2000])]
    return list(dict.fromkeys(p for p in found if p.strip()))
