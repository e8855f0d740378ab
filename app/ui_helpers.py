"""Pure helpers behind the Streamlit UI (app/ui.py), testable without Streamlit.

Everything that turns paper text into something shown on screen goes through
here, and paper text is always treated as text: ``html_*`` helpers escape it
before adding their own markup, ``md_escape`` backslash-escapes Markdown.
Uploads are checked, saved under a safe name and ingested by
``add_uploads``; a rejected upload never stays in the corpus folder.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sisterqa.ingest.errors import BadPaper
from sisterqa.ingest.load import SUPPORTED, parse_bytes

# ---------------------------------------------------------------- text as text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:^=&\"'])")


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: every markup character backslash-escaped.

    Raw HTML (``<script>``) then shows as its characters, ``$`` does not start
    a formula and ``*`` does not start emphasis.
    """
    return _MD_SPECIAL.sub(r"\\\1", text or "")


def cite_anchor(turn: int, n: int) -> str:
    """The HTML id of citation ``n``'s card in chat turn ``turn`` (what an inline ``[n]`` links to)."""
    return f"sq-cite-{turn}-{n}"


def answer_markdown(text: str, quotes: Iterable[str] = (), turn: int | None = None) -> str:
    """An answer's Markdown with the paper sentences it quotes escaped.

    The answerer's own markup (``**title**``, ``- `` lists, ``_(Indonesian)_``,
    the ``[n]`` markers) stays; any quoted paper text inside it is shown as
    text. ``$`` and ``<``/``>`` are escaped everywhere (answers hold neither
    formulas nor HTML). Each ``[n]`` marker is shown bold and blue; with
    ``turn``, it is a link to its citation's card (``#sq-cite-<turn>-<n>``).
    """
    out = text or ""
    for q in sorted({" ".join(q.split()) for q in quotes if q and q.strip()}, key=len, reverse=True):
        if q in out:
            out = out.replace(q, "\x00" + md_escape(q) + "\x01")
    # outside the escaped quotes: escape raw HTML and dollar signs
    parts = re.split(r"(\x00[^\x01]*\x01)", out)
    fixed = []
    for part in parts:
        if part.startswith("\x00"):
            fixed.append(part[1:-1])
        else:
            fixed.append(re.sub(r"(?<!\\)([$<>])", r"\\\1", part))
    marker = (r":blue[**[\1]**]" if turn is None
              else r"[**\[\1\]**](#sq-cite-" + str(int(turn)) + r"-\1)")
    return re.sub(r"(?<![\\\w])\[(\d+)\](?!\()", marker, "".join(fixed))


def html_text(text: str) -> str:
    """Paper text as HTML text (escaped)."""
    return html.escape(text or "", quote=True)


def html_highlight(text: str, regions: list[tuple[int, int, str]]) -> str:
    """``text`` escaped, with each (start, end, css class) region wrapped in a tag.

    A region with class ``"quote"`` becomes ``<mark>``, any other a
    ``<span class=…>``. Regions may nest (a quote inside its passage) but must
    not cross; crossing regions are clipped to their parent.
    """
    n = len(text)
    regions = sorted(
        ((max(0, min(a, n)), max(0, min(b, n)), c) for a, b, c in regions if b > a),
        key=lambda r: (r[0], -r[1]),
    )
    out: list[str] = []
    pos = 0
    stack: list[tuple[int, str]] = []  # (end, closing tag)

    def close_until(limit: int):
        nonlocal pos
        while stack and stack[-1][0] <= limit:
            end, tag = stack.pop()
            out.append(html_text(text[pos:end]))
            out.append(tag)
            pos = end

    for a, b, cls in regions:
        close_until(a)
        if stack:
            b = min(b, stack[-1][0])
        if b <= a or a < pos:
            continue
        out.append(html_text(text[pos:a]))
        pos = a
        if cls == "quote":
            out.append("<mark>")
            stack.append((b, "</mark>"))
        else:
            out.append(f'<span class="{html_text(cls)}">')
            stack.append((b, "</span>"))
    close_until(n)
    out.append(html_text(text[pos:]))
    return "".join(out)


