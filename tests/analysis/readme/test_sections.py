"""Which kinds of section a README covers: evidence by heading or command, for any README a student writes."""

from __future__ import annotations

import textwrap

from hypothesis import given

from grader.analysis.readme.commands import commands_in
from grader.analysis.readme.document import parse_document
from grader.analysis.readme.sections import find_sections
from grader.models import Severity
from tests.analysis.strategies import readme_names, readme_text


def test_headings_and_commands_are_evidence_and_a_setup_only_usage_section_is_noted() -> None:
    text = textwrap.dedent("""\
        # Speech denoising
        ## Data
        Download the VCTK corpus into `data/`.
        ## Usage
        ```bash
        pip install -r requirements.txt
        ```
    """)
    doc = parse_document(text, "README.md")
    evidence, notes = find_sections(doc, "README.md", tuple(commands_in(doc)))
    assert evidence == {"setup": "line 6: pip install -r requirements.txt", "data": "line 2: Data"}
    assert [(n.line, n.severity) for n in notes] == [(4, Severity.WARNING)]


@given(readme_text, readme_names)
def test_any_readme_gives_known_kinds_and_notes_inside_it(text: str, name: str) -> None:
    doc = parse_document(text, name)
    evidence, notes = find_sections(doc, name, tuple(commands_in(doc)))
    assert set(evidence) <= {"setup", "usage", "data"}
    assert all(value.startswith("line ") for value in evidence.values())
    for note in notes:
        assert note.path == name and note.line is not None and 1 <= note.line <= len(doc.lines)
