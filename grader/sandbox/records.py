"""Small JSON records the install side keeps beside its download cache: what a course layer or a group's
environment holds, and when each image was last used.

Records only save work or add detail to a report: a missing or unreadable one is recomputed or left out, never
an error. Writes are atomic (a temporary file renamed into place); `updating` holds an exclusive lock for a
read-modify-write shared by threads and processes alike (--jobs N, several graders on one machine).
"""

from __future__ import annotations

import fcntl
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from grader.sandbox.downloads import cache_root


def record_path(kind: str, key: str) -> Path:
    """Where the record `key` of `kind` (course, environment) lives."""
    return cache_root() / "records" / kind / f"{key}.json"


def read_record(kind: str, key: str) -> dict[str, Any] | None:
    """The record, or None when there is none (or it is not a JSON object)."""
    try:
        data = json.loads(record_path(kind, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
    partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def write_record(kind: str, key: str, data: dict[str, Any]) -> None:
    """Keep a record (best effort: a read-only cache folder only costs the detail)."""
    with suppress(OSError):
        _write(record_path(kind, key), data)


@contextmanager
def updating(name: str) -> Iterator[dict[str, Any]]:
    """A shared record to change under an exclusive lock; what the block leaves in the dict is written back."""
    path = cache_root() / "records" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.with_suffix(".lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        yield data
        _write(path, data)
