"""Progress on stderr while grading: the stages, and what pip is doing while the sandbox installs an environment
(which can take minutes for a deep-learning stack) - the package being downloaded or installed, and the bytes."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from typing import Any

import click

from grader.models import PIP_OUTPUT

_DOWNLOADING = re.compile(r"^\s*Downloading (\S+) \(([\d.]+) (bytes|kB|MB|GB)\)")
_COLLECTING = re.compile(r"^\s*Collecting (\S+)")
_BUILDING = re.compile(r"^\s*Building wheel for (\S+)")
_INSTALLING = re.compile(r"^\s*Installing collected packages: (.+)")
_UNITS = {"bytes": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
#: A wheel's file name: distribution-version-tags.whl; an sdist: distribution-version.tar.gz.
_DIST_FILE = re.compile(r"^(?P<name>[A-Za-z0-9_.]+?)-(?P<version>\d[^-]*?)(-.*)?\.(whl|tar\.gz|zip)$")


def size_text(count: float) -> str:
    """Bytes the way pip writes them: 18.3 MB, 512 kB."""
    for unit in ("GB", "MB", "kB"):
        if count >= _UNITS[unit]:
            return f"{count / _UNITS[unit]:.1f} {unit}"
    return f"{int(count)} bytes"


class PipActivity:
    """Reads pip's output lines and says what it is doing: resolving, downloading (with the bytes so far),
    building, installing. pip runs without a progress bar in the sandbox (no terminal), so the bytes are counted
    per finished download from the sizes pip announces."""

    def __init__(self) -> None:
        self.downloaded = 0
        self.files = 0

    def feed(self, line: str) -> tuple[str, bool] | None:
        """The status for `line` and whether it is a milestone (a download or the install), or None when the
        line says nothing new."""
        if found := _DOWNLOADING.match(line):
            size = float(found.group(2)) * _UNITS[found.group(3)]
            self.downloaded += int(size)
            self.files += 1
            name = found.group(1).rsplit("/", 1)[-1]
            dist = _DIST_FILE.match(name)
            shown = f"{dist.group('name')} {dist.group('version')}" if dist else name
            return (f"downloading {shown} ({size_text(size)}; {size_text(self.downloaded)} in "
                    f"{self.files} file(s) so far)", True)
        if found := _INSTALLING.match(line):
            names = [n.strip() for n in found.group(1).split(",")]
            listed = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
            return f"installing {len(names)} package(s) ({listed})", True
        if found := _BUILDING.match(line):
            return f"building a wheel for {found.group(1)}", True
        if found := _COLLECTING.match(line):
            return f"resolving {found.group(1)}", False
        return None


class CheckProgress:
    """`grader check`'s progress: one line per stage on stderr; pip's activity as one live line on a terminal,
    or as a line per download on a log (CI), so a long install is never silent."""

    def __init__(self, quiet: bool, stream: Any = None) -> None:
        self._quiet = quiet
        self._stream = stream or sys.stderr
        self._pip = PipActivity()
        self._lock = threading.Lock()
        self._live = not quiet and hasattr(self._stream, "isatty") and self._stream.isatty() \
            and os.environ.get("TERM") != "dumb"
        self._status_shown = False
        self._started = time.monotonic()

    def __call__(self, text: str) -> None:
        """Show a stage, or one line of pip's output."""
        if self._quiet:
            return
        with self._lock:
            if text.startswith(PIP_OUTPUT):
                self._pip_line(text[len(PIP_OUTPUT):])
                return
            self._clear()
            self._pip = PipActivity()
            self._started = time.monotonic()
            click.echo(f"grader: {text}…", err=True)

    def _pip_line(self, line: str) -> None:
        seen = self._pip.feed(line)
        if seen is None:
            return
        status, milestone = seen
        elapsed = int(time.monotonic() - self._started)
        text = f"grader:   pip: {status} [{elapsed // 60}:{elapsed % 60:02d}]"
        if self._live:
            width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
            self._stream.write("\r\x1b[2K" + text[:width])
            self._stream.flush()
            self._status_shown = True
        elif milestone:
            click.echo(text, err=True)

    def _clear(self) -> None:
        if self._status_shown:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
            self._status_shown = False

    def close(self) -> None:
        """Leave the terminal with no half-written status line."""
        with self._lock:
            self._clear()
