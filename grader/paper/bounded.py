"""Run the PDF reader in a child process with a wall-clock and address-space limit, so a hostile PDF cannot
hang or exhaust the grader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from grader.paper.facts import PdfFacts, facts_from_json

#: Seconds one PDF may take to be read.
TIME_LIMIT_S = 30.0
#: Address space of the child (bytes): enough for pdfium on a large paper, far below the host's memory.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Largest PDF read at all.
MAX_PDF_BYTES = 80 * 1024 * 1024


def _limit_child(memory: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_child(args: list[str], time_limit: float, memory: int) -> tuple[dict[str, Any] | None, str]:
    """The child's JSON answer, or None and why there is none."""
    command = [sys.executable, "-I", "-m", "grader.paper.extract", *args]
    try:
        done = subprocess.run(  # our own module, arguments are paths, never a shell
            command,
            capture_output=True,
            timeout=time_limit,
            preexec_fn=lambda: _limit_child(memory),  # limits must be set in the child
            check=False,
            cwd="/",
            env=_child_env(),
        )
    except subprocess.TimeoutExpired:
        return None, f"reading took longer than {time_limit:.0f} s"
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if "MemoryError" in tail[0] or done.returncode < 0:
            return None, f"reading exhausted the {memory // 2**20} MiB memory limit or crashed ({done.returncode})"
        return None, f"the reader failed: {tail[0][:200]}"
    try:
        data = json.loads(done.stdout)
    except ValueError:
        return None, "the reader gave no answer"
    if not isinstance(data, dict):
        return None, "the reader gave a malformed answer"
    return data, ""


def _child_env() -> dict[str, str]:
    """The child needs to import grader (installed editable) and nothing else from the host's environment."""
    import os

    keep = ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def read_pdf(abspath: Path, rel: str, time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT) -> PdfFacts:
    """Facts about the PDF at `abspath` (already checked to be inside the submission), read under limits."""
    try:
        size = abspath.stat().st_size
    except OSError as exc:
        return PdfFacts(path=rel, size_bytes=0, error="unreadable", detail=str(exc))
    if size > MAX_PDF_BYTES:
        return PdfFacts(path=rel, size_bytes=size, error="too-large", detail=f"{size} bytes")
    data, why = _run_child([str(abspath)], time_limit, memory)
    if data is None:
        return PdfFacts(path=rel, size_bytes=size, error="limit", detail=why)
    return facts_from_json(rel, size, data)


def render_pages(
    abspath: Path, out_dir: Path, marks: dict[int, list[tuple[float, float, float, float]]],
    time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT,
) -> list[str]:
    """PNG thumbnails of the PDF's pages written to `out_dir` (red boxes at `marks`); file names, [] on failure."""
    payload = json.dumps({str(page): [list(b) for b in boxes] for page, boxes in marks.items()})
    data, _ = _run_child([str(abspath), "--render", str(out_dir), payload], time_limit, memory)
    images = (data or {}).get("images")
    return [str(name) for name in images] if isinstance(images, list) else []
