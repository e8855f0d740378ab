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

Limits, each a one-line reason (``BadPaper``): pages (``max_pages``), seconds
per file (``time_limit_s``), decompressed stream bytes (``max_stream_bytes``).
One page that fails becomes a warning naming it; pages without text are named.
"""

from __future__ import annotations

import os
import re
import statistics
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import BadPaper

MAX_PAGES = 2000  # SISTERQA_MAX_PDF_PAGES
TIME_LIMIT_S = 120.0  # SISTERQA_PDF_TIME_LIMIT_S: seconds per file
MAX_STREAM_MB = 512  # SISTERQA_MAX_PDF_STREAM_MB: all compressed streams, inflated


def limits() -> tuple[int, float, int]:
    """(pages, seconds, inflated stream bytes): the defaults, or the SISTERQA_* variables."""
    return (int(os.environ.get("SISTERQA_MAX_PDF_PAGES", MAX_PAGES)),
            float(os.environ.get("SISTERQA_PDF_TIME_LIMIT_S", TIME_LIMIT_S)),
            int(float(os.environ.get("SISTERQA_MAX_PDF_STREAM_MB", MAX_STREAM_MB)) * 1024 * 1024))

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

    @property
    def text(self) -> str:
        return "".join(c[0] for c in self.chars)


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


# ---------------------------------------------------------------- limits


def check_streams(path, data: bytes, limit: int) -> None:
    """Refuse a PDF whose compressed streams inflate past ``limit`` bytes in total (a decompression bomb)."""
    total = 0
    for m in re.finditer(rb"/FlateDecode", data):
        start = data.find(b"stream", m.end())
        if start < 0:
            break
        start += 6
        if data[start:start + 2] == b"\r\n":
            start += 2
        elif data[start:start + 1] in (b"\n", b"\r"):
            start += 1
        d = zlib.decompressobj()
        chunk = data[start:start + (1 << 16)]
        pos = start
        try:
            while chunk and not d.eof:
                total += len(d.decompress(chunk, max(1, limit - total + 1)))
                while d.unconsumed_tail and total <= limit:
                    total += len(d.decompress(d.unconsumed_tail, max(1, limit - total + 1)))
                if total > limit:
                    break
                pos += len(chunk)
                chunk = data[pos:pos + (1 << 16)]
        except zlib.error:
            continue  # not a plain flate stream here (PDFium decides what it is)
        if total > limit:
            raise BadPaper(
                path, f"has compressed streams that inflate past {limit // (1024 * 1024)} MB "
                "(a decompression bomb?); raise SISTERQA_MAX_PDF_STREAM_MB if it is genuine")


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
                    chars.append("\ufffd" if 0xD800 <= u <= 0xDFFF else chr(u))
            text = "".join(chars)
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
                lines.append(Line(number, list(cur), min(c[1] for c in xs), min(c[2] for c in xs),
                                  max(c[3] for c in xs), max(c[4] for c in xs),
                                  statistics.median(sizes) if sizes else 0.0, False))
                starts.append(first_index[0])
            cur.clear()
            sizes.clear()

        first_index = [0]
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
            line.bold = weight >= 600 or b"bold" in name.lower() or b"black" in name.lower()
        has_images = False
        if not lines:
            has_images = any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
        return lines, has_images
    finally:
        tp.close()


# ---------------------------------------------------------------- page furniture


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def _mark_margins(pages: list[list[Line]], heights: list[float], body: float) -> None:
    """Running heads, footers and page numbers: lines in the margins that recur, bare numbers there,
    and a page's first line when it is small type set apart at the very top."""
    seen: Counter = Counter()
    for lines, h in zip(pages, heights):
        keys = set()
        for ln in lines:
            if ln.top < 0.12 * h or ln.bottom > 0.9 * h:
                keys.add((_mask(ln.text), ln.top < 0.12 * h))
        seen.update(keys)
    for lines, h in zip(pages, heights):
        for ln in lines:
            zone = ln.top < 0.12 * h or ln.bottom > 0.9 * h
            if not zone:
                continue
            text = ln.text.strip()
            if _PAGE_NUMBER.match(text) or (len(pages) > 1 and seen[(_mask(text), ln.top < 0.12 * h)] >= 2):
                ln.kind = "margin"
        body_lines = [ln for ln in lines if ln.kind == "body"]
        if len(body_lines) > 1:
            first, second = body_lines[0], body_lines[1]
            if first.top < 0.08 * h and first.size < body - 0.4 and second.top - first.bottom > 1.5 * body:
                first.kind = "margin"


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
            if ln.kind != "body":
                continue
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


