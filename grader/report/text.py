"""Making student-controlled text safe to show: control characters stripped, Markdown and XML escaped."""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def clean(text: str) -> str:
    """Text without control characters (ANSI escapes, bidi overrides), tabs and newlines kept."""
    return _CONTROL.sub("", text.replace("\x1b", ""))


def one_line(text: str, limit: int = 300) -> str:
    """Clean text folded onto one line and cut at `limit` characters."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def md(text: str, limit: int = 300) -> str:
    """Text safe inside a Markdown paragraph or table cell: one line, HTML and Markdown syntax escaped."""
    flat = one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md_code(text: str, limit: int = 200) -> str:
    """Text as an inline code span: one line, no backticks inside, pipes escaped for table cells."""
    return "`" + one_line(text, limit).replace("`", "'").replace("|", "\\|") + "`"


def md_code_block(text: str, info: str = "text") -> str:
    """A fenced code block whose fence is longer than any backtick run inside the text."""
    body = clean(text).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def html_text(text: str, limit: int = 300) -> str:
    """Text safe inside raw HTML within Markdown (`<summary>` and the like): one line, HTML-escaped, and no
    Markdown backslash escapes, which GitHub would show literally there."""
    return html.escape(one_line(text, limit), quote=True)
