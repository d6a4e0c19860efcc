"""Frozen facts about one PDF, rebuilt from the child process's JSON (grader.analysis.paper.extract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A box in PDF points: (left, bottom, right, top), origin at the page's lower-left corner.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TextLine:
    """A run of characters on one baseline, within one column."""

    box: Box
    size: float
    font: str
    chars: int
    text: str


@dataclass(frozen=True)
class PageObject:
    """A top-level image, vector path, shading or embedded form (a figure) on a page."""

    kind: str
    box: Box


@dataclass(frozen=True)
class PageFacts:
    """One page read in detail."""

    number: int
    width: float
    height: float
    chars: int
    lines: tuple[TextLine, ...]
    objects: tuple[PageObject, ...]
    object_count: int


@dataclass(frozen=True)
class FontFacts:
    """One font used by the document, as its resources describe it."""

    name: str
    subtype: str
    embedded: bool
    pages: tuple[int, ...]


@dataclass(frozen=True)
class PdfFacts:
    """Everything read from one PDF; `error` says why nothing could be read (not-pdf, password, corrupt...)."""

    path: str
    size_bytes: int
    error: str | None = None
    detail: str = ""
    page_count: int = 0
    encryption: str = "none"
    pages: tuple[PageFacts, ...] = ()
    fonts: tuple[FontFacts, ...] = ()
    font_error: str | None = None

    @property
    def chars(self) -> int:
        """Characters on the pages read in detail."""
        return sum(p.chars for p in self.pages)


def _box(values: Any) -> Box:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def facts_from_json(path: str, size_bytes: int, data: dict[str, Any]) -> PdfFacts:
    """Rebuild typed facts from the child's JSON; malformed JSON becomes a `corrupt` error, never an exception."""
    error = data.get("error")
    if error:
        kind = data.get("kind", "")
        return PdfFacts(path=path, size_bytes=size_bytes, error=str(error), detail=str(data.get("detail") or kind))
    try:
        pages = tuple(
            PageFacts(
                number=int(p["number"]),
                width=float(p["width"]),
                height=float(p["height"]),
                chars=int(p["chars"]),
                lines=tuple(
                    TextLine(_box(ln["box"]), float(ln["size"]), str(ln["font"]), int(ln["chars"]), str(ln["text"]))
                    for ln in p["lines"]
                ),
                objects=tuple(PageObject(str(o["kind"]), _box(o["box"])) for o in p["objects"]),
                object_count=int(p["object_count"]),
            )
            for p in data["pages"]
        )
        fonts = tuple(
            FontFacts(str(f["name"]), str(f["subtype"]), bool(f["embedded"]), tuple(int(n) for n in f["pages"]))
            for f in data["fonts"]
        )
        return PdfFacts(
            path=path,
            size_bytes=size_bytes,
            page_count=int(data["page_count"]),
            encryption=str(data.get("encryption", "none")),
            pages=pages,
            fonts=fonts,
            font_error=data.get("font_error"),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return PdfFacts(path=path, size_bytes=size_bytes, error="corrupt", detail=f"unreadable analysis: {exc}")
