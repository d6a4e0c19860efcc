"""reStructuredText READMEs through docutils' doctree: section titles, literal and code blocks, links, literals.

Student text is untrusted, so docutils runs locked down: no file inclusion and no raw directive (the include
directives are replaced by ones that only record the file they name), no configuration files read, nothing
reported or printed (messages go to a private stream), no error ever halts the parse, and no syntax highlighter
runs. Only the first MAX_RST_CHARS characters go through docutils, in lines and paragraphs of bounded length: its
inline parser is quadratic in a paragraph's length on hostile runs of backquotes, so the rest of an oversized
README counts as prose only, and an overlong paragraph is read in pieces.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

from grader.analysis.readme.structure import CodeBlock, Document, DocumentError, Heading, Link, clean_heading

#: Text read by docutils; a few times the longest real README (the rest counts as prose, see above).
MAX_RST_CHARS = 40_000
#: Longest line and longest paragraph docutils reads. Its inline parser and its substitution transform are
#: quadratic in a paragraph's length on hostile text (40,000 characters of unclosed backquotes, stars or
#: undefined |substitutions| in one paragraph: 8-17 s); with these, at most ~2 s (bench/bench_parse_readme.py).
#: A longer paragraph loses one line to docutils per split (it stays prose); 1 of 12 real README.rst files had
#: one (a 4,500-character reference list).
MAX_RST_LINE_CHARS = 1_500
MAX_PARAGRAPH_CHARS = 1_500
#: A grid table's cells are paragraphs too, but a real results table runs longer than a paragraph.
MAX_TABLE_CHARS = 6_000
#: docutils' role table is one per process; parses that may change it take turns.
_ROLES_LOCK = threading.Lock()
#: That table (docutils mutates it in place and never rebinds it; its type stubs leave it out).
_ROLE_TABLE: dict[str, object] = vars(roles)["_roles"]
_ADORNMENT = re.compile(r"\s*([!-/:-@\[-`{-~])\1+\s*$")
_GRID_BORDER = re.compile(r"\s*\+[-=+]{2,}\+\s*$")
#: How far from docutils' line for a node its text is looked for (it gives the underline of a title, the line
#: after an image directive, and no line at all inside paragraphs).
_NEAR = 3


def safe_settings() -> dict[str, Any]:
    """docutils settings for one untrusted document: nothing read, included, printed or halted on."""
    return {
        "file_insertion_enabled": False, "raw_enabled": False, "_disable_config": True,
        "report_level": 5, "halt_level": 5, "warning_stream": io.StringIO(), "traceback": True,
        "syntax_highlight": "none", "doctitle_xform": False, "sectsubtitle_xform": False, "smart_quotes": False,
        "pep_references": False, "rfc_references": False, "input_encoding": "unicode", "output_encoding": "unicode",
    }


def parse_rst(text: str) -> Document:
    """An RST README's structure; DocumentError when docutils fails (nesting past its recursion limit)."""
    lines = tuple(text.split("\n"))
    # `.. role::` and `.. default-role::` write into docutils' module-wide role table: one README's roles must
    # not change how the next one (another group's, in the same process) reads, so the table is put back.
    with _ROLES_LOCK:
        saved = dict(_ROLE_TABLE)
        try:
            tree = publish_doctree("\n".join(_bounded(lines)), settings_overrides=safe_settings())
        except RecursionError as exc:
            raise DocumentError("reStructuredText nested too deeply for docutils") from exc
        except Exception as exc:  # docutils is a parser of untrusted text: any failure is this README's, not ours
            raise DocumentError(f"docutils could not parse it ({type(exc).__name__}: {str(exc)[:200]})") from exc
        finally:
            _ROLE_TABLE.clear()
            _ROLE_TABLE.update(saved)
    walk = _Walk(lines)
    walk.visit(tree, 0)
    code_lines = {n for block in walk.blocks for n in range(block[0], block[1] + 1)}
    prose = tuple((n, line) for n, line in enumerate(lines, 1) if n not in code_lines)
    links = sorted(set(walk.links), key=lambda link: link.line)
    headings = {h.line: h for h in reversed(walk.headings)}  # one per line, the first found
    return Document("rst", lines, tuple(sorted(headings.values(), key=lambda h: h.line)),
                    tuple(walk.code), tuple(links), tuple(walk.inline), prose)


