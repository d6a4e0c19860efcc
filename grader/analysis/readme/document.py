"""The structure of a README (Markdown, reStructuredText or plain text): headings, code blocks, links, inline code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: Longest line inspected; the rest of a longer line is ignored.
MAX_LINE_CHARS = 10_000
#: Inline markup (links, images, code spans) is read with markdown-it for this much text of a document; its
#: inline parser costs up to ~30 µs a character on hostile bracket runs, so past this budget the bounded
#: patterns below read the rest. The block structure is always markdown-it's (linear). Real READMEs are a few KB.
MAX_INLINE_CHARS = 60_000
#: The fallback past the budget: `[text](target)` / `![alt](src)` and `code` spans, bounded in length.
_MD_LINK = re.compile(r"(!?)\[([^\[\]\n]{0,500})\]\(\s*<?([^()\s<>]{1,2000})>?(?:\s+[\"'][^\"'\n]{0,500}[\"'])?\s*\)")
_MD_CODE_SPAN = re.compile(r"(`{1,10})([^`\n]{1,1000}?)\1")
#: An HTML heading at the start of a line, maybe inside a few tags (`<summary><h2 align="center">...</h2>`).
_HTML_HEADING = re.compile(r"\s*(?:<[^<>]{0,300}>\s*){0,3}<h([1-6])\b[^<>]{0,300}>(.{0,1000}?)</h\1\s*>",
                           re.IGNORECASE)
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]{1,200}\]:\s*<?(\S{1,2000}?)>?(?:\s|$)")
_HTML_SRC = re.compile(r"<(img|a|source|video|audio)\b[^<>]{0,1000}?\b(src|href)\s*=\s*[\"']([^\"']{1,2000})[\"']",
                       re.IGNORECASE)
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


def _parse_markdown(text: str, kind: str, nested: bool = True) -> Document:
    """Markdown through markdown-it-py's CommonMark token stream (tables on, raw HTML kept as HTML tokens)."""
    lines = tuple(text.split("\n"))
    tokens = _MARKDOWN_BLOCKS.parse(text)
    budget = MAX_INLINE_CHARS
    headings: list[Heading] = []
    blocks: list[CodeBlock] = []
    links: list[Link] = []
    inline: list[tuple[int, str]] = []
    code_lines: set[int] = set()
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        first, last = token.map[0] + 1, token.map[1]
        if token.type == "heading_open" and index + 1 < len(tokens):
            headings.append(Heading(int(token.tag[1]), clean_heading(tokens[index + 1].content), first))
        elif token.type in ("fence", "code_block"):
            blocks.append(_code_block(token.type, token.info, token.markup, lines, first, last))
            code_lines.update(range(first, last + 1))
        elif token.type == "html_block":
            for number in range(first, last + 1):
                line = lines[number - 1]
                html = _HTML_HEADING.match(line)
                if html:
                    headings.append(Heading(int(html.group(1)), clean_heading(html.group(2)), number))
                links.extend(Link(m.group(3), number, m.group(1).lower() == "img") for m in _HTML_SRC.finditer(line))
            if nested:
                _markdown_inside_html(lines, first, last, headings, links, inline)
        elif token.type == "inline":
            budget -= len(token.content)
            if budget >= 0:
                _inline(_MARKDOWN.parseInline(token.content)[0], first, links, inline)
            else:
                _inline_by_pattern(lines, first, last, links, inline)
    prose = tuple((n, line) for n, line in enumerate(lines, 1) if n not in code_lines)
    # Reference definitions leave no token (markdown-it resolves them into the links that use them).
    links.extend(Link(m.group(1), n, False) for n, line in prose if (m := _MD_REF_DEF.match(line)))
    headings.sort(key=lambda h: h.line)
    links.sort(key=lambda link: link.line)
    return Document(kind, lines, _unique_lines(headings), tuple(blocks), tuple(links), tuple(inline), prose)


#: CommonMark with GitHub's tables; raw HTML stays HTML. Nesting is capped by markdown-it's maxNesting.
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
#: The same without the inline pass, which is done per block within the budget.
_MARKDOWN_BLOCKS = MarkdownIt("commonmark", {"html": True}).enable("table").disable("inline")


def _inline_by_pattern(lines: tuple[str, ...], first: int, last: int, links: list[Link],
                       inline: list[tuple[int, str]]) -> None:
    """Links and code spans of a block past the inline budget, line by line with bounded patterns."""
    for number in range(first, last + 1):
        line = lines[number - 1]
        if "`" not in line and "[" not in line:
            continue
        inline.extend((number, m.group(2).strip()) for m in _MD_CODE_SPAN.finditer(line))
        plain = _MD_CODE_SPAN.sub(" ", line)
        links.extend(Link(m.group(3), number, m.group(1) == "!") for m in _MD_LINK.finditer(plain))


def _markdown_inside_html(lines: tuple[str, ...], first: int, last: int, headings: list[Heading],
                          links: list[Link], inline: list[tuple[int, str]]) -> None:
    """Markdown lines an HTML block swallowed (`<p align="center">` then `# Title` without a blank line between):
    GitHub shows them as text, and a reader still reads them as the headings and links they are written as."""
    if all(lines[n - 1].lstrip().startswith("<") or not lines[n - 1].strip() for n in range(first, last + 1)):
        return
    # Each non-HTML line is parsed on its own line number; blank lines keep the numbering.
    inner = "\n".join("" if lines[n - 1].lstrip().startswith("<") else lines[n - 1] for n in range(first, last + 1))
    sub = _parse_markdown(inner, "markdown", nested=False)
    offset = first - 1
    headings.extend(Heading(h.level, h.text, h.line + offset) for h in sub.headings)
    links.extend(Link(link.target, link.line + offset, link.image) for link in sub.links)
    inline.extend((n + offset, code) for n, code in sub.inline_code)


def _code_block(kind: str, info: str, markup: str, lines: tuple[str, ...], first: int, last: int) -> CodeBlock:
    """A fenced or indented block with its lines as written, numbered; the fences themselves left out."""
    if kind == "code_block":
        body = [(n, lines[n - 1].strip()) for n in range(first, last + 1) if lines[n - 1].strip()]
        return CodeBlock("", tuple(body), fenced=False)
    language = re.sub(r"^\{?\.?", "", info.strip().split(maxsplit=1)[0] if info.strip() else "").rstrip("}").lower()
    closed = last > first and lines[last - 1].strip().startswith(markup)
    end = last - 1 if closed else last
    return CodeBlock(language, tuple((n, lines[n - 1]) for n in range(first + 1, end + 1)), fenced=True)


def _inline(token: Token, first: int, links: list[Link], inline: list[tuple[int, str]]) -> None:
    """Links, images and code spans of one inline token, each with its line (soft and hard breaks counted)."""
    line = first
    for child in token.children or ():
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            links.append(Link(str(child.attrs.get("href", "")), line, False))
        elif child.type == "image":
            links.append(Link(str(child.attrs.get("src", "")), line, True))
        elif child.type == "code_inline":
            inline.append((line, child.content.strip()))
        elif child.type == "html_inline":
            links.extend(Link(m.group(3), line, m.group(1).lower() == "img") for m in _HTML_SRC.finditer(child.content))


def _unique_lines(headings: list[Heading]) -> tuple[Heading, ...]:
    """One heading per line (an HTML heading inside a Markdown heading's line counts once)."""
    unique: dict[int, Heading] = {}
    for heading in headings:
        unique.setdefault(heading.line, heading)
    return tuple(unique.values())


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
