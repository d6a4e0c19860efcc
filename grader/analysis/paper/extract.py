"""Child-process PDF reader: turns untrusted PDFs into plain JSON facts (pages, text lines, boxes, fonts), the
visible ink inside boxes, and page thumbnails.

Run as `python -m grader.analysis.paper.extract --serve`: one JSON request per line on stdin, one JSON answer per
line on stdout, until stdin closes. The parent (`bounded.py`) applies the time and memory limits and keeps the
process for the next request, so nothing here needs to defend against hangs.
"""

from __future__ import annotations

import ctypes
import json
import sys
import zlib
from pathlib import Path
from typing import Any

#: Pages read in detail (text lines, objects); the rest are only counted. The last pages are always read.
DETAIL_HEAD = 12
DETAIL_TAIL = 4
#: Page objects looked at per page; a huge vector figure stops being walked here.
MAX_OBJECTS = 20_000
#: Characters read per page; beyond this the page is sampled no further.
MAX_CHARS = 40_000
#: Pixels per point when looking for ink: a 0.4 pt rule still darkens a pixel, and 0.5 pt is finer than any
#: margin tolerance.
INK_SCALE = 2.0
#: A pixel darker than this (0-255 grey) is ink; anti-aliasing leaves lighter fringes that are not.
INK_THRESHOLD = 230
#: Regions looked at per request, and pixels rendered per region at most (a page at INK_SCALE is ~2 Mpx).
MAX_INK_REGIONS = 200
MAX_INK_PIXELS = 4_000_000

Json = dict[str, Any]


