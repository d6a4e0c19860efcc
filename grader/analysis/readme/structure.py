"""The structure every README parser produces (headings, code blocks, links, sections), whatever its format."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: An HTML tag on one line, bounded; stripped from headings and from the prose words are counted in.
HTML_TAG = re.compile(r"<[^<>\n]{0,500}>")


class DocumentError(ValueError):
    """A README the parser could not read into a structure (reStructuredText nested past docutils' limits)."""


@dataclass(frozen=True)
class Heading:
    """A section title with its nesting level (1 = top) and 1-based line number."""

    level: int
    text: str
    line: int


@dataclass(frozen=True)
class CodeBlock:
    """A literal block: fenced, indented, or an RST code directive; its lines keep their 1-based numbers."""

    language: str
    lines: tuple[tuple[int, str], ...]
    fenced: bool


@dataclass(frozen=True)
class Link:
    """A link or image target as written, with the line it is on."""

    target: str
    line: int
    image: bool


@dataclass(frozen=True)
class Section:
    """A heading and the lines it governs (up to the next heading of the same or a higher level)."""

    heading: Heading
    first_line: int
    last_line: int

    def contains(self, line: int) -> bool:
        """Whether a 1-based line number lies in this section's body."""
        return self.first_line <= line <= self.last_line


@dataclass(frozen=True)
class Document:
    """A parsed README: prose lines (outside code), headings, code blocks, links and inline code spans."""

    kind: str
    lines: tuple[str, ...]
    headings: tuple[Heading, ...]
    code_blocks: tuple[CodeBlock, ...]
    links: tuple[Link, ...]
    inline_code: tuple[tuple[int, str], ...]
    prose: tuple[tuple[int, str], ...]

    def sections(self) -> list[Section]:
        """Every heading's section; nested headings lie inside their parent's section."""
        result = []
        headings = self.headings
        for index, heading in enumerate(headings):
            end = len(self.lines)
            for later in range(index + 1, len(headings)):  # an index walk: slicing would copy, O(n^2)
                if headings[later].level <= heading.level:
                    end = headings[later].line - 1
                    break
            result.append(Section(heading, heading.line + 1, end))
        return result

    def words(self) -> int:
        """Words of prose outside headings and code, markup stripped: what a reader actually reads."""
        heading_lines = {h.line for h in self.headings}
        return sum(len(re.findall(r"\w{2,}", HTML_TAG.sub(" ", text)))
                   for number, text in self.prose if number not in heading_lines)


def clean_heading(text: str) -> str:
    """Heading text without Markdown emphasis, links, HTML, emoji and trailing punctuation."""
    text = HTML_TAG.sub(" ", text)
    text = re.sub(r"!?\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"[^\w\s/&+.,'()-]", " ", text)
    return re.sub(r"\s+", " ", text).strip(" .:-")
