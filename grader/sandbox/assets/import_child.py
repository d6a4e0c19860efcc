"""Sandbox import child, run by the group's interpreter: import the modules of one convention (one sys.path, as the
authors run them) in turn, telling the parent driver over a pipe when each starts and how it ended.

    import_child.py REQUEST_FD REPLY_FD      the request: {"paths": [...], "modules": [{"module": ..., "path": ...}]}
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
import traceback
from typing import Any

WORK = "/work"


def _location(exc: BaseException) -> tuple[str | None, int | None]:
    """The deepest frame inside the group's code: where the import failed."""
    where: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(WORK + "/"):
            where = (os.path.relpath(frame.filename, WORK), frame.lineno)
    return where


def _import(module: str, path: str) -> dict[str, Any]:
    # As `python path/to/script.py` would see it: no arguments, the script's own path as argv[0].
    sys.argv = [os.path.join(WORK, path)]
    try:
        importlib.import_module(module)
    except SystemExit as exc:
        return {"status": "exit", "error_type": "SystemExit", "message": f"exited with {exc.code!r} on import"}
    except BaseException as exc:  # the group's code may raise anything, KeyboardInterrupt included
        where, line = _location(exc)
        entry: dict[str, Any] = {"status": "error", "error_type": type(exc).__name__, "message": str(exc)[:500],
                                 "error_path": where, "error_line": line}
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT and isinstance(exc.filename, str):
            entry["missing"] = exc.filename[:500]
        return entry
    return {"status": "ok"}


def main() -> None:
    """Read the request, put the convention's folders first on sys.path, import each module, report each."""
    with os.fdopen(int(sys.argv[1]), encoding="utf-8") as handle:
        request = json.load(handle)
    reply = os.fdopen(int(sys.argv[2]), "w", encoding="utf-8", buffering=1)
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == here:
        del sys.path[0]
    for folder in reversed(request["paths"]):
        sys.path.insert(0, os.path.join(WORK, folder) if folder else WORK)
    for index, item in enumerate(request["modules"]):
        reply.write(json.dumps({"start": index}) + "\n")
        outcome = _import(item["module"], item["path"])
        try:
            reply.write(json.dumps({"done": index, **outcome}) + "\n")
        except (OSError, ValueError):  # the module closed our pipe: the parent sees the end and carries on
            break
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
