"""Reading refs, commits and trees of an untrusted repository in pure Python (gitdb), with no git process.

Everything here answers "don't know" (None, or `Unsupported`) for the cases it does not model exactly as git
does (reftable, worktrees, replace objects, grafts, abbreviated names...), so callers fall back to real git.
"""

from __future__ import annotations

import heapq
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gitdb import GitDB  # the object database GitPython itself uses as git.GitDB; importing `git` runs `git version`

#: Largest ref file, packed-refs file, commit and tree object read; bigger ones are hostile, not homework.
MAX_REF_BYTES = 4096
MAX_PACKED_REFS_BYTES = 64 << 20
MAX_COMMIT_BYTES = 16 << 20
MAX_TREE_BYTES = 64 << 20

_HEX = re.compile(rb"[0-9a-f]{40}")
_REF_PART = re.compile(r"[^\x00-\x20\x7f~^:?*\[\\]+")


class Unsupported(Exception):
    """The repository uses something this module does not model (git itself must answer)."""


class ObjectError(RuntimeError):
    """An object is missing, corrupt, of the wrong type or too big; the message is one line."""


@dataclass(frozen=True)
class RawCommit:
    """The fields of a commit object the history needs, decoded as `git log` shows them."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_name: str
    committer_time: int


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree object: octal mode text (as git prints it), name and object id."""

    mode: str
    name: str
    sha: str


