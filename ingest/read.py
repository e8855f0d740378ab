"""Turn a corpus file into a cleaned ``Paper``: load → clean → sections."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .blocks import text_blocks, with_headings
from .clean import clean_page
from .errors import BadPaper
from .language import detect_language
from .load import DEFAULT_MAX_BYTES, load
from .paper import Paper
from .pdfguard import Limits, check_paper_chars
from .validtext import dropped_warning, valid, valid_text
from .sections import find_sections, is_top_heading

METADATA_FILE = "metadata.json"
# Bibliographic fields a metadata.json entry may add (the kind of paper, its school or institution,
# DOI, URL): carried into the index as they are, for references and BibTeX (app/references.py).
BIB_FIELDS = ("type", "institution", "doi", "url")


def doc_id_for(path: Path) -> str:
    """A readable, stable id from the file name: ``Semarang Jung-Gu.pdf`` → ``semarang-jung-gu``."""
    stem = Path(path).stem.lower()
    slug = re.sub(r"[^\w]+", "-", stem, flags=re.UNICODE).strip("-_")
    return slug or "paper"


def read_metadata(corpus_dir: Path) -> dict[str, dict]:
    """The corpus metadata file (file name → title, authors, year, language, venue)."""
    f = Path(corpus_dir) / METADATA_FILE
    if not f.exists():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadPaper(f, f"metadata file is not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise BadPaper(f, "metadata file must map file names to objects")
    return data


def _valid_meta(meta: dict) -> dict:
    """metadata.json's values as valid text (JSON can spell a lone surrogate: ``"\\ud800"``)."""
    out = dict(meta)
    for k in ("title", "venue", "language"):
        if isinstance(out.get(k), str):
            out[k] = valid(out[k])
    if isinstance(out.get("authors"), (list, tuple)):
        out["authors"] = [valid(a) for a in out["authors"] if isinstance(a, str)]
    return out


def _guess_title(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip()
        if 3 <= len(line) <= 250 and sum(c.isalpha() for c in line) >= 3:
            return line.title() if line.isupper() else line
    return ""


def read_paper(
    path: Path,
    meta: dict | None = None,
    root: Path | None = None,
    doc_id: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits = Limits(),
) -> Paper:
    """Read and clean one paper under ``limits`` (the settings' reading limits; default the built-in
    ones). ``meta`` overrides what is guessed from the text."""
    path = Path(path)
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise BadPaper(path, "has a file name that is not valid UTF-8; rename it") from None
    raw = load(path, max_bytes=max_bytes, limits=limits)
    meta = _valid_meta(meta or {})
    if raw.pdf is not None:
        return _pdf_paper(path, raw, meta, root, doc_id)
    parts: list[str] = []
    dropped = 0
    pages: list[tuple[int, int]] = []
    md_headings: list[tuple[int, int]] = []
    offset = 0
    for number, page_text in raw.pages:
        page_text, bad = valid_text(page_text)  # no lone surrogates, private-use or unassigned characters
        dropped += bad
        cleaned, heads = clean_page(page_text)
        if number is not None:
            pages.append((offset, number))
        md_headings.extend((offset + o, lvl) for o, lvl in heads)
        parts.append(cleaned)
        offset += len(cleaned) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise BadPaper(path, "contains no text after cleaning")
    check_paper_chars(path, len(text), limits)
    rel = os.path.relpath(path.resolve(), (root or Path.cwd()).resolve())
    year = meta.get("year")
    sections = tuple(find_sections(text, md_headings))
    title = meta.get("title") or _guess_title(text) or path.stem
    blocks = text_blocks(text, {o for o, _ in sections}, markdown=path.suffix.lower() == ".md",
                         title=title)
    return Paper(
        doc_id=doc_id or doc_id_for(path),
        path=rel if not rel.startswith("..") else str(path.resolve()),
        title=title,
        authors=tuple(meta.get("authors") or ()),
        year=int(year) if isinstance(year, (int, str)) and str(year).isdigit() else None,
        language=meta.get("language") or detect_language(text),
        sha256=raw.sha256,
        text=text,
        sections=sections,
        pages=tuple(pages),
        venue=meta.get("venue"),
        blocks=tuple(blocks),
        warnings=(dropped_warning(dropped),) if dropped else (),
    )


def _pdf_paper(path: Path, raw, meta: dict, root: Path | None, doc_id: str | None) -> Paper:
    """A PDF's Paper: the text layer of ingest.pdf as it is (its offsets are the boxes' offsets)."""
    pdf = raw.pdf
    text = pdf.text
    if not text.strip():
        raise BadPaper(path, "contains no text after cleaning")
    rel = os.path.relpath(path.resolve(), (root or Path.cwd()).resolve())
    year = meta.get("year") or pdf.year
    sections = tuple(find_sections(text, [(o, 1 if is_top_heading(text[o:].split("\n", 1)[0]) else lvl)
                                          for o, lvl in pdf.headings]))
    return Paper(
        doc_id=doc_id or doc_id_for(path),
        path=rel if not rel.startswith("..") else str(path.resolve()),
        # without a title on its first page, the file's name (never its first heading, e.g. "Results")
        title=valid(meta.get("title") or pdf.title or re.sub(r"[-_]+", " ", path.stem).strip() or path.stem),
        authors=tuple(valid(a) for a in (meta.get("authors") or pdf.authors)),
        year=int(year) if isinstance(year, (int, str)) and str(year).isdigit() else None,
        language=meta.get("language") or detect_language(text),
        sha256=raw.sha256,
        text=text,
        sections=sections,
        pages=tuple(pdf.pages),
        venue=meta.get("venue"),
        boxes=pdf.boxes,
        blocks=tuple(with_headings(text, pdf.blocks, (o for o, _ in sections))),
        page_count=pdf.page_count,
        warnings=tuple(pdf.warnings),
    )


def read_report(path: Path, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                limits: Limits = Limits()) -> dict:
    """What ingest reads from one file under ``limits``, without indexing it (``sisterqa read --json``).

    ``{"path", "title", "authors", "year", "language", "pages", "sections": [{"title", "page"}],
    "text", "warnings", "error", "blocks": [{"kind", "start", "end", "page"}]}``; ``error`` is null or
    the one-line reason the file is refused; ``blocks`` are the text's blocks in order (offsets into
    ``text``, kinds as ingest.blocks.KINDS).
    """
    path = Path(path)
    shown = os.path.relpath(path.resolve(), (root or Path.cwd()).resolve())
    out = {"path": shown if not shown.startswith("..") else str(path.resolve()), "title": None,
           "authors": [], "year": None, "language": None, "pages": None, "sections": [], "text": "",
           "warnings": [], "error": None, "blocks": []}
    try:
        try:
            meta = read_metadata(path.parent).get(path.name, {})
        except BadPaper:
            meta = {}  # ingest ignores a broken metadata file too
        paper = read_paper(path, meta, root=root, max_bytes=max_bytes, limits=limits)
    except BadPaper as e:
        out["error"] = e.reason
        return out
    out.update(
        title=paper.title, authors=list(paper.authors), year=paper.year, language=paper.language,
        pages=paper.page_count if paper.page_count is not None else (len({n for _, n in paper.pages}) or None),
        sections=[{"title": s.split(" › ")[-1], "page": paper.page_at(o)} for o, s in paper.sections],
        text=paper.text, warnings=list(paper.warnings),
        blocks=[{"kind": k, "start": a, "end": b, "page": paper.page_at(a)} for a, b, k in paper.blocks],
    )
    return out
