"""Pylint over the group's code in a child process that can never import, execute or configure from student files."""

from __future__ import annotations

import contextlib
import json
import os
import pkgutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from grader.analysis.code.source import SourceUnit

#: Our own configuration; passed with --rcfile so a student's pylintrc or [tool.pylint] is never read
#: (their `load-plugins` or `init-hook` would run code on the host).
RCFILE = """\
[MAIN]
persistent=no
load-plugins=
unsafe-load-any-extension=no
extension-pkg-allow-list=
suggestion-mode=no

[TYPECHECK]
# Inferring into big scientific packages doubles the run time, and whether they happen to be installed on the
# grading machine must not change the verdict.
ignored-modules=numpy,scipy,torch,torchaudio,torchvision,tensorflow,keras,jax,librosa,soundfile,sklearn,pandas,
    matplotlib,seaborn,cv2,transformers,lightning,pytorch_lightning

[FORMAT]
max-line-length=120

[MESSAGES CONTROL]
# Docstrings are scored by code.docstrings; imports cannot resolve without the group's packages installed;
# research code legitimately has many arguments, locals and short names (X, y, sr); notebooks end cells with
# an expression to show it and import mid-file; duplicate-code is quadratic and slow on big hand-ins.
disable=
    missing-module-docstring, missing-class-docstring, missing-function-docstring,
    import-error, no-name-in-module, no-member, relative-beyond-top-level, cyclic-import,
    invalid-name, too-many-arguments, too-many-positional-arguments, too-many-locals,
    too-many-instance-attributes, too-few-public-methods, too-many-statements, too-many-branches,
    pointless-statement, expression-not-assigned, wrong-import-position, redefined-outer-name,
    duplicate-code, fixme, import-outside-toplevel, unspecified-encoding, consider-using-f-string
"""

#: Pylint's message categories, in the order they are reported.
CATEGORIES = ("fatal", "error", "warning", "refactor", "convention", "info")


@dataclass(frozen=True)
class LintMessage:
    """One pylint message, mapped back to the group's file."""

    unit: str
    line: int
    category: str
    symbol: str
    message: str


@dataclass(frozen=True)
class LintReport:
    """Pylint's verdict over the linted units, or why there is none."""

    score: float | None
    counts: dict[str, int]
    messages: tuple[LintMessage, ...]
    linted: int
    error: str | None = None
    timed_out: bool = False


def lint_command(rcfile: Path, files: list[Path], jobs: int) -> list[str]:
    """The pylint command line used for the group's code (shared with the benchmark so both run alike)."""
    return [
        # -P: no current folder on sys.path; -E: no PYTHON* variables (user site stays, pylint may live there).
        sys.executable, "-E", "-P", "-m", "pylint", f"--rcfile={rcfile}", "--output-format=json2", "--exit-zero",
        "--persistent=n", "--unsafe-load-any-extension=n", "--extension-pkg-allow-list=", f"--jobs={jobs}",
        "--score=y", *(str(f) for f in files),
    ]


def run_pylint(units: list[SourceUnit], timeout: float, jobs: int) -> LintReport:
    """Lint the units' code from a private, read-only temporary copy that keeps the submission's folders; every
    failure is a LintReport with an error."""
    with tempfile.TemporaryDirectory(prefix="grader-pylint-") as tmp:
        work = Path(tmp)
        rcfile = work / "pylintrc"
        rcfile.write_text(RCFILE, encoding="utf-8")
        src = work / "src"
        src.mkdir()
        by_path = _lay_out(units, src)
        files = [src / rel for rel in by_path]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "PYLINTHOME": str(work / "home"),
               "LC_ALL": "C.UTF-8"}
        try:
            proc = subprocess.Popen(  # a fixed argv, no shell
                lint_command(rcfile, files, jobs), cwd=tmp, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            return LintReport(None, {}, (), 0, error=f"pylint could not start: {exc}")
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return LintReport(None, {}, (), len(units), error=f"pylint took longer than {timeout:g} s",
                              timed_out=True)
        return _parse_output(out, err, src, by_path, len(units))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill pylint and its --jobs workers (a session of their own), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _lay_out(units: list[SourceUnit], src: Path) -> dict[str, SourceUnit]:
    """Write the units under `src` where they are in the submission (a notebook's code beside it as `x.ipynb.py`),
    read-only, so sibling modules and `from lib import *` resolve as they do for the group.

    A top-level name that a module importable by pylint's own interpreter already has (`json/`, `dill.py`) is
    prefixed: pylint adds the linted folders to sys.path, and a student module must never stand in for one of
    pylint's own imports.
    """
    taken = _importable_names()
    by_path: dict[str, SourceUnit] = {}
    for unit in units:
        parts = PurePosixPath(unit.path).parts
        if not parts or any(p in ("", ".", "..") or "\x00" in p for p in parts):
            continue
        rel = unit.path if unit.kind == "py" else unit.path + ".py"
        top = parts[0] if len(parts) > 1 else PurePosixPath(rel).name.split(".")[0]
        if top in taken:
            rel = f"grader_shadowed_{rel}"
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(unit.code, encoding="utf-8")
        target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        by_path[rel] = unit
    return by_path


@cache
def _importable_names() -> frozenset[str]:
    """Top-level modules this interpreter can import: the standard library and everything installed beside it."""
    return frozenset(sys.stdlib_module_names) | frozenset(m.name for m in pkgutil.iter_modules())


def _parse_output(out: bytes, err: bytes, src: Path, by_path: dict[str, SourceUnit], linted: int) -> LintReport:
    try:
        data = json.loads(out.decode("utf-8", errors="replace"))
        stats = data["statistics"]
        raw_messages = data["messages"]
    except (ValueError, KeyError, TypeError):
        tail = err.decode("utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
        return LintReport(None, {}, (), linted, error=f"pylint gave no report: {tail[0][:300]}")
    messages = []
    for raw in raw_messages:
        where = Path(str(raw.get("absolutePath") or raw.get("path") or ""))
        try:
            unit = by_path.get(where.resolve().relative_to(src.resolve()).as_posix())
        except ValueError:
            unit = None
        if unit is None:
            continue
        messages.append(LintMessage(unit.path, int(raw.get("line") or 0), str(raw.get("type", "")),
                                    str(raw.get("symbol", "")), str(raw.get("message", ""))))
    counts = {c: int(stats.get("messageTypeCount", {}).get(c, 0)) for c in CATEGORIES}
    score = stats.get("score")
    return LintReport(float(score) if isinstance(score, int | float) else None, counts, tuple(messages), linted)