def _bounded(lines: tuple[str, ...]) -> list[str]:
    """The lines docutils reads: the first MAX_RST_CHARS characters, each line cut at MAX_RST_LINE_CHARS, and a
    paragraph longer than MAX_PARAGRAPH_CHARS split by blanking one line (docutils' inline parser is quadratic in
    a paragraph's length). Line numbers stay those of the source: lines are cut or blanked, never removed."""
    parsed: list[str] = []
    size = run = 0
    limit = MAX_PARAGRAPH_CHARS
    for line in lines:
        size += len(line) + 1
        if size > MAX_RST_CHARS:
            break
        line = line[:MAX_RST_LINE_CHARS]
        if not line.strip():
            run = 0
        elif run == 0:  # a grid table is one block: splitting it would drop the whole table
            run, limit = len(line), MAX_TABLE_CHARS if _GRID_BORDER.match(line) else MAX_PARAGRAPH_CHARS
        else:
            run += len(line)
            if run > limit:
                line, run = "", 0
        parsed.append(line)
    return parsed


class _Walk:
    """One pass over a doctree collecting the structure, each item placed on its source line."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.headings: list[Heading] = []
        self.code: list[CodeBlock] = []
        self.blocks: list[tuple[int, int]] = []  # source lines each code block covers, its directive included
        self.links: list[Link] = []
        self.inline: list[tuple[int, str]] = []
        self.last = 1  # the last line placed: nodes come in document order

    def visit(self, node: nodes.Node, depth: int) -> None:
        """Collect from `node` and below; `depth` counts the sections around it. Iterative: docutils nests deep."""
        stack: list[tuple[nodes.Node, int]] = [(node, depth)]
        while stack:
            current, level = stack.pop()
            if isinstance(current, nodes.system_message):
                self._misplaced_title(current, level)
                continue  # docutils' error reports quote the offending source
            if isinstance(current, nodes.problematic):
                continue  # the source of a markup error
            if isinstance(current, nodes.section):
                level += 1
            elif isinstance(current, nodes.title) and isinstance(current.parent, nodes.section):
                self._heading(current, level)
                self._inline(current)
                continue
            elif isinstance(current, nodes.literal_block):
                self._code(current)
                continue
            elif isinstance(current, nodes.image):
                self._link(str(current.get("uri", "")), True, current.line)
            elif isinstance(current, nodes.target):  # `.. _name: URL` (embedded ones lie inside paragraphs)
                if current.get("refuri"):
                    self._link(str(current["refuri"]), False, current.line)
                continue
            elif isinstance(current, nodes.comment):
                if current.get("grader_file"):
                    self.links.append(Link(str(current["grader_file"]), self._placed(int(current.line or 1)), False))
                continue
            elif isinstance(current, nodes.TextElement):
                self._inline(current)
                continue
            if isinstance(current, nodes.Element):
                stack.extend((child, level) for child in reversed(current.children))

    def _heading(self, title: nodes.title, level: int) -> None:
        source = (title.rawsource or title.astext()).split("\n", 1)[0]
        self.headings.append(Heading(level, clean_heading(title.astext()), self._near(title.line, source)))

    def _misplaced_title(self, message: nodes.system_message, level: int) -> None:
        """A title whose adornment skips a level (`~~~` straight under `===`): docutils drops it with an error, but
        the writer meant a heading there, so it counts one level below the section it is in."""
        if not message.children or not message[0].astext().startswith("Title level inconsistent"):
            return
        quoted = next(iter(message.findall(nodes.literal_block)), None)
        text = next((t for t in (quoted.astext().split("\n") if quoted is not None else ())
                     if t.strip() and not _ADORNMENT.match(t)), "")
        if text:
            self.headings.append(Heading(level + 1, clean_heading(text), self._near(message.line, text)))

    def _code(self, block: nodes.literal_block) -> None:
        numbered = block.get("grader_lines")
        if numbered is not None:  # a code directive of ours: numbered from docutils' own line bookkeeping
            body = tuple((int(n), str(text)) for n, text in numbered if str(text).strip())
            self.code.append(CodeBlock(str(block.get("grader_language", "")), body, fenced=True))
            self.blocks.append((int(block.line or 1), body[-1][0] if body else int(block.line or 1)))
            return
        raw = block.astext().split("\n")
        first = self._near(block.line, raw[0].strip() if raw else "")
        body = tuple((first + i, text.strip()) for i, text in enumerate(raw)
                     if text.strip() and first + i <= len(self.lines))
        if body:
            self.code.append(CodeBlock("", body, fenced=False))
            self.blocks.append((first, body[-1][0]))

    def _inline(self, element: nodes.TextElement) -> None:
        """Links, images and literals inside a paragraph (or any text element), placed on its lines in order; a
        position (line, column) moves past each one found, so a repeated ``name`` lands on each of its lines.
        An image not written in the paragraph is a substitution's copy: it is placed at its definition."""
        # the source text, not astext(): markup is gone from that, and an image's is its alt text
        source = element.rawsource
        start = self._near(element.line, source.split("\n", 1)[0][:80])
        # an image directive's `:target:` link has no source: its image lies somewhere after the last line placed
        end = start + (source.count("\n") if source else 200)
        position = (start, 0)
        for child in (element, *_descendants(element)):
            if isinstance(child, nodes.literal):
                position = self._find(position, child.rawsource or child.astext(), end) or position
                self.inline.append((self._placed(position[0]), " ".join(child.astext().split())))
            elif isinstance(child, nodes.reference) and child.get("refuri"):
                # an image's `:target:` link has no source text of its own: it sits where its image does
                image = next(iter(child.findall(nodes.image)), None)
                if child.rawsource or image is None:
                    position = self._find(position, child.rawsource or child["refuri"], end) or position
                else:
                    found = self._find(position, str(image.get("uri", "")), end)
                    if found is None:
                        continue
                    position = (found[0], 0)  # the image, found next, is on this line too
                self.links.append(Link(str(child["refuri"]), self._placed(position[0]), False))
            elif isinstance(child, nodes.image):
                found = self._find(position, str(child.get("uri", "")), end)
                if found is not None:
                    position = found
                    self.links.append(Link(str(child.get("uri", "")), self._placed(position[0]), True))

    def _link(self, target: str, image: bool, hint: int | None) -> None:
        self.links.append(Link(target, self._near(hint, target), image))

    def _near(self, hint: int | None, needle: str) -> int:
        """The line within _NEAR of docutils' `hint` that holds `needle` (nearest first, earlier lines preferred);
        without a hint (nodes inside figures and links have none), the first line holding it
        after the last one placed. The hint, or that last line, when no line does."""
        needle = needle.strip()
        if hint is None:
            found = self._find((self.last, 0), needle, self.last + 200) if needle else None
            return self._placed(found[0] if found else self.last)
        line = min(max(hint, 1), len(self.lines))
        offsets = sorted(range(-_NEAR, _NEAR + 1), key=lambda d: (abs(d), d > 0))
        for offset in offsets if needle else ():
            number = line + offset
            if 1 <= number <= len(self.lines) and needle in self.lines[number - 1]:
                return self._placed(number)
        return self._placed(line)

    def _placed(self, line: int) -> int:
        self.last = max(self.last, line)
        return line

    def _find(self, position: tuple[int, int], source: str, end: int) -> tuple[int, int] | None:
        """Where the first line of `source` next occurs from `position` up to line `end` (a paragraph's last):
        its line and the column after it."""
        needle = source.strip().split("\n", 1)[0].strip()[:200]
        line, column = position
        for number in range(max(line, 1), min(end, line + 200, len(self.lines)) + 1):
            found = self.lines[number - 1].find(needle, column if number == line else 0)
            if found >= 0:
                return number, found + len(needle)
        return None


