"""Read a PDF's text layer as the paper prints it (the one module that reads PDFs).

pypdfium2 (PDFium, Apache-2.0/BSD-3) gives every character with its box; this
module turns them into clean, cited-ready text:

- **lines** from the characters in content order (a new line where the
  baseline moves or the text jumps back left), **words spaced as printed**:
  PDFium adds a space where a gap separates two words, and a gap wider than a
  fifth of the font size with no space character gets one here too;
- **running heads, footers and page numbers dropped**: lines in the top or
  bottom margin whose text (digits masked) recurs on other pages, and bare
  page numbers there;
- **paragraphs** from vertical gaps, short last lines and font changes; lines
  of a paragraph joined with a space, across columns and pages;
- **line-end hyphens rejoined** when the joined word is the more plausible
  one: it occurs elsewhere in the document, or the second part starts in
  lower case and the hyphenated form occurs nowhere else; "Jung-Gu",
  "Magelang-Tula" and "masing-masing" keep their hyphens;
- **ligatures** (ﬁ, ﬂ, …) expanded by NFKC, odd spaces made plain spaces,
  zero-width and control characters dropped;
- **footnotes** (small type below the body at a page's foot) kept apart, as
  their own paragraph after the paragraph they interrupt;
- **headings** (bold or larger than the body, short) as their own lines, with
  a level by size; **title, authors, year** from the first page's layout and
  the PDF's metadata.

Every character of the text keeps its box (page, x0, top, x1, bottom in PDF
points, origin top-left; page 0 for spaces and breaks this module made), so a
citation can be shown where it is printed.

Limits, each a one-line reason (``BadPaper``), kept in ``ingest.pdfguard`` (``Limits``: the
settings' or the defaults, passed in as ``limits``): pages (``max_pages``), seconds per file
(``time_limit_s``), inflated stream bytes across every filter layer and spelling
(``max_stream_bytes``), characters on a page and in a file (checked as each page's characters are
counted, before any is read). Characters that are not valid text are dropped and
counted. One page that fails becomes a warning naming it; pages without text are named; a PDF none of
whose pages loads is named by what is wrong with its page tree.
"""

from __future__ import annotations

import re
import statistics
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .blocks import (CAPTION_LOOSE, KINDS, code_score, finish_blocks, front_kind, is_author_list, is_body_start,
                     is_caption, is_code, is_equation, is_figure_text, is_keywords, list_marker, numeric_run,
                     numeric_share, word_share)
from . import pdfguard
from .errors import BadPaper
from .pdfguard import MAX_PAGES, MAX_STREAM_MB, TIME_LIMIT_S, check_streams  # noqa: F401


HYPHENS = "-\u00ad\u2010\ufffe\u0002"
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                            "\u2009\u200a\u202f\u205f\u3000\t"), " ")
_DROP = set("\u200b\u200c\u200d\u2060\ufeff\r\n") | {chr(c) for c in range(32) if c != 9}
_PAGE_NUMBER = re.compile(r"^(?:page\s+|halaman\s+|p\.\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of|dari)\s*\d{1,4})?$", re.I)
_YEAR_LINE = re.compile(r"(?:©|\(c\)|copyright|published|accepted|received|diterima|vol\.?|volume)\D{0,40}((?:19|20)\d{2})", re.I)
_BAD_META_TITLE = re.compile(r"(?:^microsoft\s|\.(?:docx?|tex|dvi|pdf|rtf|odt|indd)\b|^untitled\b|^title$|^\s*$|^[\w\-]+\.\w{2,4}$)", re.I)


@dataclass
class Line:
    page: int
    chars: list  # [(char, x0, top, x1, bottom)] in print order
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool
    kind: str = "body"  # body, heading, footnote, margin
    cls: str = "prose"  # what the line is (ingest.blocks.KINDS): prose, code, figure, table, equation, caption …
    region: str = ""  # "figure" or "table" when the line lies in a figure's drawing or a ruled table
    mono: float = 0.0  # share of its characters set in a monospaced font
    math: float = 0.0  # share set in a mathematical font (CMMI, CMSY, …)
    wide_gaps: int = 0  # gaps between characters wider than 1.5 em (table cells)
    idx: list = field(default_factory=list, repr=False)  # text-page indices of its characters
    _text: str | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        t = self._text
        if t is None or len(t) != len(self.chars):
            t = self._text = "".join(c[0] for c in self.chars)
        return t


@dataclass
class PdfText:
    """A PDF read into clean text; ``boxes[i]`` is where ``text[i]`` is printed."""

    text: str
    boxes: np.ndarray  # float32 (len(text), 5): page, x0, top, x1, bottom
    pages: list[tuple[int, int]]  # (start offset, page number)
    headings: list[tuple[int, int]]  # (offset of a heading line, level 1-3)
    page_count: int
    page_texts: list[tuple[int, str]]  # (page, text) pieces of ``text`` in order
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    metadata_title: str = ""
    warnings: list[str] = field(default_factory=list)
    blocks: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, kind): ingest.blocks


# ---------------------------------------------------------------- characters → lines