def size_text(n_bytes: int) -> str:
    """A size limit in the words ingest's error uses: ``52428800`` → ``50 MB``."""
    from sisterqa.ingest.load import _size

    return _size(n_bytes)


def upload_messages(outcome) -> list[tuple[str, str]]:
    """What the UI says about a batch of uploads: (kind, text) pairs, kind an st.* call.

    One line per file (``Added x.md``, or ``Added x.md (saved as y.md)`` when
    the name had to change), then the index line, whose ``failed`` counts
    every file of the batch that was refused, before or during indexing.
    """
    msgs = []
    for name, path in outcome.added:
        saved = Path(path).name
        msgs.append(("success", f"Added {name}" if saved == name else f"Added {name} (saved as {saved})"))
    for name, reason in outcome.rejected:
        msgs.append(("error", f"{name}: {reason}"))
    for path, reason in outcome.other_failures:
        msgs.append(("warning", f"{Path(path).name} (already in the corpus folder): {reason}"))
    if outcome.report is not None:
        failed = len(outcome.rejected) + len(outcome.other_failures)
        summary = re.sub(r"\bfailed \d+", f"failed {failed}", outcome.report.summary())
        msgs.append(("info", f"Index: {summary}"))
    for name, _ in outcome.interrupted:
        msgs.append(("warning", f"{name} is saved in the corpus folder but not indexed yet; "
                                "“Update the index” indexes it"))
    return msgs


def filter_label(paper: dict, n: int = 26) -> str:
    """A paper in the paper filter: its title cut with an ellipsis, then its year or first author.

    Short enough to fit the sidebar's list; the year (or the author) tells
    apart papers whose titles start alike.
    """
    tail = paper.get("year") or next(iter(paper.get("authors") or []), "") or ""
    tail = str(tail).split()[-1] if tail else ""
    return shorten(paper.get("title") or paper.get("doc_id", ""), n) + (f" ({tail})" if tail else "")


def shorten(title: str, n: int = 90) -> str:
    """A title cut at a word boundary to at most ``n`` characters."""
    title = " ".join((title or "").split())
    return title if len(title) <= n else title[: n - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- citations in context


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of ``text``'s paragraphs (separated by blank lines)."""
    spans = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\s*\n))*", text):
        a, b = m.start(), m.end()
        if text[a:b].strip():
            spans.append((a, b))
    return spans


def context_window(text: str, start: int, end: int, paragraphs: int = 2) -> tuple[int, int]:
    """The span from ``paragraphs`` paragraphs before ``start`` to as many after ``end``."""
    spans = paragraph_spans(text)
    if not spans:
        return 0, len(text)
    first = next((i for i, (a, b) in enumerate(spans) if b > start), len(spans) - 1)
    last = next((i for i in range(len(spans) - 1, -1, -1) if spans[i][0] < end), first)
    lo = max(0, min(first, last) - paragraphs)
    hi = min(len(spans) - 1, max(first, last) + paragraphs)
    return spans[lo][0], spans[hi][1]


def snippet_window(start: int, end: int, q_start: int, q_end: int, text: str, pad: int = 200) -> tuple[int, int]:
    """Part of a passage (start..end) around its quote, cut at word boundaries."""
    a = max(start, q_start - pad)
    b = min(end, q_end + pad)
    if a > start:
        sp = text.find(" ", a, q_start)
        a = sp + 1 if sp != -1 else a
    if b < end:
        sp = text.rfind(" ", q_end, b)
        b = sp if sp != -1 else b
    return a, b


