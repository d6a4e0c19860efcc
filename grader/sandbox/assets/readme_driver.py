"""Sandbox driver: run the README's commands in order, in one working copy, as a reader would type them.

The grader sends the commands it may run (the plan's `run` and `run-briefly` ones, with the folder each runs in
after the README's `cd`s) and the variables the README exports. Each command runs in `bash -c` (else `sh -c`) in its
own session, with the group's environment first on PATH (an activated virtualenv or conda environment is the one
the build made), stdin closed, and its output read here under a byte cap, so this parent alone decides and signs
each outcome:

- passed: it exited 0; failed: it exited otherwise, printed a traceback before its limit, or printed too much;
- started: still running at its limit without a traceback (a training run or a server that started cleanly), or
  stopped waiting for keyboard input;
- needs-data: it failed only because a file it reads is neither in the working copy nor code;
- unavailable: its program is not in the sandbox (npm, a Python the image does not have).

The run stops at the first failed command; the grader reports the rest as not run.
"""

from __future__ import annotations

import os
import posixpath
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from typing import Any

# The drivers are copied in as loose files; their shared helpers sit next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import WORK, Driver, kill_child
from _missing import CODE_SUFFIXES, missing_in

#: Seconds kept back from the driver's budget to sign the result; a command is not started with less left.
MARGIN_S = 2
MIN_COMMAND_S = 3
HEAD_BYTES = 2_000
TAIL_BYTES = 6_000
#: Characters of a command's output sent back (its end: where the error is).
SHOWN = 4_000
TRACEBACK = b"Traceback (most recent call last):"
_GROUP_VENV = "/opt/venv"
#: Shell words that are no program on PATH, so a missing `which` for them says nothing.
_SHELL_WORDS = frozenset({
    ".", ":", "[", "[[", "{", "(", "!", "alias", "case", "cd", "command", "echo", "eval", "exec", "exit", "export",
    "false", "for", "if", "printf", "pwd", "read", "set", "source", "test", "time", "true", "type", "ulimit",
    "umask", "unset", "until", "wait", "while",
})
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


class Capture:
    """Head and tail of a command's output under a cap, and whether a Python traceback went by."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""
        self.total = 0
        self.traceback = False
        self._edge = b""

    def add(self, chunk: bytes) -> None:
        """Keep the first and last bytes of the output; count it all."""
        self.total += len(chunk)
        self.traceback = self.traceback or TRACEBACK in self._edge + chunk
        self._edge = chunk[-len(TRACEBACK):]
        if len(self.head) < HEAD_BYTES:
            room = HEAD_BYTES - len(self.head)
            self.head, chunk = self.head + chunk[:room], chunk[room:]
        self.tail = (self.tail + chunk)[-TAIL_BYTES:]

    def text(self) -> str:
        """The output as kept: head, a marker for what was dropped, tail."""
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {dropped} bytes not kept ...]\n".encode() if dropped > 0 else b""
        return (self.head + middle + self.tail).decode("utf-8", errors="replace")


def environment(variables: dict[str, str]) -> dict[str, str]:
    """The commands' environment: the container's, the group's interpreter first, the README's variables."""
    env = dict(os.environ)
    if os.path.isdir(os.path.join(_GROUP_VENV, "bin")):
        rest = [p for p in env.get("PATH", "").split(":") if p and p != f"{_GROUP_VENV}/bin"]
        env["PATH"] = ":".join([f"{_GROUP_VENV}/bin", *rest])
        env["VIRTUAL_ENV"] = _GROUP_VENV
    env.update(variables)
    return env


def assignments(text: str, env: dict[str, str]) -> dict[str, str]:
    """The variables an `export A=1 B=$A` (or `set A=1`) line sets, `$VAR`s expanded against `env`."""
    try:
        words = shlex.split(text)
    except ValueError:
        return {}
    found: dict[str, str] = {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_]\w*", name):
            found[name] = expand(value, {**env, **found})
    return found


def expand(value: str, known: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced as the shell would (unknown names by nothing)."""
    return _VARIABLE.sub(lambda m: known.get(m.group(1) or m.group(2), ""), value)


def program(text: str, env: dict[str, str]) -> str | None:
    """The program a command starts when the sandbox does not have it; None when it is there (or unknowable)."""
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words or words[0] in _SHELL_WORDS:
        return None
    first = words[0]
    if "/" in first:
        return None  # a path to a script: one that is not there fails by itself, as it would for the reader
    return None if shutil.which(first, path=env.get("PATH")) else first


def data_paths(output: str, folder: str) -> list[str]:
    """The working copy's paths a failure names as missing, when every one is data that is not there; else []."""
    found = []
    for path in missing_in(output):
        full = posixpath.normpath(path if path.startswith("/") else posixpath.join(folder, path))
        if not full.startswith(WORK + "/"):
            return []  # outside the working copy: the code only runs on its author's machine
        if full.lower().endswith(CODE_SUFFIXES) or os.path.exists(full):
            return []
        found.append(posixpath.relpath(full, WORK))
    return found