def _page_lines(page, number: int) -> tuple[list[Line], bool]:
    """The printed lines of one page, in content order; and whether the page has images."""
    import ctypes

    import pypdfium2.raw as raw

    height = page.get_height()
    tp = page.get_textpage()
    try:
        n = raw.FPDFText_CountChars(tp.raw)
        text = tp.get_text_range(0, n) if n > 0 else ""
        if len(text) != n:  # characters outside the BMP: fall back to one call a character
            # PDFium gives such a character as two indices holding a surrogate pair (same box):
            # the pair becomes the character at the first index, the second index is dropped.
            units = [raw.FPDFText_GetUnicode(tp.raw, i) for i in range(n)]
            chars = []
            for i, u in enumerate(units):
                if 0xDC00 <= u <= 0xDFFF and i and 0xD800 <= units[i - 1] <= 0xDBFF:
                    chars.append("\u200b")  # in _DROP: skipped below, indices stay aligned
                elif 0xD800 <= u <= 0xDBFF and i + 1 < n and 0xDC00 <= units[i + 1] <= 0xDFFF:
                    chars.append(chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00)))
                else:
                    chars.append(chr(u))  # a lone surrogate: made valid (and counted) by pdfguard below
            text = "".join(chars)
        text = pdfguard.page_text(text, number)  # the page and file budgets, checked before any is read
        rect = raw.FS_RECTF()
        lines: list[Line] = []
        cur: list = []
        sizes: list[float] = []
        last = None  # (x1, top, bottom, size)
        starts: list[int] = []

        def flush():
            if cur and any(c[0] != " " for c in cur):
                while cur and cur[-1][0] == " ":
                    cur.pop()
                while cur and cur[0][0] == " ":
                    cur.pop(0)
                xs = [c for c in cur if c[0] != " "]
                size = statistics.median(sizes) if sizes else 0.0
                lines.append(Line(number, list(cur), min(c[1] for c in xs), min(c[2] for c in xs),
                                  max(c[3] for c in xs), max(c[4] for c in xs), size, False,
                                  wide_gaps=_wide_gaps(xs, size), idx=list(cur_idx)))
                starts.append(first_index[0])
            cur.clear()
            sizes.clear()
            cur_idx.clear()

        first_index = [0]
        cur_idx: list[int] = []
        for i, ch in enumerate(text):
            if ch in "\r\n":
                continue
            if ch in _DROP:
                continue
            raw.FPDFText_GetLooseCharBox(tp.raw, i, rect)
            x0, x1 = rect.left, rect.right
            top, bottom = height - rect.top, height - rect.bottom
            generated = ch == " " and (x1 - x0) <= 0.01
            if ch.isspace() or ch in _SPACES:
                ch = " "
            if ch == " ":
                if cur and cur[-1][0] != " ":
                    cur.append((" ", x0, top, x1, bottom) if not generated else (" ", 0, 0, 0, 0))
                continue
            size = raw.FPDFText_GetFontSize(tp.raw, i)
            if last is not None:
                lx1, ltop, lbottom, lsize = last
                mid, lmid = (top + bottom) / 2, (ltop + lbottom) / 2
                tol = max(size, lsize) * 0.5
                if abs(mid - lmid) > tol or x0 < lx1 - max(size, lsize) * 1.5:
                    flush()
                elif x0 - lx1 > 0.2 * max(size, lsize) and cur and cur[-1][0] != " ":
                    cur.append((" ", 0, 0, 0, 0))  # a gap without a space character
            if not cur:
                first_index[0] = i
            if "\ufb00" <= ch <= "\ufb06" or unicodedata.category(ch) == "Cf" or ord(ch) >= 0xFFF0:
                if ch == "\ufffe":
                    ch = "-"  # PDFium marks a line-end hyphen so
                else:
                    ch = unicodedata.normalize("NFKC", ch)
            for c in ch:
                cur.append((c, x0, top, x1, bottom))
            cur_idx.append(i)
            sizes.append(size)
            last = (x1, top, bottom, size)
        flush()
        buf = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        for line, i in zip(lines, starts):
            j = min(n - 1, i + 1)
            weight = raw.FPDFText_GetFontWeight(tp.raw, j)
            name = b""
            if raw.FPDFText_GetFontInfo(tp.raw, j, buf, 128, ctypes.byref(flags)) > 0:
                name = buf.value
            line.bold = weight >= 600 or bool(_BOLD_FONT.search(name.split(b"+", 1)[-1]))
        _line_fonts(tp, lines)
        has_images = False
        if not lines:
            has_images = any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
        else:
            _mark_regions(lines, _regions(page, height))
        return lines, has_images
    finally:
        tp.close()


def _wide_gaps(xs: list, size: float) -> int:
    """Gaps between a line's words that are much wider than its usual word gap (over 1.5 em and 2.5 times
    the median gap): table cells. A line whose every gap is over 3 em (one-word cells) counts them all."""
    gaps = [b[1] - a[3] for a, b in zip(xs, xs[1:])]
    words = [g for g in gaps if g > 0.15 * size]
    if len(words) < 2:
        return 0
    med = statistics.median(words)
    if med > 3 * size:
        return len(words)
    return sum(g > 1.5 * size and g > 2.5 * med for g in words)


# ---------------------------------------------------------------- fonts and drawings

# Monospaced and mathematical fonts by name (the PDF's FixedPitch flag counts too): TeX's typewriter
# (cmtt, lmmono, sftt, txtt, pcr) and the usual system monospaced faces; TeX's and OpenType's math fonts.
_MONO_FONT = re.compile(rb"mono|courier|cmtt|sftt|tctt|lmtt|txtt|pcr[a-z]?\d|typewriter|consol|menlo|inconsolata|"
                        rb"fixed|lucidaconsole|beramono|zi4|nimbusmon|letter ?gothic|andale|source ?code|fira ?code",
                        re.I)
_MATH_FONT = re.compile(rb"cmmi|cmsy|cmex|cmbsy|cmmib|msam|msbm|eufm|eusm|eurm|rsfs|lmmath|latinmodernmath|"
                        rb"stixmath|stix-?math|stixgeneral|xits|cambria ?math|mtmi|mtsy|txmi|txsy|txex|pxmi|pxsy|"
                        rb"pxex|esint|wasy|(?:^|[+-])symbol(?:mt)?$|math", re.I)
_FONT_SAMPLES = 10  # characters per line whose font is looked up
# Bold faces by name, TeX's among them (cmbx, cm-super's SFBX, EC's ecbx, URW's -Medi …), whose weight
# PDFium often reports wrongly
_BOLD_FONT = re.compile(rb"bold|black|heavy|demi|semibd|-medi|medium|^(?:cmbx|cmssbx|cmb\d|cmbsy|sfbx|sfbi|sfbo|sfsx|"
                        rb"ecbx|ecbi|ecsx|tcbx|ptmb|phvb|pplb|pagd|pbkd|pncb|ec-lmbx|rm-lmbx)", re.I)