def format_reference(meta: dict) -> str:
    """An APA-style reference from a paper's metadata (title, authors, year, venue)."""
    authors = [a for a in (meta.get("authors") or []) if a and str(a).strip()]
    year = meta.get("year") or "n.d."
    title = " ".join(str(meta.get("title") or meta.get("doc_id") or "Untitled").split())
    title = title.rstrip(".")
    venue = " ".join(str(meta.get("venue") or "").split()).rstrip(".")
    names = [_apa_name(a) for a in authors]
    if len(names) > 1:
        who = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        who = names[0] if names else ""
    if who:
        ref = f"{who} ({year}). {title}."
    else:
        ref = f"{title}. ({year})."
    if venue:
        ref += f" {venue}."
    return ref


def _apa_name(name: str) -> str:
    parts = str(name).split()
    if len(parts) < 2:
        return " ".join(parts)
    initials = " ".join(p[0].upper() + "." for p in parts[:-1] if p[0].isalpha())
    return f"{parts[-1]}, {initials}" if initials else " ".join(parts)


@dataclass(frozen=True)
class CitationView:
    """Everything the UI shows for one ``[n]``, captured when the answer was made."""

    n: int
    doc_id: str
    title: str
    year: int | None
    language: str
    section: str
    page: int | None
    quote: str
    snippet_html: str  # the quote highlighted inside (part of) its passage
    context_html: str  # the passage in its surrounding paragraphs, quote highlighted
    context_note: str  # e.g. "paragraphs 12–16 of 40"
    reference: str


@dataclass(frozen=True)
class HitView:
    """A retrieved passage as 'Why these passages' shows it."""

    rank: int
    doc_id: str
    title: str
    section: str
    page: int | None
    scores: dict
    text_html: str
    cited: tuple[int, ...] = ()


def citation_views(answer, snapshot) -> list[CitationView]:
    """The citations of ``answer`` with their passages and context, read from ``snapshot``."""
    passages = {h.passage.passage_id: h.passage for h in answer.hits}
    out = []
    for c in answer.citations:
        meta = _meta(snapshot, c.doc_id)
        text = snapshot.paper_text(c.doc_id)
        q_start, q_end = c.start, c.end
        if text[q_start:q_end] != c.quote:  # the paper changed under the answer: find the quote
            i = text.find(c.quote)
            q_start, q_end = (i, i + len(c.quote)) if i >= 0 else (0, 0)
        p = passages.get(c.passage_id)
        if p is not None and p.start <= q_start and q_end <= p.end:
            p_start, p_end = p.start, p.end
        else:
            p_start, p_end = q_start, q_end
        a, b = snippet_window(p_start, p_end, q_start, q_end, text)
        snippet = (
            ("… " if a > p_start else "")
            + html_highlight(text[a:b], [(q_start - a, q_end - a, "quote")])
            + (" …" if b < p_end else "")
        )
        snippet = re.sub(r"\n[ \t]*\n\s*", "\n", snippet.strip())  # no blank lines in a snippet
        ca, cb = context_window(text, p_start, p_end)
        context = html_highlight(
            text[ca:cb], [(p_start - ca, p_end - ca, "passage"), (q_start - ca, q_end - ca, "quote")]
        )
        paras = paragraph_spans(text)
        idx = [i for i, (x, y) in enumerate(paras) if y > ca and x < cb]
        note = (f"paragraphs {idx[0] + 1}–{idx[-1] + 1} of {len(paras)}" if idx else "")
        if q_end <= q_start:
            note = "the paper changed since this answer; the quote is no longer in it"
        out.append(CitationView(
            n=c.n, doc_id=c.doc_id, title=c.title or meta.get("title", c.doc_id),
            year=c.year if c.year is not None else meta.get("year"),
            language=c.language or meta.get("language", ""), section=c.section, page=c.page,
            quote=c.quote, snippet_html=snippet, context_html=context, context_note=note,
            reference=format_reference(meta or {"title": c.title}),
        ))
    return out


def hit_views(answer, snapshot, max_chars: int = 450) -> list[HitView]:
    """The retrieved passages of ``answer`` with their scores and which citations use them."""
    cited: dict[str, list[int]] = {}
    for c in answer.citations:
        cited.setdefault(c.passage_id, []).append(c.n)
    out = []
    for h in answer.hits:
        p = h.passage
        text = " ".join(p.text.split())
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        out.append(HitView(
            rank=h.rank, doc_id=p.doc_id, title=_meta(snapshot, p.doc_id).get("title", p.doc_id),
            section=p.section, page=p.page, scores=dict(h.scores), text_html=html_text(text),
            cited=tuple(cited.get(p.passage_id, ())),
        ))
    return out


