"""Fixtures for acquisition tests: a source repository with commits around a deadline, served as bare repos."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acquire.builder import RepoBuilder, around_deadline


@pytest.fixture
def source(tmp_path: Path) -> RepoBuilder:
    """A repository with two commits before the deadline and one after it."""
    return around_deadline(tmp_path / "source")


@pytest.fixture
def served(tmp_path: Path, source: RepoBuilder) -> Path:
    """A folder holding `group.git`, a bare copy of `source`, for the loopback server or a local-path URL."""
    root = tmp_path / "served"
    root.mkdir()
    source.bare(root / "group.git")
    return root
