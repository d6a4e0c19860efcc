"""Hand-built PDFs for inputs pdflatex cannot make: a page with a huge number of vector drawing objects."""

from __future__ import annotations

import zlib


def vector_figure_pdf(rectangles: int) -> bytes:
    """A one-page PDF whose content stream draws `rectangles` tiny filled squares (a huge vector figure)."""
    ops = b"".join(b"%d %d 1 1 re f\n" % (i % 500, (i // 500) % 700) for i in range(rectangles))
    stream = zlib.compress(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
