"""The run's copy of a submission: regular files and folders only, no links, no VCS folders; and its size."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

_SKIP_COPY = frozenset({".git", ".hg", ".svn"})
_SIZE = re.compile(r"^([1-9][0-9]*)([kmg]?)$")


def copy_submission(source: Path, dest: Path, leave_out: tuple[str, ...] = ()) -> None:
    """Copy the submission for the run steps; `leave_out` names folders (relative paths) whose place the
    lecturer's data takes, so the copy holds neither them nor anything of the group's at those paths."""
    os.chmod(dest, 0o755)
    skipped = {posixpath_norm(p) for p in leave_out}
    for folder, dirs, files in os.walk(source, followlinks=False):
        rel = os.path.relpath(folder, source)
        target = dest if rel == "." else dest / rel
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        dirs[:] = [d for d in dirs if d not in _SKIP_COPY and not os.path.islink(os.path.join(folder, d))
                   and prefix + d not in skipped]
        for d in dirs:
            (target / d).mkdir(mode=0o755)
            os.chmod(target / d, 0o755)
        for name in files:
            if prefix + name in skipped:
                continue
            _copy_file(os.path.join(folder, name), target / name)


def _copy_file(src: str, dest: Path) -> None:
    st = os.lstat(src)
    if not stat.S_ISREG(st.st_mode):
        return
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return
    with os.fdopen(fd, "rb") as reader, open(dest, "wb") as writer:
        shutil.copyfileobj(reader, writer)
    # World-readable: the container's user copies it into its working copy; executable bits are kept.
    os.chmod(dest, 0o644 | (st.st_mode & 0o111))


def posixpath_norm(path: str) -> str:
    """A relative path in the submission, normalised with forward slashes."""
    return os.path.normpath(path).replace(os.sep, "/").strip("/")


def tree_bytes(root: Path) -> int:
    """Bytes of the regular files under root (what the working copy takes before the step writes anything)."""
    total = 0
    for folder, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            try:
                # A tmpfs stores whole pages: round each file up to 4 KiB.
                total += (os.lstat(os.path.join(folder, name)).st_size + 4095) // 4096 * 4096
            except OSError:
                continue
    return total


def size_bytes(size: str) -> int:
    """Bytes of a size written like Docker's (`512m`, `2g`, a plain number of bytes)."""
    match = _SIZE.match(size.strip().lower())
    if match is None:
        raise ValueError(f"not a size: {size!r} (write e.g. 512m or 2g)")
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
