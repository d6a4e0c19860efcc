"""The structure of a README (Markdown, reStructuredText or plain text): headings, code blocks, links, inline code."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from grader.analysis.readme.rst import parse_rst
from grader.analysis.readme.structure import (
    CodeBlock,
    Document,
    DocumentError,
    Heading,
    Link,
    Section,
    clean_heading,
)

#: The structure's names stay importable from here, where every reader of a README gets its Document.
__all__ = ["MAX_LINE_CHARS", "CodeBlock", "Document", "DocumentError", "Heading", "Link", "Section", "clean_heading",
           "parse_document"]

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


def parse_document(text: str, name: str) -> Document:
    """Parse README text; the format follows the file name (.rst is reStructuredText, anything else Markdown).

    Raises DocumentError for reStructuredText docutils cannot read (nesting past its recursion limit)."""
    # Lines are capped so that no pattern ever sees more than a few kilobytes at once (minified HTML, data URIs).
    text = "\n".join(line[:MAX_LINE_CHARS] for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if name.lower().endswith((".rst", ".rest")):
        return parse_rst(text)
    return _parse_markdown(text, "markdown" if not name.lower().endswith(".txt") else "text")


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