def _line_fonts(tp, lines: list[Line]) -> None:
    """Each line's shares of monospaced and mathematical characters, from a sample of its characters."""
    import ctypes

    import pypdfium2.raw as raw

    buf = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    cache: dict[tuple[bytes, int], tuple[bool, bool]] = {}
    for ln in lines:
        idx = ln.idx
        if not idx:
            continue
        step = max(1, len(idx) // _FONT_SAMPLES)
        sample = idx[::step][:_FONT_SAMPLES + 1]
        mono = math = 0
        for i in sample:
            name = b""
            if raw.FPDFText_GetFontInfo(tp.raw, i, buf, 256, ctypes.byref(flags)) > 0:
                name = buf.value
            key = (name, flags.value)
            kinds = cache.get(key)
            if kinds is None:
                base = name.split(b"+", 1)[-1]  # a subset's tag: ABCDEF+CMTT10
                kinds = cache[key] = (bool(flags.value & 1) or bool(_MONO_FONT.search(base)),
                                      bool(_MATH_FONT.search(base)))
            mono += kinds[0]
            math += kinds[1]
        ln.mono, ln.math = mono / len(sample), math / len(sample)
        ln.idx = []  # not needed any more


def _regions(page, height: float) -> list[tuple[str, float, float, float, float]]:
    """Where the page draws a figure or rules a table: ("figure" | "table", x0, top, x1, bottom).

    Images and embedded forms (an included PDF figure) are figures, unless they cover most of the
    page (a background); drawings (paths) are grouped by nearness: a group of several shapes is a
    figure (a plot's axes, curves, bars), a group of thin horizontal and vertical rules a ruled table,
    three or more horizontal rules of one width a booktabs-style table."""
    import ctypes

    import pypdfium2.raw as raw

    width = page.get_width()
    area = width * height
    n = raw.FPDFPage_CountObjects(page.raw)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    figures: list[list[float]] = []
    shapes: list[tuple[float, float, float, float, bool, bool]] = []  # x0, top, x1, bottom, rule, horizontal
    for k in range(n):
        obj = raw.FPDFPage_GetObject(page.raw, k)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            continue
        if not raw.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right),
                                         ctypes.byref(top)):
            continue
        x0, x1, t, b = left.value, right.value, height - top.value, height - bottom.value
        w, h = x1 - x0, b - t
        if w <= 0 and h <= 0 or w * h > 0.6 * area:
            continue  # nothing, or a page background
        if kind in (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_SHADING):
            if w >= 20 and h >= 20:
                figures.append([x0, t, x1, b])
            continue
        if kind == raw.FPDF_PAGEOBJ_PATH:
            rule = h < 2.0 or w < 2.0
            shapes.append((x0, t, x1, b, rule, h < 2.0 and w >= h))
    pad = 12.0  # a figure's tick labels, axis labels and legend lie just outside its drawn lines
    figures = [[x0 - pad, t - pad, x1 + pad, b + pad] for x0, t, x1, b in figures]
    out = [("figure", *f) for f in figures]
    if len(shapes) > 800:
        shapes = shapes[:800]  # a page of hatching: enough to see the groups
    for group in _groups(shapes, 6.0):
        xs0, ts, xs1, bs = (min(s[0] for s in group), min(s[1] for s in group), max(s[2] for s in group),
                            max(s[3] for s in group))
        if xs1 - xs0 < 30 or bs - ts < 20:
            continue
        solid = [s for s in group if not s[4]]
        hor = [s for s in group if s[4] and s[5]]
        ver = [s for s in group if s[4] and not s[5]]
        if len(solid) >= 2 or (len(solid) == 1 and len(group) >= 6):
            out.append(("figure", xs0 - pad, ts - pad, xs1 + pad, bs + pad))
        elif len(hor) >= 2 and len(ver) >= 2 and len(group) >= 6:
            out.append(("table", xs0, ts, xs1, bs))
        elif len(group) >= 8 and len(ver) >= 4:
            out.append(("figure", xs0 - pad, ts - pad, xs1 + pad, bs + pad))  # axes and tick marks
    # booktabs: three or more horizontal rules of about one width, one above the other
    rules = sorted((s for s in shapes if s[4] and s[5] and s[2] - s[0] > 40), key=lambda s: (round(s[0]), s[1]))
    i = 0
    while i < len(rules):
        j = i + 1
        while j < len(rules) and abs(rules[j][0] - rules[i][0]) < 3 and abs(rules[j][2] - rules[i][2]) < 3 \
                and rules[j][1] - rules[j - 1][1] < 250:
            j += 1
        if j - i >= 3:
            out.append(("table", rules[i][0], rules[i][1], rules[i][2], rules[j - 1][3]))
        i = j
    return out


def _groups(boxes: list[tuple], gap: float) -> list[list[tuple]]:
    """Boxes grouped by nearness (within ``gap`` points), by union-find over a sweep in x."""
    n = len(boxes)
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    order = sorted(range(n), key=lambda k: boxes[k][0])
    active: list[int] = []
    for k in order:
        x0, t, x1, b = boxes[k][:4]
        active = [m for m in active if boxes[m][2] + gap >= x0]
        for m in active:
            if boxes[m][1] - gap <= b and t <= boxes[m][3] + gap:
                ra, rb = find(k), find(m)
                if ra != rb:
                    parent[ra] = rb
        active.append(k)
    groups: dict[int, list[tuple]] = {}
    for k in range(n):
        groups.setdefault(find(k), []).append(boxes[k])
    return list(groups.values())


def _mark_regions(lines: list[Line], regions: list[tuple]) -> None:
    """A line whose middle lies in a figure's or a ruled table's area is marked with it."""
    for ln in lines:
        cx, cy = (ln.x0 + ln.x1) / 2, (ln.top + ln.bottom) / 2
        for kind, x0, t, x1, b in regions:
            if x0 - 2 <= cx <= x1 + 2 and t - 2 <= cy <= b + 2:
                if ln.region != "table":  # a table drawn inside a figure's frame stays a table
                    ln.region = kind
                if kind == "table":
                    break


# ---------------------------------------------------------------- page furniture


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def _placed(ln: Line) -> tuple:
    """A line's text (digits masked) and where it is printed, to the nearest 4 points."""
    return _mask(ln.text), round(ln.x0 / 4), round(ln.top / 4)


def _mark_margins(pages: list[list[Line]], heights: list[float], body: float) -> None:
    """Running heads, footers and page numbers: lines in the margins that recur, bare numbers there,
    and a page's first line when it is small type set apart at the very top."""
    seen: Counter = Counter()  # (text with digits masked, top zone, size): a running head recurs as it is
    placed: Counter = Counter()
    for lines in pages:
        placed.update({_placed(ln) for ln in lines if len(ln.text) >= 8})
    for lines, h in zip(pages, heights):
        keys = set()
        for ln in lines:
            if ln.top < 0.12 * h or ln.bottom > 0.9 * h:
                keys.add((_mask(ln.text), ln.top < 0.12 * h, round(ln.size)))
        seen.update(keys)
    for lines, h in zip(pages, heights):
        for ln in lines:
            zone = ln.top < 0.12 * h or ln.bottom > 0.9 * h
            if not zone or ln.region:
                continue  # (a figure's tick labels near the page's edge are not page furniture)
            text = ln.text.strip()
            if _PAGE_NUMBER.match(text) or (len(pages) > 1 and seen[(_mask(text), ln.top < 0.12 * h,
                                                                     round(ln.size))] >= 2):
                ln.kind = "margin"
        if len(pages) >= 3:  # a watermark or stamp printed at one place on most pages
            for ln in lines:
                if ln.kind == "body" and not ln.region and placed[_placed(ln)] >= max(3, 0.6 * len(pages)):
                    ln.kind = "margin"
        body_lines = [ln for ln in lines if ln.kind == "body"]
        if len(body_lines) > 1:
            first, second = body_lines[0], body_lines[1]
            if first.top < 0.08 * h and first.size < body - 0.4 and second.top - first.bottom > 1.5 * body:
                first.kind = "margin"


# ---------------------------------------------------------------- what each line is

