"""Run the PDF reader in child processes with a per-request time limit and an address-space limit, so a hostile
PDF cannot hang or exhaust the grader; the children are kept and reused, so a batch pays their start-up (a
Python interpreter importing pdfium and pypdf, longer than reading a 4-page paper) once per worker, not per file.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import grader
from grader.analysis.paper.facts import Box, PdfFacts, facts_from_json

#: Seconds one request (one PDF read, one page set rendered) may take.
TIME_LIMIT_S = 30.0
#: Address space of a child (bytes): enough for pdfium on a large paper, far below the host's memory.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Largest PDF read at all.
MAX_PDF_BYTES = 80 * 1024 * 1024
#: Largest answer accepted for one request (text lines of the pages read in detail).
MAX_ANSWER_BYTES = 32 * 1024 * 1024
#: Requests one child serves before it is replaced, so a slow leak in pdfium cannot accumulate.
MAX_REQUESTS = 200
#: Idle children kept for the next request (more are started while threads of a batch read at once).
MAX_IDLE = 2


def _limit_child(memory: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_env() -> dict[str, str]:
    """The child needs to import grader and nothing else from the host's environment."""
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE",
            "PYTHONPYCACHEPREFIX")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    if sys.dont_write_bytecode:  # `python -B`: the reader must not write __pycache__ where the caller would not
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


class _Worker:
    """One reader process answering JSON requests, one line each."""

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self.served = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.analysis.paper.extract", "--serve"],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # The limits must be set in the child, between fork and exec.
            preexec_fn=lambda: _limit_child(memory),
            cwd="/",
            env=_child_env(),
        )

    def ask(self, request: dict[str, Any], time_limit: float) -> tuple[dict[str, Any] | None, str]:
        """The answer to one request, or None and why there is none (the worker is then unusable)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.served += 1
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return None, self._died()
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        buffer, deadline = b"", time.monotonic() + time_limit
        try:
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None, f"reading took longer than {time_limit:g} s"
                chunk = os.read(self.process.stdout.fileno(), 1 << 16)
                if not chunk:
                    return None, self._died()
                buffer += chunk
                if len(buffer) > MAX_ANSWER_BYTES:
                    return None, "the reader's answer was too large"
        finally:
            selector.close()
        try:
            data = json.loads(buffer.split(b"\n", 1)[0])
        except ValueError:
            data = None
        return (data if isinstance(data, dict) else {"error": "corrupt", "detail": "no answer"}), ""

    def _died(self) -> str:
        code = self.stop()
        return f"the reader died (exit {code}): out of its {self.memory // 2**20} MiB memory limit or crashed"

    def stop(self) -> int | None:
        """End the process (closing its input first lets a healthy one exit on its own)."""
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.kill()
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None


class ReaderPool:
    """Reader processes shared by every thread of this grader process, bounded in number and age."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []

    def ask(self, request: dict[str, Any], time_limit: float, memory: int) -> tuple[dict[str, Any] | None, str]:
        """One request answered by an idle worker with this memory limit (or a new one)."""
        with self._lock:
            worker = next((w for w in self._idle if w.memory == memory), None)
            if worker is not None:
                self._idle.remove(worker)
        worker = worker or _Worker(memory)
        answer, why = worker.ask(request, time_limit)
        if answer is None or worker.served >= MAX_REQUESTS:
            worker.stop()
            return answer, why
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(worker)
                worker = None
        if worker is not None:
            worker.stop()
        return answer, why

    def close(self) -> None:
        """Stop every idle worker."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


# One pool per grader process, like a connection pool: the reader's start-up is the cost it exists to share,
# and every submission of a batch (each on its own thread) draws from it. Closed when the interpreter exits.
_POOL = ReaderPool()
atexit.register(_POOL.close)


def read_pdfs(
    items: list[tuple[Path, str]], time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT
) -> list[PdfFacts]:
    """Facts about each (absolute path, relative path) PDF; a file that hangs or kills its reader gets a `limit`
    error and the others are read by a fresh one."""
    results: list[PdfFacts] = []
    for abspath, rel in items:
        try:
            size = abspath.stat().st_size
        except OSError as exc:
            results.append(PdfFacts(path=rel, size_bytes=0, error="unreadable", detail=str(exc)))
            continue
        if size > MAX_PDF_BYTES:
            results.append(PdfFacts(path=rel, size_bytes=size, error="too-large", detail=f"{size} bytes"))
            continue
        data, why = _POOL.ask({"op": "analyse", "path": str(abspath)}, time_limit, memory)
        results.append(facts_from_json(rel, size, data) if data is not None
                       else PdfFacts(path=rel, size_bytes=size, error="limit", detail=why))
    return results


def read_pdf(abspath: Path, rel: str, time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT) -> PdfFacts:
    """Facts about the PDF at `abspath` (already checked to be inside the submission), read under limits."""
    return read_pdfs([(abspath, rel)], time_limit, memory)[0]


def read_ink(
    abspath: Path, regions: list[tuple[int, Box, list[Box]]], time_limit: float = TIME_LIMIT_S,
    memory: int = MEMORY_LIMIT,
) -> list[Box | None] | None:
    """The visible ink inside each (page, box, text boxes left out) region, None per empty region; None
    altogether when the reader could not say."""
    if not regions:
        return []
    request = {"op": "ink", "path": str(abspath),
               "regions": [{"page": page, "box": list(box), "masks": [list(m) for m in masks]}
                           for page, box, masks in regions]}
    data, _ = _POOL.ask(request, time_limit, memory)
    found = data.get("ink") if data is not None else None
    if not isinstance(found, list) or len(found) != len(regions):
        return None
    try:
        return [None if box is None else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
                for box in found]
    except (TypeError, ValueError, IndexError):
        return None


def render_pages(
    abspath: Path, out_dir: Path, marks: dict[int, list[tuple[float, float, float, float]]],
    time_limit: float = TIME_LIMIT_S, memory: int = MEMORY_LIMIT,
) -> list[str]:
    """PNG thumbnails of the PDF's pages written to `out_dir` (red boxes at `marks`); file names, [] on failure."""
    request = {"op": "render", "path": str(abspath), "out": str(out_dir),
               "marks": {str(page): [list(b) for b in boxes] for page, boxes in marks.items()}}
    data, _ = _POOL.ask(request, time_limit * 2, memory)
    images = data.get("images") if data is not None else None
    return [str(name) for name in images] if isinstance(images, list) else []