def _assemble(pages: list[list[Line]], body: float, vocab: Counter):
    w = _Writer()
    page_starts: list[tuple[int, int]] = []
    headings: list[tuple[int, int]] = []
    para: list[Line] = []
    pending_notes: list[list[Line]] = []

    def emit_paragraph():
        nonlocal para
        if not para:
            return
        if w.len:
            w.add("\n\n")
        if page_starts and page_starts[-1][1] != para[0].page or not page_starts:
            page_starts.append((w.len, para[0].page))
        for k, ln in enumerate(para):
            chars = list(ln.chars)
            if k:
                prev_text = para[k - 1].text
                lw = prev_text.split()[-1] if prev_text.split() else ""
                rw = ln.text.split()[0] if ln.text.split() else ""
                if lw[-1:] in HYPHENS and len(lw) > 1:
                    if _join_hyphen(lw, rw, vocab):
                        pass  # the hyphen was held back; the word goes on
                    else:
                        w.add("-", held_box[0])
                else:
                    w.add(" ")
                if page_starts[-1][1] != ln.page:
                    page_starts.append((w.len, ln.page))
            last_word = ln.text.split()[-1] if ln.text.split() else ""
            held_box[0] = (0, 0, 0, 0, 0)
            if k + 1 < len(para) and last_word[-1:] in HYPHENS and len(last_word) > 1:
                c = chars.pop()
                held_box[0] = (ln.page, c[1], c[2], c[3], c[4])
            w.add_chars(chars, ln.page)
        para = []
        notes = pending_notes[:]
        pending_notes.clear()
        for group in notes:
            emit_block(group, "footnote")

    held_box = [(0, 0, 0, 0, 0)]

    def emit_block(lines: list[Line], kind: str):
        nonlocal para
        saved, para = para, list(lines)
        if kind == "heading":
            if w.len:
                w.add("\n\n")
            page_starts.append((w.len, lines[0].page))
            headings.append((w.len, round(lines[0].size * 2) / 2))  # levels follow, from the sizes
            for k, ln in enumerate(lines):
                if k:
                    w.add(" ")
                w.add_chars(ln.chars, ln.page)
            para = saved
            return
        emit_paragraph()
        para = saved

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
                    emit_block(heading_run, "heading")
                    heading_run = []
                heading_run.append(ln)
                continue
            if heading_run:
                emit_paragraph()
                emit_block(heading_run, "heading")
                heading_run = []
            if para:
                prev = para[-1]
                new_para = False
                same_column = prev.page == ln.page and ln.top > prev.top and abs(ln.x0 - prev.x0) < body * 8
                if same_column:
                    if ln.top - prev.top > lead * 1.3 or abs(ln.size - prev.size) > 0.7:
                        new_para = True
                    elif ln.x0 - prev.x0 > body * 0.8 and prev.x1 < _col_right(para, col_right, edges) - body * 2:
                        new_para = True  # an indented first line after a short one
                # a short last line closes its paragraph (justified text fills its lines; a loose line
                # before a long word falls short by a little, a paragraph's last line mostly by more)
                right = _col_right(para, col_right, edges)
                left = min((x0 for x0, _ in edges.get(prev.page, ()) if abs(x0 - prev.x0) < 40), default=prev.x0)
                filled = (prev.x1 - left) / max(1.0, right - left)
                ends = prev.text.rstrip()[-1:] in ".!?:;\"”)"
                if same_column and ends and filled < 0.75:
                    new_para = True
                if not same_column and ends and prev.x1 < right - body * 3:
                    new_para = True  # a short line before a column or page break ends its paragraph
                if new_para:
                    emit_paragraph()
            para.append(ln)
        if heading_run:
            emit_paragraph()
            emit_block(heading_run, "heading")
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
                emit_block(group, "footnote")
    emit_paragraph()
    notes, pending_notes[:] = pending_notes[:], []
    for group in notes:
        emit_block(group, "footnote")
    text = "".join(w.parts)
    boxes = np.asarray(w.boxes, dtype=np.float32).reshape(-1, 5)
    return text, boxes, page_starts, headings


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


def _clean_name(s: str) -> str:
    s = re.sub(r"[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰^{}()]+", " ", s)
    return re.sub(r"\s+", " ", s).strip(" ,;")