def _header_kind(path: Path) -> str:
    """'pdf', 'html', 'empty' or 'other', from the first bytes."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head.strip():
        return "empty"
    if b"%PDF-" in head:
        return "pdf"
    lowered = head.lower()
    if b"<html" in lowered or b"<!doctype" in lowered or b"<head" in lowered:
        return "html"
    return "other"


def _fonts(path: Path, detail: list[int]) -> tuple[list[Json], str | None, bool]:
    """Fonts used on the detailed pages, from pypdf's resources (name, subtype, embedded), and whether the
    file is encrypted (pdfium already opened it, so the user password is empty)."""
    import pypdf

    encrypted = False
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        encrypted = bool(reader.is_encrypted)
        if encrypted:
            reader.decrypt("")
        found: dict[str, Json] = {}
        for index in detail:
            page = reader.pages[index]
            _collect_fonts(page.get("/Resources"), index + 1, found, depth=0)
        return list(found.values()), None, encrypted
    except Exception as exc:  # any font-table damage is reported, not raised
        return [], f"{type(exc).__name__}: {exc}", encrypted


def _collect_fonts(resources: Any, page: int, found: dict[str, Json], depth: int) -> None:
    if resources is None or depth > 4:
        return
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is not None:
        for font_ref in fonts.get_object().values():
            font = font_ref.get_object()
            name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
            subtype = str(font.get("/Subtype", "")).lstrip("/")
            descriptor = font.get("/FontDescriptor")
            if subtype == "Type0":
                descendants = font.get("/DescendantFonts")
                if descendants:
                    descriptor = descendants.get_object()[0].get_object().get("/FontDescriptor")
            embedded = subtype == "Type3"
            if descriptor is not None:
                descriptor = descriptor.get_object()
                embedded = embedded or any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            key = f"{name}|{subtype}"
            entry = found.setdefault(key, {"name": name, "subtype": subtype, "embedded": embedded, "pages": []})
            if page not in entry["pages"]:
                entry["pages"].append(page)
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for xobject in xobjects.get_object().values():
            obj = xobject.get_object()
            if obj.get("/Subtype") == "/Form":
                _collect_fonts(obj.get("/Resources"), page, found, depth + 1)


def _font_name(textpage: Any, index: int, buffer: Any) -> str:
    import pypdfium2.raw as raw

    flags = ctypes.c_int()
    size = raw.FPDFText_GetFontInfo(textpage, index, buffer, len(buffer), ctypes.byref(flags))
    return bytes(buffer[: max(0, size - 1)]).decode("utf-8", errors="replace")


def _lines(page: Any) -> tuple[list[Json], int]:
    """Text of one page grouped into line segments: box, median font size, main font, text."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    handle = textpage.raw
    count = min(raw.FPDFText_CountChars(handle), MAX_CHARS)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    buffer = (ctypes.c_char * 256)()
    lines: list[Json] = []
    current: Json | None = None
    for index in range(count):
        code = raw.FPDFText_GetUnicode(handle, index)
        if raw.FPDFText_IsGenerated(handle, index) or code in (0x20, 0x0A, 0x0D, 0xFFFE, 0xFFFF):
            if current is not None and code in (0x20,):
                current["text"] += " "
            continue
        raw.FPDFText_GetCharBox(handle, index, *(ctypes.byref(v) for v in (left, right, bottom, top)))
        size = raw.FPDFText_GetFontSize(handle, index)
        x0, x1, y0, y1 = left.value, right.value, bottom.value, top.value
        if current is not None:
            same_row = abs((y0 + y1) / 2 - current["cy"]) < 0.6 * max(size, 1.0)
            # A gap wider than ~1.5 em starts a new segment, so the two columns of a row stay apart.
            near = -2.0 * max(size, 1.0) < x0 - current["x1"] < 1.5 * max(size, 1.0)
            if not (same_row and near):
                lines.append(current)
                current = None
        if current is None:
            current = {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "cy": (y0 + y1) / 2, "sizes": [], "fonts": {},
                       "text": ""}
        current["x0"], current["x1"] = min(current["x0"], x0), max(current["x1"], x1)
        current["y0"], current["y1"] = min(current["y0"], y0), max(current["y1"], y1)
        current["sizes"].append(round(size, 1))
        font = _font_name(handle, index, buffer) if index % 8 == 0 or not current["fonts"] else None
        if font is not None:
            current["fonts"][font] = current["fonts"].get(font, 0) + 1
        # Lone UTF-16 surrogates and control characters would break the report's UTF-8 output.
        current["text"] += chr(code) if code >= 0x20 and not 0xD800 <= code <= 0xDFFF and code < 0x110000 else "?"
    if current is not None:
        lines.append(current)
    total = raw.FPDFText_CountChars(handle)
    textpage.close()
    out = []
    for line in lines:
        sizes = sorted(line["sizes"])
        font = max(line["fonts"], key=line["fonts"].get) if line["fonts"] else ""
        out.append({"box": [round(line["x0"], 2), round(line["y0"], 2), round(line["x1"], 2), round(line["y1"], 2)],
                    "size": sizes[len(sizes) // 2], "font": font, "chars": len(sizes), "text": line["text"].strip()})
    return out, total


def _objects(page: Any) -> tuple[list[Json], int]:
    """Bounding boxes of top-level images, vector paths and embedded forms (figures) on one page."""
    import pypdfium2.raw as raw

    kinds = {raw.FPDF_PAGEOBJ_IMAGE: "image", raw.FPDF_PAGEOBJ_PATH: "path", raw.FPDF_PAGEOBJ_FORM: "form",
             raw.FPDF_PAGEOBJ_SHADING: "shading"}
    boxes: list[Json] = []
    count = raw.FPDFPage_CountObjects(page.raw)
    for index in range(min(count, MAX_OBJECTS)):
        obj = raw.FPDFPage_GetObject(page.raw, index)
        kind = kinds.get(raw.FPDFPageObj_GetType(obj))
        if kind is None:
            continue
        edges = [ctypes.c_float() for _ in range(4)]
        if not raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in edges)):
            continue
        boxes.append({"kind": kind, "box": [round(v.value, 2) for v in edges]})
    return boxes, count


def analyse(path: Path) -> Json:
    """Every fact the paper checks need about one PDF, as plain JSON."""
    import pypdfium2 as pdfium

    kind = _header_kind(path)
    if kind != "pdf":
        return {"error": "not-pdf", "kind": kind}
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return {"error": "password", "detail": str(exc)}
        return {"error": "corrupt", "detail": str(exc)}
    page_count = len(document)
    if page_count == 0:
        return {"error": "corrupt", "detail": "the document has no pages"}
    detail = sorted(set(range(min(page_count, DETAIL_HEAD))) | set(range(max(0, page_count - DETAIL_TAIL), page_count)))
    pages: list[Json] = []
    for index in detail:
        page = document[index]
        width, height = page.get_size()
        lines, chars = _lines(page)
        objects, object_count = _objects(page)
        pages.append({"number": index + 1, "width": round(width, 2), "height": round(height, 2),
                      "rotation": page.get_rotation(), "lines": lines, "chars": chars, "objects": objects,
                      "object_count": object_count})
        page.close()
    fonts, font_error, encrypted = _fonts(path, detail)
    document.close()
    encryption = "empty-password" if encrypted else "none"
    return {"error": None, "page_count": page_count, "encryption": encryption, "pages": pages, "fonts": fonts,
            "font_error": font_error}


def render(path: Path, out_dir: Path, marks: dict[str, list[list[float]]], width_px: int = 600) -> list[str]:
    """Write page-N.png thumbnails of every page, with red rectangles at `marks[str(page)]` (PDF points)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(min(len(document), 40)):
        page = document[index]
        width, height = page.get_size()
        scale = width_px / max(width, 1.0)
        pixels = page.render(scale=scale).to_numpy()[:, :, :3][:, :, ::-1].copy()  # BGR(x) -> RGB
        for box in marks.get(str(index + 1), []):
            _draw_box(pixels, [v * scale for v in box], height * scale)
        name = f"page-{index + 1}.png"
        (out_dir / name).write_bytes(_png(pixels))
        written.append(name)
        page.close()
    document.close()
    return written


def _draw_box(pixels: Any, box: list[float], page_height: float, thickness: int = 3) -> None:
    rows, cols = pixels.shape[:2]
    x0, x1 = max(0, int(box[0])), min(cols - 1, int(box[2]))
    y0, y1 = max(0, int(page_height - box[3])), min(rows - 1, int(page_height - box[1]))
    if x1 <= x0 or y1 <= y0:
        return
    red = (220, 0, 0)
    pixels[y0:y0 + thickness, x0:x1] = red
    pixels[y1 - thickness:y1, x0:x1] = red
    pixels[y0:y1, x0:x0 + thickness] = red
    pixels[y0:y1, x1 - thickness:x1] = red


def _png(pixels: Any) -> bytes:
    """A minimal RGB PNG encoder (no Pillow needed)."""
    import struct

    rows, cols = pixels.shape[:2]
    raw_rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(rows))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", cols, rows, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw_rows, 6)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def ink(path: Path, regions: list[Json]) -> list[list[float] | None]:
    """The box of the visible ink inside each region {"page", "box", "masks"} (None when nothing is drawn
    there). Text inside the mask boxes is left out, so a figure's ink is judged apart from the text lines
    measured on their own."""
    import numpy
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    found: list[list[float] | None] = []
    for region in regions[:MAX_INK_REGIONS]:
        index = int(region["page"]) - 1
        if not 0 <= index < len(document):
            found.append(None)
            continue
        page = document[index]
        width, height = page.get_size()
        left, bottom = max(0.0, float(region["box"][0])), max(0.0, float(region["box"][1]))
        right, top = min(width, float(region["box"][2])), min(height, float(region["box"][3]))
        scale = min(INK_SCALE, (MAX_INK_PIXELS / max(1.0, (right - left) * (top - bottom))) ** 0.5)
        if right - left < 0.5 or top - bottom < 0.5:
            found.append(None)
            page.close()
            continue
        bitmap = page.render(scale=scale, crop=(left, bottom, width - right, height - top), grayscale=True,
                             draw_annots=False)
        pixels = bitmap.to_numpy().reshape(bitmap.height, bitmap.width, -1)[:, :, 0] < INK_THRESHOLD
        for mask in region.get("masks", []):
            x0, x1 = int((float(mask[0]) - left) * scale), int((float(mask[2]) - left) * scale) + 1
            y0, y1 = int((top - float(mask[3])) * scale), int((top - float(mask[1])) * scale) + 1
            pixels[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = False
        rows, cols = numpy.nonzero(pixels.any(axis=1))[0], numpy.nonzero(pixels.any(axis=0))[0]
        if rows.size == 0:
            found.append(None)
        else:
            found.append([round(left + cols[0] / scale, 2), round(top - (rows[-1] + 1) / scale, 2),
                          round(left + (cols[-1] + 1) / scale, 2), round(top - rows[0] / scale, 2)])
        page.close()
    document.close()
    return found


def answer(request: Json) -> Json:
    """One request's answer; any failure becomes an error value for the parent to report."""
    op, path = request.get("op"), Path(str(request.get("path", "")))
    try:
        if op == "analyse":
            return analyse(path)
        if op == "ink":
            return {"ink": ink(path, list(request.get("regions", [])))}
        if op == "render":
            return {"images": render(path, Path(str(request["out"])), dict(request.get("marks", {})))}
        return {"error": "corrupt", "detail": f"unknown request {op!r}"}
    except MemoryError:
        return {"error": "limit", "detail": "reading exhausted the memory limit"}
    except Exception as exc:  # the parent turns this into a finding
        return {"error": "corrupt", "detail": f"{type(exc).__name__}: {exc}"}


def main(argv: list[str]) -> int:
    """Entry point of the child process: `--serve` answers one JSON request per stdin line until EOF;
    `PDF` prints the analysis of one file (for a person debugging the reader)."""
    if argv[:1] != ["--serve"]:
        sys.stdout.write(json.dumps(answer({"op": "analyse", "path": argv[0]})) + "\n")
        return 0
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            request = {}
        sys.stdout.write(json.dumps(answer(request if isinstance(request, dict) else {})) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
