"""Safe, read-only access to a submission's files: no links followed out of it, size caps, vendored code excluded."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

T = TypeVar("T")

#: Directory names never inspected as the group's own work (virtual environments, caches, vendored code, builds).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "virtualenv", "site-packages", "node_modules",
        "__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
        "build", "dist", "third_party", "third-party", "thirdparty", "vendor", "vendored", "external",
        ".idea", ".vscode", ".eggs", "wandb", "mlruns", "lightning_logs",
    }
)

#: Largest text file read whole; larger files are skipped with a note.
MAX_TEXT_BYTES = 2 * 1024 * 1024


class UnsafePathError(ValueError):
    """A path that leaves the submission, goes through a link, or is not a regular file."""


@dataclass(frozen=True)
class TreeNote:
    """Something the tree walk passed over, for the report (a link, a huge or binary file)."""

    path: str
    reason: str


@dataclass
class SubmissionTree:
    """The files of one submission, listed once and read safely. Paths are POSIX strings relative to the root."""

    root: Path
    exclude: tuple[str, ...] = ()
    excluded_dirs: frozenset[str] = DEFAULT_EXCLUDED_DIRS
    _files: list[str] | None = field(default=None, init=False, repr=False)
    _notes: list[TreeNote] = field(default_factory=list, init=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(os.path.realpath(self.root))

    # -- listing ---------------------------------------------------------------------------------------------

    def files(self) -> list[str]:
        """Every regular file of the group's own work, sorted; links and excluded folders left out."""
        if self._files is None:
            self._files = sorted(self._walk())
        return self._files

    @property
    def notes(self) -> list[TreeNote]:
        """What the walk and the reads passed over, with why."""
        self.files()
        return self._notes

    def _excluded(self, rel: str, is_dir: bool) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if is_dir and (name in self.excluded_dirs or name.endswith(".egg-info")):
            return True
        return any(_glob_match(rel, pattern) for pattern in self.exclude)

    def _walk(self) -> Iterable[str]:
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            try:
                entries = list(os.scandir(self.root / rel_dir if rel_dir else self.root))
            except OSError as exc:
                self._notes.append(TreeNote(rel_dir or ".", f"unreadable folder: {exc.strerror}"))
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    self._notes.append(TreeNote(rel, f"symbolic link to {_link_target(entry.path)!r} not followed"))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if not self._excluded(rel, is_dir=True):
                        stack.append(rel)
                elif entry.is_file(follow_symlinks=False) and not self._excluded(rel, is_dir=False):
                    yield rel

    def glob(self, *patterns: str) -> list[str]:
        """Files matching any of the glob patterns (`**` crosses folders; a pattern without `/` matches names)."""
        return [f for f in self.files() if any(_glob_match(f, p) for p in patterns)]

    def with_suffix(self, *suffixes: str) -> list[str]:
        """Files whose name ends with one of the suffixes, case-insensitively (e.g. '.py', '.ipynb')."""
        lowered = tuple(s.lower() for s in suffixes)
        return [f for f in self.files() if f.lower().endswith(lowered)]

    def exists(self, rel: str) -> bool:
        """Whether `rel` names a regular file or folder inside the tree, reached without following links."""
        try:
            mode = self._lstat_inside(rel).st_mode
        except (OSError, UnsafePathError):
            return False
        return stat.S_ISREG(mode) or stat.S_ISDIR(mode)

    # -- reading ---------------------------------------------------------------------------------------------

    def size(self, rel: str) -> int:
        """Size in bytes of a regular file inside the tree."""
        return self._lstat_inside(rel).st_size

    def read_bytes(self, rel: str, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
        """The file's bytes; raises UnsafePathError for links, non-files and files over `max_bytes`."""
        st = self._lstat_inside(rel)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"{rel}: not a regular file")
        if st.st_size > max_bytes:
            raise UnsafePathError(f"{rel}: {st.st_size} bytes, over the {max_bytes}-byte limit")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.root / rel, flags)
        with os.fdopen(fd, "rb") as handle:
            return handle.read(max_bytes + 1)[:max_bytes]

    def read_text(self, rel: str, max_bytes: int = MAX_TEXT_BYTES) -> str | None:
        """The file as text (see decode_text); None, with a note, if unsafe, huge or binary."""
        try:
            data = self.read_bytes(rel, max_bytes)
        except (OSError, UnsafePathError) as exc:
            self._note(rel, str(exc))
            return None
        text = decode_text(data)
        if text is None:
            self._note(rel, "binary file skipped")
        return text

    def abspath(self, rel: str) -> Path:
        """Absolute path of a regular file inside the tree, after checking that no link leads out of it."""
        self._lstat_inside(rel)
        return self.root / rel

    def _lstat_inside(self, rel: str) -> os.stat_result:
        parts = PurePosixPath(rel.replace("\\", "/")).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise UnsafePathError(f"{rel}: outside the submission")
        if "\x00" in rel:
            # No file name holds a NUL, and os.lstat would raise ValueError: a README link `a%00b` or `-r a\x00b`.
            raise UnsafePathError(f"{rel!r}: not a file name")
        current = self.root
        for part in parts:
            current = current / part
            st = os.lstat(current)
            if stat.S_ISLNK(st.st_mode):
                raise UnsafePathError(f"{rel}: goes through a symbolic link")
        return st

    def _note(self, rel: str, reason: str) -> None:
        note = TreeNote(rel, reason)
        if note not in self._notes:
            self._notes.append(note)

    # -- shared work between checks --------------------------------------------------------------------------

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a value once per tree (parsed sources, environment files) and share it between checks."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _glob_match(rel: str, pattern: str) -> bool:
    """Glob match where `**/` spans any number of folders and a slash-free pattern matches the file name."""
    if "/" not in pattern:
        return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    if pattern.startswith("**/"):
        return _glob_match(rel, pattern[3:]) or fnmatch.fnmatchcase(rel, pattern)
    if pattern.endswith("/**"):
        return rel.startswith(pattern[:-3] + "/")
    return False


def decode_text(data: bytes) -> str | None:
    """A student's text file: UTF-16 when it starts with that byte-order mark (PowerShell's `pip freeze >
    requirements.txt`, Windows editors), else UTF-8 with undecodable bytes replaced and its BOM dropped; None for a
    binary file (a NUL byte early on)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").removeprefix("\ufeff")
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")

