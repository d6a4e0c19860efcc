"""Sandbox driver: import every module of the group's code and record, per module, whether it imports."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import traceback
from types import FrameType
from typing import Any

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import finish, take_request, write

WORK = "/work"


class ImportTimeout(Exception):
    """A module took longer than its share of time to import (a training loop at module level)."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise ImportTimeout("import took too long (code running at module level?)")


def _location(exc: BaseException) -> tuple[str | None, int | None]:
    """The deepest frame inside the group's code: where the import failed."""
    where: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(WORK + "/"):
            where = (os.path.relpath(frame.filename, WORK), frame.lineno)
    return where


def main() -> None:
    """Import each requested module in turn, each from its own package root."""
    request = take_request()
    per_module = int(request.get("per_module_timeout", 60))
    signal.signal(signal.SIGALRM, _alarm)
    results: list[dict[str, Any]] = []
    for item in request["modules"]:
        root = os.path.join(WORK, item["root"]) if item["root"] else WORK
        if root not in sys.path:
            sys.path.insert(0, root)
        entry: dict[str, Any] = {"module": item["module"], "path": item["path"], "status": "ok"}
        # Progress first: if the whole step is killed, the grader still learns which module hung.
        write("imports.json", request["nonce"], {"modules": results, "importing": item["module"], "complete": False})
        signal.alarm(per_module)
        try:
            importlib.import_module(item["module"])
        except SystemExit as exc:
            entry.update(status="exit", error_type="SystemExit", message=f"exited with {exc.code!r} on import")
        except BaseException as exc:  # the group's code may raise anything, KeyboardInterrupt included
            path, line = _location(exc)
            entry.update(
                status="error", error_type=type(exc).__name__, message=str(exc)[:500],
                error_path=path, error_line=line,
            )
        finally:
            signal.alarm(0)
        results.append(entry)
    finish("imports.json", request["nonce"], {"modules": results, "complete": True})


if __name__ == "__main__":
    main()
