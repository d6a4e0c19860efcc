"""Section headings: how a template numbers them, and the headings that matter for counting pages (references,
appendix, acknowledgements) in the languages students write in."""

from __future__ import annotations

import re
from typing import Literal

from grader.analysis.paper.facts import TextLine

#: Numbering styles of section headings: IEEEtran "I. INTRODUCTION", spconf "1. INTRODUCTION", CVPR/ICML/
#: Interspeech "1. Introduction", ACM "1 INTRODUCTION", ACL/article "1 Introduction".
HeadingStyle = Literal["roman", "arabic-upper", "arabic", "arabic-plain-upper", "arabic-plain"]

ROMAN = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV)\.?\s+(\S.*)$")
ARABIC_DOT = re.compile(r"^\d{1,2}\.\s*(\D\S*.*)$")
ARABIC_PLAIN = re.compile(r"^\d{1,2}\s+(\D\S*.*)$")
LETTERED = re.compile(r"^[A-H](?:\.\d+)*\.?\s+[A-Z]")
BOLD_FONT = re.compile(r"bold|medi|semi|black|heavy|demi|cmbx|lmroman\d+-bold|bx\d|-b$|tb$|\bb\b", re.IGNORECASE)
#: A heading's optional number: Roman, Arabic or an appendix letter.
_NUMBER = r"^(?:[IVX]{1,4}\.?|\d{1,2}\.?|[A-H]\.?)?\s*"
_REFERENCE_WORDS = (
    "references|reference|bibliography|literature|literatur|literaturverzeichnis|quellen|quellenverzeichnis|"
    "références|bibliographie|referencias|bibliografía|bibliografia|riferimenti|riferimentibibliografici|"
    "referências|referenties|litteratur|bibliografie|citations"
)
REFERENCES = re.compile(_NUMBER + f"(?:{_REFERENCE_WORDS})$", re.IGNORECASE)
APPENDIX = re.compile(_NUMBER + r"(?:appendix|appendices|anhang|annexe?|apéndice|appendice|anexos?|"
                      r"supplementary(?:material)?)\b", re.IGNORECASE)
ACKNOWLEDGEMENTS = re.compile(_NUMBER + r"(?:acknowledge?ments?|danksagung|agradecimientos|ringraziamenti|"
                              r"remerciements)$", re.IGNORECASE)


def collapsed(text: str) -> str:
    """Text without spaces: small capitals come out of some PDFs as 'R EFERENCES'."""
    return re.sub(r"\s+", "", text.strip())


def is_references(line: TextLine) -> bool:
    """Whether the line is a references / bibliography heading (any common language)."""
    return len(line.text) <= 40 and bool(REFERENCES.match(collapsed(line.text)))


def is_appendix(line: TextLine) -> bool:
    """Whether the line opens an appendix."""
    return len(line.text) <= 80 and bool(APPENDIX.match(collapsed(line.text)))


def is_acknowledgements(line: TextLine) -> bool:
    """Whether the line is an acknowledgements heading."""
    return len(line.text) <= 40 and bool(ACKNOWLEDGEMENTS.match(collapsed(line.text)))


def looks_like_heading(line: TextLine, body_size: float) -> bool:
    """Short, not ending a sentence, and set bold or larger than the body: how every template sets headings."""
    text = line.text.strip()
    if not 3 <= len(text) <= 80 or text[-1] in ".,;:":
        return False
    if ROMAN.match(text) and "," not in text:
        # IEEEtran sets headings in small capitals, which a PDF reports at the capitals' smaller size.
        return line.size >= 0.75 * body_size
    return line.size >= body_size - 0.6 and (bool(BOLD_FONT.search(line.font)) or line.size >= body_size + 0.9)


def unnumbered_heading(line: TextLine, body_size: float) -> bool:
    """A bold heading outside the section numbering: unnumbered ("DECLARATION OF USE OF GENERATIVE AI", a
    larger "Ethics Statement") or lettered as appendices are ("A Data samples", "B.1 Prompts")."""
    text = line.text.strip()
    if not looks_like_heading(line, body_size) or not text[:1].isalpha() or not BOLD_FONT.search(line.font):
        return False
    letters = [c for c in text if c.isalpha()]
    upper = len(letters) >= 6 and all(c.isupper() for c in letters)
    return upper or line.size >= body_size + 0.9 or bool(LETTERED.match(text))


def heading_style(line: TextLine, body_size: float) -> HeadingStyle | None:
    """The numbering style of a section heading, or None when the line is not one."""
    text = line.text.strip()
    if not looks_like_heading(line, body_size):
        return None
    roman = ROMAN.match(text)
    if roman and roman.group(1)[:1].isupper():
        return "roman"
    for pattern, name in ((ARABIC_DOT, "arabic"), (ARABIC_PLAIN, "arabic-plain")):
        match = pattern.match(text)
        if match and match.group(1)[:1].isupper():
            letters = [c for c in match.group(1) if c.isalpha()]
            upper = len(letters) >= 3 and all(c.isupper() for c in letters)
            return f"{name}-upper" if upper else name  # type: ignore[return-value]
    return None


def heading_styles(lines: list[TextLine], body_size: float) -> dict[HeadingStyle, int]:
    """Distinct section headings per numbering style."""
    seen: dict[HeadingStyle, set[str]] = {}
    for line in lines:
        style = heading_style(line, body_size)
        if style is not None:
            seen.setdefault(style, set()).add(line.text.strip())
    return {style: len(texts) for style, texts in seen.items()}
