"""A cited PDF page as an image, the quote highlighted where it is printed (pypdfium2 + Pillow).

``citation_pages`` finds, for each citation of a PDF, its page and the quote's boxes (from the
index's ``papers/<doc>.boxes.npy``); ``render_page`` draws that page with the boxes marked, and
``render_band`` the part of it around the quote, so that the highlight is on screen as soon as
the page view opens (a phone included); ``page_html`` is the view itself: the band or the whole
page at a zoom, the whole page scrolled to the quote; every drawing is done in the sandbox worker
under a memory cap (``SISTERQA_PDF_MEMORY_MB``: the settings' ``build.limits.memory_mb``, carried by
each ``PageShot``).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from sisterqa.ingest.sandbox import MEMORY_MB


@dataclass(frozen=True)
class PageShot:
    """Where a citation is printed: the PDF, the page (1-based) and the quote's rectangles on it; and
    the memory cap (MB) it is drawn under."""

    pdf: str
    page: int
    rects: tuple[tuple[float, float, float, float], ...]  # x0, y0, x1, y1 in points, origin top-left
    memory_mb: int = MEMORY_MB  # the settings' build.limits.memory_mb (SISTERQA_PDF_MEMORY_MB)


def citation_pages(answer, snapshot, root: Path, memory_mb: int = MEMORY_MB) -> dict[int, PageShot]:
    """{citation n: PageShot} for the citations of PDFs whose file is still there, each drawn within
    ``memory_mb`` (the settings' ``build.limits.memory_mb``)."""
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
        out[c.n] = PageShot(str(path), page, rects, memory_mb)
    return out


MAX_HEIGHT_FACTOR = 4  # a page is drawn at most 4 × its width tall (a 1 × 14,400-point page stays small)


def _in_worker(func: str, shot: "PageShot", *args, failed):
    """``func`` of this module run in the sandbox worker (``ingest.sandbox``) under its memory cap and
    a deadline: a page that cannot be drawn within them (an image of 100,000 pixels square, forms
    drawing forms) gives ``failed(why)`` instead, and the server is never the process that ran out of
    memory."""
    from sisterqa.ingest import sandbox
    from sisterqa.ingest.errors import BadPaper

    try:
        return sandbox.call(f"sisterqa.app.page_view:{func}", shot, *args, seconds=30, mb=shot.memory_mb,
                            pool="page")
    except sandbox.WorkerDied as e:
        return failed(f"Page {shot.page} could not be drawn: it {e.why} to draw.")
    except (RuntimeError, BadPaper) as e:
        return failed(f"Page {shot.page} could not be drawn ({str(e)[:120]}).")


def _highlighted(shot: PageShot, width_px: int):
    """(the page as a PIL image ``width_px`` wide with the quote marked, points → pixels scale);
    only ever called in the sandbox worker."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    doc = pdfium.PdfDocument(shot.pdf)
    try:
        page = doc[shot.page - 1]
        w, h = max(1.0, page.get_width()), max(1.0, page.get_height())
        scale = min(width_px / w, MAX_HEIGHT_FACTOR * width_px / h)
        image = page.render(scale=scale).to_pil().convert("RGBA")
        page.close()
    finally:
        doc.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in shot.rects:
        box = [x0 * scale - 1, y0 * scale - 1, x1 * scale + 1, y1 * scale + 1]
        draw.rectangle(box, fill=(255, 214, 0, 110), outline=(230, 150, 0, 255), width=2)
    return Image.alpha_composite(image, overlay).convert("RGB"), scale


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


@functools.lru_cache(maxsize=32)
def render_page(shot: PageShot, width_px: int = 900) -> bytes:
    """The page as a PNG ``width_px`` wide, each rectangle of the quote filled in translucent yellow
    (drawn in the sandbox worker)."""
    return _in_worker("draw_page", shot, width_px, failed=lambda why: _notice(why, width_px))


def draw_page(shot: PageShot, width_px: int = 900) -> bytes:
    """``render_page``'s drawing, in the process that calls it (the sandbox worker)."""
    return _png(_highlighted(shot, width_px)[0])


@functools.lru_cache(maxsize=256)
def page_height(shot: PageShot) -> float:
    """The cited page's height in points (read in the sandbox worker; 0 when it cannot be)."""
    return _in_worker("read_page_height", shot, failed=lambda why: 0.0)


def read_page_height(shot: PageShot) -> float:
    """``page_height``'s reading, in the process that calls it (the sandbox worker)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(shot.pdf)
    try:
        page = doc[shot.page - 1]
        height = page.get_height()
        page.close()
        return height
    finally:
        doc.close()


def quote_span(shot: PageShot, page_height: float) -> tuple[float, float]:
    """Where the quote is printed, as (top, bottom) fractions of the page's height."""
    if not shot.rects or not page_height:
        return 0.0, 1.0
    return (max(0.0, min(r[1] for r in shot.rects) / page_height),
            min(1.0, max(r[3] for r in shot.rects) / page_height))


@functools.lru_cache(maxsize=64)
def render_band(shot: PageShot, width_px: int = 2000, above: float = 0.06, below: float = 0.12,
                min_height: float = 0.22) -> tuple[bytes, float, float]:
    """The part of the page around the quote (a little above it, some lines below it; the quote's
    column of a two-column page, so that it reads at the width of a phone): (PNG, top, bottom)
    with top and bottom as fractions of the page's height (drawn in the sandbox worker)."""
    return _in_worker("draw_band", shot, width_px, above, below, min_height,
                      failed=lambda why: (_notice(why, width_px), 0.0, 1.0))


def draw_band(shot: PageShot, width_px: int, above: float, below: float,
              min_height: float) -> tuple[bytes, float, float]:
    """``render_band``'s drawing, in the process that calls it (the sandbox worker)."""
    image, scale = _highlighted(shot, width_px)
    top, bottom = quote_span(shot, image.height / scale)
    a, b = max(0.0, top - above), min(1.0, bottom + below)
    if b - a < min_height:  # a one-line quote: enough of the page around it to read it in context
        b = min(1.0, a + min_height)
        a = max(0.0, b - min_height)
    page_w = image.width / scale
    left = max(0.0, min(r[0] for r in shot.rects) / page_w - 0.04) if shot.rects else 0.0
    right = min(1.0, max(r[2] for r in shot.rects) / page_w + 0.04) if shot.rects else 1.0
    if right - left < 0.4:  # a short quote: its column, not a word
        mid = (left + right) / 2
        left, right = max(0.0, mid - 0.25), min(1.0, mid + 0.25)
    band = image.crop((int(left * image.width), int(a * image.height), int(right * image.width),
                       int(b * image.height)))
    return _png(band), a, b


def page_html(url: str, top: float = 0.0, zoom: int = 100, whole: bool = True, alt: str = "") -> str:
    """The page view: the image at ``zoom`` % of the pane's width in a box that scrolls both ways.

    For the whole page, an invisible mark at the quote's height (``top``, a fraction of the page)
    is the box's only scroll-snap point, so the box opens scrolled to the quote.
    """
    import html

    mark = (f'<span class="sq-snap" style="top: calc({top:.4f} * 100%)"></span>' if whole else "")
    return (f'<div class="sq-pagebox{" sq-whole" if whole else ""}"><div class="sq-pageinner" '
            f'style="width: {int(zoom)}%">{mark}<img src="{html.escape(url, quote=True)}" '
            f'alt="{html.escape(alt, quote=True)}" loading="lazy"></div></div>')


def _notice(text: str, width_px: int) -> bytes:
    """A small PNG with ``text`` on it, in place of a page that could not be drawn."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width_px, 120), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 90:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    for i, ln in enumerate(lines[:5]):
        draw.text((16, 16 + 18 * i), ln, fill=(120, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