_DOT_LEADER = re.compile(r"(?:\.\s?){5,}\s*\S{0,6}$|…{2,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _classify(pages: list[list[Line]], body: float) -> None:
    """Each body or heading line's ``cls`` (ingest.blocks.KINDS) from its fonts, its place (a figure's
    or a table's area), its gaps and its text; a heading line that is code, a table row or figure text
    is not a heading."""
    for p, lines in enumerate(pages):
        front = p == 0  # the first page's title block, until the abstract or the first section
        widest = max((ln.x1 - ln.x0 for ln in lines if ln.kind == "body"), default=0.0)
        full_run = 0
        for ln in lines:
            if ln.kind not in ("body", "heading"):
                continue
            t = ln.text.strip()
            words = t.split()
            cls = "prose"
            if ln.mono >= 0.6 and any(c.isalnum() for c in t) and not _inline_code_in_prose(ln, t, words):
                cls = "code"  # typewriter type: listings and program output
            elif ln.region == "table":
                cls = "caption" if is_caption(t) else "table"
            elif ln.region == "figure" and (len(words) <= 8 or word_share(t) < 0.6 or numeric_share(t) >= 0.4):
                cls = "caption" if is_caption(t) else "figure"
            elif (ln.math >= 0.4 and word_share(t) < 0.8) or is_equation(t) and len(words) <= 20:
                cls = "equation"
            elif _DOT_LEADER.search(t):
                cls = "other"  # a table of contents' line
            elif is_caption(t) or CAPTION_LOOSE.match(t) and (ln.bold or not _ends(ln)) and len(words) <= 40:
                cls = "caption"
            elif code_score(t) >= 4 or (ln.mono >= 0.3 or ln.x1 - ln.x0 < 0.8 * widest) and is_code(t):
                cls = "code"  # (by its text alone only when it is not a full line of a paragraph)
            elif front and (front_kind(t) or is_author_list(t) or is_keywords(t)):
                cls = "title"
            elif ln.wide_gaps >= 2 and len(words) >= 3 or (ln.wide_gaps >= 1 and numeric_share(t) >= 0.3):
                cls = "table"
            elif is_figure_text(t) and len(words) >= 4 and (numeric_share(t) >= 0.75 or numeric_run(t) >= 3):
                cls = "table"
            elif list_marker(t):
                cls = "list"
            elif _EMAIL.search(t) and len(words) <= 8:
                cls = "title"
            ln.cls = cls
            if ln.kind == "heading" and cls in ("code", "table", "figure", "equation", "other", "caption"):
                ln.kind = "body"  # (a caption's bold label "Figure 5:" does not make it a heading)
            if front:
                if is_body_start(t) or t[:8].lower().startswith(("abstract", "abstrak")):
                    front = False
                full_run = full_run + 1 if widest and ln.x1 - ln.x0 >= 0.85 * widest else 0
                if full_run >= 3:
                    front = False  # three full lines: a paragraph of the body has begun
        # a listing set in roman type: a run of short lines one under the other, at one left edge, half of
        # which end in ";" (or "{", "}") or carry code by their text, is code as a whole
        seq = [ln for ln in lines if ln.kind in ("body", "heading")]
        i = 0
        while i < len(seq):
            j = i + 1
            while j < len(seq) and abs(seq[j].x0 - seq[i].x0) < 12 and 0 < seq[j].top - seq[j - 1].top <= 1.8 * seq[j].size \
                    and seq[j].x1 - seq[j].x0 < 0.85 * widest and seq[j].page == seq[i].page:
                j += 1
            run = seq[i:j]
            if len(run) >= 2 and seq[i].x1 - seq[i].x0 < 0.85 * widest:
                codey = sum(ln.cls == "code" or re.search(r"[;{}]\s*$|:=", ln.text) is not None or code_score(ln.text) >= 2
                            for ln in run)
                if codey * 2 >= len(run) and codey >= 2:
                    for ln in run:
                        if ln.cls in ("prose", "equation", "list", "other"):
                            ln.cls = "code"
                        if ln.kind == "heading":
                            ln.kind = "body"
            i = j
        # a short line between two lines of code, close above and below, is code too (a listing set in
        # roman with bold keywords: "draw plot xtickscale(plotB)(z5, z6,")
        for a, ln, b in zip(seq, seq[1:], seq[2:]):
            if a.cls == "code" and b.cls == "code" and ln.cls in ("prose", "equation", "list") \
                    and ln.x1 - ln.x0 < 0.8 * widest and 0 < ln.top - a.top <= 2 * ln.size \
                    and 0 < b.top - ln.top <= 2 * ln.size:
                ln.cls = "code"
                if ln.kind == "heading":
                    ln.kind = "body"


def _inline_code_in_prose(ln: Line, t: str, words: list[str]) -> bool:
    """A line of a paragraph with a few words in typewriter type ("black, white, red, green, and blue.
    However, cus-"): part of it is roman, it reads as words and carries no sign of code."""
    return ln.mono < 0.9 and len(words) >= 6 and word_share(t) >= 0.8 and code_score(t) < 2 and not is_code(t)


# ---------------------------------------------------------------- lines → paragraphs


def _body_size(pages: list[list[Line]]) -> float:
    c: Counter = Counter()
    for lines in pages:
        for ln in lines:
            if ln.kind == "body":
                c[round(ln.size * 2) / 2] += len(ln.chars)
    return c.most_common(1)[0][0] if c else 10.0


def _text_sizes(pages: list[list[Line]]) -> set[float]:
    """Font sizes that set much of the text (prose and code alike): not heading sizes."""
    c: Counter = Counter()
    for lines in pages:
        for ln in lines:
            if ln.kind == "body":
                c[round(ln.size * 2) / 2] += len(ln.chars)
    top = max(c.values(), default=0)
    return {size for size, n in c.items() if n >= 0.2 * top}


def _mark_kinds(pages: list[list[Line]], body: float, body_bold: bool, heights: list[float]) -> None:
    text_sizes = _text_sizes(pages)
    for lines, h in zip(pages, heights):
        body_bottom = max((ln.bottom for ln in lines if ln.kind == "body" and abs(ln.size - body) < 0.6),
                          default=0.0)
        for ln in lines:
            if ln.kind != "body" or ln.region:
                continue  # text inside a figure or a ruled table is neither a footnote nor a heading
            words = ln.text.split()
            if ln.size < body * 0.88 and ln.top >= body_bottom - 0.5 and ln.top > 0.5 * h:
                ln.kind = "footnote"
            elif sum(c.isalpha() for c in ln.text) >= 2 and (
                (len(words) <= 18 and ln.size > body + 0.7 and round(ln.size * 2) / 2 not in text_sizes)
                or (len(words) <= 12 and ln.bold and not body_bold)
            ):
                ln.kind = "heading"


def _vocabulary(pages: list[list[Line]]) -> Counter:
    """Words as printed inside lines (not at a line end), for judging line-end hyphens."""
    vocab: Counter = Counter()
    for lines in pages:
        for ln in lines:
            ws = ln.text.split()
            for w in ws[:-1] if ws and ws[-1][-1:] in HYPHENS else ws:
                w = w.strip(".,;:!?()[]\"'“”‘’").lower()
                if w:
                    vocab[w] += 1
    return vocab


def _join_hyphen(left_word: str, right_word: str, vocab: Counter) -> bool:
    """Should ``left-`` at a line end and ``right`` at the next line's start become one word?"""
    left = re.sub(r"^\W+", "", left_word[:-1]).lower()
    right = re.sub(r"\W+$", "", right_word)
    if not left or not right or not left[-1:].isalpha() or not right[:1].isalpha():
        return False
    if right[:1].isupper():
        return False  # Jung-Gu, Magelang-Tula
    if right.lower().startswith(left.rsplit("-", 1)[-1]) and len(left) > 1:
        return False  # masing-masing, negara-negara
    joined, hyphened = left + right.lower(), f"{left}-{right.lower()}"
    if vocab[joined]:
        return True
    if vocab[hyphened]:
        return False
    part = left.rsplit("-", 1)[-1]
    if vocab[part] and vocab[right.lower()] and len(part) >= 3:
        return False  # two words of their own: a compound split at its hyphen (six-month, ill-equipped)
    return True


class _Writer:
    """Accumulates text and the box of every character."""

    def __init__(self):
        self.parts: list[str] = []
        self.boxes: list[tuple] = []
        self.len = 0

    def add(self, s: str, box=(0, 0, 0, 0, 0)):
        self.parts.append(s)
        self.boxes.extend([box] * len(s))
        self.len += len(s)

    def add_chars(self, chars, page: int):
        for c, x0, top, x1, bottom in chars:
            self.parts.append(c)
            self.boxes.append((page, x0, top, x1, bottom) if x1 > x0 else (0, 0, 0, 0, 0))
        self.len += len(chars)


_FLOATS = frozenset({"figure", "table", "caption"})  # set aside when they land inside a sentence
_AS_LINES = frozenset({"code", "table", "figure"})  # kept line by line ("\n"), no hyphens rejoined
_PROSE_LIKE = frozenset({"prose", "list", "caption", "title"})


def _ends(line: Line) -> bool:
    """Whether a line ends a sentence (or a clause a list goes on from): its last character before any
    closing quotes and brackets is . ! ? : or ; ("Cerdas,”" goes on)."""
    return line.text.rstrip().rstrip("\"”’')]").rstrip()[-1:] in ".!?:;…"


def _assemble(pages: list[list[Line]], body: float, vocab: Counter):
    """The text, its boxes, page starts, headings and blocks (start, end, kind) from the classified lines.

    Paragraphs break where a line's kind changes (prose to code, to a table …). A figure, table or
    caption met inside a sentence (a float between two halves of a paragraph) is set aside and written
    after the paragraph, whose sentence goes on across it, as across a column or a page."""
    w = _Writer()
    page_starts: list[tuple[int, int]] = []
    headings: list[tuple[int, int]] = []
    blocks: list[tuple[int, int, str]] = []
    para: list[Line] = []
    para_kind = "prose"
    pending_notes: list[list[Line]] = []
    floats: list[Line] = []  # float lines met inside a paragraph that has not ended its sentence
    held_box = [(0, 0, 0, 0, 0)]

    def write_lines(lines: list[Line], kind: str):
        if w.len:
            w.add("\n\n")
        if page_starts and page_starts[-1][1] != lines[0].page or not page_starts:
            page_starts.append((w.len, lines[0].page))
        start = w.len
        as_lines = kind in _AS_LINES
        for k, ln in enumerate(lines):
            chars = list(ln.chars)
            if k:
                prev_text = lines[k - 1].text
                lw = prev_text.split()[-1] if prev_text.split() else ""
                rw = ln.text.split()[0] if ln.text.split() else ""
                if not as_lines and lw[-1:] in HYPHENS and len(lw) > 1:
                    if _join_hyphen(lw, rw, vocab):
                        pass  # the hyphen was held back; the word goes on
                    else:
                        w.add("-", held_box[0])
                else:
                    w.add("\n" if as_lines else " ")
                if page_starts[-1][1] != ln.page:
                    page_starts.append((w.len, ln.page))
            last_word = ln.text.split()[-1] if ln.text.split() else ""
            held_box[0] = (0, 0, 0, 0, 0)
            if not as_lines and k + 1 < len(lines) and last_word[-1:] in HYPHENS and len(last_word) > 1:
                c = chars.pop()
                held_box[0] = (ln.page, c[1], c[2], c[3], c[4])
            w.add_chars(chars, ln.page)
        blocks.append((start, w.len, kind))

    def flush_floats():
        lines = floats[:]
        floats.clear()
        group: list[Line] = []
        for ln in lines:
            if group and (ln.cls != group[-1].cls and not (ln.cls == "prose" and group[0].cls == "caption")
                          or ln.page != group[-1].page
                          or ln.top - max(g.bottom for g in group) > body * 2.5
                          or min(g.top for g in group) - ln.bottom > body * 2.5):
                write_lines(group, group[0].cls if group[0].cls in _FLOATS else "other")
                group = []
            group.append(ln)
        if group:
            write_lines(group, group[0].cls if group[0].cls in _FLOATS else "other")

    def emit_paragraph():
        nonlocal para
        if para:
            write_lines(para, para_kind)
        para = []
        notes = pending_notes[:]
        pending_notes.clear()
        for group in notes:
            write_lines(group, "footnote")
        if floats:
            flush_floats()

    def emit_heading(lines: list[Line]):
        if w.len:
            w.add("\n\n")
        page_starts.append((w.len, lines[0].page))
        headings.append((w.len, round(lines[0].size * 2) / 2))  # levels follow, from the sizes
        start = w.len
        for k, ln in enumerate(lines):
            if k:
                w.add(" ")
            w.add_chars(ln.chars, ln.page)
        blocks.append((start, w.len, "heading"))

    edges: dict[int, list[tuple[float, float]]] = {}  # page → (x0, x1) of its body lines
    for lines in pages:
        for ln in lines:
            if ln.kind == "body":
                edges.setdefault(ln.page, []).append((ln.x0, ln.x1))
    for p, lines in enumerate(pages):
        body_lines = [ln for ln in lines if ln.kind in ("body", "heading")]
        notes = [ln for ln in lines if ln.kind == "footnote"]
        gaps = [b.top - a.top for a, b in zip(body_lines, body_lines[1:])
                if a.kind == b.kind == "body" and 0 < b.top - a.top < body * 3]
        lead = statistics.median(gaps) if gaps else body * 1.25
        col_right = max((ln.x1 for ln in body_lines if ln.kind == "body"), default=0.0)
        heading_run: list[Line] = []
        body_lines = _demote_long_heading_runs(body_lines)
        for ln in body_lines:
            if ln.kind == "heading":
                if heading_run and (ln.top - heading_run[-1].top > ln.size * 2 or ln.top < heading_run[-1].top):
                    emit_paragraph()
                    emit_heading(heading_run)
                    heading_run = []
                heading_run.append(ln)
                continue
            if heading_run:
                emit_paragraph()
                emit_heading(heading_run)
                heading_run = []
            cls = ln.cls
            if para and cls == "code" and para_kind == "prose" and not _ends(para[-1]) \
                    and _display_in_sentence(body_lines, ln):
                cls = "prose"  # "… include the line / input sarith / and then use …": one sentence
            if para:
                prev = para[-1]
                if cls in _FLOATS and para_kind == "prose" and not _ends(prev):
                    floats.append(ln)  # a float inside a sentence: written after the paragraph
                    continue
                new_para = False
                same_column = prev.page == ln.page and ln.top > prev.top and abs(ln.x0 - prev.x0) < body * 8
                right = _col_right(para, col_right, edges)
                if floats and cls == "prose" and not _ends(prev):
                    pass  # the sentence goes on after the float, as after a column break
                elif para_kind in _PROSE_LIKE and cls in _PROSE_LIKE:
                    if same_column:
                        if ln.top - prev.top > lead * 1.3 or abs(ln.size - prev.size) > 0.7:
                            new_para = True
                        elif ln.x0 - prev.x0 > body * 0.8 and prev.x1 < right - body * 2:
                            new_para = True  # an indented first line after a short one
                    # a short last line closes its paragraph (justified text fills its lines; a loose line
                    # before a long word falls short by a little, a paragraph's last line mostly by more)
                    left = min((x0 for x0, _ in edges.get(prev.page, ()) if abs(x0 - prev.x0) < 40),
                               default=prev.x0)
                    filled = (prev.x1 - left) / max(1.0, right - left)
                    ends = _ends(prev)
                    if same_column and ends and filled < 0.75:
                        new_para = True
                    if not same_column and ends and prev.x1 < right - body * 3:
                        new_para = True  # a short line before a column or page break ends its paragraph
                    if cls in ("caption", "list") and not new_para and not (
                            cls == "list" and (ends or _bullet(ln) or para_kind == "list"
                                               and abs(ln.x0 - para[0].x0) < 2)
                            or ln.x0 - prev.x0 > body * 0.8):
                        cls = "prose"  # "Table 2." or "2." at a line's start inside a sentence
                    elif cls in ("caption", "list") or cls != para_kind and not (
                            cls == "prose" and para_kind in ("caption", "list")):
                        new_para = True
                elif cls != para_kind:
                    new_para = True
                elif not same_column and para_kind not in _AS_LINES:
                    new_para = True
                elif same_column and ln.top - prev.bottom > lead * 1.6:
                    new_para = True  # a blank line inside code or between two tables
                if new_para:
                    emit_paragraph()
            if not para:
                para_kind = cls if cls in KINDS else "prose"
            para.append(ln)
        if heading_run:
            emit_paragraph()
            emit_heading(heading_run)
        if notes:
            groups: list[list[Line]] = [[notes[0]]]
            for ln in notes[1:]:
                starts_note = re.match(r"^[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹]", ln.text)
                if starts_note:
                    groups.append([ln])
                else:
                    groups[-1].append(ln)
            pending_notes.extend(groups)
        if not para:
            notes, pending_notes[:] = pending_notes[:], []
            for group in notes:
                write_lines(group, "footnote")
            if floats:
                flush_floats()
    emit_paragraph()
    notes, pending_notes[:] = pending_notes[:], []
    for group in notes:
        write_lines(group, "footnote")
    text = "".join(w.parts)
    boxes = np.asarray(w.boxes, dtype=np.float32).reshape(-1, 5)
    return text, boxes, page_starts, headings, blocks


def _display_in_sentence(lines: list[Line], ln: Line) -> bool:
    """A one-line code display that a sentence runs through: the next body line on its page is prose
    (or a float) that goes on in lower case ("and then use binary operators …")."""
    k = next((i for i, x in enumerate(lines) if x is ln), None)
    if k is None or len(ln.text.split()) > 8:
        return False
    for nxt in lines[k + 1:]:
        if nxt.cls in _FLOATS:
            continue
        first = nxt.text.lstrip()[:1]
        return nxt.cls == "prose" and nxt.kind == "body" and first.islower()
    return False


def _bullet(ln: Line) -> bool:
    """A list item's line opened by a bullet sign (not a number or a letter)."""
    return bool(re.match(r"^\s*[•◦▪▫‣⁃●○■□►▸➢✓∗·]\s", ln.text))  # (a dash may open a wrapped line)


def _demote_long_heading_runs(lines: list[Line]) -> list[Line]:
    """More than three heading lines in a row are a paragraph in larger or bold type, not a heading."""
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].kind == "heading" and (j == i or (
                abs(lines[j].size - lines[i].size) < 0.3
                and 0 < lines[j].top - lines[j - 1].top <= lines[j].size * 2)):
            j += 1
        if j - i > 3:
            for ln in lines[i:j]:
                ln.kind = "body"
        i = max(j, i + 1)
    return lines


