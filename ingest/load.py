"""Read a paper file (.txt, .md, .pdf) into raw text, page by page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import BadPaper
from .pdfguard import Limits

SUPPORTED = (".txt", ".md", ".pdf")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RawDocument:
    """A file's text: one entry per page (page None for text files); for a PDF, its clean text cut at page starts."""

    path: Path
    sha256: str
    pages: tuple[tuple[int | None, str], ...]
    pdf: object = None  # ingest.pdf.PdfText for a PDF: the text layer with boxes, structure, metadata


def sha256_file(path: Path) -> str:
    """Content hash of a file: what incremental ingest compares."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits = Limits()) -> RawDocument:
    """Read ``path`` as a paper (a PDF under ``limits``), or raise BadPaper saying plainly why not."""
    path = Path(path)
    _check_type(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise BadPaper(path, f"cannot be read ({e.strerror or e})") from e
    _check_size(path, size, max_bytes)  # before reading: an oversized file is never read whole
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadPaper(path, f"cannot be read ({e.strerror or e})") from e
    pdf = None
    if path.suffix.lower() == ".pdf":
        from .pdfguard import read_pdf_bounded

        pdf = read_pdf_bounded(path, data, limits)  # in the sandbox worker, under its memory cap
        pages = tuple(pdf.page_texts)
    else:
        pages = parse_bytes(path, data, max_bytes)
    return RawDocument(path=path, sha256=hashlib.sha256(data).hexdigest(), pages=pages, pdf=pdf)


def parse_bytes(name, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                limits: Limits = Limits()) -> tuple[tuple[int | None, str], ...]:
    """The pages of a paper given as bytes (a PDF under ``limits``), or BadPaper saying why not (ingest
    and uploads share it)."""
    path = Path(name)
    _check_type(path)
    _check_size(path, len(data), max_bytes)
    if path.suffix.lower() == ".pdf":
        from .pdfguard import read_pdf_bounded

        pages = tuple(read_pdf_bounded(path, data, limits).page_texts)
    else:
        pages = ((None, _decode_text(path, data)),)
    if not any(t.strip() for _, t in pages):
        raise BadPaper(path, "contains no text")
    return pages


def _check_type(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise BadPaper(path, f"unsupported file type {suffix or '(none)'}; use .pdf, .txt or .md")


def _check_size(path: Path, size: int, max_bytes: int) -> None:
    if size == 0:
        raise BadPaper(path, "is empty")
    if size > max_bytes:
        raise BadPaper(
            path,
            f"is {_size(size)}, over the size limit of {_size(max_bytes)} "
            "(raise it with SISTERQA_MAX_FILE_MB)",
        )


def _size(n: int) -> str:
    """A size as SISTERQA_MAX_FILE_MB counts it (1 MB = 1024 KB): 52428800 → "50 MB", 2048 → "2 KB"."""
    mb = n / (1024 * 1024)
    if mb >= 0.1:
        return f"{mb:.1f}".removesuffix(".0") + " MB"
    return f"{n / 1024:.1f}".removesuffix(".0") + " KB"


def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        raise BadPaper(path, "is a PDF file with a text-file name; rename it to .pdf")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadPaper(path, "is binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _detect_decode(path, data)
    control = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\n\r\t\f")
    if control > max(5, len(text[:20000]) // 100):
        raise BadPaper(path, "is binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Legacy encodings of Latin-script text; anything else detected is double-checked against cp1252.
_LATIN_ENCODINGS = frozenset(
    "cp1250 cp1252 cp1254 cp1257 latin_1 iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_9 "
    "iso8859_10 iso8859_13 iso8859_14 iso8859_15 iso8859_16 mac_roman mac_latin2 cp850 cp852".split()
)


def _looks_latin(text: str) -> bool:
    """Mostly ASCII, and every other character a Latin letter, a space or punctuation."""
    import unicodedata

    if any(ord(c) < 32 and c not in "\n\r\t\f" for c in text):
        return False
    other = [c for c in text if ord(c) > 127]
    letters = sum(c.isalpha() for c in text)
    if len(other) > max(3, letters // 6):
        return False
    for c in other:
        cat = unicodedata.category(c)
        if cat[0] == "L" and not unicodedata.name(c, "").startswith("LATIN"):
            return False
        if cat[0] not in "LPSZN":
            return False
    return True


def _detect_decode(path: Path, data: bytes) -> str:
    """Decode text that is not UTF-8: charset-normalizer's guess, or cp1252 when that reads better.

    charset-normalizer guesses short Latin texts wrongly (``Besançon`` as Arabic
    or HP Roman-8); papers here are in Latin-script languages, so a guess
    outside the Latin code pages loses to cp1252 whenever cp1252 reads the
    bytes as Latin text.
    """
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = str(best) if best is not None else None
    if guess is not None and best.encoding.startswith("utf"):
        return guess  # UTF-16/32 with a byte-order mark
    if guess is not None and best.encoding in _LATIN_ENCODINGS and _looks_latin(guess):
        return guess
    try:
        latin = data.decode("cp1252")
    except UnicodeDecodeError:
        latin = None
    if latin is not None and _looks_latin(latin):
        return latin
    if guess is None:
        raise BadPaper(
            path, "is not UTF-8 and its text encoding could not be detected; save it as UTF-8"
        )
    return guess
