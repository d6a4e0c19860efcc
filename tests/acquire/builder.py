"""Building real git repositories for tests: commits with chosen authors and committer dates."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEADLINE = datetime.fromisoformat("2026-03-31T23:59:00+02:00")
BEFORE = "2026-03-30T12:00:00+02:00"
JUST_BEFORE = "2026-03-31T23:58:00+02:00"
AFTER = "2026-04-01T09:00:00+02:00"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run git with an isolated configuration (the host's ~/.gitconfig never matters) and return stdout."""
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or Path.cwd()),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        **(env or {}),
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, text=True, check=True)
    return done.stdout


@dataclass
class RepoBuilder:
    """A work tree in which tests make commits as given authors at given dates."""

    path: Path

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        run("init", "--quiet", "--initial-branch=main", cwd=self.path)

    def commit(
        self, files: dict[str, str | bytes], *, when: str, author: str = "Ada Lovelace", email: str = "ada@example.org",
        message: str = "work", stage_all: bool = True,
    ) -> str:
        """Write `files` and commit them (with `stage_all`, every change in the work tree) as `author` at ISO
        date `when` (author and committer date); returns the commit's hash."""
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if stage_all:
            run("add", "--all", cwd=self.path)
        env = {
            "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when,
        }
        run("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.path, env=env)
        return run("rev-parse", "HEAD", cwd=self.path).strip()

    def bare(self, dest: Path) -> Path:
        """A bare clone of this repository at `dest` (what a hosting service would serve)."""
        run("clone", "--quiet", "--bare", str(self.path), str(dest))
        return dest


def around_deadline(path: Path) -> RepoBuilder:
    """A repository with two commits before the deadline (Ada, then Bob) and one after it (Ada)."""
    repo = RepoBuilder(path)
    repo.commit({"README.md": "# v1\n", ".gitignore": "venv/\n"}, when=BEFORE)
    repo.commit({"README.md": "# v2 on time\n"}, when=JUST_BEFORE, author="Bob Builder", email="bob@example.org")
    repo.commit({"README.md": "# v3 late\n"}, when=AFTER)
    return repo
