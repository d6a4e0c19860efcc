"""Which kinds of section a README covers (setup, usage, data), judged by heading words and by content."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Literal

from grader.analysis.readme.commands import Command, is_run_command, is_setup_command
from grader.analysis.readme.document import Document
from grader.models import Finding, Severity, finding

SectionKind = Literal["setup", "usage", "data"]

#: Heading words per section kind, English and German, matched on whole words of the lower-cased heading.
_SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "setup": (
        "install", "installation", "installing", "setup", "set up", "set-up", "getting started", "get started",
        "quick start", "quickstart", "requirements", "prerequisites", "dependencies", "environment", "how to start",
        "einrichtung", "voraussetzungen", "abhängigkeiten", "umgebung", "erste schritte", "anforderungen",
        "systemvoraussetzungen", "installieren",
    ),
    "usage": (
        "usage", "how to use", "how to run", "running", "run", "training", "train", "evaluation", "evaluate",
        "inference", "testing", "demo", "example", "examples", "reproduce", "reproducing", "reproduction",
        "experiments", "quick start", "quickstart", "ausführung", "ausführen", "nutzung", "verwendung",
        "benutzung", "anwendung", "evaluierung", "auswertung", "inferenz", "starten", "bedienung",
    ),
    "data": ("data", "dataset", "datasets", "data preparation", "download", "daten", "datensatz", "datensätze"),
}
#: A script or notebook named on a line, and a verb saying to run it: together they point the reader at
#: what to run (counted as usage inside a usage-like section). Two simple searches keep it linear.
_RUN_FILE = re.compile(r"\.(?:py|ipynb|sh)\b", re.IGNORECASE)
_RUN_VERB = re.compile(r"\b(?:run|train|test|evaluat|execut|start|launch|demo|infer|open|ausf\u00fchr|\u00f6ffne|"
                       r"evaluier|trainier)\w*", re.IGNORECASE)

#: One pattern per section kind: any of its words, as whole words.
_SECTION_PATTERNS = {kind: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
                     for kind, words in _SECTION_WORDS.items()}


def _heading_kinds(text: str) -> set[str]:
    if len(text.split()) > 8:
        return set()  # a sentence set in heading type ("NOTE: this list ..."), not a section title
    lowered = text.lower()
    return {kind for kind, pattern in _SECTION_PATTERNS.items() if pattern.search(lowered)}


def find_sections(doc: Document, path: str, commands: tuple[Command, ...]) -> tuple[dict[str, str], list[Finding]]:
    """Kinds of section the README covers, each with its evidence, plus notes on misleading headings."""
    evidence: dict[str, str] = {}
    notes: list[Finding] = []
    setup_cmd = next((c for c in commands if is_setup_command(c.text)), None)
    run_cmd = next((c for c in commands if is_run_command(c.text)), None)
    if setup_cmd:
        evidence["setup"] = f"line {setup_cmd.line}: {setup_cmd.text[:80]}"
    if run_cmd:
        evidence["usage"] = f"line {run_cmd.line}: {run_cmd.text[:80]}"
    heading_lines = {h.line for h in doc.headings}
    command_lines = [c.line for c in commands]
    # Prefix counts of prose lines, so "does this section have a body" costs O(1) even for huge READMEs.
    prose_before = [0] * (len(doc.lines) + 2)
    for number, text in doc.prose:
        if text.strip() and number not in heading_lines:
            prose_before[number + 1] = 1
    for index in range(1, len(prose_before)):
        prose_before[index] += prose_before[index - 1]
    for section in doc.sections():
        kinds = _heading_kinds(section.heading.text)
        if not kinds:
            continue
        first, last = section.first_line, max(section.first_line - 1, section.last_line)
        inside = commands[bisect_left(command_lines, first):bisect_right(command_lines, last)]
        has_body = prose_before[last + 1] > prose_before[first]
        label = f"line {section.heading.line}: {section.heading.text}"
        if "setup" in kinds and (has_body or inside):
            evidence.setdefault("setup", label)
        if "data" in kinds and (has_body or inside):
            evidence.setdefault("data", label)
        if "usage" not in kinds or ("usage" in evidence and not inside):
            continue
        runs = [c for c in inside if is_run_command(c.text)]
        pointers = has_body and any(_RUN_FILE.search(t) and _RUN_VERB.search(t) for t in doc.lines[first - 1:last])
        if runs or pointers:
            evidence.setdefault("usage", label)
        elif inside and not any(is_run_command(c.text) for c in inside):
            if any(is_setup_command(c.text) for c in inside):
                evidence.setdefault("setup", label)
            notes.append(finding(f"section {section.heading.text!r} only holds setup steps, no command that runs "
                                 "the project", path, section.heading.line, Severity.WARNING))
    return evidence, notes