def run_one(command: dict[str, Any], env: dict[str, str], driver: Driver, limits: dict[str, float]) -> dict[str, Any]:
    """Run one command under its limit and judge it: start it, read its output under the byte cap until it ends or
    its limit comes, then judge the way it ended."""
    folder = posixpath.normpath(posixpath.join(WORK, command["cwd"]))
    entry: dict[str, Any] = {"index": command["index"], "exit_code": None, "duration_s": 0.0, "output": ""}
    if not (folder == WORK or folder.startswith(WORK + "/")) or not os.path.isdir(folder):
        return {**entry, "outcome": "failed", "note": f"cd: {command['cwd']}: no such folder in the working copy"}
    missing_program = program(command["text"], env)
    if missing_program is not None:
        return {**entry, "outcome": "unavailable", "note": f"`{missing_program}` is not installed in the sandbox"}
    brief = command["mode"] == "brief"
    wanted = limits["brief_s"] if brief else limits["limit_s"]
    limit = min(wanted, driver.remaining() - MARGIN_S)
    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    started = time.monotonic()
    child = subprocess.Popen([shell, "-c", command["text"]], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    assert child.stdout is not None
    capture, over, closed, fd = Capture(), False, False, child.stdout.fileno()
    while child.poll() is None:
        left = started + limit - time.monotonic()
        if left <= 0:
            break
        if closed:  # it closed its output but runs on
            time.sleep(min(left, 0.2))
            continue
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        chunk = os.read(fd, 65536) if ready else None
        if chunk == b"":
            closed = True
        elif chunk:
            capture.add(chunk)
            if capture.total > limits["output_cap"]:
                over = True
                break
    code = child.poll()
    while code is not None:  # what it printed last, up to its exit (children left behind keep the pipe open)
        ready, _, _ = select.select([fd], [], [], 0.2)
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            break
        capture.add(chunk)
    kill_child(child)  # its whole session, and whatever it left running in the background
    child.stdout.close()
    output = capture.text()
    entry.update(exit_code=code, duration_s=round(time.monotonic() - started, 3), output=output[-SHOWN:])
    return {**entry, **judge(code, over, capture.traceback, output, folder, limit, wanted, limits["output_cap"])}


def judge(code: int | None, over: bool, traceback: bool, output: str, folder: str, limit: float, wanted: float,
          cap: float) -> dict[str, Any]:
    """The outcome of a command that ran: how it ended, and whether only missing data made it fail."""
    last = [line for line in output.strip().splitlines() if line.strip()][-1:] or [""]
    if over:
        return {"outcome": "failed", "note": f"printed more than {int(cap)} bytes and was stopped"}
    if code == 0:
        return {"outcome": "passed", "note": ""}
    if code is None and not traceback:
        cut = " (the step's time ran out)" if limit < wanted else ""
        return {"outcome": "started", "note": f"still running after {limit:.0f} s{cut} without an error: started "
                "cleanly"}
    if last[0].startswith("EOFError: EOF when reading a line"):
        return {"outcome": "started", "note": "ran until it asked for keyboard input (there is none in the sandbox)"}
    missing = data_paths(output, folder)
    if missing:
        return {"outcome": "needs-data", "note": "", "missing": missing}
    if code is None:
        return {"outcome": "failed", "note": f"printed an error and was stopped at its limit ({limit:.0f} s)"}
    if code < 0 or code == 137:
        return {"outcome": "failed", "note": f"was killed (signal {-code if code < 0 else 9}: out of memory?)"}
    return {"outcome": "failed", "note": f"exited with {code}"}


def transcript(command: dict[str, Any], entry: dict[str, Any]) -> None:
    """The step's log: each command, where it is written, its output as kept, and how it ended."""
    where = f"{command['where']}, in {command['cwd']}/" if command["cwd"] != "." else command["where"]
    text = command["text"] if len(command["text"]) <= 300 else command["text"][:297] + "..."
    print(f"$ {text}    [{where}]")
    if entry.get("output"):
        print(entry["output"].rstrip())
    said = f"{entry['outcome']}" + (f": {entry['note']}" if entry.get("note") else "")
    print(f"-> {said} ({entry.get('duration_s', 0.0):.1f} s)\n", flush=True)


def main() -> None:
    """Follow the variables and run the commands in order; stop at the first failure; sign what happened."""
    driver = Driver()
    request = driver.request
    limits = {"limit_s": float(request["limit_s"]), "brief_s": float(request["brief_s"]),
              "output_cap": float(request["output_cap"])}
    variables: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    complete = True
    for command in request["commands"]:
        env = environment(variables)
        if command["mode"] == "variable":
            variables.update(assignments(command["text"], env))
            continue
        if driver.remaining() < MARGIN_S + MIN_COMMAND_S:
            complete = False
            break
        entry = run_one(command, env, driver, limits)
        results.append(entry)
        transcript(command, entry)
        if entry["outcome"] == "failed":
            break
    driver.finish({"commands": results, "complete": complete})


if __name__ == "__main__":
    main()
