"""Shared by the drivers (the parents that run in the grader's tools environment): the request, the signed result,
and the group's interpreter started as a child.

The proof that a result is the driver's is an HMAC over it with a key only the driver process holds. The grader
puts the key into the one writable file it mounts at /grader-out; the driver makes itself non-dumpable (so no
process of the same user can read its memory through /proc or ptrace), reads the key, empties the file and only
then starts any of the group's code. Whatever the group's code writes into that file afterwards carries no valid
signature. Everything here is standard library: it runs with `python -I` in /opt/grader-tools.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

IN = "/grader-in/request.json"
OUT = "/grader-out"
WORK = "/work"
ASSETS = os.path.dirname(os.path.abspath(__file__))
#: The group's interpreter: the base image's /opt/venv, else (a group's own Dockerfile) whatever python3 is.
GROUP_VENV_PYTHON = "/opt/venv/bin/python"
_PR_SET_DUMPABLE = 4


class Driver:
    """One driver run: its request, its deadline and the key its result is signed with."""

    def __init__(self) -> None:
        _undumpable()
        self._out = os.open(OUT, os.O_RDWR | os.O_NOFOLLOW)
        self._key = os.pread(self._out, 256, 0).strip()
        os.ftruncate(self._out, 0)
        with open(IN, encoding="utf-8") as handle:
            self.request: dict[str, Any] = json.load(handle)
        self.deadline = time.monotonic() + float(self.request.get("budget_s", 600))

    def remaining(self) -> float:
        """Seconds left before the driver must write its result (the container is killed a little later)."""
        return self.deadline - time.monotonic()

    def finish(self, payload: dict[str, Any]) -> None:
        """Sign and write the result, then leave at once."""
        body = json.dumps(payload, sort_keys=True)
        mac = hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()
        data = json.dumps({"body": body, "mac": mac}).encode("utf-8")
        os.ftruncate(self._out, 0)
        os.pwrite(self._out, data, 0)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _undumpable() -> None:
    """Keep every other process of the sandbox's user out of this one's memory (prctl PR_SET_DUMPABLE 0)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed: the result could not be protected")


def group_python() -> str:
    """The interpreter the group's code runs with."""
    if os.access(GROUP_VENV_PYTHON, os.X_OK):
        return GROUP_VENV_PYTHON
    return shutil.which("python3") or "python3"


def start_child(argv: list[str], cwd: str = WORK, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start the group's code in a session of its own (so it can be killed whole); stdin is closed, and output
    goes where the driver's goes (the step's log)."""
    return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)


def kill_child(child: subprocess.Popen[bytes]) -> None:
    """Kill a child's whole process group and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(5)


def preflight(tool: str) -> dict[str, Any]:
    """Which order lets the group's interpreter import the grader's `tool` (pytest or kernel): the group's own
    packages first (its pins win), else the grader's copy first. Says what it chose and why."""
    tried = []
    for order in ("group-first", "tools-first"):
        argv = [group_python(), os.path.join(ASSETS, "boot.py"), f"check-{tool}", order]
        try:
            run = subprocess.run(argv, cwd=WORK, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tried.append(f"{order}: {type(exc).__name__}")
            continue
        lines = run.stdout.decode("utf-8", "replace").strip().splitlines()
        if run.returncode == 0 and lines:
            return {"order": order, "found": lines[-1][:300], "tried": tried}
        why = (lines[-1] if lines else run.stderr.decode("utf-8", "replace").strip()[-300:]) or "failed"
        tried.append(f"{order}: {why[:300]}")
    return {"order": "group-first", "found": None, "tried": tried}