def _col_right(para: list[Line], page_right: float, edges: dict) -> float:
    """The right edge of the column the paragraph's last line sits in (its page's longest lines there)."""
    last = para[-1]
    right = [x1 for x0, x1 in edges.get(last.page, ()) if abs(x0 - last.x0) < 40]
    return max(right) if right else page_right


# ---------------------------------------------------------------- title, authors, year


_SPACING_ACCENTS = {"´": "\u0301", "`": "\u0300", "¨": "\u0308", "ˆ": "\u0302", "˜": "\u0303", "¸": "\u0327",
                    "ˇ": "\u030c", "˘": "\u0306", "¯": "\u0304", "˚": "\u030a"}


def compose_accents(s: str) -> str:
    """TeX's accents printed apart ("S´ebastien", "B´ezier") set on their letters ("Sébastien"); control
    characters (a footnote mark's stray code) dropped."""
    s = re.sub("([" + "".join(_SPACING_ACCENTS) + r"])([^\W\d_])", lambda m: m.group(2) + _SPACING_ACCENTS[m.group(1)], s)
    s = "".join(c for c in s if unicodedata.category(c) != "Cc")
    return unicodedata.normalize("NFC", s)


def _clean_name(s: str) -> str:
    s = re.sub(r"[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰^{}()]+", " ", compose_accents(s))
    return re.sub(r"\s+", " ", s).strip(" ,;")


