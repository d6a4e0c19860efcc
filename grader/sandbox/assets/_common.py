"""Shared by the drivers that run inside the sandbox: read the grader's request, write the result, exit hard."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

OUT = "/out"
REQUEST = os.path.join(OUT, ".request.json")


def take_request() -> dict[str, Any]:
    """Read the grader's request and delete it, so the group's code never sees the nonce on disk."""
    with open(REQUEST, encoding="utf-8") as handle:
        request: dict[str, Any] = json.load(handle)
    os.unlink(REQUEST)
    return request


def write(name: str, nonce: str, payload: dict[str, Any]) -> None:
    """Write a (possibly partial) result atomically, so a step killed at its timeout still reports progress."""
    tmp = os.path.join(OUT, f".{name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({**payload, "nonce": nonce}, handle)
    os.replace(tmp, os.path.join(OUT, name))


def finish(name: str, nonce: str, payload: dict[str, Any], code: int = 0) -> None:
    """Write the result and leave at once: os._exit skips atexit hooks the group's code may have set."""
    write(name, nonce, payload)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
