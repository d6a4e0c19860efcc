"""Run the PDF reader in a child process with a per-file time limit and an address-space limit, so a hostile
PDF cannot hang or exhaust the grader."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grader
from grader.analysis.paper.facts import PdfFacts, facts_from_json

#: Seconds one PDF may take to be read.
TIME_LIMIT_S = 30.0
#: Address space of the child (bytes): enough for pdfium on a large paper, far below the host's memory.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Largest PDF read at all.
MAX_PDF_BYTES = 80 * 1024 * 1024
#: Largest answer accepted for one PDF (text lines of the pages read in detail).
MAX_ANSWER_BYTES = 32 * 1024 * 1024


def _limit_child(memory: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_env() -> dict[str, str]:
    """The child needs to import grader (installed editable) and nothing else from the host's environment."""
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def _spawn(args: list[str], memory: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "grader.analysis.paper.extract", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        # The limits must be set in the child, between fork and exec.
        preexec_fn=lambda: _limit_child(memory),
        cwd="/",
        env=_child_env(),
    )


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.kill()
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


def _answers(paths: list[Path], time_limit: float, memory: int) -> tuple[list[dict[str, Any]], str]:
    """Answers for a prefix of `paths` from one child, and why it stopped early ('' when all answered)."""
    process = _spawn(["--many", *map(str, paths)], memory)
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    answers: list[dict[str, Any]] = []
    buffer = b""
    deadline = time.monotonic() + time_limit
    why = ""
    try:
        while len(answers) < len(paths):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                why = f"reading took longer than {time_limit:g} s"
                break
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                code = _stop(process)
                why = f"the reader died (exit {code}): out of its {memory // 2**20} MiB memory limit or crashed"
                break
            buffer += chunk
            if len(buffer) > MAX_ANSWER_BYTES:
                why = "the reader's answer was too large"
                break
            while b"\n" in buffer and len(answers) < len(paths):
                line, buffer = buffer.split(b"\n", 1)
                try:
                    data = json.loads(line)
                except ValueError:
                    data = None
                answers.append(data if isinstance(data, dict) else {"error": "corrupt", "detail": "no answer"})
                deadline = time.monotonic() + time_limit
    finally:
        selector.close()
        _stop(process)
        process.stdout.close()
    return answers, why


def read_pdfs(
    items: list[tuple[Path, str]], time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT
) -> list[PdfFacts]:
    """Facts about each (absolute path, relative path) PDF, read in as few child processes as possible: a
    file that hangs or kills the reader gets a `limit` error and the rest go on in a fresh child."""
    results: dict[int, PdfFacts] = {}
    pending: list[int] = []
    sizes: dict[int, int] = {}
    for index, (abspath, rel) in enumerate(items):
        try:
            sizes[index] = abspath.stat().st_size
        except OSError as exc:
            results[index] = PdfFacts(path=rel, size_bytes=0, error="unreadable", detail=str(exc))
            continue
        if sizes[index] > MAX_PDF_BYTES:
            results[index] = PdfFacts(path=rel, size_bytes=sizes[index], error="too-large",
                                      detail=f"{sizes[index]} bytes")
        else:
            pending.append(index)
    while pending:
        answers, why = _answers([items[i][0] for i in pending], time_limit, memory)
        for index, data in zip(pending, answers, strict=False):
            results[index] = facts_from_json(items[index][1], sizes[index], data)
        if len(answers) < len(pending):
            culprit = pending[len(answers)]
            results[culprit] = PdfFacts(path=items[culprit][1], size_bytes=sizes[culprit], error="limit", detail=why)
            pending = pending[len(answers) + 1:]
        else:
            pending = []
    return [results[i] for i in range(len(items))]


def read_pdf(abspath: Path, rel: str, time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT) -> PdfFacts:
    """Facts about the PDF at `abspath` (already checked to be inside the submission), read under limits."""
    return read_pdfs([(abspath, rel)], time_limit, memory)[0]


def render_pages(
    abspath: Path, out_dir: Path, marks: dict[int, list[tuple[float, float, float, float]]],
    time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT,
) -> list[str]:
    """PNG thumbnails of the PDF's pages written to `out_dir` (red boxes at `marks`); file names, [] on failure."""
    payload = json.dumps({str(page): [list(b) for b in boxes] for page, boxes in marks.items()})
    process = _spawn([str(abspath), "--render", str(out_dir), payload], memory)
    try:
        output, _ = process.communicate(timeout=time_limit * 2)
    except subprocess.TimeoutExpired:
        _stop(process)
        return []
    try:
        data = json.loads(output)
    except ValueError:
        return []
    images = data.get("images") if isinstance(data, dict) else None
    return [str(name) for name in images] if isinstance(images, list) else []