class ObjectStore:
    """One repository's refs and objects, read without spawning git; build it with `open_store`."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.db = GitDB(str(git_dir / "objects"))
        self.shallow = frozenset(_read_small(git_dir / "shallow", MAX_PACKED_REFS_BYTES).decode("ascii", "replace")
                                 .split()) if _is_file(git_dir / "shallow") else frozenset()

    def ref(self, name: str, depth: int = 0) -> str | None:
        """The object id a ref (HEAD or refs/...) points to, following symbolic refs; None if absent."""
        if depth > 5 or not _valid_ref(name):
            raise Unsupported(name)
        loose = self.git_dir / name
        if _is_file(loose):
            text = _read_small(loose, MAX_REF_BYTES).strip()
            if text.startswith(b"ref: "):
                return self.ref(text[5:].decode("utf-8", "replace").strip(), depth + 1)
            if _HEX.fullmatch(text):
                return text.decode("ascii")
            raise Unsupported(name)  # reftable stubs and the like
        if os.path.lexists(loose) and not os.path.isdir(loose):
            raise Unsupported(name)  # a link or device where a ref should be: let git judge it
        return self._packed().get(name)

    def _packed(self) -> dict[str, str]:
        path = self.git_dir / "packed-refs"
        if not _is_file(path):
            return {}
        refs = {}
        for line in _read_small(path, MAX_PACKED_REFS_BYTES).decode("utf-8", "replace").splitlines():
            sha, _, name = line.partition(" ")
            if len(sha) == 40 and not line.startswith(("#", "^")):
                refs[name.strip()] = sha
        return refs

    def read(self, sha: str, kind: bytes, max_bytes: int) -> bytes:
        """The content of object `sha`, which must be of type `kind` and at most `max_bytes` long."""
        try:
            binsha = bytes.fromhex(sha)
            info = self.db.info(binsha)
            if info.type != kind:
                raise ObjectError(f"object {sha} is a {info.type.decode('ascii', 'replace')}, not a {kind.decode()}")
            if info.size > max_bytes:
                raise ObjectError(f"{kind.decode()} {sha} holds {info.size} bytes, over the cap of {max_bytes}")
            data: bytes = self.db.stream(binsha).read()
        except ObjectError:
            raise
        except Exception as exc:  # gitdb raises many kinds on hostile packs (BadObject, zlib.error, struct.error...)
            raise ObjectError(f"cannot read object {sha}: {type(exc).__name__}") from exc
        if len(data) != info.size:
            raise ObjectError(f"object {sha} is truncated")
        return data

    def size(self, sha: str) -> int:
        """The size of object `sha` from its header (the object itself is not inflated)."""
        try:
            return int(self.db.info(bytes.fromhex(sha)).size)
        except Exception as exc:  # see read()
            raise ObjectError(f"cannot read object {sha}: {type(exc).__name__}") from exc

    def peel_commit(self, sha: str) -> str | None:
        """The commit `sha` names, through annotated tags; None when it names no commit."""
        for _ in range(10):
            try:
                kind = self.db.info(bytes.fromhex(sha)).type
            except Exception:  # see read(): missing or unreadable, so no commit
                return None
            if kind == b"commit":
                return sha
            if kind != b"tag":
                return None
            head = self.read(sha, b"tag", MAX_COMMIT_BYTES).split(b"\n", 1)[0]
            if not head.startswith(b"object ") or not _HEX.fullmatch(head[7:]):
                return None
            sha = head[7:].decode("ascii")
        return None

    def commit(self, sha: str) -> RawCommit:
        """Commit `sha` parsed; a shallow boundary commit has no parents, as git shows it."""
        data = self.read(sha, b"commit", MAX_COMMIT_BYTES)
        headers: dict[bytes, list[bytes]] = {}
        for line in data.split(b"\n\n", 1)[0].split(b"\n"):
            key, _, value = line.partition(b" ")
            headers.setdefault(key, []).append(value)
        encoding = (headers.get(b"encoding") or [b"utf-8"])[0].decode("ascii", "replace")
        tree = (headers.get(b"tree") or [b""])[0]
        parents = tuple(p.decode("ascii") for p in headers.get(b"parent", []) if _HEX.fullmatch(p))
        if not _HEX.fullmatch(tree):
            raise ObjectError(f"commit {sha} has no tree")
        author_name, author_email, _ = _ident((headers.get(b"author") or [b""])[0], encoding)
        committer_name, _, stamp = _ident((headers.get(b"committer") or [b""])[0], encoding)
        return RawCommit(sha, tree.decode("ascii"), () if sha in self.shallow else parents, author_name,
                         author_email, committer_name, stamp)

    def tree(self, sha: str) -> list[TreeEntry]:
        """The entries of tree `sha`."""
        data = self.read(sha, b"tree", MAX_TREE_BYTES)
        entries = []
        offset = 0
        while offset < len(data):
            space = data.find(b" ", offset)
            nul = data.find(b"\0", space + 1)
            if space < 0 or nul < 0 or nul + 21 > len(data):
                raise ObjectError(f"tree {sha} is corrupt")
            mode = data[offset:space].decode("ascii", "replace").rjust(6, "0")
            name = data[space + 1:nul].decode("utf-8", "replace")
            entries.append(TreeEntry(mode, name, data[nul + 1:nul + 21].hex()))
            offset = nul + 21
        return entries

    def walk(self, tip: str, *, max_commits: int, deadline: float) -> Iterator[RawCommit]:
        """Commits reachable from `tip` in `git log`'s default order (newest committer date first, ties in
        the order they were met); raises ObjectError past `max_commits` or the monotonic `deadline`."""
        first = self.commit(tip)
        queue: list[tuple[int, int, RawCommit]] = [(-first.committer_time, 0, first)]
        seen = {tip}
        met = 1
        while queue:
            _, _, current = heapq.heappop(queue)
            yield current
            if met > max_commits or time.monotonic() > deadline:
                raise ObjectError(f"history longer than {max_commits} commits or slower than the time limit")
            for parent in current.parents:
                if parent not in seen:
                    seen.add(parent)
                    met += 1
                    raw = self.commit(parent)
                    heapq.heappush(queue, (-raw.committer_time, met, raw))


def open_store(git_dir: Path) -> ObjectStore:
    """The store of `git_dir` (a bare repository or a work tree with a `.git` folder); raises Unsupported for
    layouts git must read itself (worktrees, `.git` files, replace objects, grafts, alternates)."""
    dot = git_dir / ".git"
    if _is_dir(dot):
        git_dir = dot
    if not (_is_dir(git_dir / "objects") and _is_file(git_dir / "HEAD")):
        raise Unsupported("not a plain repository")
    if any(os.path.lexists(git_dir / name) for name in ("commondir", "info/grafts", "objects/info/alternates")):
        raise Unsupported("shared or grafted repository")
    replace = git_dir / "refs" / "replace"
    if (_is_dir(replace) and any(replace.iterdir())) or b"refs/replace/" in _packed_text(git_dir):
        raise Unsupported("replace objects")
    return ObjectStore(git_dir)


def has_config(git_dir: Path, word: bytes) -> bool:
    """Whether the repository's own config file mentions `word` (a setting git would apply and gitdb not)."""
    for path in (git_dir / ".git" / "config", git_dir / "config"):
        if _is_file(path) and word in _read_small(path, MAX_PACKED_REFS_BYTES).lower():
            return True
    return False


def _packed_text(git_dir: Path) -> bytes:
    path = git_dir / "packed-refs"
    return _read_small(path, MAX_PACKED_REFS_BYTES) if _is_file(path) else b""


def _ident(value: bytes, encoding: str) -> tuple[str, str, int]:
    """Name, email and timestamp of an `author`/`committer` header value."""
    try:
        text = value.decode(encoding, "replace")
    except LookupError:
        text = value.decode("utf-8", "replace")
    name, _, rest = text.partition("<")
    email, _, when = rest.partition(">")
    stamp = when.split()[0] if when.split() else ""
    return name.strip(), email.strip(), int(stamp) if stamp.isascii() and stamp.isdigit() else 0


def _valid_ref(name: str) -> bool:
    if name == "HEAD":
        return True
    parts = name.split("/")
    return (name.startswith("refs/") and all(_REF_PART.fullmatch(p) and not p.startswith(".") for p in parts)
            and not name.endswith(".lock"))


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_small(path: Path, limit: int) -> bytes:
    """A regular file's first `limit` bytes, opened without following a link (raises Unsupported if longer)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise Unsupported(f"{path.name} too big")
    return data