_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to up via vs with within without between among "
    "over under upon versus dan di ke dari dalam dengan antara untuk pada yang atau sebagai terhadap oleh bagi "
    "tentang melalui serta akan".split())
_ROMAN = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$", re.I)


def title_case(title: str) -> str:
    """A title set in capitals, in title case: small words (English and Indonesian function words) in
    lower case except first and after a colon, Roman numerals kept, each part of a hyphenated word
    capitalised ("MAGELANG CITY-TULA CITY" → "Magelang City-Tula City")."""
    words = title.split()
    out = []
    for i, w in enumerate(words):
        core = re.sub(r"^\W+|\W+$", "", w)
        after_colon = i > 0 and words[i - 1].endswith((":", "—", "–"))
        if i > 0 and not after_colon and core.lower() in _SMALL_WORDS and not re.match(r"^\W", w):
            out.append(w.lower())
        elif core and _ROMAN.match(core) and len(core) <= 4 and core.lower() not in ("mix", "dim", "mid", "did", "civil"):
            out.append(w.upper())
        else:
            out.append(re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), w))
    return " ".join(out)


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.85 * len(letters)


def _front_matter(first: list[Line], heading_texts: set[str], repeated: set[str], body: float):
    """(title, authors) from the first page: the largest type near the top, and the lines under it; or,
    in a journal template that sets the title in the body's size, the first run of capitals or bold
    lines at the top of the title block when names follow it."""
    cands = [ln for ln in first if ln.kind in ("body", "heading") and sum(c.isalpha() for c in ln.text) >= 3]
    if not cands:
        return "", ()

    def generic(t: str) -> bool:
        k, n = _mask(t).rstrip(":"), len(t.split())
        # a section heading (Abstract, Introduction) or a running head (a journal's name), not a title
        return n <= 1 or (k in heading_texts and n <= 4) or (k in repeated and n <= 6)

    def names_after(k: int) -> tuple[str, ...]:
        """The authors on the line(s) after cands[k]: one line as it always was, more while they are
        lists of names (a narrow column wraps them)."""
        nxt = k + 1
        if nxt >= len(cands):
            return ()
        ln = cands[nxt]
        t = ln.text.strip()
        if ln.bold or len(t) >= 200 or re.search(r"@|https?:|\d{4}|universit", t, re.I) or is_body_start(t):
            return ()
        lines = [t]
        while nxt + 1 < len(cands) and is_author_list(cands[nxt + 1].text) and is_author_list(" ".join(lines)) \
                and abs(cands[nxt + 1].size - ln.size) < 0.3 \
                and 0 < cands[nxt + 1].top - cands[nxt].top <= 1.8 * cands[nxt].size \
                and not front_kind(cands[nxt + 1].text):
            nxt += 1
            lines.append(cands[nxt].text.strip())
        parts = re.split(r",|;|\band\b|\bdan\b|&", " ".join(lines))
        names = [_clean_name(p) for p in parts]
        return tuple(n for n in names if 1 <= len(n.split()) <= 5 and n[:1].isupper())

    # the title block ends at the abstract, the keywords or the first section
    end = next((i for i, ln in enumerate(cands) if i and (is_body_start(ln.text) or is_keywords(ln.text))),
               len(cands))
    front = cands[:end]
    styled = None  # the first run of capitals or bold lines (≥ 3 words) followed by names or an affiliation
    for i, ln in enumerate(front):
        t = ln.text.strip()
        if generic(t) or front_kind(t) or is_author_list(t):
            continue
        if not (_caps(t) or ln.bold):
            break
        run = [i]
        while run[-1] + 1 < len(front) and abs(front[run[-1] + 1].size - ln.size) < 0.3 \
                and (_caps(front[run[-1] + 1].text) == _caps(t)) and front[run[-1] + 1].bold == ln.bold \
                and 0 < front[run[-1] + 1].top - front[run[-1]].top <= 1.8 * ln.size:
            run.append(run[-1] + 1)
        title = " ".join(front[k].text.strip() for k in run)
        after = front[run[-1] + 1].text if run[-1] + 1 < len(front) else ""
        if len(title.split()) >= 3 and len(title) <= 300 and (is_author_list(after) or front_kind(after)):
            styled = (run[0], title, names_after(cands.index(front[run[-1]])))
        break

    pool = front if front else cands
    sizes = sorted({round(ln.size, 1) for ln in pool}, reverse=True)
    for size in sizes:
        if size < body + 0.7 and size != sizes[0]:
            break
        group = [i for i, ln in enumerate(cands) if abs(ln.size - size) < 0.3 and ln in pool]
        run = [group[0]]
        for i in group[1:]:
            if i == run[-1] + 1:
                run.append(i)
            else:
                break
        # names set in the title's type under it: the title ends before them
        def set_apart(k: int) -> bool:  # more space above the line than between the title's lines
            gap = cands[run[k]].top - cands[run[k - 1]].top
            inner = cands[run[1]].top - cands[run[0]].top if k >= 2 else 1.25 * cands[run[0]].size
            return gap > 1.3 * inner

        cut = next((k for k in range(1, len(run)) if is_author_list(cands[run[k]].text)
                    and not is_author_list(cands[run[k - 1]].text) and set_apart(k)), None)
        if cut is not None:
            run = run[:cut]
        title = " ".join(cands[i].text.strip() for i in run)
        if generic(title) or len(title) > 300:
            continue
        if styled is not None and (size < body + 0.7 or styled[0] < run[0]):
            break  # a title block in the body's size comes first; larger type after it is the body's
        if title.isupper():
            title = title_case(title)
        return title, names_after(run[-1])
    if styled is not None:
        title = styled[1]
        return (title_case(title) if _caps(title) else title), styled[2]
    return "", ()


