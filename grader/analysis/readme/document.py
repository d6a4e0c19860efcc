"""The structure of a README (Markdown, reStructuredText or plain text): headings, code blocks, links, inline code."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Longest line inspected; the rest of a longer line is ignored.
MAX_LINE_CHARS = 10_000
#: Markdown ATX heading (`## Setup`), allowing the closing hashes some authors add.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
#: An HTML heading at the start of a line, maybe inside a few tags (`<summary><h2 align="center">...</h2>`).
_HTML_HEADING = re.compile(r"\s*(?:<[^<>]{0,300}>\s*){0,3}<h([1-6])\b[^<>]{0,300}>(.{0,1000}?)</h\1\s*>",
                           re.IGNORECASE)
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w+#.-]*)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_LINK = re.compile(r"(!?)\[([^\[\]\n]{0,500})\]\(\s*<?([^()\s<>]{1,2000})>?(?:\s+[\"'][^\"'\n]{0,500}[\"'])?\s*\)")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]{1,200}\]:\s*<?(\S{1,2000}?)>?(?:\s|$)")
_HTML_SRC = re.compile(r"<(img|a|source|video|audio)\b[^<>]{0,1000}?\b(src|href)\s*=\s*[\"']([^\"']{1,2000})[\"']",
                       re.IGNORECASE)
_MD_CODE_SPAN = re.compile(r"(`{1,10})([^`\n]{1,1000}?)\1")
_HTML_TAG = re.compile(r"<[^<>\n]{0,500}>")
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:._!$%&,;<>?@\\|/])\1{2,}\s*$")
_RST_DIRECTIVE = re.compile(
    r"^\s*\.\.\s+(code-block|code|sourcecode|image|figure|include|literalinclude)::\s*(.*?)\s*$")
_RST_LINK = re.compile(r"`[^`<\n]{0,500}<([^>\n]{1,2000})>`__?")
_RST_TARGET = re.compile(r"^\s*\.\.\s+_[^:\n]{1,200}:\s*(\S+)")
_RST_LITERAL = re.compile(r"``([^`\n]{1,1000}?)``")


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
        return sum(len(re.findall(r"\w{2,}", _HTML_TAG.sub(" ", text)))
                   for number, text in self.prose if number not in heading_lines)


def parse_document(text: str, name: str) -> Document:
    """Parse README text; the format follows the file name (.rst is reStructuredText, anything else Markdown)."""
    # Lines are capped so that no pattern ever sees more than a few kilobytes at once (minified HTML, data URIs).
    text = "\n".join(line[:MAX_LINE_CHARS] for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if name.lower().endswith((".rst", ".rest")):
        return _parse_rst(text)
    return _parse_markdown(text, "markdown" if not name.lower().endswith(".txt") else "text")


def clean_heading(text: str) -> str:
    """Heading text without Markdown emphasis, links, HTML, emoji and trailing punctuation."""
    text = _HTML_TAG.sub(" ", text)
    text = re.sub(r"!?\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"[^\w\s/&+.,'()-]", " ", text)
    return re.sub(r"\s+", " ", text).strip(" .:-")


def _parse_markdown(text: str, kind: str) -> Document:
    lines = tuple(text.split("\n"))
    headings: list[Heading] = []
    blocks: list[CodeBlock] = []
    prose: list[tuple[int, str]] = []
    fence: tuple[str, str, list[tuple[int, str]]] | None = None
    indented: list[tuple[int, str]] = []
    in_list = False
    list_column = 0
    previous_blank = True
    for number, line in enumerate(lines, 1):
        if fence is not None:
            marker, language, body = fence
            stripped = line.strip()
            if stripped.startswith(marker[0] * len(marker)) and not stripped.lstrip(marker[0]).strip():
                blocks.append(CodeBlock(language, tuple(body), fenced=True))
                fence = None
            else:
                body.append((number, line))
            continue
        opened = _FENCE.match(line)
        if opened and not (opened.group(2)[0] == "`" and "`" in line[opened.end():]):
            _flush_indented(indented, blocks)
            fence = (opened.group(2), opened.group(3).lower(), [])
            continue
        # Inside a list item, code is indented four columns past the item's text (CommonMark).
        code_column = list_column + 4 if in_list else 4
        is_indented = bool(line.strip()) and _indentation(line) >= code_column
        # An indented block may follow a blank line or, as CommonMark allows, an ATX heading directly.
        after_heading = bool(headings) and headings[-1].line == number - 1 and _ATX.match(lines[number - 2][:1000])
        if is_indented and (previous_blank or indented or after_heading):
            indented.append((number, line.strip()))
            previous_blank = False
            continue
        if indented and not line.strip():
            previous_blank = True
            continue
        _flush_indented(indented, blocks)
        if line.strip():
            item = _LIST_ITEM.match(line)
            if item:
                in_list, list_column = True, len(item.group(0).expandtabs(4))
            elif not line.startswith((" ", "\t")):
                in_list = False
        prose.append((number, line))
        previous_blank = not line.strip()
        heading = _markdown_heading(lines, number, line)
        if heading is not None:
            headings.append(heading)
    if fence is not None:
        blocks.append(CodeBlock(fence[1], tuple(fence[2]), fenced=True))
    _flush_indented(indented, blocks)
    links, inline = _markdown_inline(prose)
    return Document(kind, lines, tuple(headings), tuple(blocks), tuple(links), tuple(inline), tuple(prose))


def _markdown_heading(lines: tuple[str, ...], number: int, line: str) -> Heading | None:
    atx = _ATX.match(line[:1000])
    if atx:
        return Heading(len(atx.group(1)), clean_heading(atx.group(2) or ""), number)
    html = _HTML_HEADING.match(line)
    if html:
        return Heading(int(html.group(1)), clean_heading(html.group(2)), number)
    if number < len(lines) and line.strip() and not _LIST_ITEM.match(line) and not line.startswith("    "):
        underline = lines[number].strip()
        if underline and set(underline) <= {"="}:
            return Heading(1, clean_heading(line), number)
        if len(underline) >= 2 and set(underline) <= {"-"}:
            return Heading(2, clean_heading(line), number)
    return None


def _indentation(text: str) -> int:
    """Columns of leading whitespace, a tab counting as four."""
    expanded = text.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def _flush_indented(indented: list[tuple[int, str]], blocks: list[CodeBlock]) -> None:
    if indented:
        blocks.append(CodeBlock("", tuple(indented), fenced=False))
        indented.clear()


def _markdown_inline(prose: list[tuple[int, str]]) -> tuple[list[Link], list[tuple[int, str]]]:
    links: list[Link] = []
    inline: list[tuple[int, str]] = []
    for number, line in prose:
        if "`" not in line and "[" not in line and "<" not in line:
            continue  # most prose lines hold no markup at all: skip the regexes
        for span in _MD_CODE_SPAN.finditer(line):
            inline.append((number, span.group(2).strip()))
        plain = _MD_CODE_SPAN.sub(" ", line)
        links.extend(Link(m.group(3), number, m.group(1) == "!") for m in _MD_LINK.finditer(plain))
        ref = _MD_REF_DEF.match(plain)
        if ref:
            links.append(Link(ref.group(1), number, False))
        links.extend(Link(m.group(3), number, m.group(1).lower() == "img") for m in _HTML_SRC.finditer(plain))
    return links, inline


def _parse_rst(text: str) -> Document:
    lines = tuple(text.split("\n"))
    headings: list[Heading] = []
    blocks: list[CodeBlock] = []
    prose: list[tuple[int, str]] = []
    links: list[Link] = []
    styles: list[tuple[str, bool]] = []
    skip_until = 0
    expect_literal = False
    for index, line in enumerate(lines):
        number = index + 1
        if number <= skip_until:
            continue
        directive = _RST_DIRECTIVE.match(line)
        if directive and directive.group(1) in ("code-block", "code", "sourcecode"):
            body, skip_until = _rst_indented_body(lines, index + 1)
            blocks.append(CodeBlock(directive.group(2).lower(), tuple(body), fenced=True))
            continue
        if directive:
            links.append(Link(directive.group(2), number, directive.group(1) in ("image", "figure")))
        if expect_literal and line.strip():
            expect_literal = False
            if line.startswith((" ", "\t")):
                body, skip_until = _rst_indented_body(lines, index)
                blocks.append(CodeBlock("", tuple(body), fenced=False))
                continue
        if line.rstrip().endswith("::") and not directive:
            expect_literal = True
        prose.append((number, line))
        heading = _rst_heading(lines, index, styles)
        if heading is not None:
            headings.append(heading)
        target = _RST_TARGET.match(line)
        if target:
            links.append(Link(target.group(1), number, False))
        links.extend(Link(m.group(1).strip(), number, False) for m in _RST_LINK.finditer(line))
    inline = [(n, m.group(1).strip()) for n, line in prose for m in _RST_LITERAL.finditer(line)]
    return Document("rst", lines, tuple(headings), tuple(blocks), tuple(links), tuple(inline), tuple(prose))


def _rst_indented_body(lines: tuple[str, ...], start: int) -> tuple[list[tuple[int, str]], int]:
    """The indented block starting at index `start` (directive options dropped) and the last line it covers."""
    body: list[tuple[int, str]] = []
    index = start
    while index < len(lines) and (not lines[index].strip() or lines[index].startswith((" ", "\t"))):
        stripped = lines[index].strip()
        if stripped and not (not body and stripped.startswith(":")):
            body.append((index + 1, stripped))
        index += 1
    while index > start and not lines[index - 1].strip():
        index -= 1
    return body, index


def _rst_heading(lines: tuple[str, ...], index: int, styles: list[tuple[str, bool]]) -> Heading | None:
    """An RST title at `index`: text under (and maybe over) a line of one repeated punctuation character."""
    line = lines[index]
    if not line.strip() or _RST_ADORNMENT.match(line) or index + 1 >= len(lines):
        return None
    under = _RST_ADORNMENT.match(lines[index + 1])
    if not under or len(lines[index + 1].rstrip()) < min(len(line.strip()), 3):
        return None
    over = index > 0 and _RST_ADORNMENT.match(lines[index - 1]) is not None
    style = (under.group(1), over)
    if style not in styles:
        styles.append(style)
    return Heading(styles.index(style) + 1, clean_heading(line), index + 1)