def _meta(snapshot, doc_id: str) -> dict:
    try:
        return snapshot.paper_meta(doc_id)
    except KeyError:
        return {}


def format_scores(scores: dict) -> str:
    """``dense 0.842 · bm25 12.1 · fused 0.033`` (missing signals as —)."""
    keys = ["dense", "bm25", "fused"] + sorted(k for k in scores if k not in ("dense", "bm25", "fused"))
    parts = []
    for k in keys:
        if k not in scores and k in ("bm25",):
            continue
        v = scores.get(k)
        parts.append(f"{k} {v:.3f}" if isinstance(v, (int, float)) else f"{k} —")
    return " · ".join(parts)


def where(section: str, page: int | None) -> str:
    """``Section › Sub, p. 3`` (either part may be missing)."""
    return ", ".join(x for x in (section, f"p. {page}" if page else "") if x)


# ---------------------------------------------------------------- uploads

MAX_NAME_BYTES = 180
_NAME_OK = set("-_.,()[]'&+–— ")


def safe_filename(name: str) -> str:
    """A file name safe to create inside the corpus folder, readable where possible.

    Only the last path component counts (``../../x.txt`` → ``x.txt``, ``/etc/passwd``
    → ``passwd``); letters of any script, digits, spaces and ``-_.,()[]'&+–—`` stay;
    anything else becomes ``_``; no leading dot or dash; at most 180 UTF-8 bytes.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    chars = []
    for ch in name:
        cat = unicodedata.category(ch)
        if ch in _NAME_OK or cat[0] in "LN" or cat in ("Mn", "Mc"):
            chars.append(ch)
        elif cat == "Zs" or ch in "\t":
            chars.append(" ")
        else:
            chars.append("_")
    name = "".join(chars)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"_{2,}", "_", name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" ._-")
    ext = re.sub(r"[^\w]", "", ext.lower())
    if not stem:
        stem = "paper"
    suffix = f".{ext}" if ext else ""
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(" ._-") or "paper"
    return stem + suffix


def check_upload(name: str, data: bytes, max_bytes: int) -> None:
    """Raise BadPaper unless ``data`` reads as a paper of the type its name promises.

    The same checks and parsing as ``sisterqa ingest`` (ingest.load.parse_bytes).
    """
    parse_bytes(name, data, max_bytes)


@dataclass
class UploadOutcome:
    """What happened to a batch of uploads."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (upload name, saved path)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (upload name, reason)
    other_failures: list[tuple[str, str]] = field(default_factory=list)  # corpus files that failed
    report: object | None = None  # the IngestReport, when ingest ran
    interrupted: list[tuple[str, str]] = field(default_factory=list)  # saved, but indexing did not finish
    error: str | None = None  # why indexing did not run (say, another ingest is running)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _corpus_hashes(corpus_dir: Path) -> dict[str, Path]:
    out = {}
    if corpus_dir.is_dir():
        for p in sorted(corpus_dir.rglob("*")):
            if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith("."):
                try:
                    out.setdefault(_sha(p.read_bytes()), p)
                except OSError:
                    continue
    return out


def _indexed_hashes(index_dir: Path, root: Path) -> dict[str, Path]:
    """The papers already indexed (some may live outside the corpus folder), by content hash."""
    from sisterqa.index.store import IndexDir, read_manifest
    from sisterqa.ingest.errors import SisterQAError

    try:
        version = IndexDir(index_dir).current()
        papers = read_manifest(version)["papers"] if version else []
    except (SisterQAError, KeyError, TypeError):
        return {}
    return {p["sha256"]: root / p["path"] for p in papers if p.get("sha256") and p.get("path")}


