"""Paper fixtures read once per test session (each read is a child process)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.analysis.paper.bounded import read_pdf
from grader.analysis.paper.facts import PdfFacts

PAPERS = Path(__file__).resolve().parents[2] / "fixtures" / "papers"


@pytest.fixture(scope="session")
def paper_facts() -> Callable[[str], PdfFacts]:
    """Facts of tests/fixtures/papers/<name>.pdf, read through the bounded child process once per name."""
    cache: dict[str, PdfFacts] = {}

    def read(name: str) -> PdfFacts:
        if name not in cache:
            cache[name] = read_pdf(PAPERS / f"{name}.pdf", f"{name}.pdf")
        return cache[name]

    return read