def _front_matter(first: list[Line], heading_texts: set[str], repeated: set[str], body: float):
    """(title, authors) from the first page: the largest type near the top, and the lines under it."""
    cands = [ln for ln in first if ln.kind in ("body", "heading") and sum(c.isalpha() for c in ln.text) >= 3]
    if not cands:
        return "", ()

    def generic(t: str) -> bool:
        k, n = _mask(t).rstrip(":"), len(t.split())
        # a section heading (Abstract, Introduction) or a running head (a journal's name), not a title
        return n <= 1 or (k in heading_texts and n <= 4) or (k in repeated and n <= 6)

    sizes = sorted({round(ln.size, 1) for ln in cands}, reverse=True)
    for size in sizes:
        if size < body + 0.7 and size != sizes[0]:
            break
        group = [i for i, ln in enumerate(cands) if abs(ln.size - size) < 0.3]
        run = [group[0]]
        for i in group[1:]:
            if i == run[-1] + 1:
                run.append(i)
            else:
                break
        title = " ".join(cands[i].text.strip() for i in run)
        if generic(title) or len(title) > 300:
            continue
        if title.isupper():
            title = title.title()
        authors: tuple[str, ...] = ()
        nxt = run[-1] + 1
        if nxt < len(cands):
            ln = cands[nxt]
            t = ln.text.strip()
            if not ln.bold and len(t) < 200 and not re.search(r"@|https?:|\d{4}|universit", t, re.I):
                parts = re.split(r",|;|\band\b|\bdan\b|&", t)
                names = [_clean_name(p) for p in parts]
                names = [n for n in names if 1 <= len(n.split()) <= 5 and n[:1].isupper()]
                authors = tuple(names)
        return title, authors
    return "", ()


def _year(first: list[Line]) -> int | None:
    for ln in first:
        m = _YEAR_LINE.search(ln.text)
        if m:
            return int(m.group(1))
    return None


# ---------------------------------------------------------------- the reader


def read_pdf(path, data: bytes, max_pages: int | None = None, time_limit_s: float | None = None,
             max_stream_bytes: int | None = None) -> PdfText:
    """Read a PDF's bytes into ``PdfText``, or raise BadPaper with a one-line reason.

    Limits left None come from ``limits()``.
    """
    import pypdfium2 as pdfium

    env_pages, env_time, env_stream = limits()
    max_pages = env_pages if max_pages is None else max_pages
    time_limit_s = env_time if time_limit_s is None else time_limit_s
    max_stream_bytes = env_stream if max_stream_bytes is None else max_stream_bytes
    path = Path(path)
    if b"%PDF-" not in data[:1024]:
        raise BadPaper(path, "is not a PDF (no PDF header); is it a text file named .pdf?")
    check_streams(path, data, max_stream_bytes)
    started = time.monotonic()
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
            raise BadPaper(path, "is a PDF with no pages")
        if count > max_pages:
            raise BadPaper(path, f"has {count} pages, over the limit of {max_pages} "
                           "(raise it with SISTERQA_MAX_PDF_PAGES)")
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
        raise BadPaper(path, "has no extractable text (a scanned PDF without a text layer? run OCR on it first)")
    body = _body_size(pages)
    _mark_margins(pages, heights, body)
    body = _body_size(pages)
    body_bold = _bold_share(pages, body) > 0.5
    _mark_kinds(pages, body, body_bold, heights)
    vocab = _vocabulary(pages)
    text, boxes, page_starts, headings = _assemble(pages, body, vocab)
    heading_texts = {_mask(text[o:text.find("\n", o) if text.find("\n", o) >= 0 else len(text)])
                     for o, _ in headings[1:]}
    heading_texts |= {_mask(ln.text) for lines in pages[1:] for ln in lines if ln.kind == "heading"}
    repeated = {_mask(ln.text) for lines in pages for ln in lines if ln.kind == "margin"}
    title, authors = _front_matter(pages[0], heading_texts, repeated, body)
    headings = _levels(text, headings, title)
    if meta_title and not _BAD_META_TITLE.search(meta_title) and len(meta_title) >= 4:
        title = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", meta_title))
    return PdfText(
        text=text, boxes=boxes, pages=page_starts, headings=headings, page_count=count,
        page_texts=_page_texts(text, page_starts),
        title=title, authors=authors, year=_year(pages[0]), metadata_title=meta_title, warnings=warnings,
    )


def _levels(text: str, headings: list[tuple[int, float]], title: str) -> list[tuple[int, int]]:
    """(offset, level) of the headings from their sizes: the largest size of two or more headings is
    level 1 when there are several such sizes, else all are level 2 (sections.find_sections still makes ALL-CAPS and the usual top
    words, Abstract, Introduction …, level 1). The title block on page one is not a section."""
    def line(o: int) -> str:
        end = text.find("\n", o)
        return text[o:end if end >= 0 else len(text)]

    if headings and title and headings[0][0] == 0 and line(0).strip() == title.strip():
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
