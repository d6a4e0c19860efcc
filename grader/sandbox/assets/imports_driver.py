"""Sandbox driver: import every module of the group's code the way its authors run it, and record each outcome.

Each module comes with the conventions it may be imported under, the evident one first (a script run from its
folder, a package from the root, a test as pytest imports it). Modules sharing a convention are imported in one
child process of the group's interpreter; a module that fails under its first convention is tried under the next
one, so it fails only when it fails under every convention its authors evidently use. This parent enforces the
per-module timeout (no signal the group's code could block), restarts the child after a module hangs or kills its
interpreter, and alone signs the result.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from typing import Any

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ASSETS, WORK, Driver, group_python, kill_child, start_child

#: Seconds kept back from the driver's budget to end a child and sign the result.
MARGIN_S = 1


class _Child:
    """One child importing a list of modules under one sys.path; reports arrive as JSON lines on a pipe."""

    def __init__(self, paths: list[str], cwd: str, items: list[dict[str, str]]) -> None:
        request_r, request_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        argv = [group_python(), os.path.join(ASSETS, "import_child.py"), str(request_r), str(reply_w)]
        self.process = start_child(argv, cwd=os.path.join(WORK, cwd) if cwd else WORK, pass_fds=(request_r, reply_w))
        os.close(request_r)
        os.close(reply_w)
        with os.fdopen(request_w, "w", encoding="utf-8") as handle:
            json.dump({"paths": paths, "modules": items}, handle)
        self.buffer = b""

    def line(self, until: float) -> dict[str, Any] | None:
        """The next report, {} at the end of the child's output, None when `until` passes first."""
        while b"\n" not in self.buffer:
            wait = until - time.monotonic()
            if wait <= 0:
                return None
            ready, _, _ = select.select([self.reply_r], [], [], wait)
            if not ready:
                return None
            chunk = os.read(self.reply_r, 65536)
            if not chunk:
                return {}
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\n", 1)
        try:
            value = json.loads(raw)
        except ValueError:
            return self.line(until)
        return value if isinstance(value, dict) and value else self.line(until)

    def close(self) -> None:
        kill_child(self.process)
        os.close(self.reply_r)


def _died(child: _Child) -> dict[str, Any]:
    """The outcome of a module whose import ended the interpreter (os._exit, a crash in native code)."""
    try:
        code = child.process.wait(2)
    except subprocess.TimeoutExpired:
        code = None
    if code == 0:
        return {"status": "exit", "error_type": "SystemExit", "message": "ended the interpreter (exit 0) on import"}
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return {"status": "error", "error_type": "Crash", "message": f"the interpreter died while importing ({how})"}


def _run_convention(driver: Driver, paths: list[str], cwd: str, items: list[dict[str, str]], per_module: float,
                    outcomes: list[dict[str, Any] | None]) -> str | None:
    """Import `items` under `paths`, filling `outcomes` by position; the module the budget ran out on, if any."""
    start = 0
    while start < len(items):
        child = _Child(paths, cwd, items[start:])
        current = -1  # the last module the child started; `busy` while it has not reported on it
        busy = False
        module_deadline = driver.deadline
        try:
            while True:
                report = child.line(min(module_deadline, driver.deadline - MARGIN_S))
                if report is None:  # a timeout: the module's own, or the whole step's
                    if not busy or time.monotonic() >= driver.deadline - MARGIN_S:
                        return items[start + current + (0 if busy else 1)]["module"]
                    outcomes[start + current] = {"status": "error", "error_type": "Timeout",
                                                 "message": f"import took longer than {per_module:.0f} s"}
                    start += current + 1
                    break
                if not report:  # the child ended: done, or died inside a module, or never started one
                    if current < 0:
                        failed = {"status": "error", "error_type": "Crash", "message": "the group's interpreter "
                                  f"ended before importing anything ({_died(child)['message'].split('(')[-1]}"}
                        for index in range(start, len(items)):
                            outcomes[index] = failed
                        return None
                    if busy:
                        outcomes[start + current] = _died(child)
                    start += current + 1
                    break
                if not busy and report.get("start") == current + 1:
                    current, busy = current + 1, True
                    module_deadline = time.monotonic() + per_module
                elif busy and report.get("done") == current:
                    outcomes[start + current] = {k: v for k, v in report.items() if k != "done"}
                    busy, module_deadline = False, driver.deadline
                    if start + current + 1 == len(items):
                        return None
        finally:
            child.close()
    return None


def _retry(outcome: dict[str, Any] | None) -> bool:
    """Whether a module failed in a way another convention could change (a timeout would only repeat)."""
    return outcome is not None and outcome["status"] == "error" and outcome.get("error_type") != "Timeout"


def main() -> None:
    """Run each round of conventions: the evident ones first, the others for modules that failed before."""
    driver = Driver()
    modules: list[dict[str, Any]] = driver.request["modules"]
    per_module = float(driver.request.get("per_module_timeout", 60))
    final: list[dict[str, Any] | None] = [None] * len(modules)
    tried: list[list[str]] = [[] for _ in modules]
    pending = list(range(len(modules)))
    stopped_at: str | None = None
    for round_ in range(max((len(m["attempts"]) for m in modules), default=0)):
        by_paths: dict[tuple[tuple[str, ...], str], list[int]] = {}
        for index in pending:
            attempt = modules[index]["attempts"][round_]
            by_paths.setdefault((tuple(attempt["paths"]), attempt.get("cwd", "")), []).append(index)
        for (paths, cwd), indexes in by_paths.items():
            items = [{"module": modules[i]["attempts"][round_]["module"], "path": modules[i]["path"]}
                     for i in indexes]
            outcomes: list[dict[str, Any] | None] = [None] * len(items)
            stopped_at = _run_convention(driver, list(paths), cwd, items, per_module, outcomes)
            for i, outcome in zip(indexes, outcomes, strict=True):
                if outcome is None:
                    continue
                attempt = modules[i]["attempts"][round_]
                tried[i].append(attempt["how"])
                # The evident convention's failure is the one reported when no other convention does better.
                if final[i] is None or outcome["status"] != "error":
                    final[i] = {**outcome, "module": attempt["module"], "how": attempt["how"], "cwd": cwd}
            if stopped_at is not None:
                break
        if stopped_at is not None:
            break
        pending = [i for i in pending if _retry(final[i]) and len(modules[i]["attempts"]) > round_ + 1]
    entries = [{**(final[i] or {"status": "not-reached", "module": modules[i]["attempts"][0]["module"],
                                 "how": modules[i]["attempts"][0]["how"]}),
                "path": modules[i]["path"], "tried": tried[i]} for i in range(len(modules))]
    driver.finish({"modules": entries, "complete": stopped_at is None, "stopped_at": stopped_at})


if __name__ == "__main__":
    main()
