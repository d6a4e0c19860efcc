"""Sandbox driver: execute each notebook with nbclient under a per-cell timeout and record where it failed.

nbclient runs here, in the grader's tools environment; the kernel is the group's interpreter (boot.py) with the
grader's ipykernel appended to its sys.path, started in the notebook's own folder as Jupyter does, so relative data
paths and sibling modules work. The notebook's code runs in the kernel process only, never in this one, which
alone holds the result's key.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from typing import Any

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ASSETS, WORK, Driver, group_python, preflight

KERNEL_NAME = "grader-group"
#: Seconds kept back from the driver's budget to stop the kernel and sign the result.
MARGIN_S = 1


class BudgetSpent(Exception):
    """The step's time budget ran out before this cell."""


def _kernelspec(order: str) -> None:
    """A kernelspec for the group's interpreter, found by jupyter_client through JUPYTER_PATH."""
    root = tempfile.mkdtemp(prefix="grader-kernels-")
    folder = os.path.join(root, "kernels", KERNEL_NAME)
    os.makedirs(folder)
    argv = [group_python(), os.path.join(ASSETS, "boot.py"), "kernel", order, "-f", "{connection_file}"]
    with open(os.path.join(folder, "kernel.json"), "w", encoding="utf-8") as handle:
        json.dump({"argv": argv, "display_name": "the group's Python", "language": "python"}, handle)
    os.environ["JUPYTER_PATH"] = root


def _run_one(driver: Driver, rel: str, cell_timeout: int) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = os.path.join(WORK, rel)
    entry: dict[str, Any] = {"path": rel, "status": "ok", "cells": 0, "executed": 0}
    if driver.remaining() < MARGIN_S + 1:
        entry.update(status="not-run", error="the step's time budget ran out before this notebook")
        return entry
    try:
        nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # a broken notebook is a result, not a crash of the driver
        entry.update(status="unreadable", error=f"{type(exc).__name__}: {exc}"[:500])
        return entry
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    entry["cells"] = len(code_cells)
    client = NotebookClient(
        nb, timeout=cell_timeout, kernel_name=KERNEL_NAME, allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    current = {"index": -1}

    def on_cell_start(cell: Any, cell_index: int) -> None:
        current["index"] = cell_index
        left = driver.remaining() - MARGIN_S
        if left < 1:
            raise BudgetSpent("the step's time budget ran out")
        client.timeout = int(min(cell_timeout, left))

    client.on_cell_start = on_cell_start
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, BudgetSpent) as exc:
        index = current["index"]
        timeout = isinstance(exc, CellTimeoutError | BudgetSpent)
        entry.update(status="timeout" if timeout else "failed", failed_cell=index + 1,
                     **_error(nb.cells[index] if index >= 0 else None, exc))
    except Exception as exc:  # the kernel died (OOM) or could not start
        entry.update(status="failed", failed_cell=current["index"] + 1 or None,
                     error=f"{type(exc).__name__}: {exc}"[:500])
    entry["executed"] = sum(
        1 for i in code_cells
        if nb.cells[i].get("execution_count") is not None and (entry["status"] == "ok" or i <= current["index"])
    )
    return entry


def _error(cell: Any, exc: BaseException) -> dict[str, str]:
    """The cell's error output (exception name and value), else the exception the client raised."""
    for output in (cell or {}).get("outputs", []):
        if output.get("output_type") == "error":
            name, value = str(output.get("ename")), str(output.get("evalue"))
            return {"error": f"{name}: {value}"[:500], "ename": name[:100], "evalue": value[:500]}
    text = str(exc).strip()
    return {"error": f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"[:500]}


def main() -> None:
    """Execute every requested notebook in turn, in the kernel order the preflight found working."""
    driver = Driver()
    # nbformat's warnings about the group's notebooks (missing cell ids...) are the grader's noise, not the group's.
    warnings.simplefilter("ignore")
    chosen = preflight("kernel")
    _kernelspec(chosen["order"])
    cell_timeout = int(driver.request["cell_timeout"])
    results = [_run_one(driver, rel, cell_timeout) for rel in driver.request["notebooks"]]
    driver.finish({"notebooks": results, "kernel": chosen})


if __name__ == "__main__":
    main()