def _descendants(element: nodes.Element) -> Iterator[nodes.Node]:
    """Every node under `element` in document order, without recursion."""
    stack = list(reversed(element.children))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, nodes.Element) and not isinstance(node, nodes.literal | nodes.problematic):
            stack.extend(reversed(node.children))


class _AnyOption(dict[str, Callable[[str], Any]]):
    """Option rules that accept every option: Sphinx's (`:linenos:`, `:caption:`) are no error in a README."""

    def __missing__(self, key: str) -> Callable[[str], Any]:
        return directives.unchanged


class _Code(Directive):
    """`.. code-block:: LANG` / `.. code::` / `.. sourcecode::`: a literal block numbered by source line, with no
    highlighting; code written straight under the directive line, without the blank line, still counts."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = _AnyOption(name=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        """One literal_block carrying its language and its numbered lines."""
        argument = self.arguments[0].split("\n") if self.arguments else [""]
        language = argument[0].split()[0].lower() if argument[0].split() else ""
        numbered = [(self.lineno + i, text) for i, text in enumerate(argument[1:], 1)]
        numbered += [(offset + 1, text) for (_, offset), text in zip(self.content.items, self.content, strict=True)]
        block = nodes.literal_block("\n".join(t for _, t in numbered), "\n".join(t for _, t in numbered))
        block["grader_language"] = language
        block["grader_lines"] = numbered
        block.line = self.lineno
        return [block]


class _NamedFile(Directive):
    """`.. include::` / `.. literalinclude::`: nothing is read; the file named is recorded as a link to check."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = _AnyOption(name=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        """A comment node naming the file (comments pass every docutils transform untouched)."""
        marker = nodes.comment()
        marker["grader_file"] = self.arguments[0].strip()
        marker.line = self.lineno
        return [marker]


# Registered once for the process: the grader is docutils' only user here, and these replace docutils' own
# include (so no setting can ever make it read a file) and its code directive (so no highlighter runs).
for _name in ("code-block", "code", "sourcecode"):
    directives.register_directive(_name, _Code)
for _name in ("include", "literalinclude"):
    directives.register_directive(_name, _NamedFile)
