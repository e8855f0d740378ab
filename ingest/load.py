"""Read a paper file (.txt, .md, .pdf) into raw text, page by page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import BadPaper

SUPPORTED = (".txt", ".md", ".pdf")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RawDocument:
    """A file's text before cleaning: one entry per page (page None for text files)."""

    path: Path
    sha256: str
    pages: tuple[tuple[int | None, str], ...]


def sha256_file(path: Path) -> str:
    """Content hash of a file: what incremental ingest compares."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Read ``path`` as a paper, or raise BadPaper saying plainly why not."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise BadPaper(path, f"unsupported file type {suffix or '(none)'}; use .pdf, .txt or .md")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise BadPaper(path, f"cannot be read ({e.strerror or e})") from e
    if size == 0:
        raise BadPaper(path, "is empty")
    if size > max_bytes:
        raise BadPaper(
            path, f"is {size / 1e6:.1f} MB, over the size limit of {max_bytes / 1e6:.1f} MB"
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        pages = _pdf_pages(path, data)
    else:
        pages = ((None, _decode_text(path, data)),)
    if not any(t.strip() for _, t in pages):
        raise BadPaper(path, "contains no text")
    return RawDocument(path=path, sha256=digest, pages=pages)


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


def _detect_decode(path: Path, data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise BadPaper(path, "is not UTF-8 and its text encoding could not be detected")
    return str(best)


def _pdf_pages(path: Path, data: bytes) -> tuple[tuple[int | None, str], ...]:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not data.lstrip()[:1024].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise BadPaper(path, "is not a PDF (no PDF header); is it a text file named .pdf?")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                ok = 0
            if not ok:
                raise BadPaper(path, "is an encrypted PDF; save an unencrypted copy")
        pages = tuple((i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages))
    except BadPaper:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as e:
        raise BadPaper(path, f"is a corrupt PDF ({type(e).__name__}: {e})") from e
    except Exception as e:  # noqa: BLE001 - any other parser failure is still a bad file
        raise BadPaper(path, f"is a PDF that could not be parsed ({type(e).__name__}: {e})") from e
    if not pages:
        raise BadPaper(path, "is a PDF with no pages")
    if not any(t.strip() for _, t in pages):
        raise BadPaper(path, "is a PDF with no extractable text (a scan? run OCR first)")
    return pages