def save_upload(corpus_dir: Path, name: str, data: bytes) -> Path:
    """Write ``data`` into ``corpus_dir`` under ``safe_filename(name)``, never over another file.

    A taken name gets `` (2)``, `` (3)``… The file appears complete or not at
    all (written to a hidden temporary file, then linked into place).
    """
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    base = safe_filename(name)
    stem, suffix = os.path.splitext(base)
    root = corpus_dir.resolve()
    tmp = corpus_dir / f".upload-{os.getpid()}-{_sha(data)[:12]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        for i in range(1, 1000):
            candidate = corpus_dir / (base if i == 1 else f"{stem} ({i}){suffix}")
            if candidate.resolve().parent != root:  # cannot happen with a safe name; belt and braces
                raise BadPaper(name, "has a file name that points outside the corpus folder")
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            return candidate
        raise BadPaper(name, "has a file name that is taken too many times over")
    finally:
        tmp.unlink(missing_ok=True)


def add_uploads(
    files: list[tuple[str, bytes]],
    settings,
    progress: Callable[[str, int, int, str], None] | None = None,
    embedder=None,
) -> UploadOutcome:
    """Check, save and ingest uploaded papers; each bad one is reported and removed.

    ``files`` are (file name as uploaded, content) pairs. Good files go into
    ``settings.corpus_dir`` under a safe name (each written completely before
    indexing starts) and the index is updated incrementally; a file the
    checks or the ingest reject is not left in the corpus. A saved file is
    never removed because indexing did not finish: if ingest stops with a
    typed error (say, another ingest is running) the files stay, are listed
    in ``interrupted`` and the error is in ``error``; if it is interrupted
    (the browser tab closed, the server stopped) they stay and the next
    ingest indexes them.
    """
    from sisterqa.index.build import ingest
    from sisterqa.ingest.errors import SisterQAError

    root = Path(settings.root)
    corpus_dir = root / settings.corpus_dir  # relative folders are the project root's
    index_dir = root / settings.index_dir
    out = UploadOutcome()
    known = _corpus_hashes(corpus_dir)
    known.update({k: v for k, v in _indexed_hashes(index_dir, root).items() if k not in known})
    saved: dict[str, tuple[str, Path]] = {}  # resolved path -> (upload name, path)
    for name, data in files:
        shown = name or "(no name)"
        try:
            check_upload(safe_filename(name), data, settings.build.max_bytes)
            digest = _sha(data)
            if digest in known:
                raise BadPaper(shown, f"is already in the corpus (same content as {known[digest].name})")
            path = save_upload(corpus_dir, name, data)
        except BadPaper as e:
            out.rejected.append((shown, e.reason))
            continue
        except OSError as e:
            out.rejected.append((shown, f"could not be saved ({e.strerror or e})"))
            continue
        known[digest] = path
        saved[str(path.resolve())] = (shown, path)
    if not saved:
        return out
    try:
        report = ingest([corpus_dir], index_dir, settings.build, root=root,
                        progress=progress, embedder=embedder)
    except SisterQAError as e:
        out.interrupted = [(shown, str(path)) for shown, path in saved.values()]
        out.error = str(e)
        return out
    out.report = report
    failed_ours = set()
    for path, reason in report.failed:
        key = str(Path(path).resolve())
        if key in saved:
            shown, p = saved[key]
            p.unlink(missing_ok=True)
            out.rejected.append((shown, reason))
            failed_ours.add(key)
        else:
            out.other_failures.append((path, reason))
    for key, (shown, path) in saved.items():
        if key not in failed_ours:
            out.added.append((shown, str(path)))
    return out


__all__ = [
    "md_escape", "answer_markdown", "html_text", "html_highlight", "shorten", "paragraph_spans",
    "context_window", "format_reference", "CitationView", "HitView", "citation_views", "hit_views",
    "format_scores", "where", "safe_filename", "check_upload", "save_upload", "add_uploads",
    "UploadOutcome", "upload_messages", "size_text", "cite_anchor",
]
