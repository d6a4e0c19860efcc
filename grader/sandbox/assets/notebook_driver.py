"""Sandbox driver: execute each notebook with nbclient under a per-cell timeout and record where it failed."""

from __future__ import annotations

import os
import sys
from typing import Any

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import finish, take_request

WORK = "/work"


def _run_one(rel: str, cell_timeout: int) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = os.path.join(WORK, rel)
    entry: dict[str, Any] = {"path": rel, "status": "ok", "cells": 0, "executed": 0}
    try:
        nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # a broken notebook is a result, not a crash of the driver
        entry.update(status="unreadable", error=f"{type(exc).__name__}: {exc}"[:500])
        return entry
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    entry["cells"] = len(code_cells)
    client = NotebookClient(
        nb, timeout=cell_timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    current = {"index": -1}

    def on_cell_start(cell: Any, cell_index: int) -> None:
        current["index"] = cell_index

    client.on_cell_start = on_cell_start
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        index = current["index"]
        entry.update(
            status="timeout" if isinstance(exc, CellTimeoutError) else "failed",
            failed_cell=index + 1,
            error=_short_error(nb.cells[index] if index >= 0 else None, exc),
        )
    except Exception as exc:  # kernel died (OOM), could not start...
        entry.update(status="failed", failed_cell=current["index"] + 1 or None,
                     error=f"{type(exc).__name__}: {exc}"[:500])
    entry["executed"] = sum(
        1 for i in code_cells
        if nb.cells[i].get("execution_count") is not None and (entry["status"] == "ok" or i <= current["index"])
    )
    return entry


def _short_error(cell: Any, exc: BaseException) -> str:
    for output in (cell or {}).get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:500]
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"[:500]


def main() -> None:
    """Execute every requested notebook in turn."""
    request = take_request()
    results = [_run_one(rel, int(request["cell_timeout"])) for rel in request["notebooks"]]
    finish("notebooks.json", request["nonce"], {"notebooks": results})


if __name__ == "__main__":
    main()