_YEAR_WORDS = [  # (pattern, priority): the year a paper was published, before the year it was received
    (r"published(?: online)?|available online|dipublikasikan|diterbitkan|terbit", 4),
    (r"accepted|disetujui|©|\(c\)|copyright", 3),
    (r"vol\.?|volume", 2),
    (r"received|revised|submitted|diterima|direvisi", 1),
]
_YEAR_AFTER = re.compile(r"(?:" + "|".join(f"(?P<w{k}>{p})" for k, (p, _) in enumerate(_YEAR_WORDS)) +
                         r")[^\n]{0,40}?\b((?:19|20)\d{2})\b", re.I)


def _year(first: list[Line]) -> int | None:
    """The year from the first page: a "Published/Accepted/©" line before a volume line, before a
    "Received" line."""
    best = None
    for ln in first:
        for m in _YEAR_AFTER.finditer(ln.text):
            k = next(int(g[1:]) for g, v in m.groupdict().items() if v)
            score = _YEAR_WORDS[k][1]
            if best is None or score > best[0]:
                best = (score, int(m.group(m.lastindex)))
    return best[1] if best else None


# ---------------------------------------------------------------- the reader


def read_pdf(path, data: bytes, max_pages: int | None = None, time_limit_s: float | None = None,
             max_stream_bytes: int | None = None, limits: pdfguard.Limits = pdfguard.Limits()) -> PdfText:
    """Read a PDF's bytes into ``PdfText``, or raise BadPaper with a one-line reason.

    ``limits``: the settings' reading limits (default: the built-in ones); ``max_pages``,
    ``time_limit_s`` and ``max_stream_bytes``, when given, override theirs.
    """
    import pypdfium2 as pdfium

    max_pages = limits.pages if max_pages is None else max_pages
    time_limit_s = limits.seconds if time_limit_s is None else time_limit_s
    max_stream_bytes = limits.stream_bytes if max_stream_bytes is None else max_stream_bytes
    path = Path(path)
    if b"%PDF-" not in data[:1024]:
        raise BadPaper(path, "is not a PDF (no PDF header); is it a text file named .pdf?")
    started = time.monotonic()
    check_streams(path, data, max_stream_bytes, time_limit_s, limits.page_chars)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise BadPaper(path, "is an encrypted PDF; save an unencrypted copy") from e
        raise BadPaper(path, f"is a corrupt PDF ({msg})") from e
    try:
        count = len(doc)
        if count == 0:
            raise BadPaper(path, pdfguard.page_tree_problem(data) or "is a PDF with no pages")
        if count > max_pages:
            raise BadPaper(path, f"has {count} pages, over the limit of {max_pages} "
                           "(raise it with SISTERQA_MAX_PDF_PAGES)")
        budget = pdfguard.start(path, replace(limits, seconds=time_limit_s), count, started)
        try:
            meta_title = (doc.get_metadata_value("Title") or "").strip()
        except Exception:  # noqa: BLE001 - damaged metadata is simply absent
            meta_title = ""
        warnings: list[str] = []
        pages: list[list[Line]] = []
        heights: list[float] = []
        empty: list[int] = []
        for i in range(count):
            if time.monotonic() - started > time_limit_s:
                raise BadPaper(path, f"took over {time_limit_s:g} s to read (stopped at page {i + 1} of "
                               f"{count}; raise SISTERQA_PDF_TIME_LIMIT_S)")
            try:
                page = doc[i]
                try:
                    lines, images = _page_lines(page, i + 1)
                    heights.append(page.get_height())
                finally:
                    page.close()
            except BadPaper:
                raise
            except Exception as e:  # noqa: BLE001 - one bad page must not lose the paper
                warnings.append(f"page {i + 1} could not be read ({type(e).__name__}: {e}); skipped")
                budget.unreadable += 1
                lines = []
                heights.append(842.0)
                images = False
            if not lines:
                empty.append(i + 1)
                if images:
                    warnings.append(f"page {i + 1} has no text layer (a scanned page? run OCR on it)")
            pages.append(lines)
    finally:
        doc.close()
    if not any(pages):
        raise BadPaper(path, pdfguard.no_text_reason(data, count, budget.unreadable, warnings))
    body = _body_size(pages)
    _mark_margins(pages, heights, body)
    body = _body_size(pages)
    body_bold = _bold_share(pages, body) > 0.5
    _mark_kinds(pages, body, body_bold, heights)
    _classify(pages, body)
    vocab = _vocabulary(pages)
    text, boxes, page_starts, headings, blocks = _assemble(pages, body, vocab)
    heading_texts = {_mask(text[o:text.find("\n", o) if text.find("\n", o) >= 0 else len(text)])
                     for o, _ in headings[1:]}
    heading_texts |= {_mask(ln.text) for lines in pages[1:] for ln in lines if ln.kind == "heading"}
    repeated = {_mask(ln.text) for lines in pages for ln in lines if ln.kind == "margin"}
    title, authors = _front_matter(pages[0], heading_texts, repeated, body)
    headings = _levels(text, headings, title)
    title = compose_accents(title)
    page_title = title
    if meta_title and not _BAD_META_TITLE.search(meta_title) and len(meta_title) >= 4:
        title = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", meta_title))
    second = next((o for o, n in page_starts if n > (page_starts[0][1] if page_starts else 1)), None)
    blocks = finish_blocks(text, blocks, title=page_title or title, first_page_end=second)
    return PdfText(
        text=text, boxes=boxes, pages=page_starts, headings=headings, page_count=count,
        page_texts=_page_texts(text, page_starts),
        title=title, authors=authors, year=_year(pages[0]), metadata_title=meta_title,
        warnings=warnings + budget.warnings(), blocks=blocks,
    )


