"""A cited PDF page as an image, the quote highlighted where it is printed (pypdfium2 + Pillow).

``citation_pages`` finds, for each citation of a PDF, its page and the quote's boxes (from the
index's ``papers/<doc>.boxes.npy``); ``render_page`` draws that page with the boxes marked.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageShot:
    """Where a citation is printed: the PDF, the page (1-based) and the quote's rectangles on it."""

    pdf: str
    page: int
    rects: tuple[tuple[float, float, float, float], ...]  # x0, y0, x1, y1 in points, origin top-left


def citation_pages(answer, snapshot, root: Path) -> dict[int, PageShot]:
    """{citation n: PageShot} for the citations of PDFs whose file is still there."""
    out: dict[int, PageShot] = {}
    for c in answer.citations:
        try:
            boxes = snapshot.quote_boxes(c.doc_id, c.start, c.end)
            path = Path(snapshot.paper_meta(c.doc_id)["path"])
        except (AttributeError, KeyError):
            continue
        if not boxes:
            continue
        path = path if path.is_absolute() else Path(root) / path
        if not path.is_file():
            continue
        page = boxes[0]["page"]
        rects = tuple((b["x0"], b["y0"], b["x1"], b["y1"]) for b in boxes if b["page"] == page)
        out[c.n] = PageShot(str(path), page, rects)
    return out


@functools.lru_cache(maxsize=32)
def render_page(shot: PageShot, width_px: int = 900) -> bytes:
    """The page as a PNG ``width_px`` wide, each rectangle of the quote filled in translucent yellow."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    doc = pdfium.PdfDocument(shot.pdf)
    try:
        page = doc[shot.page - 1]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGBA")
        page.close()
    finally:
        doc.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in shot.rects:
        box = [x0 * scale - 1, y0 * scale - 1, x1 * scale + 1, y1 * scale + 1]
        draw.rectangle(box, fill=(255, 214, 0, 110), outline=(230, 150, 0, 255), width=2)
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()
