"""The grader's download cache: package files and index pages fetched for installs, shared by every group.

Only the grader writes it (its gateway, on the host); no container ever sees the folder, so one group's install
cannot plant a file that another group's install would then trust, and nothing of it reaches an image or a run
step. Every entry is written to a temporary file beside its place and renamed into it, so parallel graders
(--jobs N, or several processes) may fill it at once: the last complete copy of a file wins, and both are alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CACHE_ENV = "GRADER_CACHE_DIR"


def cache_root() -> Path:
    """The grader's own cache folder: $GRADER_CACHE_DIR, else $XDG_CACHE_HOME/grader, else ~/.cache/grader."""
    if explicit := os.environ.get(CACHE_ENV):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grader"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class CachedPage:
    """An index page as the index served it, with the address it was finally served from."""

    url: str
    body: str
    fetched: float


class DownloadCache:
    """Package files (kept until cleaned) and index pages (kept for `page_ttl` seconds) under one folder."""

    def __init__(self, root: Path | None = None, page_ttl: float = 600.0) -> None:
        self.root = (root or cache_root()) / "downloads"
        self.page_ttl = page_ttl

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def file(self, url: str, digest: str | None) -> Path | None:
        """The cached copy of the file at `url` (with the index's `digest`, e.g. sha256=...), if any."""
        path = self._path("files", _key(f"{url}\0{digest or ''}"))
        return path if path.is_file() else None

    @contextmanager
    def writing(self, url: str, digest: str | None) -> Iterator[tuple[BinaryIO, list[bool]]]:
        """A temporary file to download into; it becomes the cached copy when the caller sets `keep[0]`."""
        path = self._path("files", _key(f"{url}\0{digest or ''}"))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.part-{secrets.token_hex(4)}")
        keep = [False]
        try:
            with partial.open("wb") as handle:
                yield handle, keep
            if keep[0]:
                os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def page(self, url: str) -> CachedPage | None:
        """The index page fetched from `url` less than `page_ttl` seconds ago, if any."""
        path = self._path("pages", _key(url))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            page = CachedPage(str(data["url"]), str(data["body"]), float(data["fetched"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return page if time.time() - page.fetched < self.page_ttl else None

    def put_page(self, url: str, final_url: str, body: str) -> None:
        """Keep an index page fetched from `url` (served from `final_url` after redirects)."""
        path = self._path("pages", _key(url))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.part-{secrets.token_hex(4)}")
        partial.write_text(json.dumps({"url": final_url, "body": body, "fetched": time.time()}), encoding="utf-8")
        os.replace(partial, path)

    def size(self) -> tuple[int, int]:
        """Files and bytes held."""
        count = total = 0
        if self.root.is_dir():
            for path in self.root.rglob("*"):
                if path.is_file():
                    count += 1
                    total += path.stat().st_size
        return count, total

    def clear(self) -> tuple[int, int]:
        """Empty the cache; returns the files and bytes removed."""
        held = self.size()
        shutil.rmtree(self.root, ignore_errors=True)
        return held
