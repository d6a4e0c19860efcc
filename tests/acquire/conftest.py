"""Fixtures for acquisition tests: a source repository with commits around a deadline, served as bare repos."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.acquire.builder import RepoBuilder

DEADLINE = datetime.fromisoformat("2026-03-31T23:59:00+02:00")
BEFORE = "2026-03-30T12:00:00+02:00"
JUST_BEFORE = "2026-03-31T23:58:00+02:00"
AFTER = "2026-04-01T09:00:00+02:00"


@pytest.fixture
def source(tmp_path: Path) -> RepoBuilder:
    """A repository with two commits before the deadline and one after it."""
    repo = RepoBuilder(tmp_path / "source")
    repo.commit({"README.md": "# v1\n", ".gitignore": "venv/\n"}, when=BEFORE)
    repo.commit({"README.md": "# v2 on time\n"}, when=JUST_BEFORE, author="Bob Builder", email="bob@example.org")
    repo.commit({"README.md": "# v3 late\n"}, when=AFTER)
    return repo


@pytest.fixture
def served(tmp_path: Path, source: RepoBuilder) -> Path:
    """A folder holding `group.git`, a bare copy of `source`, for the loopback server or a local-path URL."""
    root = tmp_path / "served"
    root.mkdir()
    source.bare(root / "group.git")
    return root