def _levels(text: str, headings: list[tuple[int, float]], title: str) -> list[tuple[int, int]]:
    """(offset, level) of the headings from their sizes: the largest size of two or more headings is
    level 1 when there are several such sizes, else all are level 2 (sections.find_sections still makes ALL-CAPS and the usual top
    words, Abstract, Introduction …, level 1). The title block on page one is not a section."""
    def line(o: int) -> str:
        end = text.find("\n", o)
        return text[o:end if end >= 0 else len(text)]

    if headings and title and headings[0][0] == 0 and line(0).strip().casefold() == title.strip().casefold():
        headings = headings[1:]
    # a size only one heading has (an authors line under the title, say) sets no level
    counts = Counter(size for _, size in headings)
    sizes = sorted((size for size, n in counts.items() if n >= 2), reverse=True)
    if len(sizes) <= 1:
        return [(o, 2) for o, _ in headings]
    return [(o, 1 + min(sizes.index(size), 2) if size in sizes else 2) for o, size in headings]


def _page_texts(text: str, starts: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """The clean text cut at its page starts, in text order: [(page, text)]. Each cut moves on to the
    next space, so a word rejoined over a page break stays whole; the pieces joined give the text."""
    cuts = []
    for a, page in starts:
        while 0 < a < len(text) and not text[a - 1].isspace():
            a += 1
        cuts.append((a, page))
    out = []
    for (a, page), (b, _) in zip(cuts, cuts[1:] + [(len(text), 0)]):
        if b > a:
            out.append((page, text[a:b]))
    if cuts and cuts[0][0] > 0:
        out.insert(0, (cuts[0][1], text[:cuts[0][0]]))
    return out


def _bold_share(pages: list[list[Line]], body: float) -> float:
    total = bold = 0
    for lines in pages:
        for ln in lines:
            if ln.kind == "body" and abs(ln.size - body) < 0.6:
                total += len(ln.chars)
                bold += len(ln.chars) if ln.bold else 0
    return bold / total if total else 0.0


def quote_rects(boxes: np.ndarray, start: int, end: int) -> list[dict]:
    """The rectangles where ``text[start:end]`` is printed: one per line run (page, x0, y0, x1, y1)."""
    seg = boxes[max(0, start):max(0, end)]
    seg = seg[seg[:, 0] > 0]
    rects: list[dict] = []
    for page, x0, top, x1, bottom in seg.tolist():
        r = rects[-1] if rects else None
        if r and r["page"] == int(page) and abs(top - r["y0"]) < (bottom - top) * 0.5 and x0 >= r["x0"] - 1:
            r["x1"] = max(r["x1"], x1)
            r["y1"] = max(r["y1"], bottom)
            r["y0"] = min(r["y0"], top)
        else:
            rects.append({"page": int(page), "x0": x0, "y0": top, "x1": x1, "y1": bottom})
    return [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in rects]
